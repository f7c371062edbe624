"""The conditions editor of the promotion form: CRM properties chosen among the active configuration's category
keys, a kind registered by another app showing without a change to the form, and rows whose kind changed."""

import pytest

from commerce.models import Promotion
from commerce.services.pricing import ConditionKind, ConditionParam, promotion_conditions
from crmconnector.services import activation_update
from tests.commerce.test_pages_promotions import form_data, save, url
from tests.crmconnector.conftest import make_configuration

pytestmark = pytest.mark.django_db


def test_what_is_left_in_another_kinds_fields_of_a_row_is_ignored(session_client, manager):
    """A row whose kind was changed still posts the first kind's fields; only the chosen kind's count."""
    response = session_client(manager).post(
        url("create"),
        form_data(
            name="Changed its mind",
            **{
                "condition-0-kind": "crm_reference",
                "condition-0-crm_reference__references": "C-9",
                "condition-0-crm_property__operator": "not an operator",
                "condition-0-crm_property__value": "x" * 500,
                "condition-0-customer__ids": ["999999"],
                "condition-1-crm_property__field": "left over in a row with no condition",
            },
        ),
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    promotion = Promotion.objects.get(name="Changed its mind")
    assert promotion.conditions == [{"kind": "crm_reference", "params": {"references": ["C-9"]}}]


def test_the_crm_property_is_chosen_among_the_active_configurations_category_keys(session_client, org_admin):
    client = session_client(org_admin)
    field = 'name="condition-0-crm_property__field"'
    html = client.get(url("create")).content.decode()
    assert f'<input type="text" {field}' in html  # no CRM connector: any external field, typed

    configuration = make_configuration(org_admin, url="http://127.0.0.1:9")
    activation_update(actor=org_admin, enabled=True, configuration=configuration)
    html = client.get(url("create")).content.decode()
    assert f"<select {field}" in html
    assert '<option value="category">Category (category)</option>' in html and 'value="email"' not in html
    # A property no longer a category key stays offered on the promotions that use it, named so.
    promotion = save(
        org_admin,
        name="Old key",
        conditions=[{"kind": "crm_property", "params": {"field": "tier", "operator": "is_true"}}],
    )
    html = client.get(url("update", promotion.pk)).content.decode()
    assert '<option value="tier" selected>tier (no longer offered)</option>' in html
    response = client.post(
        url("create"),
        form_data(
            name="Segment A",
            **{
                "condition-0-kind": "crm_property",
                "condition-0-crm_property__field": "email",
                "condition-0-crm_property__operator": "is_true",
            },
        ),
    )
    assert "Select a valid choice. email is not one of the available choices." in response.content.decode()


def test_a_newly_registered_condition_kind_shows_in_the_editor_without_touching_it(session_client, manager):
    promotion_conditions.register(
        "test_weekday",
        ConditionKind(
            key="test_weekday",
            label="The order is placed on",
            clean=lambda params: {"day": str(params.get("day", ""))[:10]},
            holds=lambda params, context: context.on.strftime("%A") == params["day"],
            params=(ConditionParam("day", "Day", type="choice", choices=[("Monday", "Monday"), ("Friday", "Friday")]),),
        ),
    )
    try:
        client = session_client(manager)
        html = client.get(url("create")).content.decode()
        assert '<option value="test_weekday">The order is placed on</option>' in html
        assert 'name="condition-0-test_weekday__day"' in html
        client.post(
            url("create"),
            form_data(
                name="Fridays", **{"condition-0-kind": "test_weekday", "condition-0-test_weekday__day": "Friday"}
            ),
        )
        promotion = Promotion.objects.get(name="Fridays")
        assert promotion.conditions == [{"kind": "test_weekday", "params": {"day": "Friday"}}]
        assert "The order is placed on: Friday" in client.get(url("detail", promotion.pk)).content.decode()
    finally:
        promotion_conditions.items.pop("test_weekday")
