"""A rep's commerce pages in a real browser: a customer made under a parent shows in the hierarchy tree,
an order of two lines is placed for it and paid, and the order says "Paid in full"."""

from decimal import Decimal

import pytest

from commerce.models import CommerceCustomer, Order
from commerce.services import customer_create
from tests.factories.commerce import ProductFactory
from tests.factories.core import DEFAULT_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_rep_creates_a_division_sees_it_in_the_tree_and_sells_to_it(page, login, pick, rep, organization):
    root = customer_create(actor=rep, name="Globe Holdings")
    ProductFactory(organization=organization, sku="GEAR-1", name="Gear", unit_price=Decimal("12.50"))
    ProductFactory(organization=organization, sku="BELT-2", name="Belt", unit_price=Decimal("4.00"))
    login("rep1", DEFAULT_PASSWORD)

    # Through the shared Customers menu to commerce's customers, then a new one under Globe Holdings.
    page.click("[data-menu-section=customers] > a")
    page.click("[data-menu-section=customers] .dropdown-menu a[href='/commerce/customers/']")
    page.click("#new-record")
    page.fill("#id_name", "Globe Europe")
    pick("id_parent", "globe", "Globe Holdings")
    page.click("#record-form button[type=submit]")
    page.wait_for_selector("#customer-header")
    child = CommerceCustomer.objects.get(name="Globe Europe")
    assert child.parent_id == root.pk and child.account is not None
    assert page.inner_text("#customer-header") == "Globe Europe"

    # The hierarchy tree shows it one level under its parent.
    page.goto("/commerce/customers/tree/")
    root_item = page.locator(f"#customer-tree li[data-customer='{root.pk}']")
    child_item = page.locator(f"#customer-tree li[data-customer='{child.pk}']")
    assert root_item.get_attribute("data-level") == "0" and child_item.get_attribute("data-level") == "1"
    assert child_item.bounding_box()["x"] > root_item.bounding_box()["x"]
    assert child_item.bounding_box()["y"] > root_item.bounding_box()["y"]

    # An order of two lines from the customer's page.
    child_item.locator("a").click()
    page.click("#new-order")
    pick("id_line-0-product", "gear", "GEAR-1 Gear")
    page.fill("#id_line-0-quantity", "2")
    pick("id_line-1-product", "belt", "BELT-2 Belt")
    page.fill("#id_line-1-quantity", "3")
    page.click("#record-form button[type=submit]")
    page.wait_for_selector("#order-header")
    order = Order.objects.get(customer=child)
    assert order.total == Decimal("37.00") and order.lines.count() == 2
    assert page.inner_text("#payment-status") == "Pending"
    assert "37.00" in page.inner_text("#order-total")

    # Paid in full: the payment form comes filled with what is still open.
    assert page.input_value("#id_pay-amount") == "37.00"
    page.click("#pay-submit")
    page.wait_for_selector("#order-payments")
    assert page.inner_text("#payment-status") == "Paid in full"
    assert "Paid in full" in page.inner_text(".alert-success, #content")
    child.refresh_from_db()
    assert child.lifetime_value == Decimal("37.00")
