"""Writes of products and orders: placing, paying, refunding, cancelling, editing, deleting and moving them.

Each write that can change what an order counts toward the lifetime sales value locks the order's
customer, then the order, and adds the difference to the customer and its account in the same
transaction (commerce.services.lifetime).
"""

import secrets
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.utils import timezone

from accounts.models import ZERO
from backoffice.access import check_same_organization, check_write
from backoffice.changes import change_context
from backoffice.db import retry_on_conflict, service_atomic
from backoffice.models import CurrencyRate, Organization, User
from backoffice.money import quantize
from backoffice.records import record_save
from commerce.choices import OrderStatus, PaymentMethod, PaymentStatus
from commerce.models import CommerceCustomer, CustomerUser, Order, OrderLine, Payment, Product, Refund
from commerce.services.crm_attributes import crm_attributes_split, order_crm_attributes
from commerce.services.lifetime import commerce_lifetime_apply, order_lifetime_amount
from commerce.services.pricing import Pricing, applied_promotions_write, order_pricing

MAX_LINES = 200
MAX_QUANTITY = 100_000
# A bound on any one amount (unit price, order total, payment, refund): far below the columns' limit.
MAX_AMOUNT = Decimal("1000000000.00")
MAX_NUMBER_LENGTH = 32
NUMBER_TAKEN = "An order with this number exists already."

NEXT_STATUS = {
    OrderStatus.OPEN: {OrderStatus.OPEN, OrderStatus.SHIPPED, OrderStatus.CLOSED},
    OrderStatus.SHIPPED: {OrderStatus.SHIPPED, OrderStatus.CLOSED},
    OrderStatus.CLOSED: {OrderStatus.CLOSED},
    OrderStatus.CANCELLED: {OrderStatus.CANCELLED},
}


@dataclass(frozen=True)
class LineInput:
    """A wanted order line: a product and a quantity, at the product's price unless one is given."""

    product: Product
    quantity: int
    unit_price: Decimal | None = None


def _amount(value, field: str, *, positive: bool = False) -> Decimal:
    try:
        amount = quantize(Decimal(str(value)))
    except (ArithmeticError, ValueError, TypeError):
        raise ValidationError({field: "Enter an amount."}) from None
    if not amount.is_finite() or amount < 0 or (positive and amount == 0):
        raise ValidationError(
            {field: "Enter an amount greater than zero." if positive else "An amount cannot be negative."}
        )
    if amount > MAX_AMOUNT:
        raise ValidationError({field: f"An amount is at most {MAX_AMOUNT}."})
    return amount


def base_rate(*, organization: Organization, currency: str, on) -> Decimal:
    """Base-currency units per unit of `currency` on a date, from the organization's currency rates."""
    if currency == organization.base_currency:
        return Decimal(1)
    rate = (
        CurrencyRate.objects.filter(organization=organization, currency=currency, valid_from__lte=on)
        .order_by("-valid_from")
        .values_list("rate", flat=True)
        .first()
    )
    if rate is None:
        raise ValidationError(
            {
                "currency": f"No exchange rate from {currency} to {organization.base_currency} is known for {on}; "
                "an admin can add one under Currency rates."
            }
        )
    return rate


def _priced_lines(lines: list[LineInput], currency: str, organization_id: int) -> list[tuple[Product, int, Decimal]]:
    if not lines:
        raise ValidationError({"lines": "An order needs at least one line."})
    if len(lines) > MAX_LINES:
        raise ValidationError({"lines": f"An order has at most {MAX_LINES} lines."})
    priced = []
    for line in lines:
        product = line.product
        if product.organization_id != organization_id:
            raise ValidationError({"lines": "That product belongs to another organization."})
        if not isinstance(line.quantity, int) or not 1 <= line.quantity <= MAX_QUANTITY:
            raise ValidationError({"lines": f"A quantity is a whole number from 1 to {MAX_QUANTITY}."})
        if line.unit_price is None:
            if product.currency != currency:
                raise ValidationError(
                    {"lines": f"{product} is priced in {product.currency}, the order in {currency}: give its price."}
                )
            unit_price = _amount(product.unit_price, "lines")
        else:
            unit_price = _amount(line.unit_price, "lines")
        priced.append((product, line.quantity, unit_price))
    return priced


def _totals(priced, discount: Decimal) -> tuple[Decimal, Decimal]:
    subtotal = quantize(sum((unit_price * quantity for _, quantity, unit_price in priced), ZERO))
    if subtotal > MAX_AMOUNT:
        raise ValidationError({"lines": f"An order's subtotal is at most {MAX_AMOUNT}."})
    if discount > subtotal:
        raise ValidationError({"discount": "A discount cannot be more than the subtotal."})
    return subtotal, subtotal - discount


def _payment_status(total: Decimal, paid: Decimal, refunded: Decimal) -> str:
    if refunded > 0:
        return PaymentStatus.REFUNDED if refunded >= paid else PaymentStatus.PARTIALLY_REFUNDED
    if paid <= 0:
        return PaymentStatus.PENDING
    return PaymentStatus.PARTIALLY_PAID if paid < total else PaymentStatus.PAID


def _write_lines(order: Order, priced) -> list[OrderLine]:
    return OrderLine.objects.bulk_create(
        [
            OrderLine(
                organization_id=order.organization_id,
                order=order,
                product=product,
                quantity=quantity,
                unit_price=unit_price,
                amount=quantize(unit_price * quantity),
            )
            for product, quantity, unit_price in priced
        ]
    )


def _lock_order(order: Order) -> tuple[Order, CommerceCustomer]:
    """Lock the order's customer, then the order (the commerce lock order), and return both as stored."""
    customer_id = Order.objects.filter(pk=order.pk).values_list("customer_id", flat=True).first()
    if customer_id is None:
        raise ValidationError(f"Order {order} no longer exists.")
    CommerceCustomer.objects.filter(pk=customer_id).select_for_update().values_list("pk", flat=True).first()
    stored = Order.objects.select_for_update().get(pk=order.pk)
    if stored.customer_id != customer_id:
        # Moved to another customer meanwhile: that customer's lock guards the value now.
        CommerceCustomer.objects.filter(pk=stored.customer_id).select_for_update().values_list("pk", flat=True).first()
    return stored, stored.customer


def _documents_check(order: Order, *, cancelling: bool = False) -> None:
    """Refuse changing an order that a shipment or an invoice carries (commerce.services.documents)."""
    from commerce.services.documents import order_documents_check  # it builds on this module

    order_documents_check(order=order, cancelling=cancelling)


def order_lines_refusal(order: Order) -> ValidationError | None:
    """Why an order's lines and discount can no longer change, or None while they can: the order is closed,
    cancelled or refunded, or a shipment or an invoice that is not void carries it. The order form asks it to
    show the lines read-only; `order_update` raises it."""
    if order.status in (OrderStatus.CANCELLED, OrderStatus.CLOSED) or order.refunded_amount:
        return ValidationError({"lines": "Only an order that is not closed, cancelled or refunded can be edited."})
    try:
        _documents_check(order)
    except ValidationError as error:
        return error
    return None


def _apply(order: Order, before: Decimal, actor) -> None:
    after = order_lifetime_amount(order)
    if after != before:
        commerce_lifetime_apply(deltas={order.customer_id: after - before}, actor=actor)


def _save_order(actor, order: Order, data: dict) -> Order:
    return record_save(actor=actor, instance=order, data=data, locked=True)


def _refuse_taken(model, *, organization_id: int, field: str, value: str, exclude_pk=None, message: str) -> None:
    """Unique per organization: refused with a message naming the field (the database key stays the guard)."""
    taken = model.objects.filter(organization_id=organization_id, **{field: value})
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise ValidationError({field: message})


@retry_on_conflict
@service_atomic
def product_save(*, actor: User, data: dict, product: Product | None = None) -> Product:
    """Create or change a product (SKU unique in the organization, price not negative)."""
    data = dict(data)
    if "unit_price" in data:
        data["unit_price"] = _amount(data["unit_price"], "unit_price")
    if "sku" in data:
        data["sku"] = (data["sku"] or "").strip()
        _refuse_taken(
            Product,
            organization_id=actor.organization_id,
            field="sku",
            value=data["sku"],
            exclude_pk=product.pk if product else None,
            message="A product with this SKU exists already.",
        )
    return record_save(actor=actor, instance=product or Product(), data=data)


@retry_on_conflict
@service_atomic
def order_place(
    *,
    actor: User,
    customer: CommerceCustomer,
    lines: list[LineInput],
    currency: str | None = None,
    discount: Decimal = ZERO,
    customer_user: CustomerUser | None = None,
    number: str | None = None,
    placed_at: datetime | None = None,
    owner: User | None = None,
    pricing_attributes: dict | None = None,
    apply_promotions: bool = True,
) -> Order:
    """Place an order: lines priced, promotions applied, totals computed, its subtotal's base value fixed at
    today's rate. `pricing_attributes` is what promotion conditions may read about the customer beyond its row;
    of it the order keeps the CRM reference and category keys (commerce.services.crm_attributes), nothing else."""
    check_same_organization(actor, customer, customer_user)
    crm_reference, crm_category_keys = crm_attributes_split(pricing_attributes)
    if customer_user is not None and customer_user.customer_id != customer.pk:
        raise ValidationError({"customer_user": f"{customer_user} does not act for {customer}."})
    organization = Organization.objects.get(pk=actor.organization_id)
    currency = currency or (lines[0].product.currency if lines else organization.base_currency)
    priced = _priced_lines(lines, currency, actor.organization_id)
    placed_at = placed_at or timezone.now()
    pricing = (
        order_pricing(
            organization_id=actor.organization_id,
            currency=currency,
            on=placed_at,
            lines=[(product.pk, quantity, unit_price) for product, quantity, unit_price in priced],
            customer=customer,
            attributes=pricing_attributes,
        )
        if apply_promotions
        else Pricing(lines=(), discounts=[])
    )
    subtotal, total = _totals(priced, _amount(discount, "discount") + pricing.discount)
    rate = base_rate(organization=organization, currency=currency, on=timezone.localdate(placed_at))
    number = (number or "").strip() or f"SO-{placed_at:%Y%m%d}-{secrets.token_hex(4).upper()}"
    if len(number) > MAX_NUMBER_LENGTH:
        raise ValidationError({"number": f"An order number is at most {MAX_NUMBER_LENGTH} characters."})
    _refuse_taken(Order, organization_id=actor.organization_id, field="number", value=number, message=NUMBER_TAKEN)
    order = Order(
        base_rate=rate,
        base_subtotal=quantize(subtotal * rate),
        payment_status=PaymentStatus.PENDING,
    )
    order = record_save(
        actor=actor,
        instance=order,
        data={
            "number": number,
            "customer": customer,
            "customer_user": customer_user,
            "currency": currency,
            "subtotal": subtotal,
            "discount": subtotal - total,
            "total": total,
            "status": OrderStatus.OPEN,
            "placed_at": placed_at,
            "owner": owner,
            "crm_reference": crm_reference,
            "crm_category_keys": crm_category_keys,
        },
    )
    with change_context(actor=actor):
        applied_promotions_write(order=order, lines=_write_lines(order, priced), pricing=pricing)
    return order


@retry_on_conflict
@service_atomic
def order_pay(
    *, actor: User, order: Order, amount, method: str = PaymentMethod.CARD, paid_at: datetime | None = None
) -> Payment:
    """Record a payment of an order (at most what is still open); paid in full, the order counts."""
    amount = _amount(amount, "amount", positive=True)
    if method not in PaymentMethod.values:
        raise ValidationError({"method": "Choose cash, card or bank transfer."})
    order, _ = _lock_order(order)
    check_write(actor, order)
    if order.status == OrderStatus.CANCELLED:
        raise ValidationError("A cancelled order cannot be paid.")
    if order.refunded_amount:
        raise ValidationError("An order with refunds takes no more payments.")
    open_amount = order.total - order.paid_amount
    if amount > open_amount:
        raise ValidationError({"amount": f"Only {open_amount} {order.currency} of this order is still open."})
    before = order_lifetime_amount(order)
    with change_context(actor=actor):
        payment = Payment.objects.create(
            organization_id=order.organization_id,
            order=order,
            amount=amount,
            method=method,
            paid_at=paid_at or timezone.now(),
        )
    paid = order.paid_amount + amount
    order = _save_order(
        actor, order, {"paid_amount": paid, "payment_status": _payment_status(order.total, paid, order.refunded_amount)}
    )
    _apply(order, before, actor)
    return payment


@retry_on_conflict
@service_atomic
def order_refund(*, actor: User, order: Order, amount, reason: str = "") -> Refund:
    """Give back part or all of what was paid for an order paid in full; its value drops by the refund."""
    amount = _amount(amount, "amount", positive=True)
    order, _ = _lock_order(order)
    check_write(actor, order)
    if order.total == 0 or order.paid_amount < order.total:
        raise ValidationError("Only an order paid in full can be refunded.")
    refundable = order.paid_amount - order.refunded_amount
    if amount > refundable:
        raise ValidationError({"amount": f"At most {refundable} {order.currency} of this order can be refunded."})
    before = order_lifetime_amount(order)
    amount_base = min(quantize(amount * order.base_rate), order.base_subtotal - order.refunded_base)
    with change_context(actor=actor):
        refund = Refund.objects.create(
            organization_id=order.organization_id,
            order=order,
            amount=amount,
            amount_base=max(amount_base, ZERO),
            reason=(reason or "")[:255],
            refunded_at=timezone.now(),
        )
    refunded = order.refunded_amount + amount
    order = _save_order(
        actor,
        order,
        {
            "refunded_amount": refunded,
            "refunded_base": order.refunded_base + refund.amount_base,
            "payment_status": _payment_status(order.total, order.paid_amount, refunded),
        },
    )
    _apply(order, before, actor)
    return refund


@retry_on_conflict
@service_atomic
def order_cancel(*, actor: User, order: Order) -> Order:
    """Cancel an open or shipped order: it counts nothing from now on."""
    order, _ = _lock_order(order)
    check_write(actor, order)
    if order.status not in (OrderStatus.OPEN, OrderStatus.SHIPPED):
        raise ValidationError({"status": f"A {order.get_status_display().lower()} order cannot be cancelled."})
    _documents_check(order, cancelling=True)
    before = order_lifetime_amount(order)
    order = _save_order(actor, order, {"status": OrderStatus.CANCELLED})
    _apply(order, before, actor)
    return order


@retry_on_conflict
@service_atomic
def order_update(*, actor: User, order: Order, data: dict, lines: list[LineInput] | None = None) -> Order:
    """Edit an order: number, customer user, status (open -> shipped -> closed), discount and lines.

    Lines and discount change only while nothing was refunded, and never below what was paid; the
    subtotal's base value follows at the rate fixed when the order was placed.
    """
    allowed = {"number", "customer_user", "status", "discount", "version"}
    unknown = set(data) - allowed
    if unknown:
        raise ValidationError({name: "This cannot be changed here." for name in sorted(unknown)})
    order, _ = _lock_order(order)
    data = dict(data)
    if "status" in data and data["status"] not in NEXT_STATUS[OrderStatus(order.status)]:
        raise ValidationError(
            {"status": f"A {order.get_status_display().lower()} order cannot become {data['status']}."}
        )
    if data.get("customer_user") is not None and data["customer_user"].customer_id != order.customer_id:
        raise ValidationError({"customer_user": f"{data['customer_user']} does not act for {order.customer}."})
    if "number" in data:
        data["number"] = (data["number"] or "").strip()
        if not data["number"] or len(data["number"]) > MAX_NUMBER_LENGTH:
            raise ValidationError({"number": f"An order number is 1 to {MAX_NUMBER_LENGTH} characters."})
        _refuse_taken(
            Order,
            organization_id=order.organization_id,
            field="number",
            value=data["number"],
            exclude_pk=order.pk,
            message=NUMBER_TAKEN,
        )
    before = order_lifetime_amount(order)
    if lines is not None or "discount" in data:
        refusal = order_lines_refusal(order)
        if refusal is not None:
            raise refusal
        if lines is not None:
            priced = _priced_lines(lines, order.currency, order.organization_id)
        else:
            priced = [(line.product, line.quantity, line.unit_price) for line in order.lines.select_related("product")]
        discount = _amount(data.get("discount", order.discount), "discount")
        pricing = None
        if lines is not None:
            # New lines are priced again: the promotions of the old ones leave the discount, those in force
            # when the order was placed for the new ones join it (the rest of the discount was given by hand).
            promoted = order.applied_promotions.aggregate(total=Sum("amount"))["total"] or ZERO
            pricing = order_pricing(
                organization_id=order.organization_id,
                currency=order.currency,
                on=order.placed_at,
                lines=[(product.pk, quantity, unit_price) for product, quantity, unit_price in priced],
                customer=CommerceCustomer.objects.get(pk=order.customer_id),
                # What the CRM said when the customer was chosen, as the order kept it: no CRM call.
                attributes=order_crm_attributes(order),
            )
            discount = max(discount - promoted, ZERO) + pricing.discount
        subtotal, total = _totals(priced, discount)
        if total < order.paid_amount:
            raise ValidationError(
                {"lines": f"{order.paid_amount} {order.currency} was paid: the total cannot be less."}
            )
        data.update(
            subtotal=subtotal,
            discount=discount,
            total=total,
            base_subtotal=quantize(subtotal * order.base_rate),
            payment_status=_payment_status(total, order.paid_amount, order.refunded_amount),
        )
        if lines is not None:
            with change_context(actor=actor):
                OrderLine.objects.filter(order=order).delete()
                applied_promotions_write(order=order, lines=_write_lines(order, priced), pricing=pricing)
    order = _save_order(actor, order, data)
    _apply(order, before, actor)
    return order


@retry_on_conflict
@service_atomic
def order_delete(*, actor: User, order: Order) -> None:
    """Delete an order with its lines, payments and refunds; what it counted leaves its customer and account."""
    order, _ = _lock_order(order)
    check_write(actor, order)
    _documents_check(order)
    before = order_lifetime_amount(order)
    with change_context(actor=actor):
        order.delete()
    if before:
        commerce_lifetime_apply(deltas={order.customer_id: -before}, actor=actor)


@retry_on_conflict
@service_atomic
def order_move_customer(*, actor: User, order: Order, customer: CommerceCustomer) -> Order:
    """Move an order to another customer: what it counts leaves one customer (and account) for the other."""
    check_same_organization(actor, customer)
    old_customer_id = Order.objects.filter(pk=order.pk).values_list("customer_id", flat=True).first()
    if old_customer_id is None:
        raise ValidationError(f"Order {order} no longer exists.")
    ids = sorted({old_customer_id, customer.pk})
    list(CommerceCustomer.objects.filter(pk__in=ids).order_by("pk").select_for_update().values_list("pk", flat=True))
    order = Order.objects.select_for_update().get(pk=order.pk)
    check_write(actor, order)
    if order.customer_id == customer.pk:
        return order
    _documents_check(order)
    if order.customer_id != old_customer_id:
        list(CommerceCustomer.objects.filter(pk=order.customer_id).select_for_update().values_list("pk", flat=True))
    amount = order_lifetime_amount(order)
    moved_from = order.customer_id
    data = {"customer": customer}
    if order.customer_user_id is not None:
        data["customer_user"] = None  # the user acts for the old customer, not the new one
    order = _save_order(actor, order, data)
    if amount:
        commerce_lifetime_apply(deltas={moved_from: -amount, customer.pk: amount}, actor=actor)
    return order
