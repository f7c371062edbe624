"""What the CRM selector tests share: a local JSON REST CRM with a configuration switched on, a shop, a sale."""

import uuid
from decimal import Decimal

import pytest

from crmconnector.services import activation_update
from tests.crmconnector.conftest import make_configuration
from tests.crmconnector.rest_server import RestCrmServer
from tests.factories.commerce import ProductFactory

SELECTOR = "/api/commerce/selector"
POS = "/api/commerce/pos"
CRM_KEY = "test-crm-key"


@pytest.fixture
def rest_crm():
    with RestCrmServer() as server:
        server.state.api_key = CRM_KEY
        yield server


def crm_switch_on(admin, url: str, *, timeout: int = 2, **kwargs):
    """A generic REST configuration of the test CRM, in use by the admin's organization."""
    configuration = make_configuration(admin, url=url, secret=CRM_KEY, timeout=timeout, **kwargs)
    activation_update(actor=admin, enabled=True, configuration=configuration)
    return configuration


@pytest.fixture
def crm_on(org_admin, rest_crm):
    return crm_switch_on(org_admin, rest_crm.url)


@pytest.fixture
def people(rest_crm):
    add = rest_crm.state.add
    return {
        "alice": add(
            first_name="Alice",
            last_name="Martin",
            email="alice@example.com",
            phone="+34 600 111 222",
            category="VIP",
        ),
        "bob": add(first_name="Bob", last_name="Martinez", email="bob@example.org", phone="+1 202 555 0199"),
        "carol": add(first_name="Carol", last_name="Kingsley", email="carol@example.net", category="STD"),
    }


@pytest.fixture
def pen(organization):
    return ProductFactory(organization=organization, sku="PEN", name="Pen", unit_price=Decimal("10.00"))


def sell(api, product, *, customer: str = "", anonymous: bool = False, quantity: int = 2):
    return api.post(
        f"{POS}/sales/",
        {
            "idempotency_key": str(uuid.uuid4()),
            "customer": customer,
            "anonymous": anonymous,
            "lines": [{"product": product.pk, "quantity": quantity}],
            "payment_method": "card",
        },
        format="json",
    )


def labels(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["label"] for row in response.json()["results"]]
