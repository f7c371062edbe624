"""The POS in a real browser with the CRM connector on, the customers living in a local JSON REST CRM: a cashier
finds a customer by e-mail, changes the phone, creates a new customer (the CRM's own refusal shown next to its
field), sells to them with the VIP discount the CRM's category gives, and sees the CRM reference on the order.
Then the CRM stops: the selector says so at once, offers the anonymous customer, and the sale completes."""

import re
import time
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from commerce.models import CommerceCustomer, Order
from commerce.services.promotions import promotion_save
from tests.commerce.crm_support import crm_switch_on, rest_crm  # noqa: F401  (the local CRM fixture)
from tests.e2e.test_accessibility import blocking_violations
from tests.factories.commerce import ProductFactory
from tests.factories.core import DEFAULT_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
D = Decimal


@pytest.fixture
def crm_shop(organization, manager, rep, org_admin, rest_crm):  # noqa: F811
    ProductFactory(organization=organization, sku="PEN-01", name="Fountain pen", unit_price=D("10.00"))
    rest_crm.state.add(
        first_name="Alice", last_name="Martin", email="alice@example.com", phone="+34 600 111 222", category="STD"
    )
    promotion_save(
        actor=manager,
        data={
            "name": "VIP 10%",
            "value": "10",
            "conditions": [
                {"kind": "crm_property", "params": {"field": "category", "operator": "equals", "value": "VIP"}}
            ],
        },
    )
    crm_switch_on(org_admin, rest_crm.url, timeout=1)
    return rest_crm


def _add_pen(page):
    search = page.locator("#pos-product-search")
    search.fill("PEN-01")
    search.press("Enter")
    expect(page.locator("#pos-lines tbody tr")).to_have_count(1)


def test_a_cashier_sells_to_crm_customers_and_goes_on_with_the_anonymous_customer_when_the_crm_stops(
    page, login, crm_shop
):
    crm = crm_shop.state
    login("rep1", DEFAULT_PASSWORD)
    page.goto("/pos/")
    _add_pen(page)

    # Found by e-mail in the CRM; its phone changed there.
    page.keyboard.press("F4")
    finder = page.get_by_label("Find a customer")
    finder.type("alice@example.com", delay=10)
    expect(page.locator("[data-customer-selector] [role=option]")).to_have_count(1)
    finder.press("Enter")
    expect(page.locator("#pos-customer-name")).to_have_text("Alice Martin")
    page.get_by_role("button", name="Edit").click()
    page.get_by_label("Phone").fill("+34 600 999 888")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("[data-customer-selector] dd[data-field=phone]")).to_have_text("+34 600 999 888")
    alice = next(c for c in crm.customers.values() if c["email"] == "alice@example.com")
    assert alice["phone"] == "+34 600 999 888"
    expect(page.locator("#pos-promotions")).not_to_contain_text("VIP 10%")  # a standard customer

    # A new customer: the CRM refuses the e-mail, its message shows next to the field; then it is made.
    page.get_by_role("button", name="Change customer").click()
    page.get_by_role("button", name="New customer").click()
    page.get_by_label("First name").fill("Zoe")
    page.get_by_label("Last name (required)").fill("Newman")
    email = page.get_by_label("E-mail")
    email.fill("zoe@newman.invalid")
    page.get_by_label("Category").select_option("VIP")
    page.get_by_role("button", name="Create customer").click()
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(page.locator("[data-field=email] .invalid-feedback")).to_have_text("The CRM says this e-mail is not valid.")
    assert blocking_violations(page) == []
    email.fill("zoe@newman.example")
    page.get_by_role("button", name="Create customer").click()
    expect(page.locator("#pos-customer-name")).to_have_text("Zoe Newman")
    zoe = next(c for c in crm.customers.values() if c.get("email") == "zoe@newman.example")

    # The VIP discount applies; the sale completes with the CRM reference.
    expect(page.locator("#pos-promotions")).to_contain_text("VIP 10%")
    expect(page.locator("#pos-total")).to_have_text(re.compile(r"^9\.00 "))
    page.locator("#pos-complete").click()
    expect(page.locator("#pos-done-text")).to_contain_text(f"CRM reference {zoe['id']}")
    order = Order.objects.get(crm_reference=zoe["id"])
    assert order.crm_category_keys == {"category": "VIP"} and order.discount == D("1.00")
    assert CommerceCustomer.objects.get(pk=order.customer_id).is_anonymous
    page.locator("#pos-done-order").click()
    expect(page.locator("#crm-reference")).to_have_text(zoe["id"])
    expect(page.locator("#crm-customer-name")).to_have_text("Zoe Newman")

    # The CRM stops: the selector says so at once and offers the anonymous customer; the sale goes on.
    crm_shop.httpd.shutdown()
    crm_shop.httpd.server_close()
    crm.close_connection = True  # connections kept alive are dropped too
    page.goto("/pos/")
    _add_pen(page)
    page.keyboard.press("F4")
    started = time.monotonic()
    page.get_by_label("Find a customer").type("alice@example.com", delay=10)
    anonymous = page.get_by_role("button", name="Use anonymous customer")
    expect(anonymous).to_be_visible(timeout=3000)
    assert time.monotonic() - started < 3
    anonymous.click()
    expect(page.locator("#pos-customer-name")).to_have_text("Anonymous customer")
    page.locator("#pos-complete").click()
    expect(page.locator("#pos-done-text")).to_contain_text("Sale completed")
    later = Order.objects.exclude(pk=order.pk).get()
    assert later.crm_reference == "" and later.customer_id == order.customer_id and later.payment_status == "paid"
