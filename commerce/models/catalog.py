"""Products: what orders sell. No catalogue beyond a SKU, a name and a price."""

from django.db import models
from django.db.models import Q

from accounts.models import NOT_NEGATIVE, currency_field, money_field
from backoffice.models import OrganizationModel


class Product(OrganizationModel):
    """A product sold at a unit price in one currency."""

    sku = models.CharField("SKU", max_length=64)
    name = models.CharField(max_length=255)
    unit_price = money_field(validators=[NOT_NEGATIVE])
    currency = currency_field()
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["sku", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "sku"],
                name="product_unique_sku",
                violation_error_message="A product with this SKU exists already.",
            ),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="product_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"
