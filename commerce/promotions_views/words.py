"""A promotion put in words for its page: what it gives, on what, and its conditions as a person reads them."""

from decimal import Decimal

from backoffice.models import User
from commerce.models import Promotion
from commerce.models.promotions import PromotionKind, PromotionScope
from commerce.promotions_views.conditions import PICKER_ROWS
from commerce.services.pricing import promotion_conditions


def _number(value: Decimal) -> str:
    text = f"{value:.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def promotion_gives(promotion: Promotion) -> str:
    """ "10 % off every line of the order", "5.00 USD off the order, spread over its lines"..."""
    products = promotion.scope == PromotionScope.PRODUCTS
    if promotion.kind == PromotionKind.PERCENTAGE:
        amount = f"{_number(promotion.value)} % off"
        where = "the lines of the chosen products" if products else "every line of the order"
        return f"{amount} {where}"
    amount = f"{promotion.value:.2f} {promotion.currency} off"
    if products:
        return f"{amount} the lines of the chosen products, once per order"
    return f"{amount} the order, spread over its lines"


def _ids_in_words(actor: User, picker: str, ids) -> str:
    rows = PICKER_ROWS.get(picker)
    if rows is None or not isinstance(ids, list):
        return ", ".join(f"#{pk}" for pk in ids or [])
    names = dict(rows(actor=actor).filter(pk__in=[pk for pk in ids if isinstance(pk, int)]).values_list("pk", "name"))
    return ", ".join(names.get(pk, f"#{pk} (deleted)") for pk in ids)


def conditions_in_words(*, actor: User, conditions: list) -> list[str]:
    """Each stored condition in words (a query per condition naming rows, at most MAX_CONDITIONS)."""
    described = []
    for condition in conditions or []:
        key = condition.get("kind") if isinstance(condition, dict) else None
        kind = promotion_conditions.items.get(key)
        if kind is None:
            described.append(f"A condition of a kind no longer available ({key}): it never holds.")
            continue
        params = condition.get("params") or {}
        try:
            if kind.describe is not None:
                described.append(kind.describe(params))
                continue
            parts = []
            for param in kind.params:
                value = params.get(param.name)
                if value is None:
                    continue
                if param.type == "ids":
                    value = _ids_in_words(actor, param.picker, value)
                elif isinstance(value, list):
                    value = ", ".join(str(item) for item in value)
                parts.append(f"{value}" if len(kind.params) == 1 else f"{param.label.lower()} {value}")
            described.append(f"{kind.label}: {'; '.join(parts)}" if parts else kind.label)
        except (KeyError, TypeError, ValueError):
            described.append(f"{kind.label} (its stored parameters cannot be read)")
    return described
