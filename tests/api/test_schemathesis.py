"""The API against its own OpenAPI schema: schemathesis with every check, on a live server.

Every answer must be one the schema describes (status code, content type, body, headers), every
input the schema allows must be accepted and every input it forbids refused. README.md ("API fuzz
test") says what the configuration below relaxes, and why.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db.backends.signals import connection_created
from django.test import override_settings

from backoffice.choices import Role
from commerce.services import customer_user_create
from commerce.services.promotions import promotion_save
from tests.factories import (
    AccountFactory,
    ApiKeyFactory,
    BusinessCustomerFactory,
    CalendarEventFactory,
    ContactFactory,
    LeadFactory,
    NoteFactory,
    OpportunityFactory,
    OrganizationFactory,
    TaskFactory,
    UserFactory,
)
from tests.factories.commerce import CustomerGroupFactory, ProductFactory, make_customer, make_order

# Test cases per operation in the fuzzing phase, and steps of a stateful scenario: enough to reach
# every kind of answer, few enough for the whole suite to stay within minutes on two cores.
MAX_EXAMPLES = 10
MAX_STEPS = 6
# The server spends most of a request waiting for PostgreSQL, so a few clients at once keep it busy.
WORKERS = 4
# The whole run; a run that needs longer has grown too big for `make test`.
TIMEOUT_SECONDS = 600

# Writes whose bodies name other records by id (owner, account, related_type + related_id, ...): the
# schema can say an id is an integer, not that it names a record of the caller's organization, nor
# that two fields go together. These answer such input 400 naming the field, by design. Likewise an If-Match
# of another version than the record's current one answers 412: the schema says what a version looks like.
WRITES_WITH_REFERENCES = r"^/api/crm/(accounts|contacts|business-customers|leads|opportunities|tasks|events|notes)/"
# PUT and PATCH of one record take the body POST takes (the same serializer, field for field): the coverage
# phase, which tries every field's boundaries and wrong types one by one, does that on POST only. PUT and
# PATCH stay in the fuzzing and stateful phases.
RECORD_UPDATES = r"^/api/crm/(accounts|contacts|business-customers|leads|opportunities|tasks|events|notes)/\{id\}/$"
# The forecast's close-date range: OpenAPI cannot say that date_to must not come before date_from, which the
# API answers with a 400 naming date_to.
FORECAST = r"^/api/crm/forecast/$"
# Commerce writes answer 400 naming the field for what OpenAPI cannot say either: ids of other records (customer,
# product, account, parent), values unique in the organization (SKU, group name, customer user e-mail, order
# number), a parent that would make a cycle, a discount over the subtotal, a web store batch naming an account,
# a quote's validity date in the past, a storefront sign-up's password that Django's validators refuse.
# Order actions refused by the order's state (refunding an unpaid order, cancelling a cancelled one) answer 409.
COMMERCE_WRITES = (
    r"^/api/commerce/(customers|customer-groups|customer-users|products|orders|web-store|quotes|storefront"
    r"|promotions|selector|pos)/"
)
COMMERCE = ("customers", "customer-groups", "customer-users", "products", "orders", "promotions")
# The customer selector's search takes `filter=key:value` of the fields the organization's selector can search
# (the CRM connector's configuration says which): the schema cannot list them, any other key answers 400 naming it.
# (Filters of one [[operations]] entry select operations matching any of them: this one names a path only; its
# POST takes the statuses of the other commerce writes.)
SELECTOR_SEARCH = r"^/api/commerce/selector/customers/$"


def _seed_records() -> tuple[UserFactory, str, dict[str, int]]:
    """An organization with a manager (who may change every record) and two records of each kind."""
    organization = OrganizationFactory(name="Fuzz Corp")
    manager = UserFactory(username="fuzz-manager", organization=organization, role=Role.MANAGER)
    rep = UserFactory(username="fuzz-rep", organization=organization, role=Role.REP)
    ids = {}
    for owner in (rep, manager):  # the manager's rows come last: their ids go into the configuration
        account = AccountFactory(owner=owner)
        contact = ContactFactory(owner=owner)
        account.contacts.add(contact)
        customer = BusinessCustomerFactory(owner=owner, account=account, contact=contact)
        ids = {
            "accounts": AccountFactory(owner=owner).pk,  # one without deals, so that DELETE can succeed
            "contacts": contact.pk,
            "business-customers": customer.pk,
            "leads": LeadFactory(owner=owner, account=account).pk,
            "opportunities": OpportunityFactory(owner=owner, account=account, contact=contact).pk,
            "tasks": TaskFactory(owner=owner).pk,
            "events": CalendarEventFactory(owner=owner).pk,
            "notes": NoteFactory(owner=owner).pk,
            "channels": customer.channel_id,
        }
    ids["users"] = rep.pk
    customer = make_customer(manager, "Fuzz customer")
    product = ProductFactory(organization=organization)
    ids["customers"] = customer.pk
    ids["customer-groups"] = CustomerGroupFactory(organization=organization).pk
    ids["products"] = product.pk
    ids["orders"] = make_order(manager, customer, product=product).pk
    ids["promotions"] = promotion_save(actor=manager, data={"name": "Fuzz promotion", "value": "5"}).pk
    ids["customer-users"] = customer_user_create(
        actor=manager,
        customer=customer,
        first_name="Fuzz",
        last_name="User",
        email="fuzz@example.com",
        password="fuzz-pass-1",
    ).pk
    _, raw_key = ApiKeyFactory.create(manager)
    return manager, raw_key, ids


def _toml(value) -> str:
    return json.dumps(value)  # strings, numbers and lists of them are written alike in TOML


def _configuration(ids: dict[str, int]) -> str:
    lines = [
        # NUL characters are refused on purpose (PostgreSQL cannot store them); the schema does not list
        # the one character every string must go without.
        "[generation]",
        "allow-x00 = false",
        "",
        "[phases.stateful]",
        f"max-steps = {MAX_STEPS}",
        "",
        "[[operations]]",
        'include-method-regex = "^(POST|PUT|PATCH)$"',
        f"include-path-regex = {_toml(WRITES_WITH_REFERENCES)}",
        "checks.positive_data_acceptance.expected-statuses = " + _toml(["2xx", 400, 403, 404, 409, 412]),
        "",
        "[[operations]]",
        'include-method-regex = "^(PUT|PATCH)$"',
        f"include-path-regex = {_toml(RECORD_UPDATES)}",
        "phases.coverage.enabled = false",
        "",
        "[[operations]]",
        'include-method-regex = "^(POST|PUT|PATCH)$"',
        f"include-path-regex = {_toml(COMMERCE_WRITES)}",
        "checks.positive_data_acceptance.expected-statuses = " + _toml(["2xx", 400, 403, 404, 409, 412]),
        "",
        "[[operations]]",
        f"include-path-regex = {_toml(SELECTOR_SEARCH)}",
        "checks.positive_data_acceptance.expected-statuses = " + _toml(["2xx", 400, 403, 404, 409, 412]),
        "",
        "[[operations]]",
        f"include-path-regex = {_toml(FORECAST)}",
        "checks.positive_data_acceptance.expected-statuses = " + _toml(["2xx", 400, 403, 404]),
    ]
    lines += [
        "",
        "[[operations]]",
        f"include-path-regex = {_toml('^/api/commerce/selector/customers/{reference}/')}",
        f'parameters = {{ reference = "{ids["customers"]}" }}',
    ]
    for resource, pk in ids.items():
        prefix = "/api/" if resource == "users" else "/api/commerce/" if resource in COMMERCE else "/api/crm/"
        lines += [
            "",
            "[[operations]]",
            f"include-path-regex = {_toml(f'^{prefix}{resource}/{{id}}/')}",
            f"parameters = {{ id = {pk} }}",
        ]
    return "\n".join(lines) + "\n"


@pytest.fixture
def _asynchronous_commits():
    """Commits of the live server return before the disk has them: a crash would lose a test's rows only."""

    def relax(sender, connection, **kwargs):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET synchronous_commit TO off")

    connection_created.connect(relax)
    yield
    connection_created.disconnect(relax)


# The fuzzer sends wrong credentials on purpose (ignored_auth): they must not lock out its own key.
@override_settings(API_AUTH_FAILURE_LIMIT=1_000_000, AUTH_USERNAME_FAILURE_LIMIT=1_000_000)
@pytest.mark.django_db(transaction=True)
def test_api_answers_only_as_its_schema_says(_asynchronous_commits, live_server, tmp_path):
    manager, raw_key, ids = _seed_records()
    config = tmp_path / "schemathesis.toml"
    config.write_text(_configuration(ids))
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "--config-file",
        str(config),
        "--no-color",
        "run",
        f"{live_server.url}/api/schema/",
        "--url",
        live_server.url,
        "--checks",
        "all",
        "--auth",
        f"{manager.username}:{raw_key}",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--generation-deterministic",
        "--workers",
        str(WORKERS),
        "--request-timeout",
        "30",
        "--output-truncate",
        "false",
    ]
    environment = {**os.environ, "SCHEMATHESIS_HOOKS": str(Path(__file__).with_name("schemathesis_hooks.py"))}
    started = time.monotonic()
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, cwd=tmp_path, env=environment
    )
    report = result.stdout + result.stderr
    print(f"schemathesis: {time.monotonic() - started:.0f} s\n{report[-3000:]}")
    assert result.returncode == 0, report
