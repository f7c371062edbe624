"""A customer user signed in to the storefront is refused on every back-office page and API endpoint.

Every URL pattern of the project is walked from the resolver (so a page added later is checked too), filled
with plausible arguments, and asked for with GET and POST from a browser holding a storefront session,
and from an API client sending the customer user's e-mail and password as HTTP Basic.
"""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern
from rest_framework.test import APIClient

from commerce.services.storefront import storefront_sign_up
from commerce.storefront.auth import SESSION_KEY
from tests.conftest import basic_auth
from tests.factories.commerce import make_customer, make_order

pytestmark = pytest.mark.django_db

PASSWORD = "a-Long-enough-passphrase-42"

# Public on purpose, each for a reason: the sign-in pages, the schema and its docs (no data), the health
# probe of load balancers, and the storefront itself.
PUBLIC = (
    re.compile(r"^login/$"),
    re.compile(r"^logout/$"),
    re.compile(r"^admin/login/$"),
    re.compile(r"^admin/logout/$"),
    re.compile(r"^api/schema/$"),
    re.compile(r"^api/docs/$"),
    re.compile(r"^api/health/$"),
    re.compile(r"^store/"),
)

VALUES = {"format": "json", "key": "commerce", "record_type": "account", "kind": "accounts", "app_label": "commerce"}


def _walk(patterns, prefix: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + _concrete(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + _concrete(pattern.pattern), pattern


def _value(name: str, kind: str = "str") -> str:
    if name in VALUES:
        return VALUES[name]
    if kind in ("int", "path_int") or name in ("pk", "id", "object_id", "content_type_id") or name.endswith("_pk"):
        return "1"
    return "x"


def _concrete(pattern) -> str:
    """The pattern with every parameter filled in (route converters and regular expression groups)."""
    if isinstance(pattern, RoutePattern):
        return re.sub(
            r"<(?:(\w+):)?(\w+)>",
            lambda m: ".json" if m.group(1) == "drf_format_suffix" else _value(m.group(2), m.group(1) or "str"),
            str(pattern._route),
        )
    text = str(pattern.regex.pattern)
    text = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: _value(m.group(1)), text)
    text = re.sub(r"\(\?:[^)]*\)\??", "", text)  # optional groups (such as "(?:/)?") left out
    return text.lstrip("^").rstrip("$").replace("/?", "/").replace("\\.", ".").replace("\\", "")


def back_office_urls() -> list[str]:
    urls = []
    for route, _pattern in _walk(get_resolver().url_patterns):
        if any(public.match(route) for public in PUBLIC):
            continue
        urls.append("/" + route)
    return sorted(set(urls))


@pytest.fixture
def customer_user(organization, org_admin, settings):
    settings.STOREFRONT_ORGANIZATION = organization.name
    user = storefront_sign_up(
        organization=organization,
        first_name="Cy",
        last_name="User",
        email="cy@example.com",
        password=PASSWORD,
        company_name="Buyer Ltd",
    )
    # Rows with low ids exist, so that a page's "not found" cannot stand in for a refusal.
    make_order(org_admin, make_customer(org_admin, name="Other"), paid=True)
    return user


def _refused(response) -> bool:
    if response.status_code in (401, 403, 405):
        return True
    if response.status_code == 302:
        location = response["Location"]
        return location.startswith(("/login/", "/admin/login/"))
    return False


def test_every_back_office_url_refuses_a_storefront_session(client, customer_user):
    client.post("/store/sign-in/", {"email": "cy@example.com", "password": PASSWORD})
    assert client.session[SESSION_KEY]["id"] == customer_user.pk
    urls = back_office_urls()
    assert len(urls) > 150  # the walk found the whole project, admin and API included
    accepted = []
    for url in urls:
        answers = [client.get(url), client.post(url, {})]
        if not all(_refused(answer) for answer in answers):
            accepted.append((url, [(a.status_code, a.get("Location", "")) for a in answers]))
        # Nothing in the session was turned into a back-office sign-in on the way.
        assert "_auth_user_id" not in client.session
    assert accepted == []
    # The storefront session still works: the refusals were refusals, not a lost session.
    assert client.get("/store/lists/").status_code == 200


def test_every_api_endpoint_refuses_the_customer_users_password(customer_user):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=basic_auth("cy@example.com", PASSWORD))
    accepted = []
    for url in back_office_urls():
        if not url.startswith("/api/"):
            continue
        for answer in (api.get(url), api.post(url, {}, format="json")):
            if answer.status_code not in (401, 403, 405, 429):
                accepted.append((url, answer.status_code))
    assert accepted == []


def test_the_walk_fills_in_parameters():
    urls = back_office_urls()
    assert "/api/commerce/quotes/1/accept/" in urls
    assert "/sales/rfqs/1/quote/" in urls
    assert "/configuration/commerce/" in urls
    assert not [url for url in urls if any(ch in url for ch in "<>()?^$\\")]
