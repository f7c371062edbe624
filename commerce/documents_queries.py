"""Reads of shipments and invoices: selectors scoped to the acting user's organization, and the FilterSets that
the web lists and the API share (one set of `?field=` parameters for both)."""

import django_filters
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from accounts.filters import SearchFilterSet
from backoffice.filters import MAX_ID, DateTimeFromToRangeFilter, IdFilter
from backoffice.models import User
from backoffice.selectors import organization_scope
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


def shipment_list(*, actor: User) -> QuerySet[Shipment]:
    """Shipments of the actor's organization with their customer and owner (one query per page)."""
    return organization_scope(Shipment.objects.select_related("customer", "owner"), actor=actor)


def shipment_detail_list(*, actor: User) -> QuerySet[Shipment]:
    """Shipments with their lines, each line's order and product (one query more per page)."""
    lines = ShipmentLine.objects.select_related("order", "product").order_by("order_id", "id")
    return shipment_list(actor=actor).prefetch_related(Prefetch("lines", queryset=lines))


def shipment_get(*, actor: User, pk: int) -> Shipment:
    """One shipment of the actor's organization with its lines; 404 otherwise."""
    return get_object_or_404(shipment_detail_list(actor=actor), pk=pk)


def invoice_list(*, actor: User) -> QuerySet[Invoice]:
    """Invoices of the actor's organization with their customer and owner (one query per page)."""
    return organization_scope(Invoice.objects.select_related("customer", "owner"), actor=actor)


def invoice_detail_list(*, actor: User) -> QuerySet[Invoice]:
    """Invoices with their lines, each line's order and product (one query more per page)."""
    lines = InvoiceLine.objects.select_related("order", "product").order_by("order_id", "id")
    return invoice_list(actor=actor).prefetch_related(Prefetch("lines", queryset=lines))


def invoice_get(*, actor: User, pk: int) -> Invoice:
    """One invoice of the actor's organization with its lines; 404 otherwise."""
    return get_object_or_404(invoice_detail_list(actor=actor), pk=pk)


def order_line_list(*, actor: User) -> QuerySet[OrderLine]:
    """Order lines of the actor's organization (what a shipment may name)."""
    return organization_scope(OrderLine.objects.all(), actor=actor)


def customer_choices(*, actor: User) -> QuerySet[CommerceCustomer]:
    """Customers of the actor's organization, by name (for the document form's customer picker)."""
    return organization_scope(CommerceCustomer.objects.all(), actor=actor).order_by("name", "id")


def with_document_flags(lines: QuerySet[OrderLine]) -> QuerySet[OrderLine]:
    """Order lines with whether each is on a shipment (`is_shipped`) and on an invoice not void (`is_invoiced`),
    as two EXISTS in the same query: what the shipment and invoice services refuse to take again."""
    shipped = ShipmentLine.objects.filter(order_line=OuterRef("pk"))
    invoiced = InvoiceLine.objects.filter(order_line=OuterRef("pk"), voided=False)
    return lines.annotate(is_shipped=Exists(shipped), is_invoiced=Exists(invoiced))


def order_documents_possible(order: Order, lines: list[OrderLine]) -> tuple[bool, bool]:
    """(shippable, invoiceable) for an order whose lines carry their document flags (with_document_flags), as the
    document services would take it: a shipment while some line is on none and the order is neither closed nor
    cancelled, an invoice while it is on no invoice that is not void and it is not cancelled."""
    if not lines or order.status == OrderStatus.CANCELLED:
        return False, False
    shippable = order.status != OrderStatus.CLOSED and any(not line.is_shipped for line in lines)
    return shippable, not any(line.is_invoiced for line in lines)


def documentable_orders(*, actor: User, customer: CommerceCustomer) -> QuerySet[Order]:
    """A customer's orders that may still go on a document (not cancelled), newest first, with their lines and
    whether each line is shipped and invoiced (two queries whatever the count)."""
    lines = with_document_flags(OrderLine.objects.select_related("product")).order_by("id")
    return (
        organization_scope(Order.objects.filter(customer=customer), actor=actor)
        .exclude(status=OrderStatus.CANCELLED)
        .prefetch_related(Prefetch("lines", queryset=lines))
        .order_by("-placed_at", "-id")
    )


class CarriesOrderFilter(IdFilter):
    """Documents with a line of the order with this id, as one EXISTS (no join that would repeat documents).

    `field_name` names the same path, for the schema's type only."""

    def __init__(self, *args, line_model, document_field: str, **kwargs):
        self.line_model, self.document_field = line_model, document_field
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if value is None:
            return qs
        if not 0 < value <= MAX_ID:
            return qs.none()
        lines = self.line_model.objects.filter(**{self.document_field: OuterRef("pk")}, order_id=value)
        return qs.filter(Exists(lines))


class _DocumentFilter(SearchFilterSet):
    search_fields = ("number", "customer__name", "crm_reference")
    archived = None
    customer = IdFilter(field_name="customer")


class ShipmentFilter(_DocumentFilter):
    order = CarriesOrderFilter(
        field_name="lines__order", label="Carries order", line_model=ShipmentLine, document_field="shipment"
    )
    status = django_filters.ChoiceFilter(choices=ShipmentStatus.choices)
    created_at = DateTimeFromToRangeFilter(label="Made")
    ordering = django_filters.OrderingFilter(fields=("number", "created_at", "shipped_at", "quantity_total"))

    class Meta:
        model = Shipment
        fields = ["q", "owner", "customer", "status", "order", "created_at"]


class InvoiceFilter(_DocumentFilter):
    order = CarriesOrderFilter(
        field_name="lines__order", label="Carries order", line_model=InvoiceLine, document_field="invoice"
    )
    status = django_filters.ChoiceFilter(choices=InvoiceStatus.choices)
    issued_on = django_filters.DateFromToRangeFilter(label="Issued")
    ordering = django_filters.OrderingFilter(fields=("number", "issued_on", "due_on", "total"))

    class Meta:
        model = Invoice
        fields = ["q", "owner", "customer", "status", "order", "issued_on"]
