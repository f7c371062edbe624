"""In-memory stores: the reference behaviour the Django and Graph stores must match.

They keep one rep's records, links and change logs in dictionaries, so the engine's rules can
be tested exhaustively in milliseconds. Both accept `before_write`, called before every write
(a test raises from it to interrupt a run at any point). Methods named like a person's action
(`add`, `edit`, `archive`, `remove`, ...) are what a user does on that side, outside the sync.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from outlooksync.engine.records import Availability, CrmRecord, Entity, FieldValues, Link, OutlookItem, Side
from outlooksync.engine.stores import (
    ChangedMeanwhile,
    CrmChanges,
    ItemCreate,
    ItemUpdate,
    ItemWrite,
    OutlookChange,
    OutlookChanges,
)

BeforeWrite = Callable[[str], None]

_BASE_TIME = datetime(2026, 1, 1, tzinfo=UTC)


def _no_hook(operation: str) -> None:
    return None


class MemoryCrmStore:
    """One rep's CRM records and links, with a change log read by cursor (a sequence number)."""

    def __init__(self, *, before_write: BeforeWrite = _no_hook) -> None:
        self.records: dict[tuple[Entity, str], CrmRecord] = {}
        self.stored_links: dict[tuple[Entity, str], Link] = {}
        self.log: list[tuple[int, Entity, str]] = []
        self.cursors: dict[Entity, int] = {}
        self.before_write = before_write
        self._last_sequence = 0
        self._ids = itertools.count(1)
        self._clock = itertools.count(1)

    def _next_sequence(self) -> int:
        self._last_sequence += 1
        return self._last_sequence

    # -- what a user does in the CRM ---------------------------------------------------------

    def _tick(self) -> datetime:
        return _BASE_TIME + timedelta(minutes=next(self._clock))

    def _touch(self, record: CrmRecord) -> CrmRecord:
        self.records[(record.entity, record.id)] = record
        self.log.append((self._next_sequence(), record.entity, record.id))
        return record

    def add(
        self, entity: Entity, fields: FieldValues, *, created_at: datetime | None = None, record_id: str | None = None
    ) -> CrmRecord:
        now = self._tick()
        record_id = record_id or f"r{next(self._ids)}"
        record = CrmRecord(entity, record_id, fields, 1, created_at=created_at or now, updated_at=now)
        return self._touch(record)

    def edit(self, entity: Entity, record_id: str, **fields: Any) -> CrmRecord:
        record = self.records[(entity, record_id)]
        values = dict(record.fields) | fields
        return self._touch(replace(record, fields=values, version=record.version + 1, updated_at=self._tick()))

    def set_availability(self, entity: Entity, record_id: str, availability: Availability) -> CrmRecord:
        record = self.records[(entity, record_id)]
        return self._touch(
            replace(record, availability=availability, version=record.version + 1, updated_at=self._tick())
        )

    def delete_for_good(self, entity: Entity, record_id: str) -> None:
        del self.records[(entity, record_id)]
        self.log.append((self._next_sequence(), entity, record_id))

    def get(self, entity: Entity, record_id: str) -> CrmRecord | None:
        return self.records.get((entity, record_id))

    def all(self, entity: Entity) -> list[CrmRecord]:
        return [record for (kind, _), record in sorted(self.records.items()) if kind is entity]

    # -- CrmStore ----------------------------------------------------------------------------

    def read_changes(self, entity: Entity, *, full: bool) -> CrmChanges:
        cursor = self.log[-1][0] if self.log else 0
        if full or entity not in self.cursors:
            return CrmChanges(records=self.all(entity), cursor=cursor, full=True)
        since = self.cursors.get(entity, 0)
        ids = list(dict.fromkeys(record_id for seq, kind, record_id in self.log if kind is entity and seq > since))
        records = [self.records[(entity, record_id)] for record_id in ids if (entity, record_id) in self.records]
        deleted = [record_id for record_id in ids if (entity, record_id) not in self.records]
        return CrmChanges(records=records, deleted_ids=deleted, cursor=cursor)

    def get_records(self, entity: Entity, crm_ids: Collection[str]) -> Mapping[str, CrmRecord]:
        return {crm_id: self.records[(entity, crm_id)] for crm_id in crm_ids if (entity, crm_id) in self.records}

    def find_key_candidates(self, entity: Entity, probes: Sequence[FieldValues]) -> Iterable[CrmRecord]:
        return self.all(entity)

    def links(self, entity: Entity) -> Sequence[Link]:
        return [link for (kind, _), link in sorted(self.stored_links.items()) if kind is entity]

    @contextmanager
    def unit_of_work(self) -> Iterator[MemoryCrmUnitOfWork]:
        saved = (dict(self.records), dict(self.stored_links), list(self.log), self._last_sequence)
        try:
            yield MemoryCrmUnitOfWork(self)
        except BaseException:
            self.records, self.stored_links, self.log, self._last_sequence = saved
            raise

    def commit_cursor(self, entity: Entity, cursor: Any) -> None:
        self.cursors[entity] = int(cursor)


class MemoryCrmUnitOfWork:
    """Writes of the sync into a `MemoryCrmStore`, rolled back together if the block raises."""

    def __init__(self, store: MemoryCrmStore) -> None:
        self.store = store

    def _current(self, entity: Entity, crm_id: str, expected_version: int) -> CrmRecord:
        record = self.store.records.get((entity, crm_id))
        if record is None or record.version != expected_version:
            raise ChangedMeanwhile(Side.CRM, entity, crm_id)
        return record

    def create_record(self, entity: Entity, fields: FieldValues) -> CrmRecord:
        self.store.before_write("crm.create")
        return self.store.add(entity, fields)

    def update_record(self, entity: Entity, crm_id: str, fields: FieldValues, *, expected_version: int) -> CrmRecord:
        self.store.before_write("crm.update")
        self._current(entity, crm_id, expected_version)
        return self.store.edit(entity, crm_id, **fields)

    def restore_record(self, entity: Entity, crm_id: str, fields: FieldValues, *, expected_version: int) -> CrmRecord:
        self.store.before_write("crm.restore")
        self._current(entity, crm_id, expected_version)
        self.store.set_availability(entity, crm_id, Availability.AVAILABLE)
        return self.store.edit(entity, crm_id, **fields)

    def archive_record(self, entity: Entity, crm_id: str, *, expected_version: int) -> CrmRecord:
        self.store.before_write("crm.archive")
        self._current(entity, crm_id, expected_version)
        return self.store.set_availability(entity, crm_id, Availability.ARCHIVED)

    def save_link(self, link: Link) -> None:
        self.store.before_write("crm.link")
        self.store.stored_links[(link.entity, link.outlook_id)] = link

    def delete_link(self, entity: Entity, outlook_id: str) -> None:
        self.store.before_write("crm.unlink")
        self.store.stored_links.pop((entity, outlook_id), None)


class MemoryOutlookStore:
    """One rep's mailbox with a delta log: repeats, removals and items leaving the calendar window."""

    def __init__(self, *, before_write: BeforeWrite = _no_hook) -> None:
        self.items: dict[tuple[Entity, str], OutlookItem] = {}
        self.outside_window: set[tuple[Entity, str]] = set()
        self.log: list[tuple[int, Entity, str, bool]] = []
        self.cursors: dict[Entity, int] = {}
        self.before_write = before_write
        self._sequence = itertools.count(1)
        self._ids = itertools.count(1)
        self._keys = itertools.count(1)
        self._clock = itertools.count(1)

    # -- what a user does in Outlook ---------------------------------------------------------

    def _save(self, item: OutlookItem) -> OutlookItem:
        item = replace(
            item, change_key=f"ck{next(self._keys)}", updated_at=_BASE_TIME + timedelta(minutes=next(self._clock))
        )
        self.items[(item.entity, item.id)] = item
        self.log.append((next(self._sequence), item.entity, item.id, False))
        return item

    def add(self, entity: Entity, fields: FieldValues, *, stamp: str | None = None) -> OutlookItem:
        return self._save(OutlookItem(entity, f"o{next(self._ids)}", fields, "", crm_id=stamp))

    def edit(self, entity: Entity, outlook_id: str, **fields: Any) -> OutlookItem:
        item = self.items[(entity, outlook_id)]
        return self._save(replace(item, fields=dict(item.fields) | fields))

    def remove(self, entity: Entity, outlook_id: str) -> None:
        """The user deletes the item: delta reports it removed and a read answers 404."""
        del self.items[(entity, outlook_id)]
        self.log.append((next(self._sequence), entity, outlook_id, True))

    def leave_window(self, entity: Entity, outlook_id: str) -> None:
        """The event moved out of the calendar window: delta reports it removed, a read still finds it."""
        self.outside_window.add((entity, outlook_id))
        self.log.append((next(self._sequence), entity, outlook_id, True))

    def get(self, entity: Entity, outlook_id: str) -> OutlookItem | None:
        return self.items.get((entity, outlook_id))

    def all(self, entity: Entity) -> list[OutlookItem]:
        return [item for (kind, _), item in sorted(self.items.items()) if kind is entity]

    # -- OutlookStore ------------------------------------------------------------------------

    def read_changes(self, entity: Entity, *, full: bool) -> OutlookChanges:
        cursor = self.log[-1][0] if self.log else 0
        if full or entity not in self.cursors:
            visible = [item for item in self.all(entity) if (entity, item.id) not in self.outside_window]
            return OutlookChanges(entries=[OutlookChange(item=item) for item in visible], cursor=cursor, full=True)
        since = self.cursors.get(entity, 0)
        entries = []
        for seq, kind, outlook_id, removed in self.log:
            if kind is not entity or seq <= since:
                continue
            item = self.items.get((entity, outlook_id))
            if removed or item is None or (entity, outlook_id) in self.outside_window:
                entries.append(OutlookChange(removed_id=outlook_id))
            else:
                entries.append(OutlookChange(item=item))
        return OutlookChanges(entries=entries, cursor=cursor)

    def get_items(self, entity: Entity, outlook_ids: Collection[str]) -> Mapping[str, OutlookItem]:
        return {key: self.items[(entity, key)] for key in outlook_ids if (entity, key) in self.items}

    def find_by_stamps(self, entity: Entity, crm_ids: Collection[str]) -> Sequence[OutlookItem]:
        wanted = set(crm_ids)
        return [item for item in self.all(entity) if item.crm_id in wanted]

    def find_key_candidates(self, entity: Entity, probes: Sequence[FieldValues]) -> Iterable[OutlookItem]:
        return [item for item in self.all(entity) if (entity, item.id) not in self.outside_window]

    def list_stamped(self, entity: Entity) -> Sequence[OutlookItem]:
        return [item for item in self.all(entity) if item.crm_id]

    def create_item(self, entity: Entity, fields: FieldValues, *, stamp: str) -> OutlookItem:
        self.before_write("outlook.create")
        return self.add(entity, fields, stamp=stamp)

    def update_item(
        self,
        entity: Entity,
        outlook_id: str,
        fields: FieldValues,
        *,
        stamp: str | None,
        expected_change_key: str | None,
    ) -> OutlookItem:
        self.before_write("outlook.update")
        item = self.items.get((entity, outlook_id))
        if item is None or (expected_change_key is not None and item.change_key != expected_change_key):
            raise ChangedMeanwhile(Side.OUTLOOK, entity, outlook_id)
        return self._save(replace(item, fields=dict(item.fields) | dict(fields), crm_id=stamp or item.crm_id))

    def delete_item(self, entity: Entity, outlook_id: str) -> None:
        self.before_write("outlook.delete")
        if (entity, outlook_id) in self.items:
            self.remove(entity, outlook_id)

    def write_batch(self, entity: Entity, writes: Sequence[ItemWrite]) -> list[OutlookItem | Exception | None]:
        """The writes one after another, as a `$batch` applies them; a cut (`before_write`) stops the rest."""
        results: list[OutlookItem | Exception | None] = []
        for write in writes:
            try:
                if isinstance(write, ItemCreate):
                    results.append(self.create_item(entity, write.fields, stamp=write.stamp))
                elif isinstance(write, ItemUpdate):
                    results.append(
                        self.update_item(
                            entity,
                            write.outlook_id,
                            write.fields,
                            stamp=write.stamp,
                            expected_change_key=write.expected_change_key,
                        )
                    )
                else:
                    self.delete_item(entity, write.outlook_id)
                    results.append(None)
            except ChangedMeanwhile as error:
                results.append(error)
        return results

    def commit_cursor(self, entity: Entity, cursor: Any) -> None:
        self.cursors[entity] = int(cursor)


class OneWriteAtATimeOutlookStore(MemoryOutlookStore):
    """A mailbox without batches: the executor applies each step's writes one by one."""

    write_batch = None  # type: ignore[assignment]
