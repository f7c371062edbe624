"""The external web store channel: its customers and orders arrive through the API, known by their ids in
the store (backoffice ExternalReference, system "web_store"). A customer's lifetime sales value is the
sum, in the organization's base currency, of subtotal less discount over its orders not cancelled."""

from django.db import models
from django.db.models import F, Q

from accounts.models import ZERO, Account, Channel, currency_field, money_field
from backoffice.models import OrganizationModel, OwnedModel


class WebStoreOrderStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PROCESSING = "processing", "Processing"
    COMPLETE = "complete", "Complete"
    CANCELLED = "cancelled", "Cancelled"


class WebStoreCustomer(OwnedModel):
    """A customer of the external web store, related to one CRM account."""

    name = models.CharField(max_length=255)
    email = models.EmailField(max_length=254, blank=True)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="web_store_customers")
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="web_store_customers")
    lifetime_value = money_field(default=ZERO, editable=False)

    derived_fields = ("lifetime_value",)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["organization", "name"])]

    def __str__(self) -> str:
        return self.name


class WebStoreOrder(OrganizationModel):
    """An order placed in the external web store; `base_net` is its subtotal less discount in the base
    currency, fixed when it first arrives (at that day's rate)."""

    customer = models.ForeignKey(WebStoreCustomer, on_delete=models.PROTECT, related_name="orders")
    number = models.CharField(max_length=64)
    currency = currency_field()
    subtotal = money_field()
    discount = money_field(default=ZERO)
    base_rate = models.DecimalField(max_digits=18, decimal_places=8, editable=False)
    base_net = money_field(editable=False)
    status = models.CharField(max_length=12, choices=WebStoreOrderStatus.choices, default=WebStoreOrderStatus.PENDING)
    placed_at = models.DateTimeField()

    derived_fields = ("base_net", "base_rate")

    class Meta:
        ordering = ["-placed_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "placed_at"]),
            models.Index(
                fields=["customer"],
                include=["base_net"],
                condition=~Q(status="cancelled"),
                name="web_store_order_counting",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(subtotal__gte=0) & Q(discount__gte=0) & Q(discount__lte=F("subtotal")) & Q(base_rate__gt=0),
                name="web_store_order_amounts",
            ),
        ]

    def __str__(self) -> str:
        return self.number
