"""What an order keeps of a customer of an external CRM: its reference and the category keys promotions read.

The selector gives them as `OrderCustomer.attributes` in this shape (commerce.selector_crm), promotion
conditions read the same shape from `PricingContext.attributes`, and an order stores exactly these two:
    {"crm_reference": "<reference>", "crm": {<external field>: <value>, ...category-key properties only}}
"""

import math

from django.core.exceptions import ValidationError

CRM_REFERENCE = "crm_reference"
CRM_VALUES = "crm"
MAX_REFERENCE_LENGTH = 255
MAX_CATEGORY_KEYS = 100
MAX_KEY_LENGTH = 200
MAX_VALUE_LENGTH = 1000
MAX_LIST_ITEMS = 100


def crm_reference_clean(reference, field: str = "crm_reference") -> str:
    """A CRM reference as an order keeps it: 1 to 255 printable characters."""
    if not isinstance(reference, str | int) or isinstance(reference, bool):
        raise ValidationError({field: "Give a CRM reference."})
    text = str(reference).strip()
    if not text:
        raise ValidationError({field: "Give a CRM reference."})
    if len(text) > MAX_REFERENCE_LENGTH or any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise ValidationError({field: f"A CRM reference is at most {MAX_REFERENCE_LENGTH} printable characters."})
    return text


def _plain(value):
    """A value as an order keeps it: text (cut to its bound), a finite number, yes/no, or none; anything else,
    which no condition could compare, is kept as none rather than refusing the sale."""
    if isinstance(value, str):
        return value[:MAX_VALUE_LENGTH]
    if isinstance(value, float) and not math.isfinite(value):  # NaN and infinities cannot be stored as JSON
        return None
    if isinstance(value, bool | int | float):
        return value
    return None


def crm_category_keys_clean(keys) -> dict:
    """Category keys as an order keeps them: a small object of plain values or short lists of them (tags).

    The selector gives the attributes of a sale through this too, so the price shown, the price of the sale and
    a re-price of the order later all read the same values."""
    if keys is None:
        return {}
    if not isinstance(keys, dict) or len(keys) > MAX_CATEGORY_KEYS:
        raise ValidationError({"crm": f"The CRM category keys are an object of at most {MAX_CATEGORY_KEYS} values."})
    cleaned = {}
    for key, value in keys.items():
        if not isinstance(key, str) or not key or len(key) > MAX_KEY_LENGTH:
            raise ValidationError({"crm": "A CRM category key is named by a property's external field."})
        if isinstance(value, list | tuple):
            cleaned[key] = [_plain(item) for item in value[:MAX_LIST_ITEMS]]
        else:
            cleaned[key] = _plain(value)
    return cleaned


def crm_attributes_split(attributes) -> tuple[str, dict]:
    """(reference, category keys) from pricing attributes; ("", {}) when they name no CRM customer."""
    attributes = attributes or {}
    reference = attributes.get(CRM_REFERENCE)
    if reference in (None, ""):
        return "", {}
    return crm_reference_clean(reference), crm_category_keys_clean(attributes.get(CRM_VALUES))


def order_crm_attributes(order) -> dict:
    """The pricing attributes of an order sold to a CRM customer, from what it stored (no CRM call)."""
    if not order.crm_reference:
        return {}
    return {CRM_REFERENCE: order.crm_reference, CRM_VALUES: dict(order.crm_category_keys or {})}
