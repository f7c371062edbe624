"""The Content-Security-Policy header, and templates that need nothing it forbids."""

import re
from pathlib import Path

import pytest
from django.conf import settings

from backoffice.csp import POLICY

pytestmark = pytest.mark.django_db

REPO = Path(settings.BASE_DIR)
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)


def directives(header: str) -> dict[str, str]:
    return {part.split()[0]: part.strip() for part in header.split(";") if part.strip()}


def test_the_policy_forbids_inline_scripts_and_framing():
    policy = directives(POLICY)
    assert policy["script-src"] == "script-src 'self'"
    assert policy["default-src"] == "default-src 'self'"
    assert policy["object-src"] == "object-src 'none'"
    assert policy["frame-ancestors"] == "frame-ancestors 'none'"
    assert policy["style-src"] == "style-src 'self' 'unsafe-inline'"
    assert {"img-src", "font-src", "connect-src", "base-uri", "form-action"} <= set(policy)


@pytest.mark.parametrize("path", ["/", "/me/", "/crm/accounts/", "/crm/forecast/", "/crm/calendar/", "/api/docs/"])
def test_html_pages_carry_the_policy(client, rep, path):
    client.force_login(rep)
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert response["Content-Security-Policy"] == POLICY
    assert not INLINE_SCRIPT.search(response.content.decode().replace('type="application/json"', 'src=""'))


def test_sign_in_admin_and_error_pages_carry_the_policy(client, rep):
    assert client.get("/login/")["Content-Security-Policy"] == POLICY
    assert client.get("/admin/login/")["Content-Security-Policy"] == POLICY
    client.force_login(rep)
    missing = client.get("/crm/accounts/999999/")
    assert missing.status_code == 404 and missing["Content-Security-Policy"] == POLICY


def test_other_responses_do_not(client, rep):
    client.force_login(rep)
    api = client.get("/api/me/")
    assert api["Content-Type"].startswith("application/json") and "Content-Security-Policy" not in api
    script = client.get("/api/docs/?script=")
    assert script["Content-Type"].startswith("application/javascript") and "Content-Security-Policy" not in script


def test_templates_have_no_inline_scripts_or_event_handlers():
    offenders = []
    for app in ("templates", "backoffice", "accounts", "commerce", "crmconnector", "outlooksync"):
        for template in (REPO / app).rglob("*.html"):
            text = template.read_text()
            if INLINE_SCRIPT.search(text) or INLINE_HANDLER.search(re.sub(r"\{[{%].*?[%}]\}", "", text)):
                offenders.append(str(template.relative_to(REPO)))
    assert offenders == []
