"""The generic REST connector against a local JSON REST CRM, through the customer operations commerce uses."""

import pytest

from crmconnector.connectors import CrmConflict, CrmNotFound, CrmUnavailable, CrmValidationError
from crmconnector.customers import (
    crm_configuration_active,
    crm_customer_create,
    crm_customer_get,
    crm_customer_search,
    crm_customer_update,
)
from crmconnector.services import activation_update, configuration_save, connection_test

pytestmark = pytest.mark.django_db


@pytest.fixture
def customers(rest_crm):
    alice = rest_crm.state.add(
        first_name="Alice", last_name="Martin", email="alice@example.com", phone="+34 600 111 222", category="VIP"
    )
    bob = rest_crm.state.add(first_name="Bob", last_name="Stone", email="bob@example.com", phone="+34 600 333 444")
    return alice, bob


def test_search_by_email_returns_the_reference_and_the_configured_values(rest_configuration, customers):
    page = crm_customer_search(configuration=rest_configuration, filters={"email": "alice@"})
    assert page.total == 1 and not page.has_next
    [customer] = page.customers
    assert customer.reference == customers[0]["id"]
    assert customer.values["email"] == "alice@example.com"
    assert customer.values["category"] == "VIP"
    assert set(customer.values) == {"id", "first_name", "last_name", "email", "phone", "birthday", "category"}


def test_search_pages(rest_configuration, rest_crm):
    for number in range(5):
        rest_crm.state.add(first_name=f"P{number}", last_name="Same", email=f"p{number}@example.com")
    first = crm_customer_search(configuration=rest_configuration, filters={"last_name": "same"}, page=1, page_size=2)
    last = crm_customer_search(configuration=rest_configuration, filters={"last_name": "same"}, page=3, page_size=2)
    assert first.total == 5 and first.has_next and len(first.customers) == 2
    assert not last.has_next and len(last.customers) == 1


def test_search_refuses_filters_that_are_not_searchable_and_bad_paging(rest_configuration):
    with pytest.raises(CrmValidationError) as caught:
        crm_customer_search(configuration=rest_configuration, filters={"birthday": "2000"}, page=0, page_size=500)
    assert set(caught.value.errors) == {"birthday", "page", "page_size"}


def test_get_create_update(rest_configuration, customers, rest_crm):
    alice = crm_customer_get(configuration=rest_configuration, reference=customers[0]["id"])
    assert alice.values["first_name"] == "Alice"
    with pytest.raises(CrmNotFound):
        crm_customer_get(configuration=rest_configuration, reference="C99999")
    created = crm_customer_create(
        configuration=rest_configuration,
        values={"first_name": "Carol", "last_name": "King", "email": "carol@example.com", "category": "VIP"},
    )
    assert created.reference in rest_crm.state.customers
    assert rest_crm.state.customers[created.reference]["category"] == "VIP"
    updated = crm_customer_update(
        configuration=rest_configuration, reference=created.reference, values={"phone": "+34 600 999 000"}
    )
    assert updated.values["phone"] == "+34 600 999 000" and updated.values["last_name"] == "King"


def test_values_are_checked_per_property_before_anything_is_sent(rest_configuration, rest_crm):
    before = rest_crm.state.requests
    with pytest.raises(CrmValidationError) as caught:
        crm_customer_create(
            configuration=rest_configuration,
            values={"email": "not-an-email", "phone": "12", "birthday": "31/12/2000", "category": "GOLD", "id": "X"},
        )
    errors = caught.value.errors
    assert errors["last_name"] == ["Last name is required."]
    assert errors["email"] == ["Enter a valid e-mail address."]
    assert errors["birthday"] == ["Enter a date as YYYY-MM-DD."]
    assert errors["category"] == ["Choose one of the options."]
    assert errors["id"] == ["This value cannot be set on create."]
    assert "phone" in errors
    with pytest.raises(CrmValidationError) as caught:
        crm_customer_update(configuration=rest_configuration, reference="C00001", values={"last_name": "x" * 51})
    assert caught.value.errors == {"last_name": ["At most 50 characters."]}
    assert rest_crm.state.requests == before


def test_the_crms_own_validation_errors_come_back_per_property(rest_configuration, customers, rest_crm):
    rest_crm.state.customers[customers[1]["id"]]["email"] = "bob@example.com"
    with pytest.raises(CrmConflict):
        crm_customer_create(configuration=rest_configuration, values={"last_name": "Dup", "email": "bob@example.com"})
    # The test CRM refuses an e-mail our check lets through (its rule is stricter): shown next to the field.
    with pytest.raises(CrmValidationError) as caught:
        crm_customer_update(
            configuration=rest_configuration, reference=customers[0]["id"], values={"email": "a@b.invalid"}
        )
    assert caught.value.errors == {"email": ["The CRM says this e-mail is not valid."]}


def test_health_check_and_wrong_credentials(org_admin, rest_configuration, rest_crm):
    assert connection_test(actor=org_admin, configuration=rest_configuration) == (
        True,
        "The CRM answered and accepted the credentials.",
    )
    rest_configuration.options = {**rest_configuration.options, "health_url": "/customers"}
    configuration_save(
        actor=org_admin,
        configuration=rest_configuration,
        properties=list(rest_configuration.properties.all()),
        secret="wrong-key",
    )
    ok, message = connection_test(actor=org_admin, configuration=rest_configuration)
    assert not ok and message == "The connection failed: The CRM refused the configured credentials."
    with pytest.raises(CrmUnavailable):
        crm_customer_search(configuration=rest_configuration, filters={})


def test_the_active_configuration_follows_the_switch(org_admin, rest_configuration):
    assert crm_configuration_active(organization_id=org_admin.organization_id) is None
    activation_update(actor=org_admin, enabled=True, configuration=rest_configuration)
    assert crm_configuration_active(organization_id=org_admin.organization_id) == rest_configuration
    activation_update(actor=org_admin, enabled=False, configuration=rest_configuration)
    assert crm_configuration_active(organization_id=org_admin.organization_id) is None


def test_nested_json_paths_and_basic_auth(org_admin, rest_crm):
    from crmconnector.models import CrmConnectorProperty
    from tests.crmconnector.conftest import GENERIC_OPTIONS, make_configuration

    rest_crm.state.api_key = None
    rest_crm.state.add(last_name="Nest", email="n@example.com", address={"city": "Madrid"})
    configuration = make_configuration(
        org_admin,
        url=rest_crm.url,
        options={**GENERIC_OPTIONS, "auth": "basic"},
        username="u",
        secret="p",
        properties=[
            CrmConnectorProperty(external_field="id", label="Ref", is_reference=True, editable_on_edit=False),
            CrmConnectorProperty(external_field="last_name", label="Last", searchable=True),
            CrmConnectorProperty(external_field="address.city", label="City"),
        ],
    )
    [customer] = crm_customer_search(configuration=configuration, filters={"last_name": "nest"}).customers
    assert customer.values["address.city"] == "Madrid"
    created = crm_customer_create(configuration=configuration, values={"last_name": "New", "address.city": "Lyon"})
    assert rest_crm.state.customers[created.reference]["address"] == {"city": "Lyon"}


def test_summary_for_documents_and_promotions(rest_configuration, customers):
    from crmconnector.customers import customer_summary
    from crmconnector.services import crm_runtime

    alice = crm_customer_get(configuration=rest_configuration, reference=customers[0]["id"])
    summary = customer_summary(properties=crm_runtime(rest_configuration).properties, customer=alice)
    assert summary.display_name == "Alice Martin"
    assert summary.identifier == customers[0]["id"]
    assert summary.category_keys == {"category": "VIP"}


def test_display_name_is_fetched_once_a_minute_and_never_stored(rest_configuration, customers, rest_crm):
    from crmconnector.customers import crm_customer_display_name

    reference = customers[1]["id"]
    assert crm_customer_display_name(configuration=rest_configuration, reference=reference) == "Bob Stone"
    before = rest_crm.state.requests
    assert crm_customer_display_name(configuration=rest_configuration, reference=reference) == "Bob Stone"
    assert rest_crm.state.requests == before
    rest_crm.state.fail_status = 500
    assert crm_customer_display_name(configuration=rest_configuration, reference="C00077") == "C00077"
