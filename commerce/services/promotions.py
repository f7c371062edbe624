"""Writes of promotions: bounded values, consistent scope and currency, conditions of registered kinds.

Promotions change prices, so sales managers and organization admins make and change them.
"""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError

from backoffice.db import retry_on_conflict, service_atomic
from backoffice.models import User
from backoffice.money import quantize
from backoffice.records import record_delete, record_save
from commerce.models import Product, Promotion
from commerce.models.promotions import PromotionKind, PromotionScope
from commerce.services.orders import MAX_AMOUNT
from commerce.services.pricing import MAX_PRODUCTS, conditions_clean

MAX_NAME_LENGTH = 100
# A promotion's writable fields, in the order the API shows them.
FIELDS = (
    "name",
    "kind",
    "value",
    "scope",
    "products",
    "currency",
    "valid_from",
    "valid_to",
    "minimum_subtotal",
    "customer_group",
    "conditions",
    "condition_match",
    "priority",
    "exclusive",
    "active",
    "version",
)


def _check_may_manage(actor: User) -> None:
    if not (actor.is_superuser or actor.can_manage_organization):
        raise PermissionDenied("Only sales managers and admins change promotions.")


def _decimal(value, field: str) -> Decimal:
    try:
        amount = quantize(Decimal(str(value)))
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError({field: "Enter a number."}) from None
    if not amount.is_finite():
        raise ValidationError({field: "Enter a number."})
    return amount


def _clean(data: dict, current: Promotion | None) -> dict:
    """The promotion as it will be, checked as a whole (a change may touch one field of several that go together)."""
    unknown = set(data).difference(FIELDS)
    if unknown:
        raise ValidationError({name: "This is not a field of a promotion." for name in sorted(unknown)})
    data = dict(data)

    def value_of(name, default=None):
        if name in data:
            return data[name]
        return getattr(current, name) if current is not None else default

    if "name" in data or current is None:
        name = (data.get("name") or "").strip()
        if not name:
            raise ValidationError({"name": "Enter a name."})
        if len(name) > MAX_NAME_LENGTH:
            raise ValidationError({"name": f"A name is at most {MAX_NAME_LENGTH} characters."})
        data["name"] = name
    kind = value_of("kind", PromotionKind.PERCENTAGE)
    if kind not in PromotionKind.values:
        raise ValidationError({"kind": "Choose a percentage or a fixed amount."})
    if "value" not in data and current is None:
        raise ValidationError({"value": "Enter the percentage or the amount off."})
    value = _decimal(value_of("value"), "value")
    if value < 0:
        raise ValidationError({"value": "A discount cannot be negative."})
    if kind == PromotionKind.PERCENTAGE and value > 100:
        raise ValidationError({"value": "A percentage is from 0 to 100."})
    if value > MAX_AMOUNT:
        raise ValidationError({"value": f"An amount is at most {MAX_AMOUNT}."})
    data["value"] = value
    minimum = value_of("minimum_subtotal")
    if minimum is not None and minimum != "":
        minimum = _decimal(minimum, "minimum_subtotal")
        if minimum < 0 or minimum > MAX_AMOUNT:
            raise ValidationError({"minimum_subtotal": f"A minimum subtotal is from 0 to {MAX_AMOUNT}."})
        data["minimum_subtotal"] = minimum
    elif "minimum_subtotal" in data:
        data["minimum_subtotal"] = None
    currency = (value_of("currency", "") or "").strip().upper()
    if "currency" in data or current is None:
        data["currency"] = currency
    if not currency and (
        kind == PromotionKind.FIXED_AMOUNT or data.get("minimum_subtotal", value_of("minimum_subtotal"))
    ):
        raise ValidationError({"currency": "Give the currency of the amount off or of the minimum subtotal."})
    scope = value_of("scope", PromotionScope.ORDER)
    if scope not in PromotionScope.values:
        raise ValidationError({"scope": "Choose the whole order or chosen products."})
    if "products" in data:
        products = list(data["products"] or [])
        if len(products) > MAX_PRODUCTS:
            raise ValidationError({"products": f"A promotion covers at most {MAX_PRODUCTS} products."})
        data["products"] = products
        chosen = len(products)
    else:
        chosen = current.products.count() if current is not None else 0
    if scope == PromotionScope.PRODUCTS and chosen == 0:
        raise ValidationError({"products": "Choose the products this promotion covers."})
    valid_from, valid_to = value_of("valid_from"), value_of("valid_to")
    if valid_from is not None and valid_to is not None and valid_to < valid_from:
        raise ValidationError({"valid_to": "The end of validity cannot come before its start."})
    if "conditions" in data:
        data["conditions"] = conditions_clean(data["conditions"])
    if "priority" in data and not (isinstance(data["priority"], int) and 0 <= data["priority"] <= 32767):
        raise ValidationError({"priority": "A priority is a whole number from 0 to 32767."})
    return data


@retry_on_conflict
@service_atomic
def promotion_save(*, actor: User, data: dict, promotion: Promotion | None = None) -> Promotion:
    """Create or change a promotion (managers and admins); products are those of the actor's organization."""
    _check_may_manage(actor)
    data = _clean(data, promotion)
    products = data.get("products")
    if products is not None:
        ids = [p.pk if isinstance(p, Product) else p for p in products]
        found = Product.objects.filter(organization_id=actor.organization_id, pk__in=ids).count()
        if found != len(set(ids)):
            raise ValidationError({"products": "Choose products of your organization."})
    return record_save(actor=actor, instance=promotion or Promotion(), data=data, m2m=["products"])


@service_atomic
def promotion_delete(*, actor: User, promotion: Promotion) -> None:
    """Delete a promotion; the orders it discounted keep their discounts and its name."""
    _check_may_manage(actor)
    record_delete(actor=actor, instance=promotion)
