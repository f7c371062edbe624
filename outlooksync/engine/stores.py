"""The two store interfaces the engine reads and writes through.

`CrmStore` is implemented by the Django side (it also keeps the links, so that a CRM write and
its link commit together in one unit of work); `OutlookStore` by the Microsoft Graph client.
Both are scoped to one rep. `outlooksync.engine.memory` holds in-memory reference versions.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from outlooksync.engine.records import CrmRecord, Entity, FieldValues, Link, OutlookItem, Side


class ChangedMeanwhile(Exception):  # noqa: N818 - the name says what happened, as Graph's 412 does
    """A write found the record changed since it was read (a stale version or change key).

    The executor re-reads the record, applies the rules again and retries once.
    """

    def __init__(self, side: Side, entity: Entity, record_id: str) -> None:
        super().__init__(f"{side} {entity} {record_id} changed since it was read")
        self.side = side
        self.entity = entity
        self.record_id = record_id


@dataclass(frozen=True)
class CrmChanges:
    """CRM records of one entity changed since the last CRM-side sync (or all of them when `full`).

    `records` holds changed records, including ones archived, reassigned or out of range (with
    their availability); `deleted_ids` holds records deleted for good. `cursor` is handed back to
    `commit_cursor` once the run has applied its plan.
    """

    records: Sequence[CrmRecord] = ()
    deleted_ids: Collection[str] = ()
    cursor: Any = None
    full: bool = False


@dataclass(frozen=True)
class OutlookChange:
    """One entry of a delta round: an item as it is now, or the id of an item reported removed."""

    item: OutlookItem | None = None
    removed_id: str | None = None

    @property
    def item_id(self) -> str:
        return self.item.id if self.item is not None else str(self.removed_id)


@dataclass(frozen=True)
class OutlookChanges:
    """A delta round for one entity, in the order Graph gave it (an item may repeat).

    `full` marks a listing of every item (first sync, or a reconciling sync after the delta token
    expired): a linked item missing from a full listing is treated as reported removed.
    """

    entries: Sequence[OutlookChange] = ()
    cursor: Any = None
    full: bool = False


class CrmUnitOfWork(Protocol):
    """CRM writes and link writes that commit together, or not at all."""

    def create_record(self, entity: Entity, fields: FieldValues) -> CrmRecord:
        """Create a record owned by the rep (the store stamps origin `outlook`)."""

    def update_record(self, entity: Entity, crm_id: str, fields: FieldValues, *, expected_version: int) -> CrmRecord:
        """Write `fields`; raise ChangedMeanwhile when the stored version is not `expected_version`."""

    def restore_record(self, entity: Entity, crm_id: str, fields: FieldValues, *, expected_version: int) -> CrmRecord:
        """Take an archived record out of the archive and write `fields`."""

    def archive_record(self, entity: Entity, crm_id: str, *, expected_version: int) -> CrmRecord:
        """Archive (never delete) the record; it stays restorable from the web UI."""

    def save_link(self, link: Link) -> None:
        """Insert or replace the link of `link.outlook_id`."""

    def delete_link(self, entity: Entity, outlook_id: str) -> None:
        """Forget the link of an Outlook item (no error when there is none)."""


@dataclass(frozen=True)
class RecordWrite:
    """A CRM write in a batch of one unit of work: `kind` is create (no `crm_id`), update, restore or
    archive (no fields), with the arguments the unit's method of that name takes."""

    kind: str
    crm_id: str | None = None
    fields: FieldValues | None = None
    expected_version: int | None = None


class BatchingCrmUnitOfWork(CrmUnitOfWork, Protocol):
    """A unit of work that takes several records' writes at once: the executor hands it a group of steps'
    CRM writes together instead of one call per write."""

    def write_batch(self, entity: Entity, writes: Sequence[RecordWrite]) -> list[CrmRecord]:
        """Apply the writes as the one-by-one methods would; answer, in order, each record as written. A
        stale version raises ChangedMeanwhile (the unit of work then rolls back as a whole)."""


class CrmStore(Protocol):
    """The rep's CRM records of the synced entities, and the stored links."""

    def read_changes(self, entity: Entity, *, full: bool) -> CrmChanges:
        """Records changed since the committed cursor; every record of the rep (with full=True in the
        answer) when `full` is asked or no cursor was ever committed (the first sync)."""

    def get_records(self, entity: Entity, crm_ids: Collection[str]) -> Mapping[str, CrmRecord]:
        """The records with these ids as they are now, whatever their availability; absent = deleted for good."""

    def find_key_candidates(self, entity: Entity, probes: Sequence[FieldValues]) -> Iterable[CrmRecord]:
        """Records that may share a key with one of `probes` (a superset is fine; the engine compares keys)."""

    def links(self, entity: Entity) -> Sequence[Link]:
        """Every stored link of the rep for `entity`."""

    def unit_of_work(self) -> AbstractContextManager[CrmUnitOfWork]:
        """A transaction: everything written through it commits at the end of the `with` block."""

    def commit_cursor(self, entity: Entity, cursor: Any) -> None:
        """Remember that changes up to `cursor` are synced."""


class OutlookStore(Protocol):
    """The rep's mailbox: contacts, the "CRM tasks" To Do list, the calendar."""

    def read_changes(self, entity: Entity, *, full: bool) -> OutlookChanges:
        """The next delta round; a listing of every item (full=True in the answer) when `full` is asked,
        when no delta link was ever committed, or when the delta token expired (a reconciling sync)."""

    def get_items(self, entity: Entity, outlook_ids: Collection[str]) -> Mapping[str, OutlookItem]:
        """A direct read of these items; an id absent from the answer is gone (404)."""

    def find_by_stamps(self, entity: Entity, crm_ids: Collection[str]) -> Sequence[OutlookItem]:
        """Items stamped with one of these CRM ids."""

    def find_key_candidates(self, entity: Entity, probes: Sequence[FieldValues]) -> Iterable[OutlookItem]:
        """Items that may share a key with one of `probes` (a superset is fine)."""

    def list_stamped(self, entity: Entity) -> Sequence[OutlookItem]:
        """Every item that carries a CRM id (a resync deletes them)."""

    def create_item(self, entity: Entity, fields: FieldValues, *, stamp: str) -> OutlookItem:
        """Create an item stamped with `stamp`. Callers look up the stamp first; events also pass it as
        Graph's `transactionId`, so a repeated create answers with the first one."""

    def update_item(
        self,
        entity: Entity,
        outlook_id: str,
        fields: FieldValues,
        *,
        stamp: str | None,
        expected_change_key: str | None,
    ) -> OutlookItem:
        """Write `fields` (and the stamp when given); raise ChangedMeanwhile on a change key mismatch (412)."""

    def delete_item(self, entity: Entity, outlook_id: str) -> None:
        """Delete the item; an item already gone is not an error."""

    def commit_cursor(self, entity: Entity, cursor: Any) -> None:
        """Keep the delta link of the round that was just applied."""


@dataclass(frozen=True)
class ItemCreate:
    """A create in a batch of Outlook writes (the caller looked the stamp up already)."""

    fields: FieldValues
    stamp: str


@dataclass(frozen=True)
class ItemUpdate:
    """An update in a batch of Outlook writes: fields, and the stamp when given."""

    outlook_id: str
    fields: FieldValues
    stamp: str | None = None
    expected_change_key: str | None = None


@dataclass(frozen=True)
class ItemDelete:
    """A deletion in a batch of Outlook writes; an item already gone is not an error."""

    outlook_id: str


ItemWrite = ItemCreate | ItemUpdate | ItemDelete


class BatchingOutlookStore(OutlookStore, Protocol):
    """A mailbox that takes several writes at once (Graph's `$batch`): the executor sends a group of
    steps' writes together instead of one request per write."""

    def write_batch(self, entity: Entity, writes: Sequence[ItemWrite]) -> list[OutlookItem | Exception | None]:
        """Apply the writes; answer, in order, the item written (None for a deletion) or the error of that
        write (`ChangedMeanwhile` for a stale change key or a gone item). An error that stops the whole
        batch (the mailbox unreachable) is raised instead."""
