"""Promotion conditions on what an external CRM says about the customer: its CRM reference, and the values of
its category-key properties (a discount for customers whose category is VIP).

They read `PricingContext.attributes`, which the CRM-backed customer selector fills when a customer is chosen
and the order keeps, so that a price is computed again without asking the CRM:

    {"crm_reference": "<reference>", "crm": {"<external field>": <value>, ...}}

A key that is missing (no CRM customer, a property the CRM did not return) means the condition does not hold.
Comparisons: `equals`, `one of` and `contains` ignore case and surrounding spaces; when both sides read as
numbers, `equals` and `one of` compare them as numbers ("10" equals "10.0"); `contains` on a list value
means one of its items equals the value; `at least` and `at most` compare numbers (Decimal) and never hold
for a value that is not one; `is true` holds for true, "true", "yes", "on" and 1.
"""

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError

from commerce.services.pricing import (
    MAX_CONDITION_IDS,
    ConditionKind,
    ConditionParam,
    PricingContext,
    promotion_conditions,
)

CRM_REFERENCE = "crm_reference"
CRM_PROPERTY = "crm_property"
MAX_TEXT_LENGTH = 200
MAX_VALUES = MAX_CONDITION_IDS
MAX_NUMBER_LENGTH = 40
# What one comparison reads of a value the CRM gave: its first items and characters (a bound on pricing's work).
MAX_COMPARED_ITEMS = 100
MAX_COMPARED_LENGTH = 2000
MAX_CATEGORY_KEYS = 100
TRUE_TEXTS = frozenset({"true", "yes", "on", "1"})

OPERATORS = (
    ("equals", "equals"),
    ("one_of", "is one of"),
    ("contains", "contains"),
    ("at_least", "is at least"),
    ("at_most", "is at most"),
    ("is_true", "is true"),
)
OPERATOR_LABELS = dict(OPERATORS)
TEXT_OPERATORS = ("equals", "contains")
NUMBER_OPERATORS = ("at_least", "at_most")


def _text(value, what: str) -> str:
    """A bounded, non-empty line of text from what a promotion stores (a number is taken as its text)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise ValidationError(f"Give {what} as text.")
    text = str(value).strip()
    if not text:
        raise ValidationError(f"Give {what}.")
    if len(text) > MAX_TEXT_LENGTH or any(ord(char) < 32 for char in text):
        raise ValidationError(f"Give {what} on one line of at most {MAX_TEXT_LENGTH} characters.")
    return text


def _texts(values, what: str) -> list[str]:
    """1 to MAX_VALUES distinct texts, in the order given."""
    if not isinstance(values, list) or not 1 <= len(values) <= MAX_VALUES:
        raise ValidationError(f"Give 1 to {MAX_VALUES} {what}.")
    cleaned: list[str] = []
    for value in values:
        text = _text(value, what)
        if text not in cleaned:
            cleaned.append(text)
    return cleaned


def _number(value) -> Decimal | None:
    """A value read as a finite number, or None (booleans, texts that are no number, lists...)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal | str):
        text = str(value).strip()
        if not text or len(text) > MAX_NUMBER_LENGTH:
            return None
        try:
            number = Decimal(text)
        except InvalidOperation:
            return None
        return number if number.is_finite() else None
    return None


def _scalar_text(value) -> str | None:
    """A CRM value as text to compare (None for lists, objects and nothing)."""
    if value is None or isinstance(value, Mapping | list | tuple):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)[:MAX_COMPARED_LENGTH]


def _equals(actual, expected: str) -> bool:
    text = _scalar_text(actual)
    if text is None:
        return False
    left, right = _number(text), _number(expected)
    if left is not None and right is not None:
        return left == right
    return text.strip().casefold() == expected.strip().casefold()


def _is_true(value) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.strip().casefold() in TRUE_TEXTS
    number = _number(value)
    return number is not None and number == 1


def _crm_values(context: PricingContext) -> Mapping:
    values = context.attributes.get("crm")
    return values if isinstance(values, Mapping) else {}


# --- the CRM reference ---------------------------------------------------------------------------------------


def reference_clean(params: dict) -> dict:
    """{"references": [...]}: 1 to MAX_VALUES references of at most MAX_TEXT_LENGTH characters."""
    references = params.get("references") if isinstance(params, dict) else None
    return {"references": _texts(references, "CRM references")}


def reference_holds(params: dict, context: PricingContext) -> bool:
    reference = context.attributes.get("crm_reference")
    if isinstance(reference, int) and not isinstance(reference, bool):
        reference = str(reference)
    return isinstance(reference, str) and reference.strip() in params["references"]


def reference_describe(params: dict) -> str:
    return "The customer's CRM reference is one of: " + ", ".join(params["references"])


# --- a category-key property ---------------------------------------------------------------------------------


def property_clean(params: dict) -> dict:
    """{"field", "operator", "value" | "values"}: the value a text for equals and contains, a number for at
    least and at most, a list for one of; is true takes none."""
    if not isinstance(params, dict):
        raise ValidationError("Give the CRM property, the operator and the value.")
    field = _text(params.get("field"), "the CRM property (its external field)")
    operator = params.get("operator")
    if operator not in OPERATOR_LABELS:
        raise ValidationError("Choose an operator among " + ", ".join(OPERATOR_LABELS) + ".")
    cleaned = {"field": field, "operator": operator}
    if operator == "one_of":
        cleaned["values"] = _texts(params.get("values"), "values to compare with")
    elif operator in TEXT_OPERATORS:
        cleaned["value"] = _text(params.get("value"), "the value to compare with")
    elif operator in NUMBER_OPERATORS:
        number = _number(params.get("value"))
        if number is None:
            raise ValidationError(f"Give a number of at most {MAX_NUMBER_LENGTH} characters to compare with.")
        cleaned["value"] = str(number)
    return cleaned


def property_holds(params: dict, context: PricingContext) -> bool:
    values = _crm_values(context)
    if params["field"] not in values:
        return False
    actual = values[params["field"]]
    operator = params["operator"]
    if actual is None:
        return False
    if operator == "is_true":
        return _is_true(actual)
    if operator in NUMBER_OPERATORS:
        number = _number(actual)
        if number is None:
            return False
        limit = Decimal(params["value"])
        return number >= limit if operator == "at_least" else number <= limit
    if operator == "one_of":
        return any(_equals(actual, value) for value in params["values"])
    if operator == "contains":
        if isinstance(actual, list | tuple):
            return any(_equals(item, params["value"]) for item in actual[:MAX_COMPARED_ITEMS])
        text = _scalar_text(actual)
        return text is not None and params["value"].strip().casefold() in text.casefold()
    return _equals(actual, params["value"])


def property_describe(params: dict) -> str:
    words = f"The CRM property “{params['field']}” {OPERATOR_LABELS[params['operator']]}"
    if params["operator"] == "one_of":
        return words + " " + ", ".join(f"“{value}”" for value in params["values"])
    if "value" in params:
        return f"{words} “{params['value']}”"
    return words


def category_key_choices(organization_id: int) -> list[tuple[str, str]]:
    """The category-key properties of the organization's active CRM connector configuration (none when off)."""
    from crmconnector.customers import crm_configuration_active

    configuration = crm_configuration_active(organization_id=organization_id)
    if configuration is None:
        return []
    rows = configuration.properties.filter(is_category_key=True).order_by("label", "id")[:MAX_CATEGORY_KEYS]
    return [(row.external_field, f"{row.label} ({row.external_field})") for row in rows]


def register_crm_conditions() -> None:
    """Register the CRM condition kinds (once, from commerce's AppConfig.ready)."""
    promotion_conditions.register(
        CRM_REFERENCE,
        ConditionKind(
            key=CRM_REFERENCE,
            label="The customer's CRM reference is one of",
            clean=reference_clean,
            holds=reference_holds,
            params=(
                ConditionParam(
                    "references",
                    "CRM references",
                    type="lines",
                    max_length=MAX_TEXT_LENGTH,
                    help_text=f"One a line, at most {MAX_VALUES}.",
                ),
            ),
            describe=reference_describe,
        ),
    )
    promotion_conditions.register(
        CRM_PROPERTY,
        ConditionKind(
            key=CRM_PROPERTY,
            label="A CRM property of the customer",
            clean=property_clean,
            holds=property_holds,
            params=(
                ConditionParam(
                    "field",
                    "CRM property",
                    type="choice",
                    choices=category_key_choices,
                    help_text="A category key of the active CRM connector configuration (its external field).",
                ),
                ConditionParam("operator", "Operator", type="choice", choices=OPERATORS),
                ConditionParam(
                    "value",
                    "Value",
                    required=False,
                    shown_for=TEXT_OPERATORS + NUMBER_OPERATORS,
                    help_text="Text is compared ignoring case; at least and at most compare numbers.",
                ),
                ConditionParam(
                    "values",
                    "Values",
                    type="lines",
                    required=False,
                    shown_for=("one_of",),
                    help_text=f"One a line, at most {MAX_VALUES}.",
                ),
            ),
            describe=property_describe,
        ),
    )
