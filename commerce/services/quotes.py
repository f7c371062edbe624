"""Quotes: made in the back office (from a request for quote or from scratch), cancelled, or accepted, which
places an order through the order services at the quoted prices."""

import datetime as dt
import secrets
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.models import ZERO
from backoffice.access import check_same_organization, check_write
from backoffice.changes import change_context
from backoffice.db import retry_on_conflict, service_atomic
from backoffice.models import Organization, User
from backoffice.money import quantize
from backoffice.records import record_save
from commerce.models import (
    CommerceCustomer,
    CustomerUser,
    Order,
    Product,
    Quote,
    QuoteLine,
    QuoteStatus,
    RequestForQuote,
    RequestStatus,
)
from commerce.services.orders import MAX_AMOUNT, MAX_LINES, MAX_QUANTITY, LineInput, order_place
from commerce.services.storefront import ORIGIN, storefront_actor

# A quote is valid for at most a year: an offer further out is a price list, not a quote.
MAX_VALIDITY_DAYS = 366


@dataclass(frozen=True)
class QuoteLineInput:
    """A quoted line: a product, a quantity and the offered unit price (the product's price when None)."""

    product: Product
    quantity: int
    unit_price: Decimal | None = None


def _today(organization_id: int) -> dt.date:
    import zoneinfo

    zone = Organization.objects.filter(pk=organization_id).values_list("time_zone", flat=True).first() or "UTC"
    try:
        return timezone.localdate(timezone=zoneinfo.ZoneInfo(zone))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return timezone.localdate(timezone=dt.UTC)


def _priced(lines: list[QuoteLineInput], currency: str, organization_id: int) -> list[tuple[Product, int, Decimal]]:
    if not lines:
        raise ValidationError({"lines": "A quote needs at least one line."})
    if len(lines) > MAX_LINES:
        raise ValidationError({"lines": f"A quote has at most {MAX_LINES} lines."})
    priced = []
    for line in lines:
        if line.product.organization_id != organization_id:
            raise ValidationError({"lines": "That product belongs to another organization."})
        if not isinstance(line.quantity, int) or not 1 <= line.quantity <= MAX_QUANTITY:
            raise ValidationError({"lines": f"A quantity is a whole number from 1 to {MAX_QUANTITY}."})
        price = line.unit_price
        if price is None:
            if line.product.currency != currency:
                raise ValidationError(
                    {"lines": f"{line.product} is priced in {line.product.currency}: give its price."}
                )
            price = line.product.unit_price
        try:
            price = quantize(Decimal(str(price)))
        except (ArithmeticError, ValueError):
            raise ValidationError({"lines": "Enter a price."}) from None
        if not price.is_finite() or price < 0 or price > MAX_AMOUNT:
            raise ValidationError({"lines": f"A price is from 0 to {MAX_AMOUNT}."})
        priced.append((line.product, line.quantity, price))
    return priced


@retry_on_conflict
@service_atomic
def quote_create(
    *,
    actor: User,
    valid_until: dt.date,
    lines: list[QuoteLineInput],
    customer: CommerceCustomer | None = None,
    request: RequestForQuote | None = None,
    customer_user: CustomerUser | None = None,
    currency: str | None = None,
    owner: User | None = None,
    made_on: dt.date | None = None,
) -> Quote:
    """Offer prices to a customer until a date; made from a request for quote, it answers that request.

    `made_on` records a quote given on an earlier day (an import, the demo data; today by default): its
    validity counts from that day, so it may have run out already."""
    check_same_organization(actor, customer, request, customer_user)
    if request is not None:
        request = RequestForQuote.objects.select_for_update().get(pk=request.pk)
        if request.status == RequestStatus.CANCELLED:
            raise ValidationError({"request": "That request for quote was cancelled."})
        customer = CommerceCustomer.objects.get(pk=request.customer_id)
        customer_user = CustomerUser.objects.get(pk=request.customer_user_id)
    if customer is None:
        raise ValidationError({"customer": "Choose the customer the quote is for."})
    if customer_user is not None and customer_user.customer_id != customer.pk:
        raise ValidationError({"customer_user": f"{customer_user} does not act for {customer}."})
    today = _today(actor.organization_id)
    made_on = today if made_on is None else made_on
    if not isinstance(made_on, dt.date) or not today - dt.timedelta(days=MAX_VALIDITY_DAYS) <= made_on <= today:
        raise ValidationError({"made_on": "A quote was made today or within the past year."})
    if not isinstance(valid_until, dt.date) or valid_until < made_on:
        day = "today" if made_on == today else "the day it was made"
        raise ValidationError({"valid_until": f"A quote is valid until {day} or a later day."})
    if valid_until > made_on + dt.timedelta(days=MAX_VALIDITY_DAYS):
        raise ValidationError({"valid_until": f"A quote is valid for at most {MAX_VALIDITY_DAYS} days."})
    organization = Organization.objects.get(pk=actor.organization_id)
    currency = currency or (lines[0].product.currency if lines else organization.base_currency)
    priced = _priced(lines, currency, actor.organization_id)
    subtotal = quantize(sum((price * quantity for _, quantity, price in priced), ZERO))
    if subtotal > MAX_AMOUNT:
        raise ValidationError({"lines": f"A quote's subtotal is at most {MAX_AMOUNT}."})
    quote = record_save(
        actor=actor,
        instance=Quote(),
        data={
            "number": f"QT-{made_on:%Y%m%d}-{secrets.token_hex(4).upper()}",
            "customer": customer,
            "customer_user": customer_user,
            "request": request,
            "currency": currency,
            "subtotal": subtotal,
            "valid_until": valid_until,
            "status": QuoteStatus.OPEN,
            "owner": owner,
        },
    )
    with change_context(actor=actor):
        QuoteLine.objects.bulk_create(
            [
                QuoteLine(
                    organization_id=quote.organization_id,
                    quote=quote,
                    product=product,
                    quantity=quantity,
                    unit_price=price,
                    amount=quantize(price * quantity),
                )
                for product, quantity, price in priced
            ]
        )
    if request is not None and request.status != RequestStatus.QUOTED:
        # Requests have no owner: whoever of the organization answers one marks it quoted (logged as theirs).
        with change_context(actor=actor):
            RequestForQuote.objects.filter(pk=request.pk).update(status=RequestStatus.QUOTED)
    return quote


def quote_is_expired(quote: Quote) -> bool:
    """Whether an open quote's validity date has passed (in its organization's time zone)."""
    return quote.status == QuoteStatus.OPEN and quote.valid_until < _today(quote.organization_id)


@retry_on_conflict
@service_atomic
def quote_accept(*, actor: User, quote: Quote, customer_user: CustomerUser | None = None) -> Order:
    """Accept an open, still valid quote: an order is placed at the quoted prices and the quote points at it.

    Accepting twice (two clicks, two tabs) places one order: the quote is locked and the second finds it
    accepted.
    """
    stored = Quote.objects.select_for_update().filter(pk=quote.pk).first()
    if stored is None:
        raise ValidationError("That quote no longer exists.")
    check_write(actor, stored)
    if stored.status != QuoteStatus.OPEN:
        raise ValidationError({"status": f"This quote is {stored.get_status_display().lower()} already."})
    if quote_is_expired(stored):
        raise ValidationError({"status": f"This quote was valid until {stored.valid_until:%Y-%m-%d}."})
    lines = [
        LineInput(product=line.product, quantity=line.quantity, unit_price=line.unit_price)
        for line in stored.lines.select_related("product").order_by("id")
    ]
    customer = CommerceCustomer.objects.get(pk=stored.customer_id)
    order = order_place(
        actor=actor,
        customer=customer,
        lines=lines,
        currency=stored.currency,
        customer_user=customer_user or stored.customer_user,
        owner=stored.owner,
        apply_promotions=False,  # the quote's prices are what was agreed
    )
    record_save(
        actor=actor,
        instance=stored,
        data={"status": QuoteStatus.ACCEPTED, "order": order, "accepted_at": timezone.now()},
        locked=True,
    )
    return order


@retry_on_conflict
@service_atomic
def quote_cancel(*, actor: User, quote: Quote) -> Quote:
    """Withdraw an open quote."""
    stored = Quote.objects.select_for_update().filter(pk=quote.pk).first()
    if stored is None:
        raise ValidationError("That quote no longer exists.")
    check_write(actor, stored)
    if stored.status != QuoteStatus.OPEN:
        raise ValidationError({"status": f"This quote is {stored.get_status_display().lower()} already."})
    return record_save(actor=actor, instance=stored, data={"status": QuoteStatus.CANCELLED}, locked=True)


@retry_on_conflict
@service_atomic
def storefront_quote_accept(*, customer_user: CustomerUser, quote: Quote) -> Order:
    """A customer user accepts a quote made for its customer; the order is placed for them."""
    owner_customer = Quote.objects.filter(pk=quote.pk).values_list("customer_id", flat=True).first()
    if owner_customer is None or owner_customer != customer_user.customer_id:
        raise PermissionDenied("That quote is not yours.")
    actor = storefront_actor(organization_id=customer_user.organization_id)
    with change_context(actor=actor, origin=ORIGIN):
        return quote_accept(actor=actor, quote=quote, customer_user=customer_user)
