"""Orders with their lines, payments and refunds. Amounts are in the order's currency; the subtotal's value
in the organization's base currency is fixed when the order is placed (`base_rate`)."""

from django.db import models
from django.db.models import F, Q

from accounts.models import ZERO, currency_field, money_field
from backoffice.models import OrganizationModel, OwnedModel
from commerce.choices import OrderStatus, PaymentMethod, PaymentStatus
from commerce.models.catalog import Product
from commerce.models.customers import CommerceCustomer, CustomerUser


class Order(OwnedModel):
    """An order of a customer: lines, totals, status and payment status, its payments and refunds."""

    number = models.CharField(max_length=32)
    customer = models.ForeignKey(CommerceCustomer, on_delete=models.PROTECT, related_name="orders")
    customer_user = models.ForeignKey(
        CustomerUser, null=True, blank=True, on_delete=models.SET_NULL, related_name="orders"
    )
    currency = currency_field()
    subtotal = money_field(default=ZERO)
    discount = money_field(default=ZERO)
    total = money_field(default=ZERO)
    # Base-currency units per unit of `currency`, fixed when the order is placed.
    base_rate = models.DecimalField(max_digits=18, decimal_places=8, editable=False)
    base_subtotal = money_field(default=ZERO, editable=False)
    paid_amount = money_field(default=ZERO, editable=False)
    refunded_amount = money_field(default=ZERO, editable=False)
    # The refunds' base-currency values, summed (what the lifetime value subtracts).
    refunded_base = money_field(default=ZERO, editable=False)
    status = models.CharField(max_length=12, choices=OrderStatus.choices, default=OrderStatus.OPEN)
    payment_status = models.CharField(max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.PENDING)
    placed_at = models.DateTimeField()
    # The customer in the external CRM when the order was sold through the CRM connector (the order itself is
    # on the organization's anonymous customer), and the CRM values promotions read, kept so that the order can
    # be priced again without the CRM. Nothing else from the CRM is kept.
    crm_reference = models.CharField("CRM reference", max_length=255, blank=True, editable=False)
    crm_category_keys = models.JSONField("CRM category keys", default=dict, blank=True, editable=False)

    class Meta:
        ordering = ["-placed_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "placed_at"]),
            models.Index(
                fields=["organization", "crm_reference"], condition=~Q(crm_reference=""), name="order_crm_reference"
            ),
            models.Index(fields=["customer", "payment_status"], name="order_customer_payment"),
            # The orders that count toward lifetime values, per customer, with what they count: the
            # recalculation reads them by index only.
            models.Index(
                fields=["customer"],
                include=["id", "base_subtotal", "payment_status"],
                condition=Q(payment_status__in=["paid", "partially_refunded"]) & ~Q(status="cancelled"),
                name="order_counting",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "number"],
                name="order_unique_number",
                violation_error_message="An order with this number exists already.",
            ),
            models.CheckConstraint(
                condition=Q(subtotal__gte=0)
                & Q(discount__gte=0)
                & Q(total__gte=0)
                & Q(base_subtotal__gte=0)
                & Q(paid_amount__gte=0)
                & Q(refunded_amount__gte=0)
                & Q(refunded_base__gte=0)
                & Q(base_rate__gt=0),
                name="order_amounts_not_negative",
            ),
            models.CheckConstraint(condition=Q(discount__lte=F("subtotal")), name="order_discount_within_subtotal"),
            models.CheckConstraint(condition=Q(total=F("subtotal") - F("discount")), name="order_total_is_net"),
            models.CheckConstraint(condition=Q(paid_amount__lte=F("total")), name="order_paid_within_total"),
            models.CheckConstraint(
                condition=Q(refunded_amount__lte=F("paid_amount")), name="order_refunded_within_paid"
            ),
        ]

    def __str__(self) -> str:
        return self.number


class OrderLine(OrganizationModel):
    """One product of an order, at the unit price the order was made with."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()
    unit_price = money_field()
    amount = money_field()

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gte=1) & Q(unit_price__gte=0) & Q(amount__gte=0),
                name="order_line_amounts_not_negative",
            )
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.product_id}"


class Payment(OrganizationModel):
    """Money received for an order, in the order's currency."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="payments")
    amount = money_field()
    method = models.CharField(max_length=12, choices=PaymentMethod.choices, default=PaymentMethod.CARD)
    paid_at = models.DateTimeField()

    class Meta:
        ordering = ["paid_at", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive")]

    def __str__(self) -> str:
        return f"{self.amount} ({self.get_method_display()})"


class Refund(OrganizationModel):
    """Money given back for an order, in the order's currency, with its base value at the order's rate."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="refunds")
    amount = money_field()
    amount_base = money_field(editable=False)
    reason = models.CharField(max_length=255, blank=True)
    refunded_at = models.DateTimeField()

    class Meta:
        ordering = ["refunded_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0) & Q(amount_base__gte=0), name="refund_amount_positive")
        ]

    def __str__(self) -> str:
        return f"{self.amount}"
