"""CRM connector configurations, their properties, and which one an organization uses.

Nothing here holds a customer's data: only how to reach a CRM and how its customers' fields are shown
and checked. The credentials are encrypted at rest (backoffice.secrets) and never shown again.

The three are business rows (versions, change log): who changed a configuration, a property or the
activation, when and from where is on the change log. The credentials are not: their column is kept out
of the log, and a change of them is logged as "Credentials: set / removed", never with a value.
"""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from backoffice.models import Organization, OrganizationModel
from backoffice.secrets import SecretUnreadable, secret_decrypt, secret_encrypt
from crmconnector.choices import (
    CATEGORY_KEY_TYPES,
    FREE_TEXT_TYPES,
    REFERENCE_TYPES,
    USE_AS_TYPES,
    PropertyType,
    UseAs,
)
from crmconnector.validation import EXTERNAL_FIELD, combo_options_problems, regex_problem

MIN_TIMEOUT_SECONDS = 1
MAX_TIMEOUT_SECONDS = 60
MAX_OPTIONS_CHARS = 20_000
MAX_VALUE_LENGTH = 10_000
MAX_PROPERTIES = 100


# What the change log says of credentials (their value, even encrypted, never goes there).
CREDENTIALS_CHANGE = "credentials"
CREDENTIALS_SET = "set"
CREDENTIALS_REPLACED = "replaced"
CREDENTIALS_NONE = "none"


class CrmConnectorConfiguration(OrganizationModel):
    """A named way of reaching one CRM: connector, address, credentials, timeout, options and properties."""

    # The encrypted secret never reaches the change log; the revision is bookkeeping (it moves on every save).
    derived_fields = ("secret_encrypted", "revision")

    name = models.CharField(max_length=100)
    connector = models.CharField(
        "connector implementation", max_length=50, help_text="One of the registered connectors."
    )
    base_url = models.URLField(
        "base URL", max_length=500, help_text="The CRM's address, such as https://crm.example.com"
    )
    username = models.CharField(max_length=200, blank=True, help_text="For Basic authentication or an API user.")
    secret_encrypted = models.TextField(blank=True, editable=False)
    timeout_seconds = models.PositiveSmallIntegerField(
        "timeout (seconds)",
        default=5,
        validators=[MinValueValidator(MIN_TIMEOUT_SECONDS), MaxValueValidator(MAX_TIMEOUT_SECONDS)],
        help_text=f"Each call to the CRM waits at most this long ({MIN_TIMEOUT_SECONDS} to {MAX_TIMEOUT_SECONDS}).",
    )
    options = models.JSONField(default=dict, blank=True, help_text="The connector's own options (JSON object).")
    # Moves on every save: a connector built from an older revision is rebuilt, and its circuit starts closed.
    revision = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="crmconnector_config_unique_name"),
            models.CheckConstraint(
                condition=Q(timeout_seconds__gte=MIN_TIMEOUT_SECONDS) & Q(timeout_seconds__lte=MAX_TIMEOUT_SECONDS),
                name="crmconnector_config_timeout_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def connector_label(self) -> str:
        """The connector's label, or its key when it is no longer installed."""
        from crmconnector.connectors.registry import connector_registry

        return connector_registry.get(self.connector).label if self.connector in connector_registry else self.connector

    @property
    def has_secret(self) -> bool:
        return bool(self.secret_encrypted)

    def set_secret(self, raw: str) -> None:
        """Keep a new API key, password or header value (encrypted); "" forgets it."""
        self.secret_encrypted = secret_encrypt(raw) if raw else ""

    def get_secret(self) -> str:
        """The secret in clear, for the connector only ("" when none or no longer readable)."""
        if not self.secret_encrypted:
            return ""
        try:
            return secret_decrypt(self.secret_encrypted)
        except SecretUnreadable:
            return ""

    def clean(self) -> None:
        from crmconnector.connectors.registry import connector_registry

        errors: dict[str, list[str]] = {}
        if self.connector and self.connector not in connector_registry:
            errors["connector"] = [f"No connector {self.connector[:50]!r} is installed."]
        if self.base_url and not self.base_url.lower().startswith(("http://", "https://")):
            errors["base_url"] = ["The base URL starts with http:// or https://."]
        if not isinstance(self.options, dict):
            errors["options"] = ["The options are a JSON object ({...})."]
        elif len(str(self.options)) > MAX_OPTIONS_CHARS:
            errors["options"] = [f"The options are limited to {MAX_OPTIONS_CHARS} characters."]
        elif self.connector in connector_registry and "connector" not in errors:
            problems = connector_registry.get(self.connector).validate_options(self.options)
            messages = [f"{key}: {m}" if key else m for key, items in problems.items() for m in items]
            if messages:
                errors["options"] = messages
        if errors:
            raise ValidationError(errors)


class CrmConnectorProperty(OrganizationModel):
    """One field of the CRM's customers: where it is, how it is shown, edited, searched and checked.

    Its organization is its configuration's (kept on the row for the change log).
    """

    configuration = models.ForeignKey(CrmConnectorConfiguration, on_delete=models.CASCADE, related_name="properties")
    external_field = models.CharField(
        max_length=200, help_text="The field's key or dotted path in the CRM's data, such as email or contact.email."
    )
    label = models.CharField(max_length=100)
    property_type = models.CharField("type", max_length=10, choices=PropertyType.choices, default=PropertyType.TEXT)
    combo_options = models.JSONField(default=list, blank=True, help_text="Value, label, order and default of each.")
    list_position = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(999)])
    list_column_span = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    detail_position = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(999)])
    detail_column_span = models.PositiveSmallIntegerField(
        default=6, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    show_in_list = models.BooleanField("shown in the result list", default=True)
    show_in_detail = models.BooleanField("shown in the detail view", default=True)
    show_in_create = models.BooleanField("shown in the create form", default=True)
    show_in_edit = models.BooleanField("shown in the edit form", default=True)
    mandatory_on_create = models.BooleanField("mandatory on create", default=False)
    mandatory_on_edit = models.BooleanField("mandatory on edit", default=False)
    editable_on_create = models.BooleanField("editable on create", default=True)
    editable_on_edit = models.BooleanField("editable on edit", default=True)
    searchable = models.BooleanField(default=False, help_text="Becomes a search filter of the customer selector.")
    is_reference = models.BooleanField("reference key", default=False)
    is_document_identifier = models.BooleanField("identifier shown on documents", default=False)
    is_category_key = models.BooleanField("category key for promotions", default=False)
    use_as = models.CharField("use as", max_length=20, choices=UseAs.choices, blank=True)
    validation_regex = models.CharField("validation (regular expression)", max_length=200, blank=True)
    max_length = models.PositiveIntegerField(
        "maximum length", null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(MAX_VALUE_LENGTH)]
    )

    class Meta:
        ordering = ["detail_position", "id"]
        verbose_name_plural = "CRM connector properties"
        constraints = [
            models.UniqueConstraint(fields=["configuration", "external_field"], name="crmconnector_property_field"),
            models.UniqueConstraint(
                fields=["configuration"], condition=Q(is_reference=True), name="crmconnector_one_reference"
            ),
            models.UniqueConstraint(
                fields=["configuration"], condition=Q(is_document_identifier=True), name="crmconnector_one_identifier"
            ),
            models.UniqueConstraint(
                fields=["configuration", "use_as"], condition=~Q(use_as=""), name="crmconnector_use_as_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.external_field})"

    def save(self, *args, **kwargs):
        if self.organization_id is None and self.configuration_id is not None:
            self.organization_id = self.configuration.organization_id
        super().save(*args, **kwargs)

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}

        def add(field: str, message: str) -> None:
            errors.setdefault(field, []).append(message)

        kind = self.property_type
        if self.external_field and not EXTERNAL_FIELD.fullmatch(self.external_field):
            add(
                "external_field", "Use letters, digits, _ and -, with dots between the steps of a path (contact.email)."
            )
        if kind == PropertyType.STATIC_TEXT:
            for name in ("searchable", "is_reference", "is_category_key", "is_document_identifier"):
                if getattr(self, name):
                    add(name, "A static text has no value: it cannot be searched, a reference or a key.")
            for name in ("mandatory_on_create", "mandatory_on_edit", "editable_on_create", "editable_on_edit"):
                if getattr(self, name):
                    add(name, "A static text is only shown: it cannot be mandatory or editable.")
            if self.use_as:
                add("use_as", "A static text has no value to use.")
        if kind == PropertyType.COMBO:
            if not self.combo_options:
                add("combo_options", "A combo needs at least one option.")
            for problem in combo_options_problems(self.combo_options):
                add("combo_options", problem)
        elif self.combo_options:
            add("combo_options", "Only a combo has options.")
        for moment, shown in (("create", self.show_in_create), ("edit", self.show_in_edit)):
            if getattr(self, f"mandatory_on_{moment}") and not getattr(self, f"editable_on_{moment}"):
                add(f"mandatory_on_{moment}", f"A value mandatory on {moment} must be editable on {moment}.")
            if getattr(self, f"editable_on_{moment}") and not shown and kind != PropertyType.STATIC_TEXT:
                add(f"editable_on_{moment}", f"An editable value must be shown in the {moment} form.")
        if self.is_reference:
            if kind not in REFERENCE_TYPES:
                add("property_type", "The reference key is a text or a number.")
            if self.editable_on_edit:
                add("editable_on_edit", "The reference key identifies the customer: it cannot be edited.")
        if self.is_category_key and kind not in CATEGORY_KEY_TYPES:
            add("is_category_key", "A category key is a text, number, yes/no or combo.")
        if self.use_as and kind not in USE_AS_TYPES.get(self.use_as, frozenset()):
            allowed = ", ".join(sorted(PropertyType(t).label.lower() for t in USE_AS_TYPES[self.use_as]))
            add("use_as", f"{UseAs(self.use_as).label} needs the type {allowed}.")
        if self.validation_regex:
            if kind not in FREE_TEXT_TYPES:
                add("validation_regex", "A regular expression applies to text, number, e-mail and phone only.")
            problem = regex_problem(self.validation_regex)
            if problem:
                add("validation_regex", problem)
        if self.max_length is not None and kind not in FREE_TEXT_TYPES:
            add("max_length", "A maximum length applies to text, number, e-mail and phone only.")
        if errors:
            raise ValidationError(errors)


def properties_problems(properties: list[CrmConnectorProperty]) -> list[str]:
    """Rules across a configuration's properties (messages for the whole set)."""
    problems = []
    if len(properties) > MAX_PROPERTIES:
        problems.append(f"A configuration has at most {MAX_PROPERTIES} properties.")
    references = [p for p in properties if p.is_reference]
    if len(references) != 1:
        problems.append(
            "Exactly one property must be the reference key"
            + (f" (now {len(references)}: {', '.join(p.label for p in references)})." if references else ".")
        )
    identifiers = [p.label for p in properties if p.is_document_identifier]
    if len(identifiers) > 1:
        problems.append(f"Only one property can be the identifier shown on documents (now: {', '.join(identifiers)}).")
    seen: dict[str, str] = {}
    for prop in properties:
        if prop.use_as:
            if prop.use_as in seen:
                problems.append(
                    f'"{UseAs(prop.use_as).label}" is used by both {seen[prop.use_as]} and {prop.label}: once only.'
                )
            seen.setdefault(prop.use_as, prop.label)
    fields: dict[str, str] = {}
    for prop in properties:
        if prop.external_field in fields:
            problems.append(f"{fields[prop.external_field]} and {prop.label} both read {prop.external_field}.")
        fields.setdefault(prop.external_field, prop.label)
    return problems


class CrmConnectorActivation(OrganizationModel):
    """Whether an organization works with an external CRM, and through which configuration."""

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="+")
    enabled = models.BooleanField("CRM connector enabled", default=False)
    configuration = models.ForeignKey(
        CrmConnectorConfiguration, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(enabled=False) | Q(configuration__isnull=False), name="crmconnector_enabled_needs_config"
            )
        ]

    def __str__(self) -> str:
        return f"CRM connector of organization {self.organization_id}: {'on' if self.enabled else 'off'}"

    def clean(self) -> None:
        if self.enabled and self.configuration_id is None:
            raise ValidationError({"configuration": "Choose the configuration to use."})
        if self.configuration_id and self.configuration.organization_id != self.organization_id:
            raise ValidationError({"configuration": "Choose a configuration of this organization."})
        if self.enabled and not self.configuration.properties.filter(is_reference=True).exists():
            raise ValidationError({"configuration": "This configuration has no reference key property yet."})
