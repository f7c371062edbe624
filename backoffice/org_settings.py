"""Per-organization settings, by section: typed and validated by form fields, audited by the change log.

A section (the change log's retention, the account-creation strategy, the Outlook settings, the CRM
connector, ...) is registered once by its app with its fields and product defaults. An organization
stores only the values it changed; a value left at "use default" follows the product default, also
when that default changes in a later release.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from backoffice.changes import change_context, jsonable
from backoffice.models import Organization, OrganizationSetting, User
from backoffice.registry import KeyedRegistry
from backoffice.secrets import SecretUnreadable, secret_decrypt, secret_encrypt

USE_DEFAULT = object()


@dataclass(frozen=True)
class SettingsSection:
    """A group of settings shown as one form on the Configuration page."""

    key: str
    title: str
    fields: dict[str, forms.Field]
    defaults: dict[str, Any] | Callable[[], dict[str, Any]]
    description: str = ""
    order: int = 100
    # Write-only values (client secrets): never returned by the API or shown back in the form.
    secret_keys: frozenset[str] = frozenset()
    # Cross-field rules: (values) -> None, raising ValidationError keyed by field.
    validate: Callable[[dict], None] | None = None
    # Called with the organization's id once its values changed (to clear what was read from them).
    on_change: Callable[[int], None] | None = None
    # More to show under the section's form on the Configuration page (what a change would do, the job it
    # started): (actor) -> (template name, its context), or None when there is nothing to show.
    page_extra: Callable[[User], tuple[str, dict] | None] | None = None

    def extra_content(self, actor: User) -> dict | None:
        """The section's extra content for the Configuration page, as {"template", "context"}, or None."""
        found = self.page_extra(actor) if self.page_extra is not None else None
        if found is None:
            return None
        template, context = found
        return {"template": template, "context": context}

    def default_values(self) -> dict[str, Any]:
        return dict(self.defaults() if callable(self.defaults) else self.defaults)


class SettingsRegistry(KeyedRegistry[SettingsSection]):
    def register(self, section: SettingsSection) -> None:  # type: ignore[override]
        mismatch = set(section.fields) ^ set(section.default_values())
        if mismatch:
            raise ValueError(f"Settings section {section.key!r}: fields and defaults differ on {sorted(mismatch)}.")
        super().register(section.key, section)

    def __iter__(self):
        return iter(sorted(self.items.values(), key=lambda s: (s.order, s.title)))


settings_sections = SettingsRegistry("settings section")


ENCRYPTED = "encrypted"


def _encoded(section: SettingsSection, key: str, value):
    """A value as stored: JSON, and a write-only value encrypted (never in clear in the database or the log)."""
    encoded = jsonable(value)
    if key in section.secret_keys and encoded not in (None, ""):
        return {ENCRYPTED: secret_encrypt(str(encoded))}
    return encoded


def _decoded(section: SettingsSection, key: str, stored):
    """A stored JSON value as the field's Python value; a value that no longer validates (or no longer
    decrypts) is dropped."""
    if key in section.secret_keys and isinstance(stored, dict) and ENCRYPTED in stored:
        try:
            stored = secret_decrypt(stored[ENCRYPTED])
        except SecretUnreadable:
            return USE_DEFAULT
    try:
        return section.fields[key].clean(stored)
    except ValidationError:
        return USE_DEFAULT


def settings_state(*, organization_id: int, section: str) -> dict[str, dict]:
    """Each setting of a section: its effective value, the product default and whether it uses the default."""
    definition = settings_sections.get(section)
    defaults = definition.default_values()
    stored = dict(
        OrganizationSetting.objects.filter(organization_id=organization_id, section=section).values_list("key", "value")
    )
    state = {}
    for key in definition.fields:
        value = _decoded(definition, key, stored[key]) if key in stored else USE_DEFAULT
        use_default = value is USE_DEFAULT
        state[key] = {
            "value": defaults[key] if use_default else value,
            "default": defaults[key],
            "use_default": use_default,
        }
    return state


def settings_get(*, organization_id: int, section: str) -> dict[str, Any]:
    """The effective values of a section for an organization (its own where set, else the defaults)."""
    return {
        key: item["value"] for key, item in settings_state(organization_id=organization_id, section=section).items()
    }


def can_configure(actor: User) -> bool:
    """Organization admins change their organization's settings."""
    return actor.is_superuser or (bool(actor.organization_id) and actor.is_org_admin)


@transaction.atomic
def settings_update(*, actor: User, section: str, values: dict[str, Any]) -> dict[str, Any]:
    """Change settings of a section: a value, or USE_DEFAULT to follow the product default again.

    Every value is validated by its field (errors name the field) and the section's own rule before
    anything is written; each change lands in the change log with its actor and origin.
    """
    if not can_configure(actor) or not actor.organization_id:
        raise PermissionDenied("Only the organization's admins change its settings.")
    definition = settings_sections.get(section)
    unknown = set(values) - set(definition.fields)
    if unknown:
        raise ValidationError({key: "There is no such setting." for key in sorted(unknown)})
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for key, value in values.items():
        if value is USE_DEFAULT:
            cleaned[key] = USE_DEFAULT
            continue
        try:
            cleaned[key] = definition.fields[key].clean(value)
        except ValidationError as error:
            errors[key] = error.messages
    if errors:
        raise ValidationError(errors)
    # The organization's row first, before reading what is set: two first saves of one setting would
    # otherwise both find no row to lock and both insert it, and the second would fail on the unique key.
    # FOR NO KEY UPDATE: it queues settings updates behind one another without holding back the rows other
    # writers insert that point to the organization (their key-share lock), which a job holding a setting
    # row may be inserting.
    list(Organization.objects.select_for_update(no_key=True).filter(pk=actor.organization_id).values_list("pk"))
    current = settings_state(organization_id=actor.organization_id, section=section)
    if definition.validate is not None:
        effective = {key: item["value"] for key, item in current.items()}
        for key, value in cleaned.items():
            effective[key] = current[key]["default"] if value is USE_DEFAULT else value
        definition.validate(effective)
    rows = {
        row.key: row
        for row in OrganizationSetting.objects.select_for_update().filter(
            organization_id=actor.organization_id, section=section, key__in=list(cleaned)
        )
    }
    with change_context(actor=actor):
        for key, value in cleaned.items():
            row = rows.get(key)
            if value is USE_DEFAULT:
                if row is not None:
                    row.delete()
                continue
            encoded = _encoded(definition, key, value)
            if row is None:
                OrganizationSetting.objects.create(
                    organization_id=actor.organization_id, section=section, key=key, value=encoded
                )
            else:
                row.value = encoded
                row.save()
    if definition.on_change is not None:
        definition.on_change(actor.organization_id)
    return settings_get(organization_id=actor.organization_id, section=section)


CHANGE_LOG_SECTION = "change_log"


def register_core_sections() -> None:
    """The sections the core app owns."""
    settings_sections.register(
        SettingsSection(
            key=CHANGE_LOG_SECTION,
            title="Change log",
            description="How long the change log keeps its entries (record histories and the changes feed).",
            fields={
                "retention_days": forms.IntegerField(
                    label="Keep entries for (days)",
                    min_value=1,
                    max_value=3650,
                    help_text="Older entries are pruned every night. Plug-ins that have not synced for "
                    "longer must read everything again.",
                )
            },
            defaults=lambda: {"retention_days": django_settings.CHANGE_LOG_RETENTION_DAYS},
            order=900,
        )
    )
