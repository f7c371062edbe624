"""The back office connector against a second running installation of this product (its own process and
database, an API key made there): search, view, create and edit its contacts, and its refusals."""

import pytest

from crmconnector.choices import PropertyType, UseAs
from crmconnector.connectors import CrmNotFound, CrmValidationError
from crmconnector.customers import crm_customer_create, crm_customer_get, crm_customer_search, crm_customer_update
from crmconnector.models import CrmConnectorProperty
from crmconnector.services import connection_test
from tests.crmconnector.conftest import make_configuration

pytestmark = pytest.mark.django_db


def contact_properties() -> list[CrmConnectorProperty]:
    return [
        CrmConnectorProperty(
            external_field="id",
            label="Reference",
            is_reference=True,
            editable_on_create=False,
            editable_on_edit=False,
            show_in_create=False,
            show_in_edit=False,
        ),
        CrmConnectorProperty(external_field="first_name", label="First name", use_as=UseAs.FIRST_NAME, searchable=True),
        CrmConnectorProperty(
            external_field="last_name",
            label="Last name",
            use_as=UseAs.LAST_NAME,
            searchable=True,
            mandatory_on_create=True,
        ),
        CrmConnectorProperty(
            external_field="email",
            label="E-mail",
            property_type=PropertyType.EMAIL,
            use_as=UseAs.EMAIL,
            searchable=True,
        ),
        CrmConnectorProperty(
            external_field="phone",
            label="Phone",
            property_type=PropertyType.PHONE,
            use_as=UseAs.PHONE,
            searchable=True,
        ),
        CrmConnectorProperty(
            external_field="birthday", label="Birthday", property_type=PropertyType.DATE, use_as=UseAs.BIRTHDAY
        ),
        CrmConnectorProperty(external_field="job_title", label="Job title"),
    ]


@pytest.fixture
def configuration(org_admin, remote):
    return make_configuration(
        org_admin,
        url=remote.url,
        connector="backoffice",
        options={"resource": "contacts"},
        username=remote.username,
        secret=remote.api_key,
        timeout=10,
        properties=contact_properties(),
    )


def test_health_check_with_the_api_key_and_with_a_wrong_one(org_admin, remote, configuration):
    assert connection_test(actor=org_admin, configuration=configuration)[0]
    wrong = make_configuration(
        org_admin,
        url=remote.url,
        connector="backoffice",
        options={},
        username=remote.username,
        secret="not-the-key",
        name="Wrong key",
        properties=contact_properties(),
    )
    assert connection_test(actor=org_admin, configuration=wrong) == (
        False,
        "The connection failed: The CRM refused the configured credentials.",
    )


def test_create_search_view_and_edit_a_contact_of_the_other_installation(configuration, remote):
    created = crm_customer_create(
        configuration=configuration,
        values={
            "first_name": "Greta",
            "last_name": "Lindqvist",
            "email": "greta.lindqvist@example.se",
            "phone": "+46 8 123 456 78",
            "birthday": "1990-04-01",
            "job_title": "Buyer",
        },
    )
    assert created.reference.isdigit()
    assert created.values["email"] == "greta.lindqvist@example.se"
    assert created.values["phone"] == "+46812345678"  # the other installation keeps phones in E.164

    page = crm_customer_search(configuration=configuration, filters={"email": "greta.lindqvist@example.se"})
    assert [c.reference for c in page.customers] == [created.reference]
    by_name_and_phone = crm_customer_search(
        configuration=configuration, filters={"last_name": "Lindqvist", "phone": "12345678"}
    )
    assert [c.reference for c in by_name_and_phone.customers] == [created.reference]
    none = crm_customer_search(configuration=configuration, filters={"last_name": "Lindqvist", "phone": "999"})
    assert none.customers == []

    shown = crm_customer_get(configuration=configuration, reference=created.reference)
    assert shown.values["birthday"] == "1990-04-01" and shown.values["first_name"] == "Greta"

    updated = crm_customer_update(
        configuration=configuration, reference=created.reference, values={"phone": "+46 8 999 000 11"}
    )
    assert updated.values["phone"] == "+46899900011"
    with remote.api() as api:
        stored = api.get(f"/api/crm/contacts/{created.reference}/").json()
    assert [p["number"] for p in stored["phones"]] == ["+46899900011"]
    assert stored["emails"] == ["greta.lindqvist@example.se"]


def test_the_other_installations_refusals(configuration):
    with pytest.raises(CrmNotFound):
        crm_customer_get(configuration=configuration, reference="987654321")
    with pytest.raises(CrmValidationError) as caught:
        crm_customer_create(configuration=configuration, values={"last_name": "Bad", "phone": "+999 1"})
    assert list(caught.value.errors) == ["phone"] and caught.value.errors["phone"]


def test_accounts_of_the_other_installation(org_admin, remote):
    configuration = make_configuration(
        org_admin,
        url=remote.url,
        connector="backoffice",
        options={"resource": "accounts"},
        username=remote.username,
        secret=remote.api_key,
        timeout=10,
        name="Accounts",
        properties=[
            CrmConnectorProperty(external_field="id", label="Reference", is_reference=True, editable_on_edit=False),
            CrmConnectorProperty(external_field="name", label="Company", mandatory_on_create=True, searchable=True),
            CrmConnectorProperty(external_field="description", label="Notes"),
        ],
    )
    created = crm_customer_create(configuration=configuration, values={"name": "Nordic Timber AB"})
    [found] = crm_customer_search(configuration=configuration, filters={"name": "Nordic Timber"}).customers
    assert found.reference == created.reference and found.values["name"] == "Nordic Timber AB"
    updated = crm_customer_update(
        configuration=configuration, reference=created.reference, values={"description": "Pays on time"}
    )
    assert updated.values["description"] == "Pays on time"
