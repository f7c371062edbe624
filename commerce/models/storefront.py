"""What customer users prepare in the storefront and what sales answers: shopping lists, requests for
quote (RFQs) made from them, and quotes that turn into orders."""

from django.db import models
from django.db.models import Q

from accounts.models import ZERO, currency_field, money_field
from backoffice.models import OrganizationModel, OwnedModel
from commerce.models.catalog import Product
from commerce.models.customers import CommerceCustomer, CustomerUser
from commerce.models.orders import Order


class RequestStatus(models.TextChoices):
    OPEN = "open", "Waiting for a quote"
    QUOTED = "quoted", "Quoted"
    CANCELLED = "cancelled", "Cancelled"


class QuoteStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACCEPTED = "accepted", "Accepted"
    CANCELLED = "cancelled", "Cancelled"


class ShoppingList(OrganizationModel):
    """A customer user's list of products and quantities, from which a request for quote is made."""

    customer_user = models.ForeignKey(CustomerUser, on_delete=models.CASCADE, related_name="shopping_lists")
    # The customer the user acted for when the list was made (the back office lists them by customer).
    customer = models.ForeignKey(CommerceCustomer, on_delete=models.PROTECT, related_name="shopping_lists")
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [models.Index(fields=["customer_user", "updated_at"], name="shopping_list_user")]

    def __str__(self) -> str:
        return self.name


class ShoppingListLine(OrganizationModel):
    """One product of a shopping list (a product appears once per list)."""

    shopping_list = models.ForeignKey(ShoppingList, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["shopping_list", "id"]
        constraints = [
            models.UniqueConstraint(fields=["shopping_list", "product"], name="shopping_list_line_unique_product"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="shopping_list_line_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.product_id}"


class RequestForQuote(OrganizationModel):
    """A customer user's request for prices on the lines of a shopping list (copied: the list may change)."""

    number = models.CharField(max_length=32)
    customer = models.ForeignKey(CommerceCustomer, on_delete=models.PROTECT, related_name="requests_for_quote")
    customer_user = models.ForeignKey(CustomerUser, on_delete=models.PROTECT, related_name="requests_for_quote")
    shopping_list = models.ForeignKey(
        ShoppingList, null=True, blank=True, on_delete=models.SET_NULL, related_name="requests_for_quote"
    )
    note = models.TextField(blank=True, max_length=2000)
    status = models.CharField(max_length=12, choices=RequestStatus.choices, default=RequestStatus.OPEN)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "request for quote"
        verbose_name_plural = "requests for quote"
        indexes = [models.Index(fields=["organization", "created_at"], name="rfq_organization_created")]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "number"],
                name="rfq_unique_number",
                violation_error_message="A request for quote with this number exists already.",
            )
        ]

    def __str__(self) -> str:
        return self.number


class RequestForQuoteLine(OrganizationModel):
    """One product and quantity asked for."""

    request = models.ForeignKey(RequestForQuote, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["request", "id"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gte=1), name="rfq_line_quantity_positive")]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.product_id}"


class Quote(OwnedModel):
    """Prices offered to a customer until a date; accepted, it becomes an order (through the order services)."""

    number = models.CharField(max_length=32)
    customer = models.ForeignKey(CommerceCustomer, on_delete=models.PROTECT, related_name="quotes")
    customer_user = models.ForeignKey(
        CustomerUser, null=True, blank=True, on_delete=models.SET_NULL, related_name="quotes"
    )
    request = models.ForeignKey(RequestForQuote, null=True, blank=True, on_delete=models.PROTECT, related_name="quotes")
    currency = currency_field()
    subtotal = money_field(default=ZERO)
    valid_until = models.DateField()
    status = models.CharField(max_length=12, choices=QuoteStatus.choices, default=QuoteStatus.OPEN)
    order = models.OneToOneField(Order, null=True, blank=True, on_delete=models.SET_NULL, related_name="quote")
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "created_at"], name="quote_organization_created"),
            models.Index(fields=["customer", "status"], name="quote_customer_status"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "number"],
                name="quote_unique_number",
                violation_error_message="A quote with this number exists already.",
            ),
            models.CheckConstraint(condition=Q(subtotal__gte=0), name="quote_subtotal_not_negative"),
            models.CheckConstraint(
                condition=~Q(status="accepted") | Q(accepted_at__isnull=False),
                name="quote_accepted_has_date",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class QuoteLine(OrganizationModel):
    """One product of a quote at the offered unit price."""

    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()
    unit_price = money_field()
    amount = money_field()

    class Meta:
        ordering = ["quote", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gte=1) & Q(unit_price__gte=0) & Q(amount__gte=0),
                name="quote_line_amounts_not_negative",
            )
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.product_id}"
