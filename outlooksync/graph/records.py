"""What the Graph client takes and gives: entities, items in CRM field names, writes and their outcomes."""

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from outlooksync.graph.errors import GraphError


class Entity(enum.StrEnum):
    """The synced kinds of Outlook items."""

    CONTACTS = "contacts"
    TASKS = "tasks"
    EVENTS = "events"


@dataclass
class OutlookItem:
    """An Outlook item as the sync sees it: ids, the CRM id stamped on it and its fields in CRM names."""

    id: str
    change_key: str | None
    crm_id: str | None
    fields: dict[str, Any]
    last_modified: dt.datetime | None = None
    # Events: the ids of the series' exceptions (moved or changed occurrences), by original start.
    occurrence_ids: dict[dt.datetime, str] = field(default_factory=dict)


@dataclass
class Changes:
    """One delta round of an entity: changed items (last state), removed ids (with Graph's reason), next link."""

    items: dict[str, OutlookItem]
    removed: dict[str, str]
    delta_link: str


@dataclass
class Create:
    """Create an item from CRM fields, stamped with `crm_id`."""

    key: str
    fields: Mapping[str, Any]
    crm_id: str
    transaction_id: str | None = None


@dataclass
class Update:
    """Update the given fields of an item; with `change_key`, only if it did not change since (else 412)."""

    key: str
    item_id: str
    fields: Mapping[str, Any]
    change_key: str | None = None
    crm_id: str | None = None


@dataclass
class Delete:
    """Delete an item; with `change_key`, only if it did not change since."""

    key: str
    item_id: str
    change_key: str | None = None


@dataclass
class WriteResult:
    """The outcome of one write: the item as Graph returned it, or the typed error (GraphConflict for a 412)."""

    key: str
    item: OutlookItem | None = None
    error: GraphError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None
