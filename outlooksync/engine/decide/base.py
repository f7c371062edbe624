"""What every part of the planner shares: the run's changes, the links, the claims, the helpers."""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from outlooksync.engine.hashing import values_equal
from outlooksync.engine.keys import RecordKey, record_key
from outlooksync.engine.merge import FieldRules, changed_fields
from outlooksync.engine.plan import (
    Action,
    RaiseAlert,
    StampOutlookItem,
    Step,
    UpdateOutlookItem,
)
from outlooksync.engine.records import (
    CrmRecord,
    Entity,
    FieldValues,
    Link,
    OutlookItem,
)
from outlooksync.engine.settings import ConflictWinner, Direction, SyncSettings
from outlooksync.engine.stores import CrmChanges, CrmStore, OutlookChanges, OutlookStore


class ItemState(enum.Enum):
    """An Outlook item of a linked pair, as this run sees it."""

    PRESENT = "present"
    DELETED = "deleted"  # reported removed and a direct read answers 404
    DORMANT = "dormant"  # reported removed but still there: it left the calendar window


@dataclass
class LinkedPair:
    """A stored link with its Outlook item as this run sees it, and the fields Outlook changed."""

    link: Link
    state: ItemState
    item: OutlookItem | None
    changed: set[str] = field(default_factory=set)


def oldest_first(records: Iterable[CrmRecord]) -> list[CrmRecord]:
    return sorted(records, key=lambda record: (record.created_at, record.id))


def differing_values(writes: FieldValues, current: FieldValues) -> dict[str, object]:
    return {name: value for name, value in writes.items() if not values_equal(value, current.get(name))}


class PlannerBase:
    """The state of one entity's planning for one run, and the helpers its decisions share."""

    def __init__(
        self,
        *,
        settings: SyncSettings,
        entity: Entity,
        crm: CrmStore,
        outlook: OutlookStore,
        links: Sequence[Link],
        crm_changes: CrmChanges,
        outlook_changes: OutlookChanges,
        ignored_item_ids: Iterable[str] = (),
    ) -> None:
        self.settings = settings
        self.entity = entity
        self.crm = crm
        self.outlook = outlook
        self.rules = FieldRules.from_settings(settings, entity)
        # A side's edit counts as a change only in fields it is a source of: a CRM edit of a field
        # that never goes to Outlook (or an Outlook edit of one that never goes to the CRM) changes nothing.
        self.crm_source_fields = tuple(name for name, way in self.rules.directions.items() if way.writes_outlook)
        self.outlook_source_fields = tuple(name for name, way in self.rules.directions.items() if way.writes_crm)
        self.key_fields = settings.entity_settings(entity).key_fields
        self.direction = settings.direction
        self.winner = settings.conflict
        self.links_by_item = {link.outlook_id: link for link in links}
        self.links_by_record: dict[str, list[Link]] = defaultdict(list)
        for link in links:
            self.links_by_record[link.crm_id].append(link)
        self.claimed_items: set[str] = set(self.links_by_item)
        self.handled_records: set[str] = set()
        self.recreated_for: set[str] = set()
        self.stamped_for_step_three: dict[str, list[OutlookItem]] = {}
        # Records this run restores or archives count as such for the key matches decided after them,
        # so a run decides the same whether or not an interrupted run already applied those steps.
        self.restored_in_run: dict[str, CrmRecord] = {}
        self.archived_in_run: set[str] = set()
        # Records this run creates, by key: the index of the step that creates each.
        self.created_in_run: dict[RecordKey, int] = {}
        self.steps: list[Step] = []

        self.crm_full = crm_changes.full
        self.changed_records: dict[str, CrmRecord] = {record.id: record for record in crm_changes.records}
        self.deleted_record_ids = set(crm_changes.deleted_ids) - set(self.changed_records)

        ignored = set(ignored_item_ids)
        self.outlook_full = outlook_changes.full
        self.changed_items: dict[str, OutlookItem] = {}
        self.removed_item_ids: set[str] = set()
        for entry in outlook_changes.entries:  # an item may repeat within a round: the last entry counts
            if entry.item_id in ignored:
                continue
            if entry.item is not None:
                self.changed_items[entry.item.id] = entry.item
                self.removed_item_ids.discard(entry.item.id)
            else:
                self.changed_items.pop(entry.item_id, None)
                self.removed_item_ids.add(entry.item_id)
        if self.outlook_full:
            self.removed_item_ids |= set(self.links_by_item) - set(self.changed_items)

    # -- helpers ---------------------------------------------------------------------------

    @property
    def writes_outlook(self) -> bool:
        return self.direction in (Direction.CRM_TO_OUTLOOK, Direction.BIDIRECTIONAL)

    @property
    def writes_crm(self) -> bool:
        return self.direction in (Direction.OUTLOOK_TO_CRM, Direction.BIDIRECTIONAL)

    @property
    def outlook_wins_deletions(self) -> bool:
        """Whether an Outlook edit restores, and an Outlook deletion archives, the CRM record."""
        return self.direction is Direction.OUTLOOK_TO_CRM or (
            self.direction is Direction.BIDIRECTIONAL and self.winner is ConflictWinner.OUTLOOK
        )

    def key_of(self, values: FieldValues) -> RecordKey:
        return record_key(self.entity, values, self.key_fields, self.settings.zone)

    def within_start_date(self, record: CrmRecord | OutlookItem) -> bool:
        """Records processed before the synchronization start date are not synced."""
        start = self.settings.start_date
        return start is None or record.updated_at is None or record.updated_at.date() >= start

    def _add(self, rule: str, actions: Sequence[Action], **details: object) -> None:
        if actions:
            self.steps.append(Step(entity=self.entity, rule=rule, actions=tuple(actions), **details))  # type: ignore[arg-type]

    def note_creation(self, values: FieldValues) -> None:
        """Remember that the step just added creates a CRM record with these values."""
        self.created_in_run.setdefault(self.key_of(values), len(self.steps) - 1)

    def _alert(
        self, kind: str, message: str, *, crm_id: str | None = None, outlook_id: str | None = None
    ) -> RaiseAlert:
        return RaiseAlert(self.entity, kind, message, crm_id=crm_id, outlook_id=outlook_id)

    def _item_changes(self, link: Link, item: OutlookItem) -> set[str]:
        if item.change_key == link.change_key:
            return set()
        return changed_fields(item.fields, link.outlook_field_hashes, self.outlook_source_fields)

    def _stamp_or_update(self, item: OutlookItem, crm_id: str | None, writes: FieldValues) -> list[Action]:
        """The Outlook write that gives `item` the `writes` and the stamp `crm_id` (None: the record created here)."""
        needs_stamp = crm_id is None or item.crm_id != crm_id
        if writes:
            return [UpdateOutlookItem(self.entity, item.id, writes, crm_id if needs_stamp else None, item.change_key)]
        if needs_stamp:
            return [StampOutlookItem(self.entity, item.id, crm_id, item.change_key)]
        return []
