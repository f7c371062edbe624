"""The POS: price a basket for a customer as it is being rung up, and complete a sale in one transaction.

A sale is an order placed for the customer the selector chose, paid in full by cash or card. The page sends
an idempotency key with it: the same key again (a button pressed twice, a retry after a lost answer, two
requests at once) gives back the order the first one made and never makes a second.
"""

import uuid
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import ZERO
from backoffice.db import retry_on_conflict, service_atomic
from backoffice.models import User
from commerce.api.selectors import product_list
from commerce.choices import PaymentMethod
from commerce.models import Order, PosSale, Product
from commerce.selector import OrderCustomer, customer_selector_for
from commerce.services.anonymous import anonymous_customer_get
from commerce.services.orders import MAX_LINES, MAX_QUANTITY, LineInput, order_pay, order_place
from commerce.services.pricing import Pricing, order_pricing

POS_METHODS = (PaymentMethod.CASH, PaymentMethod.CARD)


@dataclass(frozen=True)
class BasketLine:
    """A product and a quantity as the POS sends them."""

    product_id: int
    quantity: int


@dataclass
class BasketPrice:
    """A basket priced for a customer: its products (in the basket's order) and the pricing."""

    currency: str
    products: list[Product]
    quantities: list[int]
    pricing: Pricing


def _products(actor: User, lines: list[BasketLine]) -> list[Product]:
    if not actor.organization_id:
        raise PermissionDenied("The POS sells for an organization; this user belongs to none.")
    if len(lines) > MAX_LINES:
        raise ValidationError({"lines": f"A sale has at most {MAX_LINES} lines."})
    for line in lines:
        if not 1 <= line.quantity <= MAX_QUANTITY:
            raise ValidationError({"lines": f"A quantity is a whole number from 1 to {MAX_QUANTITY}."})
    found = {p.pk: p for p in product_list(actor=actor).filter(pk__in=[line.product_id for line in lines])}
    products = []
    for line in lines:
        product = found.get(line.product_id)
        if product is None:
            raise ValidationError({"lines": "Choose products of your organization."})
        if not product.active:
            raise ValidationError({"lines": f"{product} is no longer sold."})
        products.append(product)
    currencies = {product.currency for product in products}
    if len(currencies) > 1:
        raise ValidationError(
            {"lines": f"A sale is in one currency; these products are in {', '.join(sorted(currencies))}."}
        )
    return products


def pos_basket_price(*, actor: User, lines: list[BasketLine], reference: str | None = None) -> BasketPrice:
    """The basket priced now for the chosen customer (or none yet): every promotion per line and on the total."""
    products = _products(actor, lines)
    customer, attributes = None, {}
    if reference:
        chosen = customer_selector_for(actor=actor).order_customer(actor=actor, reference=reference)
        customer, attributes = chosen.customer, chosen.attributes
    currency = products[0].currency if products else ""
    pricing = order_pricing(
        organization_id=actor.organization_id,
        currency=currency,
        on=timezone.now(),
        lines=[(p.pk, line.quantity, p.unit_price) for p, line in zip(products, lines, strict=True)],
        customer=customer,
        attributes=attributes,
    )
    return BasketPrice(
        currency=currency, products=products, quantities=[line.quantity for line in lines], pricing=pricing
    )


def _existing(actor: User, key: uuid.UUID) -> Order | None:
    sale = PosSale.objects.filter(organization_id=actor.organization_id, idempotency_key=key).select_related("order")
    sale = sale.first()
    return sale.order if sale is not None else None


def _chosen(actor: User, reference: str | None) -> OrderCustomer:
    """What the sale is placed on: the selector's customer, or the anonymous customer when none is named."""
    if reference is None:
        return OrderCustomer(customer=anonymous_customer_get(actor=actor), attributes={})
    return customer_selector_for(actor=actor).order_customer(actor=actor, reference=reference)


@service_atomic
def _complete(*, actor: User, key: uuid.UUID, chosen: OrderCustomer, lines: list[BasketLine], method: str) -> Order:
    # The key is claimed first: a second request with it waits here until the first commits, then fails
    # on the unique key and reads the first one's order.
    sale = PosSale.objects.create(organization_id=actor.organization_id, idempotency_key=key, cashier=actor)
    products = _products(actor, lines)
    if not products:
        raise ValidationError({"lines": "Add at least one product."})
    order = order_place(
        actor=actor,
        customer=chosen.customer,
        lines=[LineInput(product=p, quantity=line.quantity) for p, line in zip(products, lines, strict=True)],
        pricing_attributes=chosen.attributes,
    )
    if order.total <= ZERO:
        raise ValidationError({"lines": "Nothing is left to pay: a sale needs a total above zero."})
    order_pay(actor=actor, order=order, amount=order.total, method=method)
    PosSale.objects.filter(pk=sale.pk).update(order=order)
    return order


@retry_on_conflict
def pos_sale_complete(
    *,
    actor: User,
    idempotency_key: uuid.UUID,
    reference: str | None,
    lines: list[BasketLine],
    method: str,
    anonymous: bool = False,
) -> tuple[Order, bool]:
    """Place and pay in full a sale, or give back the order an earlier request with the same key made.

    `anonymous` sells to the organization's anonymous customer (no reference: when the CRM cannot be reached,
    selling goes on; the order can be given its CRM reference later). Returns the order and whether this call
    made it (False: a repeat of a completed sale).
    """
    if not actor.organization_id:
        raise PermissionDenied("The POS sells for an organization; this user belongs to none.")
    if method not in POS_METHODS:
        raise ValidationError({"payment_method": "Choose cash or card."})
    if anonymous and reference:
        raise ValidationError({"customer": "Name a customer or sell to the anonymous customer, not both."})
    if not anonymous and not reference:
        raise ValidationError({"customer": "Choose a customer."})
    reference = None if anonymous else reference
    existing = _existing(actor, idempotency_key)
    if existing is not None:
        return existing, False
    # Where the customer lives (an external CRM) is asked before the transaction: no lock waits on its answer.
    chosen = _chosen(actor, reference)
    try:
        with transaction.atomic():
            order = _complete(actor=actor, key=idempotency_key, chosen=chosen, lines=lines, method=method)
    except IntegrityError:
        existing = _existing(actor, idempotency_key)
        if existing is None:
            raise
        return existing, False
    return Order.objects.get(pk=order.pk), True
