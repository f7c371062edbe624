"""Writes of shipments and invoices, made from one or more orders of one customer.

Lock order (as every commerce write): the customer, then its orders by id, then the document. Two
shipments of the same order made at once therefore queue on the customer: the second sees the lines
taken and is refused; the unique key on a document line's order line is the last guard.

Shipments carry order lines (all the orders' unshipped lines, or those chosen); shipping every line of
an order marks the order shipped. Invoices carry whole orders at their prices (the orders' discounts
included); a void invoice frees its orders for a new one.
"""

import datetime as dt
from collections.abc import Iterable, Sequence

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import ZERO
from backoffice.access import check_same_organization, check_write
from backoffice.changes import change_context
from backoffice.db import retry_on_conflict, service_atomic
from backoffice.models import User
from backoffice.records import record_delete, record_save
from commerce.choices import OrderStatus
from commerce.models import (
    CommerceCustomer,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Order,
    OrderLine,
    Shipment,
    ShipmentLine,
    ShipmentStatus,
)

# One document carries at most this many orders and lines: far more than a real one, and a bound on the work.
MAX_DOCUMENT_ORDERS = 50
MAX_DOCUMENT_LINES = 1000
DEFAULT_PAYMENT_DAYS = 30
MAX_PAYMENT_DAYS = 365
# How far from today a document may be dated.
MAX_ISSUE_OFFSET = dt.timedelta(days=366)

SHIPMENT_PREFIX = "SH-"
INVOICE_PREFIX = "INV-"


def document_number_next(*, organization_id: int, kind: str, prefix: str) -> str:
    """The next number of a kind of document in an organization ("SH-000042"), never given twice.

    One INSERT ... ON CONFLICT DO UPDATE bumps the counter: two transactions asking at once queue on the
    counter row, and a rolled-back document gives its number back with it.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO commerce_documentcounter (organization_id, kind, last) VALUES (%s, %s, 1) "
            "ON CONFLICT (organization_id, kind) DO UPDATE SET last = commerce_documentcounter.last + 1 "
            "RETURNING last",
            [organization_id, kind],
        )
        (number,) = cursor.fetchone()
    return f"{prefix}{number:06d}"


def common_crm_reference(orders: Iterable) -> str:
    """The CRM reference the orders share ("" when none has one); orders of different references are refused.

    A document speaks for one customer: with a CRM connector the customer is the reference an order
    carries, so two references in one document would bill or ship two customers at once.
    """
    references = sorted({(getattr(order, "crm_reference", "") or "").strip() for order in orders})
    if len(references) > 1:
        raise ValidationError(
            {
                "orders": "These orders belong to different customers in the CRM "
                f"({', '.join(r or 'none' for r in references)}): make one document per customer."
            }
        )
    return references[0] if references else ""


def _lock_orders(*, actor: User, orders: Sequence[Order]) -> tuple[CommerceCustomer, list[Order]]:
    """Lock the one customer of these orders, then the orders by id; refuse mixes, strangers, cancellations."""
    ids = sorted({order.pk for order in orders})
    if not ids:
        raise ValidationError({"orders": "Choose at least one order."})
    if len(ids) > MAX_DOCUMENT_ORDERS:
        raise ValidationError({"orders": f"A document is made from at most {MAX_DOCUMENT_ORDERS} orders."})
    check_same_organization(actor, *orders)
    customer_ids = set(Order.objects.filter(pk__in=ids).values_list("customer_id", flat=True))
    if len(customer_ids) > 1:
        raise ValidationError({"orders": "These orders belong to different customers: make one document per customer."})
    if not customer_ids:
        raise ValidationError({"orders": "These orders no longer exist."})
    customer = CommerceCustomer.objects.select_for_update().get(pk=customer_ids.pop())
    locked = list(Order.objects.filter(pk__in=ids).order_by("pk").select_for_update())
    if len(locked) != len(ids):
        raise ValidationError({"orders": "Some of these orders no longer exist."})
    for order in locked:
        check_same_organization(actor, order)
        if order.customer_id != customer.pk:  # moved to another customer meanwhile
            raise ValidationError(
                {"orders": "These orders belong to different customers: make one document per customer."}
            )
        check_write(actor, order)
        if order.status == OrderStatus.CANCELLED:
            raise ValidationError({"orders": f"Order {order} is cancelled: it is neither shipped nor invoiced."})
    return customer, locked


def _check_shipped_at(shipped_at: dt.datetime | None) -> None:
    if shipped_at is None:
        return
    if timezone.is_naive(shipped_at):
        raise ValidationError({"shipped_at": "Give the time with its time zone."})
    if abs(shipped_at - timezone.now()) > MAX_ISSUE_OFFSET:
        raise ValidationError({"shipped_at": "A shipment leaves within a year of today."})


def _unique_key_refusal(error: IntegrityError, what: str) -> ValidationError:
    return ValidationError({"lines": f"Some of these lines were put on another {what} meanwhile; reload and retry."})


def _mark_orders_shipped(*, actor: User, orders: Sequence[Order]) -> None:
    """Mark shipped every open order whose lines are all on shipped shipments."""
    from commerce.services.orders import order_update

    for order in orders:
        if order.status != OrderStatus.OPEN:
            continue
        unshipped = (
            OrderLine.objects.filter(order=order)
            .exclude(shipment_lines__shipment__status=ShipmentStatus.SHIPPED)
            .exists()
        )
        if not unshipped:
            order_update(actor=actor, order=order, data={"status": OrderStatus.SHIPPED})


@retry_on_conflict
@service_atomic
def shipment_create(
    *,
    actor: User,
    orders: Sequence[Order],
    lines: Sequence[OrderLine] | None = None,
    shipped: bool = False,
    shipped_at: dt.datetime | None = None,
) -> Shipment:
    """Make a shipment from orders of one customer: their unshipped lines, or the chosen `lines` of them.

    `shipped` sends it at once (at `shipped_at`, now by default); an order all of whose lines are then
    shipped is marked shipped.
    """
    customer, locked = _lock_orders(actor=actor, orders=orders)
    for order in locked:
        if order.status == OrderStatus.CLOSED:
            raise ValidationError({"orders": f"Order {order} is closed: it ships nothing more."})
    reference = common_crm_reference(locked)
    order_ids = [order.pk for order in locked]
    available = OrderLine.objects.filter(order_id__in=order_ids).order_by("order_id", "id")
    taken = dict(ShipmentLine.objects.filter(order_id__in=order_ids).values_list("order_line_id", "shipment__number"))
    if lines is None:
        chosen = [line for line in available if line.pk not in taken]
        if not chosen:
            raise ValidationError({"orders": "Every line of these orders is on a shipment already."})
    else:
        by_id = {line.pk: line for line in available}
        chosen = []
        for wanted in lines:
            line = by_id.get(wanted.pk)
            if line is None:
                raise ValidationError({"lines": f"Line {wanted.pk} is not a line of the chosen orders."})
            if line.pk in taken:
                raise ValidationError(
                    {"lines": f"A line of order {line.order_id} is on shipment {taken[line.pk]} already."}
                )
            if line not in chosen:
                chosen.append(line)
        if not chosen:
            raise ValidationError({"lines": "Choose at least one line."})
    if len(chosen) > MAX_DOCUMENT_LINES:
        raise ValidationError({"lines": f"A shipment carries at most {MAX_DOCUMENT_LINES} lines."})
    _check_shipped_at(shipped_at)
    shipment = Shipment(
        number=document_number_next(organization_id=actor.organization_id, kind="shipment", prefix=SHIPMENT_PREFIX),
        crm_reference=reference,
    )
    shipment = record_save(
        actor=actor,
        instance=shipment,
        data={
            "customer": customer,
            "status": ShipmentStatus.SHIPPED if shipped else ShipmentStatus.PENDING,
            "shipped_at": (shipped_at or timezone.now()) if shipped else None,
            "line_count": len(chosen),
            "quantity_total": sum(line.quantity for line in chosen),
        },
    )
    try:
        with transaction.atomic(), change_context(actor=actor):
            ShipmentLine.objects.bulk_create(
                [
                    ShipmentLine(
                        organization_id=shipment.organization_id,
                        shipment=shipment,
                        order_id=line.order_id,
                        order_line=line,
                        product_id=line.product_id,
                        quantity=line.quantity,
                    )
                    for line in chosen
                ]
            )
    except IntegrityError as error:
        raise _unique_key_refusal(error, "shipment") from None
    if shipped:
        _mark_orders_shipped(actor=actor, orders=locked)
    return shipment


def _locked_document(model, document):
    stored = model.objects.select_for_update().filter(pk=document.pk).first()
    if stored is None:
        raise ValidationError(f"{model._meta.verbose_name.capitalize()} {document} no longer exists.")
    return stored


def _shipment_orders(shipment: Shipment) -> list[Order]:
    ids = sorted(set(ShipmentLine.objects.filter(shipment_id=shipment.pk).values_list("order_id", flat=True)))
    return list(Order.objects.filter(pk__in=ids))


@retry_on_conflict
@service_atomic
def shipment_ship(*, actor: User, shipment: Shipment, shipped_at: dt.datetime | None = None) -> Shipment:
    """Send a pending shipment; orders whose every line is now shipped are marked shipped."""
    orders = _shipment_orders(shipment)
    _, locked = _lock_orders(actor=actor, orders=orders) if orders else (None, [])
    shipment = _locked_document(Shipment, shipment)
    check_write(actor, shipment)
    if shipment.status != ShipmentStatus.PENDING:
        raise ValidationError({"status": f"Shipment {shipment} was shipped already."})
    _check_shipped_at(shipped_at)
    shipment = record_save(
        actor=actor,
        instance=shipment,
        data={"status": ShipmentStatus.SHIPPED, "shipped_at": shipped_at or timezone.now()},
        locked=True,
    )
    _mark_orders_shipped(actor=actor, orders=locked)
    return shipment


@retry_on_conflict
@service_atomic
def shipment_delete(*, actor: User, shipment: Shipment) -> None:
    """Delete a pending shipment: its lines can be shipped again. A shipped one stays (it left the warehouse)."""
    orders = _shipment_orders(shipment)
    if orders:
        _lock_orders_for_document(actor=actor, orders=orders)
    shipment = _locked_document(Shipment, shipment)
    check_write(actor, shipment)
    if shipment.status != ShipmentStatus.PENDING:
        raise ValidationError({"status": f"Shipment {shipment} was shipped: it cannot be deleted."})
    record_delete(actor=actor, instance=shipment)


def _check_issue_dates(issued_on: dt.date, due_on: dt.date) -> None:
    today = timezone.localdate()
    if abs(issued_on - today) > MAX_ISSUE_OFFSET:
        raise ValidationError({"issued_on": "An invoice is dated within a year of today."})
    if due_on < issued_on:
        raise ValidationError({"due_on": "An invoice cannot be due before it is issued."})
    if (due_on - issued_on).days > MAX_PAYMENT_DAYS:
        raise ValidationError({"due_on": f"An invoice is due at most {MAX_PAYMENT_DAYS} days after it is issued."})


@retry_on_conflict
@service_atomic
def invoice_create(
    *,
    actor: User,
    orders: Sequence[Order],
    issued_on: dt.date | None = None,
    due_on: dt.date | None = None,
) -> Invoice:
    """Bill whole orders of one customer, in one currency, at their prices and discounts; open until paid."""
    customer, locked = _lock_orders(actor=actor, orders=orders)
    reference = common_crm_reference(locked)
    currencies = sorted({order.currency for order in locked})
    if len(currencies) > 1:
        raise ValidationError(
            {"orders": f"These orders are in different currencies ({', '.join(currencies)}): bill each apart."}
        )
    order_ids = [order.pk for order in locked]
    billed = dict(
        InvoiceLine.objects.filter(order_id__in=order_ids, voided=False)
        .order_by("order_id")
        .values_list("order_id", "invoice__number")
    )
    for order in locked:
        if order.pk in billed:
            raise ValidationError({"orders": f"Order {order} is on invoice {billed[order.pk]} already."})
    lines = list(OrderLine.objects.filter(order_id__in=order_ids).order_by("order_id", "id"))
    if len(lines) > MAX_DOCUMENT_LINES:
        raise ValidationError({"orders": f"An invoice carries at most {MAX_DOCUMENT_LINES} lines."})
    issued_on = issued_on or timezone.localdate()
    due_on = due_on or issued_on + dt.timedelta(days=DEFAULT_PAYMENT_DAYS)
    _check_issue_dates(issued_on, due_on)
    subtotal = sum((order.subtotal for order in locked), ZERO)
    discount = sum((order.discount for order in locked), ZERO)
    invoice = Invoice(
        number=document_number_next(organization_id=actor.organization_id, kind="invoice", prefix=INVOICE_PREFIX),
        crm_reference=reference,
    )
    invoice = record_save(
        actor=actor,
        instance=invoice,
        data={
            "customer": customer,
            "status": InvoiceStatus.OPEN,
            "issued_on": issued_on,
            "due_on": due_on,
            "currency": currencies[0],
            "subtotal": subtotal,
            "discount": discount,
            "total": subtotal - discount,
        },
    )
    try:
        with transaction.atomic(), change_context(actor=actor):
            InvoiceLine.objects.bulk_create(
                [
                    InvoiceLine(
                        organization_id=invoice.organization_id,
                        invoice=invoice,
                        order_id=line.order_id,
                        order_line=line,
                        product_id=line.product_id,
                        quantity=line.quantity,
                        unit_price=line.unit_price,
                        amount=line.amount,
                    )
                    for line in lines
                ]
            )
    except IntegrityError as error:
        raise _unique_key_refusal(error, "invoice") from None
    return invoice


def _invoice_orders(invoice: Invoice) -> list[Order]:
    ids = sorted(set(InvoiceLine.objects.filter(invoice_id=invoice.pk).values_list("order_id", flat=True)))
    return list(Order.objects.filter(pk__in=ids))


def _invoice_transition(*, actor: User, invoice: Invoice, status: str) -> Invoice:
    orders = _invoice_orders(invoice)
    if orders:
        _lock_orders_for_document(actor=actor, orders=orders)
    invoice = _locked_document(Invoice, invoice)
    check_write(actor, invoice)
    if invoice.status != InvoiceStatus.OPEN:
        raise ValidationError({"status": f"Invoice {invoice} is {invoice.get_status_display().lower()} already."})
    invoice = record_save(actor=actor, instance=invoice, data={"status": status}, locked=True)
    if status == InvoiceStatus.VOID:
        with change_context(actor=actor):
            InvoiceLine.objects.filter(invoice=invoice).update(voided=True)
    return invoice


def _lock_orders_for_document(*, actor: User, orders: Sequence[Order]) -> None:
    """Lock a document's orders in the commerce order (customer first); a cancelled one does not stop a void."""
    customer_ids = sorted({order.customer_id for order in orders})
    list(CommerceCustomer.objects.filter(pk__in=customer_ids).order_by("pk").select_for_update().values_list("pk"))
    list(Order.objects.filter(pk__in=[o.pk for o in orders]).order_by("pk").select_for_update().values_list("pk"))


@retry_on_conflict
@service_atomic
def invoice_pay(*, actor: User, invoice: Invoice) -> Invoice:
    """Mark an open invoice paid."""
    return _invoice_transition(actor=actor, invoice=invoice, status=InvoiceStatus.PAID)


@retry_on_conflict
@service_atomic
def invoice_void(*, actor: User, invoice: Invoice) -> Invoice:
    """Void an open invoice: it stays for the record and its orders can be billed again."""
    return _invoice_transition(actor=actor, invoice=invoice, status=InvoiceStatus.VOID)


def order_documents_check(*, order: Order, cancelling: bool = False) -> None:
    """Refuse changing what a shipment or invoice carries: an order's lines, discount, customer, or the order itself.

    Cancelling is refused while the order is on a shipment or on an invoice that is not void.
    """
    shipment = ShipmentLine.objects.filter(order_id=order.pk).values_list("shipment__number", flat=True).first()
    invoices = InvoiceLine.objects.filter(order_id=order.pk)
    if cancelling:
        invoices = invoices.filter(voided=False)
    invoice = invoices.values_list("invoice__number", flat=True).first()
    if shipment is None and invoice is None:
        return
    on = f"shipment {shipment}" if shipment is not None else f"invoice {invoice}"
    if cancelling:
        raise ValidationError(
            {"status": f"Order {order} is on {on}: delete the pending shipment or void the invoice first."}
        )
    raise ValidationError(
        f"Order {order} is on {on}: its lines, discount and customer no longer change, and it is not deleted."
    )
