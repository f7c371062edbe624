"""The CRM selector's whole flow with the back office connector against a second running installation of this
product (its own process, database and API key): create, search by e-mail, name and phone, view, edit, the other
installation's refusals next to their field, and a sale that keeps only the contact's reference and category."""

import pytest

from commerce.models import Order
from crmconnector.services import activation_update
from tests.commerce.crm_support import SELECTOR, labels, sell
from tests.crmconnector.conftest import make_configuration
from tests.crmconnector.test_backoffice_connector import contact_properties
from tests.factories.api import error_attrs

pytestmark = pytest.mark.django_db


@pytest.fixture
def remote_on(org_admin, remote):
    properties = contact_properties()
    job_title = next(p for p in properties if p.external_field == "job_title")
    job_title.is_category_key = True
    configuration = make_configuration(
        org_admin,
        url=remote.url,
        connector="backoffice",
        options={"resource": "contacts"},
        username=remote.username,
        secret=remote.api_key,
        timeout=10,
        properties=properties,
    )
    activation_update(actor=org_admin, enabled=True, configuration=configuration)
    return configuration


def test_the_selector_flow_against_another_installation(key_client, rep, remote, remote_on, pen):
    api = key_client(rep)
    assert api.get(f"{SELECTOR}/").json()["backend"] == "crm"
    refused = api.post(
        f"{SELECTOR}/customers/",
        {"values": {"last_name": "Bad", "phone": "+999 1"}},  # well formed here, refused there
        format="json",
    )
    assert refused.status_code == 400 and error_attrs(refused) == {"phone"}

    created = api.post(
        f"{SELECTOR}/customers/",
        {
            "values": {
                "first_name": "Greta",
                "last_name": "Lindqvist",
                "email": "greta.lindqvist@example.se",
                "phone": "+46 8 123 456 78",
                "job_title": "Buyer",
            }
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    reference = created.json()["reference"]
    assert created.json()["label"] == "Greta Lindqvist"

    url = f"{SELECTOR}/customers/"
    assert labels(api.get(url, {"q": "greta.lindqvist@example.se"})) == ["Greta Lindqvist"]
    assert labels(api.get(url, {"q": "Lindqvist"})) == ["Greta Lindqvist"]
    assert labels(api.get(url, {"q": "Greta Lindqvist"})) == ["Greta Lindqvist"]
    assert labels(api.get(url, {"q": "123 456 78"})) == ["Greta Lindqvist"]
    assert labels(api.get(url, {"q": "nobody@example.se"})) == []

    shown = api.get(f"{url}{reference}/").json()
    assert shown["values"]["phone"] == "+46812345678" and shown["values"]["job_title"] == "Buyer"
    edited = api.patch(f"{url}{reference}/", {"values": {"phone": "+46 8 999 000 11"}}, format="json")
    assert edited.status_code == 200 and edited.json()["values"]["phone"] == "+46899900011"
    with remote.api() as other:
        stored = other.get(f"/api/crm/contacts/{reference}/").json()
    assert [p["number"] for p in stored["phones"]] == ["+46899900011"]

    sold = sell(api, pen, customer=reference)
    assert sold.status_code == 201, sold.content
    order = Order.objects.get(pk=sold.json()["order"])
    assert order.customer.is_anonymous and order.crm_reference == reference
    assert order.crm_category_keys == {"job_title": "Buyer"}
