"""Pricing an order with the promotions in force: the discount of each line, per promotion, and the total.

Promotions apply in priority order (lower first, then the oldest first). Each one that is valid at the
order's time and whose conditions hold takes its discount from what the lines it covers still cost after
the promotions before it: a percentage off each line, or a fixed amount once per order spread over those
lines in proportion (the last line takes the rounding). No line ever goes below zero. An exclusive
promotion that applies stops the ones after it.

Conditions are pluggable: `promotion_conditions` lists the kinds a promotion's `conditions` may use, each
evaluating its parameters against a `PricingContext`. The minimum subtotal and the customer group are
fields of the promotion and always hold together with them. Another app (the CRM connector) registers
kinds of its own that read `PricingContext.attributes` (the data an external CRM gave for the customer).
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q

from accounts.models import ZERO
from backoffice.money import quantize
from backoffice.registry import KeyedRegistry
from commerce.models import CommerceCustomer, Product, Promotion
from commerce.models.promotions import ConditionMatch, PromotionKind, PromotionScope

# Bounds of what a promotion holds and of what one pricing reads.
MAX_PRODUCTS = 500
MAX_CONDITIONS = 10
MAX_CONDITION_IDS = 100
# The promotions in force that one pricing considers (by priority): a bound on the work of every order.
MAX_IN_FORCE = 200
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class PricingLine:
    """One line to price: the product, its quantity and unit price, and what it costs before discounts."""

    product_id: int
    quantity: int
    unit_price: Decimal

    @property
    def amount(self) -> Decimal:
        return quantize(self.unit_price * self.quantity)


@dataclass(frozen=True)
class PricingContext:
    """What conditions read: the order's organization, currency, time, lines and customer.

    `attributes` carries what an external source said about the customer (a CRM reference, property
    values), for the condition kinds that such a source registers; the standard customers leave it empty.
    """

    organization_id: int
    currency: str
    on: datetime
    lines: tuple[PricingLine, ...]
    customer_id: int | None = None
    customer_group_id: int | None = None
    attributes: Mapping[str, object] = field(default_factory=dict)

    @property
    def subtotal(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)


@dataclass(frozen=True)
class ConditionParam:
    """One parameter of a condition kind as an editor shows it (the promotions page builds its fields from these).

    `type` is "text" (one line), "lines" (a list of texts, one a line), "ids" (a list of row ids; `picker`
    names the rows: "customer" or "group") or "choice" (one of `choices`, a list of (value, label) pairs or a
    callable taking the organization's id; a callable that gives nothing makes it a text field). `shown_for`
    names the values of the kind's `operator` parameter for which it matters (empty: always).
    """

    name: str
    label: str
    type: str = "text"
    choices: Sequence[tuple[str, str]] | Callable[[int], Sequence[tuple[str, str]]] = ()
    picker: str = ""
    required: bool = True
    max_length: int = 200
    help_text: str = ""
    shown_for: tuple[str, ...] = ()

    def choices_for(self, organization_id: int) -> list[tuple[str, str]]:
        """The choices offered to this organization's users."""
        choices = self.choices(organization_id) if callable(self.choices) else self.choices
        return list(choices or [])


@dataclass(frozen=True)
class ConditionKind:
    """A kind of promotion condition: `clean(params)` validates what a promotion stores (raising a
    ValidationError with a message) and returns it; `holds(params, context)` says whether it holds.

    `params` describes the parameters for an editor (a new kind shows there without touching the page), and
    `describe(params)` puts a stored condition in words (the label and the parameters when it is None).
    """

    key: str
    label: str
    clean: Callable[[dict], dict]
    holds: Callable[[dict, PricingContext], bool]
    params: tuple[ConditionParam, ...] = ()
    describe: Callable[[dict], str] | None = None


promotion_conditions: KeyedRegistry[ConditionKind] = KeyedRegistry("promotion condition")


def _clean_ids(params: dict) -> dict:
    ids = params.get("ids") if isinstance(params, dict) else None
    if (
        not isinstance(ids, list)
        or not 1 <= len(ids) <= MAX_CONDITION_IDS
        or not all(isinstance(i, int) and not isinstance(i, bool) and 0 < i < 2**63 for i in ids)
    ):
        raise ValidationError(f"Give 1 to {MAX_CONDITION_IDS} ids as whole numbers in `ids`.")
    return {"ids": sorted(set(ids))}


promotion_conditions.register(
    "customer",
    ConditionKind(
        key="customer",
        label="The customer is one of",
        clean=_clean_ids,
        holds=lambda params, context: context.customer_id in params["ids"],
        params=(ConditionParam("ids", "Customers", type="ids", picker="customer"),),
    ),
)
promotion_conditions.register(
    "customer_group",
    ConditionKind(
        key="customer_group",
        label="The customer's group is one of",
        clean=_clean_ids,
        holds=lambda params, context: context.customer_group_id in params["ids"],
        params=(ConditionParam("ids", "Customer groups", type="ids", picker="group"),),
    ),
)


def conditions_clean(conditions) -> list[dict]:
    """A promotion's further conditions as stored: a list of {"kind": key, "params": {...}} of registered kinds."""
    if conditions in (None, ""):
        return []
    if not isinstance(conditions, list) or len(conditions) > MAX_CONDITIONS:
        raise ValidationError({"conditions": f"Give a list of at most {MAX_CONDITIONS} conditions."})
    cleaned = []
    for index, condition in enumerate(conditions):
        kind_key = condition.get("kind") if isinstance(condition, dict) else None
        if not isinstance(kind_key, str) or kind_key not in promotion_conditions:
            known = ", ".join(sorted(promotion_conditions.items))
            raise ValidationError({"conditions": f"Condition {index + 1}: choose a kind among {known}."})
        try:
            params = promotion_conditions.get(kind_key).clean(condition.get("params") or {})
        except ValidationError as error:
            raise ValidationError({"conditions": f"Condition {index + 1}: {' '.join(error.messages)}"}) from None
        cleaned.append({"kind": kind_key, "params": params})
    return cleaned


def _conditions_hold(promotion: Promotion, context: PricingContext) -> bool:
    results = []
    for condition in promotion.conditions or []:
        kind = promotion_conditions.items.get(condition.get("kind"))
        # A kind no longer registered (its app switched off) never holds: no discount by accident.
        results.append(kind is not None and bool(kind.holds(condition.get("params") or {}, context)))
    if not results:
        return True
    return any(results) if promotion.condition_match == ConditionMatch.ANY else all(results)


def promotion_applies(promotion: Promotion, context: PricingContext) -> bool:
    """Whether a promotion holds for an order: active, valid at its time, currency, minimum, group, conditions."""
    if not promotion.active or promotion.organization_id != context.organization_id:
        return False
    if promotion.valid_from is not None and context.on < promotion.valid_from:
        return False
    if promotion.valid_to is not None and context.on > promotion.valid_to:
        return False
    needs_currency = promotion.kind == PromotionKind.FIXED_AMOUNT or promotion.minimum_subtotal is not None
    if needs_currency and promotion.currency != context.currency:
        return False
    if promotion.minimum_subtotal is not None and context.subtotal < promotion.minimum_subtotal:
        return False
    if promotion.customer_group_id is not None and promotion.customer_group_id != context.customer_group_id:
        return False
    return _conditions_hold(promotion, context)


@dataclass(frozen=True)
class LineDiscount:
    """What one promotion took off one line (by the line's position in the order)."""

    line: int
    promotion: Promotion
    amount: Decimal


@dataclass
class Pricing:
    """An order priced: its subtotal, every discount per line and promotion, the total discount."""

    lines: tuple[PricingLine, ...]
    discounts: list[LineDiscount]

    @property
    def subtotal(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)

    @property
    def discount(self) -> Decimal:
        return sum((d.amount for d in self.discounts), ZERO)

    def line_discount(self, index: int) -> Decimal:
        return sum((d.amount for d in self.discounts if d.line == index), ZERO)

    def promotions(self) -> list[tuple[Promotion, Decimal]]:
        """The promotions applied, in the order they applied, with what each took off in all."""
        totals: dict[int, tuple[Promotion, Decimal]] = {}
        for item in self.discounts:
            promotion, amount = totals.get(item.promotion.pk, (item.promotion, ZERO))
            totals[item.promotion.pk] = (promotion, amount + item.amount)
        return list(totals.values())


def in_force_at(on: datetime) -> Q:
    """Promotions active and valid at `on` (whether their other conditions hold aside)."""
    return (
        Q(active=True)
        & (Q(valid_from__isnull=True) | Q(valid_from__lte=on))
        & (Q(valid_to__isnull=True) | Q(valid_to__gte=on))
    )


def promotions_in_force(*, organization_id: int, on: datetime, product_ids, customer_group_id) -> list[Promotion]:
    """The organization's active promotions valid at `on` that could apply, by priority, with their products
    among `product_ids` (two queries, whatever the number of promotions and products)."""
    rows = (
        Promotion.objects.filter(in_force_at(on), organization_id=organization_id)
        .filter(Q(customer_group__isnull=True) | Q(customer_group_id=customer_group_id))
        .order_by("priority", "id")
        .prefetch_related(Prefetch("products", queryset=Product.objects.filter(pk__in=list(product_ids)).only("id")))
    )
    return list(rows[:MAX_IN_FORCE])


def _spread(total: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """`total` split in proportion to `weights` (cents; the last share takes what rounding left)."""
    whole = sum(weights, ZERO)
    shares, given = [], ZERO
    for position, weight in enumerate(weights):
        if position == len(weights) - 1:
            share = total - given
        else:
            share = quantize(total * weight / whole)
        shares.append(share)
        given += share
    return shares


def price_lines(context: PricingContext, promotions: list[Promotion]) -> Pricing:
    """Apply the promotions to the context's lines (no query: the promotions come with their products)."""
    remaining = [line.amount for line in context.lines]
    discounts: list[LineDiscount] = []
    for promotion in promotions:
        if not promotion_applies(promotion, context):
            continue
        if promotion.scope == PromotionScope.PRODUCTS:
            covered = {product.pk for product in promotion.products.all()}
            targets = [i for i, line in enumerate(context.lines) if line.product_id in covered and remaining[i] > 0]
        else:
            targets = [i for i in range(len(context.lines)) if remaining[i] > 0]
        if not targets:
            continue
        if promotion.kind == PromotionKind.PERCENTAGE:
            value = min(max(promotion.value, ZERO), HUNDRED)
            amounts = [min(quantize(remaining[i] * value / HUNDRED), remaining[i]) for i in targets]
        else:
            base = sum((remaining[i] for i in targets), ZERO)
            amounts = _spread(min(max(promotion.value, ZERO), base), [remaining[i] for i in targets])
        taken = False
        for i, amount in zip(targets, amounts, strict=True):
            if amount > 0:
                remaining[i] -= amount
                discounts.append(LineDiscount(line=i, promotion=promotion, amount=amount))
                taken = True
        if taken and promotion.exclusive:
            break
    return Pricing(lines=context.lines, discounts=discounts)


def order_pricing(
    *,
    organization_id: int,
    currency: str,
    on: datetime,
    lines: list[tuple[int, int, Decimal]],
    customer: CommerceCustomer | None = None,
    attributes: Mapping[str, object] | None = None,
) -> Pricing:
    """Price order lines ((product id, quantity, unit price), in order) for a customer at a time."""
    pricing_lines = tuple(
        PricingLine(product_id=product_id, quantity=quantity, unit_price=unit_price)
        for product_id, quantity, unit_price in lines
    )
    context = PricingContext(
        organization_id=organization_id,
        currency=currency,
        on=on,
        lines=pricing_lines,
        customer_id=customer.pk if customer is not None else None,
        customer_group_id=customer.group_id if customer is not None else None,
        attributes=dict(attributes or {}),
    )
    promotions = promotions_in_force(
        organization_id=organization_id,
        on=on,
        product_ids={line.product_id for line in pricing_lines},
        customer_group_id=context.customer_group_id,
    )
    return price_lines(context, promotions)


def applied_promotions_write(*, order, lines: list, pricing: Pricing) -> None:
    """Keep what each promotion took off each line of a placed order (`lines` as written, in order)."""
    from commerce.models import AppliedPromotion

    if not pricing.discounts:
        return
    AppliedPromotion.objects.bulk_create(
        [
            AppliedPromotion(
                organization_id=order.organization_id,
                order=order,
                line=lines[item.line],
                promotion=item.promotion,
                name=item.promotion.name,
                amount=item.amount,
            )
            for item in pricing.discounts
        ]
    )
