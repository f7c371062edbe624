from django.db import models


class PropertyType(models.TextChoices):
    """How a CRM property's value is typed, edited and checked."""

    TEXT = "text", "Text"
    NUMBER = "number", "Number"
    DATE = "date", "Date"
    BOOLEAN = "boolean", "Yes/No"
    COMBO = "combo", "Combo (list of options)"
    EMAIL = "email", "E-mail"
    PHONE = "phone", "Phone"
    STATIC_TEXT = "static", "Static text"


class UseAs(models.TextChoices):
    """What a property means to the rest of the product (each meaning at most once per configuration)."""

    FIRST_NAME = "first_name", "First name"
    LAST_NAME = "last_name", "Last name"
    FULL_NAME = "full_name", "Full name"
    EMAIL = "email", "E-mail"
    PHONE = "phone", "Phone"
    BIRTHDAY = "birthday", "Birthday"
    TAX_ID = "tax_id", "Tax id"
    COMPANY = "company", "Company"
    CATEGORY = "category", "Category"


# The types a meaning may have: a birthday is a date, an e-mail an e-mail (or plain text), ...
USE_AS_TYPES: dict[str, frozenset[str]] = {
    UseAs.FIRST_NAME: frozenset({PropertyType.TEXT}),
    UseAs.LAST_NAME: frozenset({PropertyType.TEXT}),
    UseAs.FULL_NAME: frozenset({PropertyType.TEXT}),
    UseAs.EMAIL: frozenset({PropertyType.EMAIL, PropertyType.TEXT}),
    UseAs.PHONE: frozenset({PropertyType.PHONE, PropertyType.TEXT}),
    UseAs.BIRTHDAY: frozenset({PropertyType.DATE}),
    UseAs.TAX_ID: frozenset({PropertyType.TEXT, PropertyType.NUMBER}),
    UseAs.COMPANY: frozenset({PropertyType.TEXT}),
    UseAs.CATEGORY: frozenset({PropertyType.TEXT, PropertyType.COMBO}),
}

# Types whose values are free text: a regular expression and a maximum length apply to them.
FREE_TEXT_TYPES = frozenset({PropertyType.TEXT, PropertyType.EMAIL, PropertyType.PHONE, PropertyType.NUMBER})
# Types a promotion can compare (the category key kept on orders).
CATEGORY_KEY_TYPES = frozenset({PropertyType.TEXT, PropertyType.COMBO, PropertyType.BOOLEAN, PropertyType.NUMBER})
# Types a CRM reference can have.
REFERENCE_TYPES = frozenset({PropertyType.TEXT, PropertyType.NUMBER})
