"""Promotions (a percentage or an amount off the whole order or off chosen products), the discounts they gave
each order line, and the POS sales recorded by their idempotency keys."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from accounts.models import currency_field, money_field
from backoffice.models import Organization, OrganizationModel
from commerce.models.catalog import Product
from commerce.models.customers import CustomerGroup
from commerce.models.orders import Order, OrderLine


class PromotionKind(models.TextChoices):
    PERCENTAGE = "percentage", "Percentage"
    FIXED_AMOUNT = "fixed_amount", "Fixed amount"


class PromotionScope(models.TextChoices):
    ORDER = "order", "Whole order"
    PRODUCTS = "products", "Chosen products"


class ConditionMatch(models.TextChoices):
    ALL = "all", "All conditions"
    ANY = "any", "Any condition"


class Promotion(OrganizationModel):
    """A discount applied when an order is priced, while it is valid and its conditions hold.

    A fixed amount is taken once per order (spread over the lines it covers); a percentage is taken off
    each line it covers. Amounts (the fixed amount, the minimum subtotal) are in `currency`: such a
    promotion applies only to orders in that currency. `conditions` holds further conditions of the kinds
    registered in commerce.services.pricing (`promotion_conditions`), combined by `condition_match`.
    """

    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=12, choices=PromotionKind.choices, default=PromotionKind.PERCENTAGE)
    value = money_field(help_text="The percentage (0 to 100) or the amount off.")
    scope = models.CharField(max_length=10, choices=PromotionScope.choices, default=PromotionScope.ORDER)
    products = models.ManyToManyField(Product, blank=True, related_name="+")
    currency = currency_field(blank=True, help_text="Required for a fixed amount or a minimum subtotal.")
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_to = models.DateTimeField(null=True, blank=True)
    minimum_subtotal = money_field(null=True, blank=True)
    customer_group = models.ForeignKey(
        CustomerGroup, null=True, blank=True, on_delete=models.PROTECT, related_name="promotions"
    )
    conditions = models.JSONField(default=list, blank=True)
    condition_match = models.CharField(max_length=3, choices=ConditionMatch.choices, default=ConditionMatch.ALL)
    # Lower first; an exclusive promotion that applies stops the ones after it.
    priority = models.PositiveSmallIntegerField(default=100)
    exclusive = models.BooleanField(default=False, help_text="No further promotion applies after this one.")
    active = models.BooleanField(default=True)

    tracked_m2m = ("products",)

    class Meta:
        ordering = ["priority", "id"]
        indexes = [models.Index(fields=["organization", "active", "priority"], name="promotion_in_force")]
        constraints = [
            models.CheckConstraint(condition=Q(value__gte=0), name="promotion_value_not_negative"),
            models.CheckConstraint(
                condition=~Q(kind="percentage") | Q(value__lte=100), name="promotion_percentage_at_most_100"
            ),
            models.CheckConstraint(
                condition=Q(minimum_subtotal__isnull=True) | Q(minimum_subtotal__gte=0),
                name="promotion_minimum_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True) | Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="promotion_valid_to_after_from",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class AppliedPromotion(OrganizationModel):
    """The discount one promotion gave one order line when the order was priced (its name kept as it was)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="applied_promotions")
    line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="applied_promotions")
    promotion = models.ForeignKey(Promotion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    name = models.CharField(max_length=100)
    amount = money_field()

    class Meta:
        ordering = ["order", "line", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="applied_promotion_amount_positive")]

    def __str__(self) -> str:
        return f"{self.name}: {self.amount}"


class PosSale(models.Model):
    """A sale completed at the POS, by the key its page sent: the same key again gives the same order."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    idempotency_key = models.UUIDField()
    order = models.OneToOneField(Order, null=True, on_delete=models.CASCADE, related_name="pos_sale")
    cashier = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "idempotency_key"], name="pos_sale_unique_key"),
        ]

    def __str__(self) -> str:
        return str(self.idempotency_key)
