"""Shipments and invoices made from orders: what they carry, what they refuse, how orders move along."""

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from backoffice.changelog import change_types
from backoffice.models import ChangeLogEntry
from commerce.choices import OrderStatus
from commerce.models import Invoice, InvoiceLine, Order, Shipment, ShipmentLine
from commerce.services import LineInput, order_cancel, order_delete, order_move_customer, order_place, order_update
from commerce.services.documents import (
    common_crm_reference,
    invoice_create,
    invoice_pay,
    invoice_void,
    shipment_create,
    shipment_delete,
    shipment_ship,
)
from tests.factories import UserFactory
from tests.factories.commerce import ProductFactory, make_customer, make_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(manager):
    return make_customer(manager, "Initech")


def two_line_order(actor, customer, *, discount="0.00"):
    products = [
        ProductFactory(organization_id=actor.organization_id, unit_price=Decimal("12.50")),
        ProductFactory(organization_id=actor.organization_id, unit_price=Decimal("3.00")),
    ]
    return order_place(
        actor=actor,
        customer=customer,
        lines=[LineInput(product=products[0], quantity=2), LineInput(product=products[1], quantity=5)],
        discount=Decimal(discount),
    )


def test_a_shipment_of_two_orders_carries_every_line_of_both(manager, customer):
    first, second = two_line_order(manager, customer), make_order(manager, customer, quantity=3)
    shipment = shipment_create(actor=manager, orders=[first, second])
    lines = list(shipment.lines.order_by("id"))
    assert [(line.order_id, line.quantity) for line in lines] == [(first.pk, 2), (first.pk, 5), (second.pk, 3)]
    assert shipment.customer == customer
    assert shipment.status == "pending" and shipment.shipped_at is None
    assert (shipment.line_count, shipment.quantity_total) == (3, 10)
    assert shipment.number == "SH-000001"
    # Pending: the orders stay open until the goods leave.
    assert set(Order.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", flat=True)) == {"open"}


def test_shipping_every_line_of_an_order_marks_it_shipped_and_a_partial_shipment_does_not(manager, customer):
    order = two_line_order(manager, customer)
    first_line, second_line = order.lines.order_by("id")
    shipment_create(actor=manager, orders=[order], lines=[first_line], shipped=True)
    order.refresh_from_db()
    assert order.status == OrderStatus.OPEN
    rest = shipment_create(actor=manager, orders=[order])
    assert [line.order_line_id for line in rest.lines.all()] == [second_line.pk]
    order.refresh_from_db()
    assert order.status == OrderStatus.OPEN  # the rest is still pending
    shipment_ship(actor=manager, shipment=rest)
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    rest.refresh_from_db()
    assert rest.status == "shipped" and rest.shipped_at is not None
    with pytest.raises(ValidationError, match="shipped already"):
        shipment_ship(actor=manager, shipment=rest)


def test_a_line_is_shipped_once(manager, customer):
    order = two_line_order(manager, customer)
    first_line = order.lines.order_by("id").first()
    shipment = shipment_create(actor=manager, orders=[order], lines=[first_line])
    with pytest.raises(ValidationError, match=f"on shipment {shipment.number} already"):
        shipment_create(actor=manager, orders=[order], lines=[first_line])
    shipment_create(actor=manager, orders=[order])
    with pytest.raises(ValidationError, match="Every line of these orders is on a shipment already"):
        shipment_create(actor=manager, orders=[order])
    assert ShipmentLine.objects.filter(order_line=first_line).count() == 1


def test_a_line_of_another_order_is_refused(manager, customer):
    order, other = make_order(manager, customer), make_order(manager, customer)
    with pytest.raises(ValidationError, match="not a line of the chosen orders"):
        shipment_create(actor=manager, orders=[order], lines=list(other.lines.all()))
    assert not Shipment.objects.exists()


def test_orders_of_different_customers_are_refused(manager, customer):
    other = make_customer(manager, "Globex")
    orders = [make_order(manager, customer), make_order(manager, other)]
    with pytest.raises(ValidationError, match="different customers"):
        shipment_create(actor=manager, orders=orders)
    with pytest.raises(ValidationError, match="different customers"):
        invoice_create(actor=manager, orders=orders)
    assert not Shipment.objects.exists() and not Invoice.objects.exists()


def test_orders_of_another_organization_are_refused(manager, customer, outsider):
    theirs = make_order(outsider, make_customer(outsider, "Theirs"))
    with pytest.raises(PermissionDenied):
        shipment_create(actor=manager, orders=[theirs])
    with pytest.raises(PermissionDenied):
        invoice_create(actor=manager, orders=[theirs])


def test_cancelled_and_closed_orders_are_refused(manager, customer):
    cancelled = order_cancel(actor=manager, order=make_order(manager, customer))
    with pytest.raises(ValidationError, match="is cancelled"):
        shipment_create(actor=manager, orders=[cancelled])
    with pytest.raises(ValidationError, match="is cancelled"):
        invoice_create(actor=manager, orders=[cancelled])
    closed = order_update(actor=manager, order=make_order(manager, customer), data={"status": "closed"})
    with pytest.raises(ValidationError, match="is closed"):
        shipment_create(actor=manager, orders=[closed])


def test_no_orders_and_too_many_orders_are_refused(manager, customer):
    with pytest.raises(ValidationError, match="at least one order"):
        shipment_create(actor=manager, orders=[])
    orders = [SimpleNamespace(pk=n, organization_id=manager.organization_id) for n in range(1, 52)]
    with pytest.raises(ValidationError, match="at most 50 orders"):
        invoice_create(actor=manager, orders=orders)


def test_a_rep_makes_documents_only_of_orders_they_may_write(manager, customer, rep):
    order = make_order(manager, customer)
    with pytest.raises(PermissionDenied):
        shipment_create(actor=rep, orders=[order])
    own = make_order(rep, customer)
    assert shipment_create(actor=rep, orders=[own]).owner == rep


def test_an_invoice_bills_whole_orders_with_their_discounts(manager, customer):
    first = two_line_order(manager, customer, discount="5.00")  # 25 + 15 - 5
    second = make_order(manager, customer, price="10.00", quantity=2)
    invoice = invoice_create(actor=manager, orders=[second, first])
    assert invoice.number == "INV-000001"
    assert (invoice.subtotal, invoice.discount, invoice.total) == (Decimal("60.00"), Decimal("5.00"), Decimal("55.00"))
    assert invoice.currency == "USD" and invoice.status == "open"
    assert invoice.due_on == invoice.issued_on + dt.timedelta(days=30)
    lines = list(invoice.lines.order_by("order_id", "id"))
    assert [(line.order_id, line.quantity, line.amount) for line in lines] == [
        (first.pk, 2, Decimal("25.00")),
        (first.pk, 5, Decimal("15.00")),
        (second.pk, 2, Decimal("20.00")),
    ]


def test_an_order_is_invoiced_once_until_its_invoice_is_void(manager, customer):
    order = make_order(manager, customer)
    invoice = invoice_create(actor=manager, orders=[order])
    with pytest.raises(ValidationError, match=f"on invoice {invoice.number} already"):
        invoice_create(actor=manager, orders=[order])
    invoice_void(actor=manager, invoice=invoice)
    again = invoice_create(actor=manager, orders=[order])
    assert again.number == "INV-000002"
    assert InvoiceLine.objects.filter(order=order, voided=False).get().invoice == again
    with pytest.raises(ValidationError, match="void already"):
        invoice_pay(actor=manager, invoice=invoice)


def test_paying_an_invoice_and_refusing_what_no_longer_fits(manager, customer):
    invoice = invoice_create(actor=manager, orders=[make_order(manager, customer)])
    invoice = invoice_pay(actor=manager, invoice=invoice)
    assert invoice.status == "paid"
    with pytest.raises(ValidationError, match="paid already"):
        invoice_void(actor=manager, invoice=invoice)


def test_orders_in_different_currencies_are_billed_apart(manager, customer):
    from backoffice.models import CurrencyRate

    CurrencyRate.objects.create(
        organization_id=manager.organization_id, currency="EUR", rate=Decimal("1.1"), valid_from=dt.date(2000, 1, 1)
    )
    orders = [make_order(manager, customer), make_order(manager, customer, currency="EUR")]
    with pytest.raises(ValidationError, match=r"different currencies \(EUR, USD\)"):
        invoice_create(actor=manager, orders=orders)
    # A shipment carries goods, not money: both ship together.
    assert shipment_create(actor=manager, orders=orders).line_count == 2


def test_invoice_dates_are_bounded(manager, customer):
    order = make_order(manager, customer)
    today = timezone.localdate()
    with pytest.raises(ValidationError, match="due before it is issued"):
        invoice_create(actor=manager, orders=[order], issued_on=today, due_on=today - dt.timedelta(days=1))
    with pytest.raises(ValidationError, match="within a year"):
        invoice_create(actor=manager, orders=[order], issued_on=today - dt.timedelta(days=800))
    with pytest.raises(ValidationError, match="at most 365 days"):
        invoice_create(actor=manager, orders=[order], due_on=today + dt.timedelta(days=400))


def test_a_shipping_time_is_bounded_and_aware(manager, customer):
    order = make_order(manager, customer)
    with pytest.raises(ValidationError, match="within a year"):
        shipment_create(actor=manager, orders=[order], shipped=True, shipped_at=timezone.now() + dt.timedelta(days=400))
    with pytest.raises(ValidationError, match="time zone"):
        shipment_create(actor=manager, orders=[order], shipped=True, shipped_at=dt.datetime(2026, 1, 1))  # noqa: DTZ001
    when = timezone.now() - dt.timedelta(days=2)
    assert shipment_create(actor=manager, orders=[order], shipped=True, shipped_at=when).shipped_at == when


def test_numbers_are_per_organization(manager, customer, outsider):
    shipment_create(actor=manager, orders=[make_order(manager, customer)])
    theirs = shipment_create(actor=outsider, orders=[make_order(outsider, make_customer(outsider, "Theirs"))])
    mine = shipment_create(actor=manager, orders=[make_order(manager, customer)])
    assert (theirs.number, mine.number) == ("SH-000001", "SH-000002")


def test_an_order_on_a_document_keeps_its_lines_customer_and_existence(manager, customer):
    order = make_order(manager, customer)
    shipment_create(actor=manager, orders=[order])
    product = ProductFactory(organization_id=manager.organization_id)
    with pytest.raises(ValidationError, match="is on shipment SH-000001"):
        order_update(actor=manager, order=order, data={}, lines=[LineInput(product=product, quantity=1)])
    with pytest.raises(ValidationError, match="is on shipment"):
        order_update(actor=manager, order=order, data={"discount": Decimal("1.00")})
    with pytest.raises(ValidationError, match="is on shipment"):
        order_delete(actor=manager, order=order)
    with pytest.raises(ValidationError, match="is on shipment"):
        order_move_customer(actor=manager, order=order, customer=make_customer(manager, "Other"))
    with pytest.raises(ValidationError, match="delete the pending shipment or void the invoice first"):
        order_cancel(actor=manager, order=order)
    # Its number and status still move along.
    assert order_update(actor=manager, order=order, data={"number": "SO-KEPT"}).number == "SO-KEPT"


def test_a_void_invoice_no_longer_stops_a_cancellation(manager, customer):
    order = make_order(manager, customer)
    invoice = invoice_create(actor=manager, orders=[order])
    with pytest.raises(ValidationError, match=f"is on invoice {invoice.number}"):
        order_cancel(actor=manager, order=order)
    invoice_void(actor=manager, invoice=invoice)
    assert order_cancel(actor=manager, order=order).status == OrderStatus.CANCELLED


def test_deleting_a_pending_shipment_frees_its_lines_and_a_shipped_one_stays(manager, customer):
    order = make_order(manager, customer)
    shipment = shipment_create(actor=manager, orders=[order])
    shipment_delete(actor=manager, shipment=shipment)
    assert not ShipmentLine.objects.exists()
    shipped = shipment_create(actor=manager, orders=[order], shipped=True)
    with pytest.raises(ValidationError, match="cannot be deleted"):
        shipment_delete(actor=manager, shipment=shipped)
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED


def test_documents_are_in_the_change_log(manager, customer):
    order = make_order(manager, customer)
    shipment = shipment_create(actor=manager, orders=[order])
    invoice = invoice_create(actor=manager, orders=[order])
    assert {change_types.get(name) for name in ("shipment", "shipment_line", "invoice", "invoice_line")} == {
        Shipment,
        ShipmentLine,
        Invoice,
        InvoiceLine,
    }
    for model, row in [(Shipment, shipment), (Invoice, invoice), (InvoiceLine, invoice.lines.get())]:
        entry = ChangeLogEntry.objects.get(content_type=ContentType.objects.get_for_model(model), object_id=row.pk)
        assert entry.action == "create" and entry.actor == manager
    entry = ChangeLogEntry.objects.get(content_type=ContentType.objects.get_for_model(Invoice), object_id=invoice.pk)
    assert entry.changes["total"][1] == "100.00"


def test_common_crm_reference_refuses_two_customers_of_the_crm():
    assert common_crm_reference([SimpleNamespace(), SimpleNamespace(crm_reference="")]) == ""
    assert common_crm_reference([SimpleNamespace(crm_reference="C-1"), SimpleNamespace(crm_reference="C-1")]) == "C-1"
    with pytest.raises(ValidationError, match=r"different customers in the CRM \(C-1, C-2\)"):
        common_crm_reference([SimpleNamespace(crm_reference="C-1"), SimpleNamespace(crm_reference="C-2")])


def test_another_organizations_admin_cannot_ship_ours(manager, customer, other_organization):
    stranger = UserFactory(organization=other_organization, role="admin", username="stranger")
    shipment = shipment_create(actor=manager, orders=[make_order(manager, customer)])
    with pytest.raises(PermissionDenied):
        shipment_ship(actor=stranger, shipment=shipment)
    shipment.refresh_from_db()
    assert shipment.status == "pending"
