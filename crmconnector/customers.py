"""Customers of an organization's external CRM: search, view, create and edit them through its connector.

This is what the commerce customer selector calls. Values are checked per property (type, mandatory,
maximum length, regular expression, combo options) before anything is sent; the CRM's own refusals
come back as CrmValidationError with messages per property. Nothing here stores a customer's values.
"""

import dataclasses
import datetime as dt
import hashlib
import re
import time
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from crmconnector.choices import PropertyType
from crmconnector.connectors.base import (
    MAX_PAGE,
    MAX_PAGE_SIZE,
    CrmCustomer,
    CrmError,
    CrmPage,
    CrmValidationError,
)
from crmconnector.models import MAX_VALUE_LENGTH, CrmConnectorActivation, CrmConnectorConfiguration
from crmconnector.services import crm_runtime
from crmconnector.validation import MAX_CHECKED_VALUE

MAX_FILTER_CHARS = 200
MAX_REFERENCE_CHARS = 200
PHONE = re.compile(r"\+?[0-9][0-9 ()./\-]{2,30}")
TRUE_TEXTS = {"true", "1", "yes", "on"}
FALSE_TEXTS = {"false", "0", "no", "off", ""}


def crm_configuration_active(*, organization_id: int) -> CrmConnectorConfiguration | None:
    """The configuration the organization's customer selector uses, or None when the connector is off."""
    activation = (
        CrmConnectorActivation.objects.select_related("configuration")
        .filter(organization_id=organization_id, enabled=True)
        .first()
    )
    return activation.configuration if activation else None


def _clean_value(prop, raw: Any) -> Any:
    """One property's value as it is sent to the CRM; ValueError with the message for the user."""
    kind = prop.property_type
    if raw is None or raw == "":
        return None
    if kind == PropertyType.BOOLEAN:
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.strip().lower() in TRUE_TEXTS | FALSE_TEXTS:
            return raw.strip().lower() in TRUE_TEXTS
        raise ValueError("Choose yes or no.")
    if kind == PropertyType.DATE:
        if isinstance(raw, dt.date):
            return raw.isoformat()
        try:
            text = str(raw).strip()
            if len(text) != 10:
                raise ValueError
            return dt.date.fromisoformat(text).isoformat()
        except ValueError:
            raise ValueError("Enter a date as YYYY-MM-DD.")
    if isinstance(raw, bool) or not isinstance(raw, str | int | float | Decimal):
        raise ValueError("Enter a text value.")
    text = str(raw).strip()
    limit = prop.max_length or MAX_VALUE_LENGTH
    if len(text) > limit:
        raise ValueError(f"At most {limit} characters.")
    if kind == PropertyType.COMBO:
        values = [o.get("value") for o in prop.combo_options or () if isinstance(o, dict)]
        if text not in values:
            raise ValueError("Choose one of the options.")
    elif kind == PropertyType.EMAIL:
        try:
            validate_email(text)
        except ValidationError:
            raise ValueError("Enter a valid e-mail address.")
    elif kind == PropertyType.PHONE and not PHONE.fullmatch(text):
        raise ValueError("Enter a phone number (digits, spaces, + ( ) - . /).")
    if prop.validation_regex and len(text) > MAX_CHECKED_VALUE:
        raise ValueError(f"Keep it under {MAX_CHECKED_VALUE} characters.")
    if prop.validation_regex and not re.fullmatch(prop.validation_regex, text):
        raise ValueError(f"Does not have the expected form ({prop.validation_regex}).")
    if kind == PropertyType.NUMBER:
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValueError("Enter a number.")
        if not number.is_finite() or abs(number) >= Decimal(10) ** 18:
            raise ValueError("Enter a number.")
        return int(number) if number == number.to_integral_value() else float(number)
    return text


def customer_values_clean(*, properties, values: dict[str, Any], creating: bool) -> dict[str, Any]:
    """The values to send, checked per property; CrmValidationError naming each refused property.

    Only properties editable at this moment (create or edit) are taken; one that is not, or that is not a
    property at all, is refused rather than ignored, so a caller learns it sent something that is not kept.
    """
    if not isinstance(values, dict):
        raise CrmValidationError({"": ["Send the values as an object."]})
    moment = "create" if creating else "edit"
    by_field = {p.external_field: p for p in properties}
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    for field in list(values)[: len(by_field) + 10]:
        prop = by_field.get(field)
        if prop is None or not getattr(prop, f"editable_on_{moment}"):
            errors.setdefault(str(field)[:100], []).append(f"This value cannot be set on {moment}.")
    if len(values) > len(by_field) + 10:
        errors.setdefault("", []).append("Too many values.")
    for prop in properties:
        if not getattr(prop, f"editable_on_{moment}") or prop.property_type == PropertyType.STATIC_TEXT:
            continue
        present = prop.external_field in values
        try:
            value = _clean_value(prop, values.get(prop.external_field))
        except ValueError as error:
            errors.setdefault(prop.external_field, []).append(str(error))
            continue
        mandatory = getattr(prop, f"mandatory_on_{moment}")
        if mandatory and value is None and (creating or present):
            errors.setdefault(prop.external_field, []).append(f"{prop.label} is required.")
            continue
        if present or (creating and value is not None):
            cleaned[prop.external_field] = value
    if errors:
        raise CrmValidationError(errors)
    return cleaned


def _clean_reference(reference: Any) -> str:
    if not isinstance(reference, str | int) or isinstance(reference, bool):
        raise CrmValidationError({"reference": ["Give a CRM reference."]})
    text = str(reference).strip()
    if not text or len(text) > MAX_REFERENCE_CHARS or any(ord(c) < 32 for c in text):
        raise CrmValidationError({"reference": [f"A CRM reference is 1 to {MAX_REFERENCE_CHARS} characters."]})
    return text


def crm_customer_search(
    *,
    configuration: CrmConnectorConfiguration,
    filters: dict[str, str],
    page: int = 1,
    page_size: int = 20,
    started: float | None = None,
) -> CrmPage:
    """A page of the CRM's customers matching every filter (searchable properties only).

    `started` (time.monotonic()) is when the caller began: several searches for one question then share one
    timeout instead of each having its own.
    """
    started = time.monotonic() if started is None else started
    runtime = crm_runtime(configuration)
    searchable = {p.external_field for p in runtime.properties if p.searchable}
    errors: dict[str, list[str]] = {}
    cleaned = {}
    for field, value in (filters or {}).items():
        if field not in searchable:
            errors.setdefault(str(field)[:100], []).append("This is not a search filter.")
        elif not isinstance(value, str) or len(value) > MAX_FILTER_CHARS:
            errors.setdefault(field, []).append(f"Search with at most {MAX_FILTER_CHARS} characters.")
        elif value.strip():
            cleaned[field] = value.strip()
    if not isinstance(page, int) or not 1 <= page <= MAX_PAGE:
        errors.setdefault("page", []).append(f"A page from 1 to {MAX_PAGE}.")
    if not isinstance(page_size, int) or not 1 <= page_size <= MAX_PAGE_SIZE:
        errors.setdefault("page_size", []).append(f"A page size from 1 to {MAX_PAGE_SIZE}.")
    if errors:
        raise CrmValidationError(errors)
    return runtime.connector.search(filters=cleaned, page=page, page_size=page_size, started=started)


def crm_customer_get(*, configuration: CrmConnectorConfiguration, reference: str) -> CrmCustomer:
    """The CRM's customer with this reference (CrmNotFound when none)."""
    started = time.monotonic()
    return crm_runtime(configuration).connector.get(_clean_reference(reference), started=started)


def crm_customer_create(*, configuration: CrmConnectorConfiguration, values: dict[str, Any]) -> CrmCustomer:
    """Create a customer in the CRM from values checked against the create form's rules."""
    started = time.monotonic()
    runtime = crm_runtime(configuration)
    cleaned = customer_values_clean(properties=runtime.properties, values=values, creating=True)
    return runtime.connector.create(cleaned, started=started)


def crm_customer_update(
    *, configuration: CrmConnectorConfiguration, reference: str, values: dict[str, Any]
) -> CrmCustomer:
    """Change a customer in the CRM with values checked against the edit form's rules."""
    started = time.monotonic()
    runtime = crm_runtime(configuration)
    cleaned = customer_values_clean(properties=runtime.properties, values=values, creating=False)
    return runtime.connector.update(_clean_reference(reference), cleaned, started=started)


DISPLAY_NAME_CACHE_SECONDS = 60


@dataclass(frozen=True)
class CustomerSummary:
    """What documents and promotions need from a CRM customer: the only values that may be kept are the
    reference and the category keys (for promotions); the name is for display only."""

    reference: str
    display_name: str
    identifier: str
    category_keys: dict[str, Any] = dataclasses.field(default_factory=dict)


def customer_summary(*, properties, customer: CrmCustomer) -> CustomerSummary:
    """The display name (full name, else first and last name, else the reference), the identifier shown on
    documents and the category keys of a customer, from the configuration's properties."""
    values = customer.values
    by_use = {p.use_as: p.external_field for p in properties if p.use_as}

    def text(field_name: str | None) -> str:
        value = values.get(field_name) if field_name else None
        return "" if value is None else str(value).strip()

    name = text(by_use.get("full_name")) or " ".join(
        part for part in (text(by_use.get("first_name")), text(by_use.get("last_name"))) if part
    )
    identifier_field = next((p.external_field for p in properties if p.is_document_identifier), None)
    return CustomerSummary(
        reference=customer.reference,
        display_name=name or customer.reference,
        identifier=text(identifier_field) or customer.reference,
        category_keys={p.external_field: values.get(p.external_field) for p in properties if p.is_category_key},
    )


def crm_customer_display_name(*, configuration: CrmConnectorConfiguration, reference: str) -> str:
    """The customer's name for a document's header, fetched from the CRM and kept a minute in the shared cache
    (never in the database); the reference itself when the CRM cannot tell."""
    reference = _clean_reference(reference)
    key = f"crmconnector:name:{configuration.pk}.{configuration.revision}:{reference_hash_full(reference)}"
    name = cache.get(key)
    if name is not None:
        return name
    runtime = crm_runtime(configuration)
    try:
        customer = runtime.connector.get(reference)
    except CrmError:
        return reference
    name = customer_summary(properties=runtime.properties, customer=customer).display_name
    cache.set(key, name, timeout=DISPLAY_NAME_CACHE_SECONDS)
    return name


def reference_hash_full(reference: str) -> str:
    return hashlib.sha256(reference.encode()).hexdigest()
