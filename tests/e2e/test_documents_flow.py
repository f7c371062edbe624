"""Shipments and invoices in a real browser: a manager makes a shipment from two orders of a customer and sees
both orders' lines on it, then an invoice likewise with its total; the pages pass the accessibility check."""

from decimal import Decimal

import pytest

from commerce.models import Invoice, Order, Shipment
from commerce.services import LineInput, order_place
from tests.e2e.test_accessibility import blocking_violations
from tests.factories.commerce import ProductFactory, make_customer, make_order
from tests.factories.core import DEFAULT_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def orders(manager):
    """Two orders of Initech (three lines between them) and one of another customer."""
    initech = make_customer(manager, "Initech")
    desk = ProductFactory(organization=manager.organization, sku="DESK-1", name="Desk", unit_price=Decimal("200.00"))
    lamp = ProductFactory(organization=manager.organization, sku="LAMP-1", name="Lamp", unit_price=Decimal("20.00"))
    chair = ProductFactory(organization=manager.organization, sku="CHAIR-1", name="Chair", unit_price=Decimal("80.00"))
    first = order_place(
        actor=manager,
        customer=initech,
        lines=[LineInput(product=desk, quantity=2), LineInput(product=lamp, quantity=3)],
    )
    second = order_place(actor=manager, customer=initech, lines=[LineInput(product=chair, quantity=4)])
    make_order(manager, make_customer(manager, "Globex"))
    return first, second


def make_document(page, pick, kind: str, orders) -> None:
    page.goto(f"/sales/{kind}s/")
    page.click("#new-document")
    pick("id_customer", "Initec", "Initech")
    page.click("#show-orders")
    page.wait_for_selector("#document-form")
    assert "Globex" not in page.inner_text("#orders-of-customer")
    for order in orders:
        page.check(f"#order-{order.pk}")
    if kind == "shipment":
        page.check("#id_shipped")
    page.click("#make-document")
    page.wait_for_selector("#document-lines")


def lines_by_order(page) -> dict[str, list[str]]:
    rows: dict[str, list[str]] = {}
    for row in page.locator("#document-lines tbody tr").all():
        rows.setdefault(row.get_attribute("data-order"), []).append(row.inner_text())
    return rows


def test_a_shipment_and_an_invoice_made_from_two_orders_carry_both_orders_lines(page, login, pick, orders):
    first, second = orders
    login("manager1", DEFAULT_PASSWORD)
    make_document(page, pick, "shipment", orders)
    shipment = Shipment.objects.get()
    assert f"The shipment {shipment.number} was made." in page.inner_text("main")
    assert page.inner_text("#document-status") == "Shipped"
    lines = lines_by_order(page)
    assert set(lines) == {first.number, second.number}
    assert [("DESK-1" in text, "LAMP-1" in text) for text in lines[first.number]] == [(True, False), (False, True)]
    assert "CHAIR-1" in lines[second.number][0] and lines[second.number][0].rstrip().endswith("4")
    assert set(Order.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", flat=True)) == {"shipped"}
    assert blocking_violations(page) == []

    make_document(page, pick, "invoice", orders)
    invoice = Invoice.objects.get()
    assert page.inner_text("#document-status") == "Open"
    assert set(lines_by_order(page)) == {first.number, second.number}
    assert page.inner_text("#invoice-total") == "780.00 USD" == f"{invoice.total} USD"
    page.click("#document-actions button[value=pay]")
    page.wait_for_selector(f"text=The invoice {invoice.number} was marked paid.")
    assert page.inner_text("#document-status") == "Paid"

    # The lists show both, and the form says why an order can no longer go on another invoice.
    page.goto("/sales/invoices/")
    assert invoice.number in page.inner_text("#document-list")
    assert blocking_violations(page) == []
    page.goto("/sales/invoices/new/")
    pick("id_customer", "Initec", "Initech")
    page.click("#show-orders")
    page.wait_for_selector("#document-form")
    assert page.is_disabled(f"#order-{first.pk}")
    assert "on an invoice" in page.inner_text(f"[data-order='{first.number}']")
    assert blocking_violations(page) == []


def test_a_refused_document_shows_why_and_puts_the_focus_on_the_orders(page, login, pick, orders):
    login("manager1", DEFAULT_PASSWORD)
    page.goto("/sales/shipments/new/")
    pick("id_customer", "Initec", "Initech")
    page.click("#show-orders")
    page.wait_for_selector("#document-form")
    page.click("#make-document")
    page.wait_for_selector("#form-errors")
    assert "Tick at least one order." in page.inner_text("#form-errors")
    assert page.evaluate("document.activeElement.name") == "orders"
    assert not Shipment.objects.exists()
