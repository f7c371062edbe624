"""Sync settings as the engine reads them: direction, conflict winner, entities, field mapping.

Defaults are the seed's table (Bidirectional, CRM always wins, 120 s / 30 s, every entity on).
The Django settings page stores them and applies its "Use Default" boxes; `validate` holds the
rules a value must keep whatever page or endpoint sets it, each problem naming its field.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from outlooksync.engine.records import Entity, Side


class Direction(enum.StrEnum):
    """Which way a record's values flow."""

    CRM_TO_OUTLOOK = "crm_to_outlook"
    OUTLOOK_TO_CRM = "outlook_to_crm"
    BIDIRECTIONAL = "bidirectional"


class ConflictWinner(enum.StrEnum):
    """Who wins a field (or a deletion against an edit) changed on both sides since the last sync."""

    CRM = "crm"
    OUTLOOK = "outlook"

    @property
    def side(self) -> Side:
        return Side.CRM if self is ConflictWinner.CRM else Side.OUTLOOK


class FieldDirection(enum.StrEnum):
    """The direction of one mapped field. It narrows the sync direction, never widens it."""

    BOTH = "both"
    TO_OUTLOOK = "to_outlook"
    TO_CRM = "to_crm"
    NOT_SYNCED = "not_synced"

    @property
    def writes_outlook(self) -> bool:
        return self in (FieldDirection.BOTH, FieldDirection.TO_OUTLOOK)

    @property
    def writes_crm(self) -> bool:
        return self in (FieldDirection.BOTH, FieldDirection.TO_CRM)


DEFAULT_MAPPED_FIELDS: Mapping[Entity, tuple[str, ...]] = MappingProxyType(
    {
        Entity.CONTACT: (
            "name_prefix",
            "first_name",
            "middle_name",
            "last_name",
            "gender",
            "birthday",
            "job_title",
            "company_name",
            "emails",
            "business_phones",
            "home_phones",
            "mobile_phone",
            "addresses",
            "notes",
        ),
        Entity.TASK: (
            "subject",
            "body",
            "start_at",
            "due_at",
            "status",
            "importance",
            "reminder_at",
            "completed_at",
        ),
        Entity.EVENT: (
            "title",
            "body",
            "location",
            "start",
            "end",
            "all_day",
            "time_zone",
            "recurrence_rule",
            "cancelled_starts",
            "exceptions",
        ),
    }
)

DEFAULT_KEY_FIELDS: Mapping[Entity, tuple[str, ...]] = MappingProxyType(
    {
        Entity.CONTACT: ("first_name", "last_name", "gender", "birthday"),
        Entity.TASK: ("subject", "due_at"),
        Entity.EVENT: ("title", "start", "end", "all_day"),
    }
)

INTERVAL_MIN_SECONDS = 1
INTERVAL_MAX_SECONDS = 86399


@dataclass(frozen=True)
class EntitySettings:
    """Whether an entity syncs, its mapped fields, its key fields and per-field directions."""

    enabled: bool = True
    mapped_fields: tuple[str, ...] = ()
    key_fields: tuple[str, ...] = ()
    field_directions: Mapping[str, FieldDirection] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "field_directions", MappingProxyType(dict(self.field_directions)))

    @classmethod
    def defaults(cls, entity: Entity, **overrides: object) -> EntitySettings:
        values: dict[str, object] = {
            "mapped_fields": DEFAULT_MAPPED_FIELDS[entity],
            "key_fields": DEFAULT_KEY_FIELDS[entity],
        }
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]


def _default_entities() -> Mapping[Entity, EntitySettings]:
    return {entity: EntitySettings.defaults(entity) for entity in Entity}


@dataclass(frozen=True)
class SettingsProblem:
    """One invalid value: the field it concerns and a message a person understands."""

    field: str
    message: str


@dataclass(frozen=True)
class SyncSettings:
    """The effective settings for one rep's sync."""

    direction: Direction = Direction.BIDIRECTIONAL
    conflict: ConflictWinner = ConflictWinner.CRM
    crm_interval_seconds: int = 120
    outlook_interval_seconds: int = 30
    entities: Mapping[Entity, EntitySettings] = field(default_factory=_default_entities)
    start_date: date | None = None
    calendar_days_back: int = 30
    calendar_days_ahead: int = 365
    time_zone: str = "UTC"

    def __post_init__(self) -> None:
        merged = dict(_default_entities())
        merged.update(self.entities)
        object.__setattr__(self, "entities", MappingProxyType(merged))

    def entity_settings(self, entity: Entity) -> EntitySettings:
        return self.entities[entity]

    @property
    def enabled_entities(self) -> tuple[Entity, ...]:
        return tuple(entity for entity in Entity if self.entities[entity].enabled)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def field_direction(self, entity: Entity, name: str) -> FieldDirection:
        """A field's effective direction: its own setting narrowed by the sync direction."""
        own = self.entities[entity].field_directions.get(name, FieldDirection.BOTH)
        if self.direction is Direction.CRM_TO_OUTLOOK:
            return FieldDirection.TO_OUTLOOK if own.writes_outlook else FieldDirection.NOT_SYNCED
        if self.direction is Direction.OUTLOOK_TO_CRM:
            return FieldDirection.TO_CRM if own.writes_crm else FieldDirection.NOT_SYNCED
        return own

    def synced_fields(self, entity: Entity) -> tuple[str, ...]:
        """Mapped fields that are written on at least one side; only these count as changes."""
        return tuple(
            name
            for name in self.entities[entity].mapped_fields
            if self.field_direction(entity, name) is not FieldDirection.NOT_SYNCED
        )

    def validate(self) -> list[SettingsProblem]:
        """Every rule these values break, each naming its field; empty when valid."""
        problems: list[SettingsProblem] = []
        for name in ("crm_interval_seconds", "outlook_interval_seconds"):
            value = getattr(self, name)
            if not isinstance(value, int) or not INTERVAL_MIN_SECONDS <= value <= INTERVAL_MAX_SECONDS:
                problems.append(
                    SettingsProblem(
                        name, f"must be a whole number of seconds from {INTERVAL_MIN_SECONDS} to {INTERVAL_MAX_SECONDS}"
                    )
                )
        for name in ("calendar_days_back", "calendar_days_ahead"):
            if getattr(self, name) < 0:
                problems.append(SettingsProblem(name, "must be zero or more days"))
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            problems.append(SettingsProblem("time_zone", f"{self.time_zone!r} is not a known time zone"))
        for entity, entity_settings in self.entities.items():
            problems.extend(_entity_problems(entity, entity_settings))
        return problems


def _entity_problems(entity: Entity, entity_settings: EntitySettings) -> list[SettingsProblem]:
    problems: list[SettingsProblem] = []
    mapped = set(entity_settings.mapped_fields)
    if not entity_settings.key_fields:
        problems.append(SettingsProblem(f"{entity}.key_fields", "choose at least one key field"))
    for name in entity_settings.key_fields:
        if name not in mapped:
            problems.append(SettingsProblem(f"{entity}.key_fields", f"{name} is not a mapped field"))
        elif entity_settings.field_directions.get(name) is FieldDirection.NOT_SYNCED:
            problems.append(
                SettingsProblem(f"{entity}.field_directions.{name}", f"{name} is a key field and must be synced")
            )
    for name in entity_settings.field_directions:
        if name not in mapped:
            problems.append(SettingsProblem(f"{entity}.field_directions.{name}", f"{name} is not a mapped field"))
    return problems
