"""Shipments and invoices: documents made from one or more orders of one customer, carrying their lines.

A document line points at the order line it carries (so "a line is shipped once, invoiced once" is a
unique key the database enforces, whatever runs at the same time) and keeps a copy of what it carried
(product, quantity, price): a sent document does not change when its order is edited later.
"""

from django.db import models
from django.db.models import Q

from accounts.models import ZERO, currency_field, money_field
from backoffice.models import Organization, OrganizationModel, OwnedModel
from commerce.models.catalog import Product
from commerce.models.customers import CommerceCustomer
from commerce.models.orders import Order, OrderLine


class ShipmentStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SHIPPED = "shipped", "Shipped"


class InvoiceStatus(models.TextChoices):
    OPEN = "open", "Open"
    PAID = "paid", "Paid"
    VOID = "void", "Void"


class DocumentCounter(models.Model):
    """The last number given to a kind of document in an organization (one row per kind, bumped atomically)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16)
    last = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "kind"], name="document_counter_unique_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.last}"


class Shipment(OwnedModel):
    """Goods sent to a customer: lines of one or more of its orders, pending until shipped."""

    number = models.CharField(max_length=32, editable=False)
    customer = models.ForeignKey(CommerceCustomer, on_delete=models.PROTECT, related_name="shipments")
    # The external CRM's reference of the orders' customer, when a CRM connector gives one.
    crm_reference = models.CharField("CRM reference", max_length=255, blank=True, editable=False)
    status = models.CharField(max_length=12, choices=ShipmentStatus.choices, default=ShipmentStatus.PENDING)
    shipped_at = models.DateTimeField(null=True, blank=True)
    line_count = models.PositiveIntegerField(default=0, editable=False)
    quantity_total = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "created_at"], name="shipment_org_created"),
            models.Index(fields=["customer", "status"], name="shipment_customer_status"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "number"],
                name="shipment_unique_number",
                violation_error_message="A shipment with this number exists already.",
            ),
            models.CheckConstraint(
                condition=Q(status="pending", shipped_at__isnull=True) | Q(status="shipped", shipped_at__isnull=False),
                name="shipment_shipped_at_with_status",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class ShipmentLine(OrganizationModel):
    """One order line on a shipment, with what was sent; an order line is on one shipment at most."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="+")
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="shipment_lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["shipment", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order_line"],
                name="shipment_line_once",
                violation_error_message="This order line is on a shipment already.",
            ),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="shipment_line_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.product_id}"


class Invoice(OwnedModel):
    """A bill to a customer for one or more whole orders; open until paid, or void (its orders free again)."""

    number = models.CharField(max_length=32, editable=False)
    customer = models.ForeignKey(CommerceCustomer, on_delete=models.PROTECT, related_name="invoices")
    crm_reference = models.CharField("CRM reference", max_length=255, blank=True, editable=False)
    status = models.CharField(max_length=12, choices=InvoiceStatus.choices, default=InvoiceStatus.OPEN)
    issued_on = models.DateField()
    due_on = models.DateField()
    currency = currency_field()
    subtotal = money_field(default=ZERO, editable=False)
    discount = money_field(default=ZERO, editable=False)
    total = money_field(default=ZERO, editable=False)

    class Meta:
        ordering = ["-issued_on", "-id"]
        indexes = [
            models.Index(fields=["organization", "issued_on"], name="invoice_org_issued"),
            models.Index(fields=["customer", "status"], name="invoice_customer_status"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "number"],
                name="invoice_unique_number",
                violation_error_message="An invoice with this number exists already.",
            ),
            models.CheckConstraint(
                condition=Q(subtotal__gte=0) & Q(discount__gte=0) & Q(total__gte=0), name="invoice_amounts_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(total=models.F("subtotal") - models.F("discount")), name="invoice_total_is_net"
            ),
            models.CheckConstraint(condition=Q(due_on__gte=models.F("issued_on")), name="invoice_due_after_issue"),
        ]

    def __str__(self) -> str:
        return self.number


class InvoiceLine(OrganizationModel):
    """One order line billed on an invoice, at the order's price; billed once unless its invoice is void."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="+")
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="invoice_lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()
    unit_price = money_field()
    amount = money_field()
    # Copied from the invoice when it is voided: the unique key below then frees the line for a new invoice.
    voided = models.BooleanField(default=False, editable=False)

    class Meta:
        ordering = ["invoice", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order_line"],
                condition=Q(voided=False),
                name="invoice_line_once",
                violation_error_message="This order line is on an invoice already.",
            ),
            models.CheckConstraint(
                condition=Q(quantity__gte=1) & Q(unit_price__gte=0) & Q(amount__gte=0),
                name="invoice_line_amounts_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.product_id}"
