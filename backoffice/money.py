"""Money: an amount in any currency keeps its base-currency value fixed at the time it is made."""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone

from backoffice.models import CurrencyRate, Organization

CENT = Decimal("0.01")


def quantize(amount: Decimal) -> Decimal:
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def money_to_base(*, organization: Organization, amount: Decimal | None, currency: str, on: date | None = None):
    """The amount in the organization's base currency, at the rate valid on `on` (today by default).

    Raises ValidationError naming the currency when no rate is known for it.
    """
    if amount is None:
        return None
    if not currency or currency == organization.base_currency:
        return quantize(amount)
    on = on or timezone.localdate()
    rate = (
        CurrencyRate.objects.filter(organization=organization, currency=currency, valid_from__lte=on)
        .order_by("-valid_from")
        .values_list("rate", flat=True)
        .first()
    )
    if rate is None:
        raise ValidationError(
            f"No exchange rate from {currency} to {organization.base_currency} is known for {on}; "
            "an admin can add one under Currency rates."
        )
    return quantize(amount * rate)
