"""A sales manager makes a promotion in a real browser: a product chosen by typing, a CRM condition whose
operator decides which value fields show, a second condition added with its own picker; the promotion's page
says it in words and the promotion is switched off from there."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from commerce.models import Promotion
from commerce.services import customer_create
from tests.e2e.test_accessibility import blocking_violations
from tests.factories.commerce import ProductFactory
from tests.factories.core import DEFAULT_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_manager_builds_a_promotion_with_crm_conditions_and_switches_it_off(page, login, pick, manager):
    pen = ProductFactory(organization=manager.organization, sku="PEN-9", name="Fountain pen", unit_price=Decimal("30"))
    buyer = customer_create(actor=manager, name="Loyal Buyer")
    login("manager1", DEFAULT_PASSWORD)

    page.click("[data-menu-section=sales] > a")
    page.click("[data-menu-section=sales] .dropdown-menu a[href='/sales/promotions/']")
    page.click("#new-record")
    # One empty condition row shows; the others wait behind "Add a condition".
    expect(page.locator("#condition-1")).to_be_visible()  # waits for the page and its editor script
    expect(page.locator("#condition-2")).to_be_hidden()
    expect(page.locator("#id_condition-0-crm_property__operator")).to_be_hidden()

    page.fill("#id_name", "VIP pens")
    page.fill("#id_value", "20")
    page.select_option("#id_scope", "products")
    pick("id_products", "PEN-9", "PEN-9 Fountain pen")

    page.select_option("#id_condition-0-kind", "crm_property")
    assert page.is_visible("#id_condition-0-crm_property__operator")
    assert page.is_hidden("#id_condition-0-crm_property__value")  # no operator chosen yet
    assert page.is_hidden("#condition-1 [data-field='customer__ids']")  # another kind's parameter
    page.select_option("#id_condition-0-crm_property__operator", "equals")
    assert page.is_visible("#id_condition-0-crm_property__value")
    assert page.is_hidden("#id_condition-0-crm_property__values")
    page.select_option("#id_condition-0-crm_property__operator", "one_of")
    assert page.is_hidden("#id_condition-0-crm_property__value")
    assert page.is_visible("#id_condition-0-crm_property__values")
    page.fill("#id_condition-0-crm_property__field", "category")
    page.fill("#id_condition-0-crm_property__values", "VIP\nGold")

    violations = blocking_violations(page)  # the editor with a condition's fields shown
    assert violations == [], violations

    page.click("[data-condition-add]")
    assert page.is_visible("#condition-2")
    page.select_option("#id_condition-1-kind", "customer")
    pick("id_condition-1-customer__ids", "loyal", "Loyal Buyer")
    page.focus("#id_name")  # on to the next field: the picker's list closes
    page.wait_for_load_state("networkidle")
    violations = blocking_violations(page)  # two conditions, a picker of each kind
    assert violations == [], violations
    page.select_option("#id_condition_match", "any")

    page.click("#record-form button[type=submit]")
    page.wait_for_selector("#promotion-header")
    promotion = Promotion.objects.get(name="VIP pens")
    assert list(promotion.products.all()) == [pen] and promotion.condition_match == "any"
    assert promotion.conditions == [
        {"kind": "crm_property", "params": {"field": "category", "operator": "one_of", "values": ["VIP", "Gold"]}},
        {"kind": "customer", "params": {"ids": [buyer.pk]}},
    ]
    assert page.inner_text("#promotion-gives") == "20 % off the lines of the chosen products"
    conditions = page.inner_text("#promotion-conditions")
    assert "Any of these conditions holds" in conditions
    assert "The CRM property “category” is one of “VIP”, “Gold”" in conditions
    assert "The customer is one of: Loyal Buyer" in conditions

    # The edit page opens with the stored rows, their kinds' fields shown, and one empty row to fill.
    page.click("#edit-record")
    assert page.is_visible("#id_condition-0-crm_property__values") and page.is_visible("#condition-2")
    assert page.is_hidden("#id_condition-0-crm_property__value")
    assert page.input_value("#id_condition-2-kind") == "" and page.is_visible("#condition-3")
    assert page.is_hidden("#condition-4")
    page.go_back()

    page.click("#deactivate-promotion")
    page.wait_for_selector("#activate-promotion")
    assert "Inactive" in page.inner_text("#promotion-state")
    assert not Promotion.objects.get(pk=promotion.pk).active
