"""The MS Outlook settings section of the Configuration page (organization admins) and the effective
settings a rep's sync runs with.

Each setting has its "Use default" box (the Configuration page's rule): the seed's defaults apply
whatever the field holds while it is checked. The engine's own rules (a key field must be mapped and
synced, intervals from 1 to 86399 seconds) are checked here too, each error naming its field.
"""

from django import forms
from django.core.exceptions import ValidationError

from backoffice.org_settings import SettingsSection, settings_get, settings_sections
from outlooksync.engine.records import Entity
from outlooksync.engine.settings import (
    DEFAULT_KEY_FIELDS,
    DEFAULT_MAPPED_FIELDS,
    INTERVAL_MAX_SECONDS,
    INTERVAL_MIN_SECONDS,
    ConflictWinner,
    Direction,
    EntitySettings,
    FieldDirection,
    SyncSettings,
)

SECTION = "outlook"

DIRECTION_LABELS = {
    Direction.CRM_TO_OUTLOOK: "CRM to Outlook",
    Direction.OUTLOOK_TO_CRM: "Outlook to CRM",
    Direction.BIDIRECTIONAL: "Bidirectional",
}
CONFLICT_LABELS = {ConflictWinner.CRM: "CRM always wins", ConflictWinner.OUTLOOK: "Outlook always wins"}
FIELD_DIRECTION_LABELS = {
    FieldDirection.BOTH: "Both ways",
    FieldDirection.TO_OUTLOOK: "To Outlook only",
    FieldDirection.TO_CRM: "To the CRM only",
    FieldDirection.NOT_SYNCED: "Not synced",
}
FIELD_LABELS = {
    "name_prefix": "Title",
    "first_name": "First name",
    "middle_name": "Middle name",
    "last_name": "Last name",
    "gender": "Gender",
    "birthday": "Birthday",
    "job_title": "Job title",
    "company_name": "Company",
    "emails": "E-mail addresses",
    "business_phones": "Business phones",
    "home_phones": "Home phones",
    "mobile_phone": "Mobile phone",
    "addresses": "Addresses",
    "notes": "Notes",
    "subject": "Subject",
    "body": "Description",
    "start_at": "Start",
    "due_at": "Due date",
    "status": "Status",
    "importance": "Priority",
    "reminder_at": "Reminder",
    "completed_at": "Completed",
    "title": "Title",
    "location": "Location",
    "start": "Start",
    "end": "End",
    "all_day": "All day",
    "time_zone": "Time zone",
    "recurrence_rule": "Repetition",
    "cancelled_starts": "Cancelled occurrences",
    "exceptions": "Changed occurrences",
}
ENTITY_LABELS = {Entity.CONTACT: "Contacts", Entity.TASK: "Tasks", Entity.EVENT: "Calendar events"}


def field_label(name: str) -> str:
    return FIELD_LABELS.get(name, name.replace("_", " ").capitalize())


class FieldDirectionsWidget(forms.Widget):
    """A table: each mapped field of an entity with its own direction."""

    template_name = "outlooksync/widgets/field_directions.html"
    renders_itself = True

    def __init__(self, field_names: tuple[str, ...], attrs=None):
        super().__init__(attrs)
        self.field_names = field_names

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        value = value if isinstance(value, dict) else {}
        base_id = (attrs or {}).get("id") or f"id_{name}"
        context["widget"]["rows"] = [
            {
                "name": f"{name}__{field}",
                "id": f"{base_id}__{field}",
                "label": field_label(field),
                "value": str(value.get(field, FieldDirection.BOTH)),
            }
            for field in self.field_names
        ]
        context["widget"]["choices"] = [(str(key), label) for key, label in FIELD_DIRECTION_LABELS.items()]
        return context

    def value_from_datadict(self, data, files, name):
        found = {field: data.get(f"{name}__{field}") for field in self.field_names if f"{name}__{field}" in data}
        return found or None

    def value_omitted_from_data(self, data, files, name):
        return not any(f"{name}__{field}" in data for field in self.field_names)

    def id_for_label(self, id_):
        return f"{id_}__{self.field_names[0]}" if id_ and self.field_names else id_


class FieldDirectionsField(forms.Field):
    """{mapped field: direction} of one entity; fields left out go both ways."""

    def __init__(self, *, entity: Entity, **kwargs):
        self.entity = entity
        self.field_names = DEFAULT_MAPPED_FIELDS[entity]
        kwargs.setdefault("widget", FieldDirectionsWidget(self.field_names))
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in (None, "", {}):
            return None
        if not isinstance(value, dict):
            raise ValidationError("Give each field's direction.")
        unknown = sorted(set(value) - set(self.field_names))
        if unknown:
            raise ValidationError(f"{', '.join(unknown)}: not a mapped field of {ENTITY_LABELS[self.entity].lower()}.")
        directions = {}
        for name in self.field_names:
            raw = value.get(name) or FieldDirection.BOTH
            try:
                directions[name] = str(FieldDirection(raw))
            except ValueError:
                raise ValidationError(f"{field_label(name)}: {raw!r} is not a direction.")
        return directions


class KeyFieldsField(forms.MultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, *, entity: Entity, **kwargs):
        super().__init__(choices=[(name, field_label(name)) for name in DEFAULT_MAPPED_FIELDS[entity]], **kwargs)
        self.widget.renders_itself = True

    def clean(self, value):
        if isinstance(value, tuple):
            value = list(value)
        return super().clean(value)


def _interval(label: str) -> forms.IntegerField:
    message = f"{label} must be a whole number of seconds from {INTERVAL_MIN_SECONDS} to {INTERVAL_MAX_SECONDS}."
    return forms.IntegerField(
        label=f"{label} (in seconds)",
        min_value=INTERVAL_MIN_SECONDS,
        max_value=INTERVAL_MAX_SECONDS,
        error_messages={"min_value": message, "max_value": message, "invalid": message},
    )


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self):
        super().__init__(format="%Y-%m-%d")


def _fields() -> dict[str, forms.Field]:
    fields: dict[str, forms.Field] = {
        "sync_direction": forms.ChoiceField(label="Sync direction", choices=list(DIRECTION_LABELS.items())),
        "conflict_resolution": forms.ChoiceField(label="Conflict resolution", choices=list(CONFLICT_LABELS.items())),
        "crm_sync_interval": _interval("CRM Sync Interval"),
        "outlook_sync_interval": _interval("Outlook Sync Interval"),
    }
    for entity in Entity:
        fields[f"sync_{entity}s"] = forms.BooleanField(label=ENTITY_LABELS[entity], required=False)
    for entity in Entity:
        fields[f"{entity}_fields"] = FieldDirectionsField(
            entity=entity,
            label=f"{ENTITY_LABELS[entity]}: field mapping",
            help_text="Each field's own direction; it narrows the sync direction, never widens it.",
        )
        fields[f"{entity}_key_fields"] = KeyFieldsField(
            entity=entity,
            label=f"{ENTITY_LABELS[entity]}: key fields",
            help_text="The values that identify the same record on both sides.",
        )
    fields.update(
        {
            "sync_start_date": forms.DateField(
                label="Synchronization start date",
                widget=DateInput(),
                help_text="Records processed before this date are not synced.",
            ),
            "calendar_days_back": forms.IntegerField(label="Calendar window: days back", min_value=0, max_value=3650),
            "calendar_days_ahead": forms.IntegerField(label="Calendar window: days ahead", min_value=0, max_value=3650),
            "graph_tenant_id": forms.CharField(label="Microsoft Graph tenant id", max_length=100),
            "graph_client_id": forms.CharField(label="Microsoft Graph client id", max_length=100),
            "graph_client_secret": forms.CharField(
                label="Microsoft Graph client secret",
                max_length=500,
                help_text="Stored encrypted; never shown again.",
            ),
        }
    )
    return fields


def _defaults() -> dict:
    engine = SyncSettings()
    values = {
        "sync_direction": str(engine.direction),
        "conflict_resolution": str(engine.conflict),
        "crm_sync_interval": engine.crm_interval_seconds,
        "outlook_sync_interval": engine.outlook_interval_seconds,
        "sync_start_date": None,
        "calendar_days_back": engine.calendar_days_back,
        "calendar_days_ahead": engine.calendar_days_ahead,
        "graph_tenant_id": "",
        "graph_client_id": "",
        "graph_client_secret": "",
    }
    for entity in Entity:
        values[f"sync_{entity}s"] = True
        values[f"{entity}_fields"] = {name: str(FieldDirection.BOTH) for name in DEFAULT_MAPPED_FIELDS[entity]}
        values[f"{entity}_key_fields"] = list(DEFAULT_KEY_FIELDS[entity])
    return values


def engine_settings(values: dict, *, time_zone: str = "UTC") -> SyncSettings:
    """The engine's settings from the section's effective values."""
    entities = {
        entity: EntitySettings(
            enabled=bool(values[f"sync_{entity}s"]),
            mapped_fields=DEFAULT_MAPPED_FIELDS[entity],
            key_fields=tuple(values[f"{entity}_key_fields"] or ()),
            field_directions={
                name: FieldDirection(direction) for name, direction in (values[f"{entity}_fields"] or {}).items()
            },
        )
        for entity in Entity
    }
    return SyncSettings(
        direction=Direction(values["sync_direction"]),
        conflict=ConflictWinner(values["conflict_resolution"]),
        crm_interval_seconds=values["crm_sync_interval"],
        outlook_interval_seconds=values["outlook_sync_interval"],
        entities=entities,
        start_date=values["sync_start_date"],
        calendar_days_back=values["calendar_days_back"],
        calendar_days_ahead=values["calendar_days_ahead"],
        time_zone=time_zone,
    )


def _problem_key(problem_field: str) -> str:
    """The section's field a problem of the engine's settings concerns."""
    entity, _, rest = problem_field.partition(".")
    if rest.startswith("key_fields"):
        return f"{entity}_key_fields"
    if rest.startswith("field_directions"):
        return f"{entity}_fields"
    return {"crm_interval_seconds": "crm_sync_interval", "outlook_interval_seconds": "outlook_sync_interval"}.get(
        problem_field, problem_field
    )


def _validate(values: dict) -> None:
    errors: dict[str, list[str]] = {}
    for problem in engine_settings(values).validate():
        key = _problem_key(problem.field)
        label = _fields()[key].label if key in _fields() else key
        errors.setdefault(key, []).append(f"{label}: {problem.message}.")
    if errors:
        raise ValidationError(errors)


def register_outlook_section() -> None:
    if SECTION in settings_sections:
        return
    settings_sections.register(
        SettingsSection(
            key=SECTION,
            title="MS Outlook",
            description=(
                "How each sales rep's contacts, tasks and calendar events are synchronized with their Outlook "
                "mailbox: direction, conflicts, intervals, entities and their fields."
            ),
            fields=_fields(),
            defaults=_defaults,
            secret_keys=frozenset({"graph_client_secret"}),
            validate=_validate,
            order=300,
        )
    )


def outlook_settings(*, organization_id: int) -> dict:
    """The organization's effective Outlook settings (the client secret decrypted: for the sync only)."""
    return settings_get(organization_id=organization_id, section=SECTION)
