"""Plain records the engine works on: one CRM record, one Outlook item, the link between them.

The Django store and the Microsoft Graph store translate their own rows into these, with field
names from the entity's mapping (`settings.DEFAULT_MAPPED_FIELDS`) and values that are plain
Python data: text, numbers, booleans, dates, timezone-aware datetimes, tuples and mappings of them.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

from outlooksync.engine.hashing import snapshot_hash

FieldValues = Mapping[str, Any]


class Entity(enum.StrEnum):
    """The kinds of records synchronized with Outlook."""

    CONTACT = "contact"
    TASK = "task"
    EVENT = "event"


class Side(enum.StrEnum):
    """Which system a record, a write or a winner belongs to."""

    CRM = "crm"
    OUTLOOK = "outlook"


class Availability(enum.StrEnum):
    """Whether a CRM record is still synced for the rep.

    ARCHIVED and REASSIGNED count as deleted on the CRM side (OUTLOOK_RULES.md section 1 and 5);
    OUT_OF_RANGE (before the start date, outside the calendar window) leaves the link dormant.
    """

    AVAILABLE = "available"
    ARCHIVED = "archived"
    REASSIGNED = "reassigned"
    OUT_OF_RANGE = "out_of_range"


def _frozen(values: FieldValues) -> FieldValues:
    return MappingProxyType(dict(values))


@dataclass(frozen=True)
class CrmRecord:
    """A CRM contact, task or event as the sync sees it.

    `version` grows with every write of the row; `created_at` decides which record is "the oldest"
    when one Outlook item matches several records by key; `updated_at` (when known) is compared
    with the synchronization start date.
    """

    entity: Entity
    id: str
    fields: FieldValues
    version: int
    created_at: datetime
    availability: Availability = Availability.AVAILABLE
    updated_at: datetime | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "fields", _frozen(self.fields))

    @property
    def is_available(self) -> bool:
        return self.availability is Availability.AVAILABLE


@dataclass(frozen=True)
class OutlookItem:
    """An Outlook contact, To Do task or calendar event (a series with its exceptions).

    `crm_id` is the stamp: the CRM id written on the item (an extended property or a linked
    resource), or None when the item never went through the sync.
    """

    entity: Entity
    id: str
    fields: FieldValues
    change_key: str
    crm_id: str | None = None
    updated_at: datetime | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "fields", _frozen(self.fields))


@dataclass(frozen=True)
class Link:
    """What is stored per rep and entity about a synced pair at its last sync.

    One Outlook item has exactly one link; one CRM record may have several (one per item).
    The per-field hashes of each side are the snapshot that tells which fields a side changed
    since the last sync, so that a bidirectional merge can keep each side's own changes;
    `fields_hash` condenses them into one value for display and quick comparisons.

    A link may outlive one of its sides where the tables keep it: an item deleted in Outlook while
    the CRM wins (the snapshot then tells when the record changes, which creates the item again),
    a record deleted in the CRM while Outlook is the master and its item did not change.
    """

    entity: Entity
    crm_id: str
    outlook_id: str
    change_key: str
    crm_version: int
    crm_field_hashes: Mapping[str, str] = field(default_factory=dict)
    outlook_field_hashes: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "crm_field_hashes", _frozen(self.crm_field_hashes))
        object.__setattr__(self, "outlook_field_hashes", _frozen(self.outlook_field_hashes))

    @property
    def fields_hash(self) -> str:
        return snapshot_hash(self.crm_field_hashes)


NAME_FIELDS: Mapping[Entity, tuple[str, ...]] = {
    Entity.CONTACT: ("first_name", "last_name"),
    Entity.TASK: ("subject",),
    Entity.EVENT: ("title",),
}


def display_name(entity: Entity, values: FieldValues) -> str:
    """The name a person recognizes a record by, for previews and alerts."""
    parts = [str(values.get(name) or "").strip() for name in NAME_FIELDS[entity]]
    return " ".join(part for part in parts if part) or "(no name)"
