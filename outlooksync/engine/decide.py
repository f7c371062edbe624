"""The decision tables of OUTLOOK_RULES.md, turned into the steps of one entity's run.

`EntityPlanner` reads what changed on each side, the stored links, and candidates by stamp and
by key, and decides in this order:

1. linked pairs touched by a change on either side (section 3), grouped per CRM record;
2. Outlook items that carry a stamp but have no link (section 4, rows 3 and 4);
3. CRM records without a link, matched by stamp, then by key, else created in Outlook
   (section 2 step 1 and section 4 row 1; CRM to Outlook and bidirectional);
4. Outlook items without a stamp or a link, matched by key, else created in the CRM
   (section 2 step 2 and section 4 row 2; Outlook to CRM and bidirectional).

Nothing is written here: the planner only reads the stores.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from outlooksync.engine.hashing import values_equal
from outlooksync.engine.keys import RecordKey, record_key
from outlooksync.engine.merge import FieldRules, apply_writes, changed_fields, merge_changes, merge_first_match
from outlooksync.engine.plan import (
    Action,
    ArchiveCrmRecord,
    CreateCrmRecord,
    CreateOutlookItem,
    DeleteOutlookItem,
    FieldConflict,
    KeyMatch,
    LinkRecords,
    RaiseAlert,
    RestoreCrmRecord,
    StampOutlookItem,
    Step,
    UnlinkRecords,
    UpdateCrmRecord,
    UpdateOutlookItem,
)
from outlooksync.engine.records import (
    Availability,
    CrmRecord,
    Entity,
    FieldValues,
    Link,
    OutlookItem,
    Side,
    display_name,
)
from outlooksync.engine.settings import ConflictWinner, Direction, SyncSettings
from outlooksync.engine.stores import CrmChanges, CrmStore, OutlookChanges, OutlookStore


class ItemState(enum.Enum):
    """An Outlook item of a linked pair, as this run sees it."""

    PRESENT = "present"
    DELETED = "deleted"  # reported removed and a direct read answers 404
    DORMANT = "dormant"  # reported removed but still there: it left the calendar window


@dataclass
class _Pair:
    link: Link
    state: ItemState
    item: OutlookItem | None
    changed: set[str] = field(default_factory=set)


def _oldest_first(records: Iterable[CrmRecord]) -> list[CrmRecord]:
    return sorted(records, key=lambda record: (record.created_at, record.id))


def _diff(writes: FieldValues, current: FieldValues) -> dict[str, object]:
    return {name: value for name, value in writes.items() if not values_equal(value, current.get(name))}


class EntityPlanner:
    """Decides the steps of one run for one rep and one entity."""

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

    # -- the run ---------------------------------------------------------------------------

    def plan(self) -> list[Step]:
        self.plan_linked_pairs()
        self.plan_stamped_items_without_link()
        if self.writes_outlook:
            self.plan_records_without_link()
        if self.writes_crm:
            self.plan_items_without_stamp()
        return self.steps

    # -- 1. linked pairs -------------------------------------------------------------------

    def plan_linked_pairs(self) -> None:
        touched: dict[str, list[Link]] = defaultdict(list)
        for link in self.links_by_item.values():
            if (
                link.outlook_id in self.changed_items
                or link.outlook_id in self.removed_item_ids
                or link.crm_id in self.changed_records
                or link.crm_id in self.deleted_record_ids
                or (self.crm_full and link.crm_id not in self.changed_records)
            ):
                touched[link.crm_id].append(link)
        if not touched:
            return
        wanted_records = set(touched) - set(self.changed_records) - self.deleted_record_ids
        records = dict(self.changed_records)
        records.update(self.crm.get_records(self.entity, wanted_records) if wanted_records else {})
        wanted_items = {link.outlook_id for links in touched.values() for link in links} - set(self.changed_items)
        read_items = self.outlook.get_items(self.entity, wanted_items) if wanted_items else {}
        for crm_id, links in sorted(touched.items()):
            pairs = []
            for link in sorted(links, key=lambda each: each.outlook_id):
                item = self.changed_items.get(link.outlook_id) or read_items.get(link.outlook_id)
                if item is None:
                    pairs.append(_Pair(link, ItemState.DELETED, None))
                elif link.outlook_id in self.removed_item_ids:
                    pairs.append(_Pair(link, ItemState.DORMANT, item))
                else:
                    pairs.append(_Pair(link, ItemState.PRESENT, item, self._item_changes(link, item)))
            self.handled_records.add(crm_id)
            self.plan_linked_record(records.get(crm_id), crm_id, pairs)

    def plan_linked_record(self, record: CrmRecord | None, crm_id: str, pairs: list[_Pair]) -> None:
        """One CRM record and its linked items: the rows of OUTLOOK_RULES.md section 3 and 5."""
        if record is not None and record.availability is Availability.OUT_OF_RANGE:
            return  # left the start date or the calendar window: the link stays, dormant
        if record is not None and record.availability is Availability.REASSIGNED:
            self.plan_reassigned(record, pairs)
            return
        # Changed items first, so that a restore or a merge they cause reaches the unchanged ones.
        pairs.sort(key=lambda pair: (pair.state is not ItemState.PRESENT, not pair.changed, pair.link.outlook_id))
        if record is None or record.availability is Availability.ARCHIVED:
            record = self.plan_deleted_record(record, crm_id, pairs)
            if record is None:
                return
            pairs = [pair for pair in pairs if pair.state is ItemState.PRESENT and not pair.changed]
            self.plan_present_record(record, pairs, restored=True)
            return
        self.plan_present_record(record, pairs, restored=False)

    def plan_reassigned(self, record: CrmRecord, pairs: list[_Pair]) -> None:
        """Reassigned to another rep: deleted for this rep (section 5)."""
        for pair in pairs:
            outlook_id = pair.link.outlook_id
            if pair.state is ItemState.DELETED:
                self._add("reassigned, item deleted: drop the link", [UnlinkRecords(self.entity, outlook_id)])
            elif self.direction is Direction.OUTLOOK_TO_CRM:
                alert = self._alert(
                    "reassigned",
                    f"{display_name(self.entity, record.fields)} was reassigned to another rep; "
                    "its Outlook item is no longer synced.",
                    crm_id=record.id,
                    outlook_id=outlook_id,
                )
                self._add("reassigned, Outlook to CRM: unlink", [UnlinkRecords(self.entity, outlook_id), alert])
            else:
                self._add(
                    "reassigned: delete the item",
                    [DeleteOutlookItem(self.entity, outlook_id, record.id), UnlinkRecords(self.entity, outlook_id)],
                    outlook_items=(pair.item,) if pair.item else (),
                )

    def plan_deleted_record(self, record: CrmRecord | None, crm_id: str, pairs: list[_Pair]) -> CrmRecord | None:
        """The record was archived or deleted for good. Returns the record as restored, if an edit restores it."""
        restoring: _Pair | None = None
        for pair in pairs:
            outlook_id = pair.link.outlook_id
            if pair.state is ItemState.DELETED:
                self._add("deleted on both sides: drop the link", [UnlinkRecords(self.entity, outlook_id)])
            elif pair.state is ItemState.DORMANT:
                continue
            elif self.outlook_wins_deletions and pair.changed:
                if restoring is None:
                    restoring = pair
            elif self.direction is Direction.OUTLOOK_TO_CRM:
                continue  # Outlook is the master: its unchanged item stays, and so does the link
            elif restoring is None:
                assert pair.item is not None
                self._add(
                    "deleted in the CRM: delete the item",
                    [DeleteOutlookItem(self.entity, outlook_id, crm_id), UnlinkRecords(self.entity, outlook_id)],
                    outlook_items=(pair.item,),
                )
        if restoring is None:
            return None
        return self.plan_restore(record, crm_id, [pair for pair in pairs if pair.changed and pair.item])

    def plan_restore(self, record: CrmRecord | None, crm_id: str, changed: list[_Pair]) -> CrmRecord | None:
        """An Outlook edit against a CRM deletion, with Outlook the winner: restore the record with its values.

        Returns the restored record, so that its unchanged linked items receive the restored values;
        a record deleted for good is created again with a new id, stamped on the edited items.
        """
        values = dict(record.fields) if record else {}
        for pair in changed:
            assert pair.item is not None
            values.update(self.rules.values_for_crm(pair.item.fields))
        items = tuple(pair.item for pair in changed if pair.item)
        if record is not None:
            writes = self.rules.values_for_crm(values)
            actions: list[Action] = [RestoreCrmRecord(self.entity, crm_id, writes, record.version)]
            actions += [LinkRecords(self.entity, crm_id, item.id) for item in items]
            actions += [action for item in items for action in self._stamp_or_update(item, crm_id, {})]
            self._add(
                "edited in Outlook, archived in the CRM: restore", actions, crm_records=(record,), outlook_items=items
            )
            restored = CrmRecord(self.entity, crm_id, values, record.version, record.created_at)
            self.restored_in_run[crm_id] = restored
            return restored
        actions = [CreateCrmRecord(self.entity, self.rules.values_for_crm(values), items[0].id)]
        actions += [LinkRecords(self.entity, None, item.id) for item in items]
        actions += [StampOutlookItem(self.entity, item.id, None, item.change_key) for item in items]
        self._add("edited in Outlook, deleted in the CRM: recreate", actions, outlook_items=items)
        return None

    def plan_present_record(self, record: CrmRecord, pairs: list[_Pair], *, restored: bool) -> None:
        """A record available to the rep with its linked items (section 3, rows 1 to 3, 6 and 7)."""
        values = dict(record.fields)
        crm_writes: dict[str, object] = {}
        actions: list[Action] = []
        conflicts: list[FieldConflict] = []
        items: list[OutlookItem] = []
        deleted_items: list[tuple[_Pair, bool]] = []  # with whether the CRM side changed
        for pair in pairs:
            link = pair.link
            if restored or crm_writes or record.version != link.crm_version:
                crm_changed = changed_fields(values, link.crm_field_hashes, self.crm_source_fields)
            else:
                crm_changed = set()
            if pair.state is ItemState.DELETED:
                deleted_items.append((pair, bool(crm_changed)))
                continue
            item = pair.item
            if pair.state is ItemState.DORMANT or item is None:
                continue
            if not crm_changed and not pair.changed and item.crm_id == record.id and not restored:
                continue
            merged = merge_changes(self.rules, values, item.fields, crm_changed, pair.changed)
            values = apply_writes(values, merged.crm_writes)
            crm_writes.update(merged.crm_writes)
            conflicts.extend(merged.conflicts)
            actions += self._stamp_or_update(item, record.id, merged.outlook_writes)
            actions.append(LinkRecords(self.entity, record.id, item.id))
            items.append(item)
        if crm_writes:
            actions.insert(0, UpdateCrmRecord(self.entity, record.id, crm_writes, record.version))
        recreate = [pair for pair, crm_changed in deleted_items if crm_changed and not self.outlook_wins_deletions]
        if recreate:
            # The CRM record changed and the CRM wins (or is the master): its item comes back.
            actions += [UnlinkRecords(self.entity, pair.link.outlook_id) for pair in recreate]
            linked_ids = tuple(link.outlook_id for link in self.links_by_record[record.id])
            actions.append(CreateOutlookItem(self.entity, record.id, self.rules.values_for_outlook(values), linked_ids))
            actions.append(LinkRecords(self.entity, record.id, None))
            self.recreated_for.add(record.id)
        self._add(
            "linked pair",
            actions,
            crm_records=(record,),
            outlook_items=tuple(items),
            conflicts=tuple(conflicts),
        )
        lost = [pair for pair, _ in deleted_items if pair not in recreate]
        if lost and self.outlook_wins_deletions:
            self.plan_archive(record, [pair.link.outlook_id for pair in lost])
        # Otherwise the record stays, unlinked from any item, and its item is created again when it
        # next changes (section 3, "unchanged | deleted"). The link to the gone item is kept as the
        # snapshot that tells "changed" from "unchanged": dropped, the record would look new to a
        # run that sees it again (a run repeated after an interruption) and be created at once.

    def plan_archive(self, record: CrmRecord, outlook_ids: list[str]) -> None:
        """Outlook deleted the item and wins: archive the record (never delete it) and tell the rep."""
        alert = self._alert(
            "archived",
            f"{display_name(self.entity, record.fields)} was deleted in Outlook and archived in the CRM; "
            "it can be restored from the archive.",
            crm_id=record.id,
        )
        self.archived_in_run.add(record.id)
        actions: list[Action] = [ArchiveCrmRecord(self.entity, record.id, record.version)]
        actions += [UnlinkRecords(self.entity, outlook_id) for outlook_id in outlook_ids]
        actions.append(alert)
        self._add("deleted in Outlook: archive", actions, crm_records=(record,))

    # -- 2. stamped items without a link ---------------------------------------------------

    def plan_stamped_items_without_link(self) -> None:
        by_stamp: dict[str, list[OutlookItem]] = defaultdict(list)
        for item in self.changed_items.values():
            if item.crm_id and item.id not in self.claimed_items and item.crm_id not in self.recreated_for:
                by_stamp[item.crm_id].append(item)
        if not by_stamp:
            return
        wanted = set(by_stamp) - set(self.changed_records)
        records = dict(self.changed_records)
        records.update(self.crm.get_records(self.entity, wanted) if wanted else {})
        for crm_id, items in sorted(by_stamp.items()):
            record = records.get(crm_id)
            items.sort(key=lambda item: item.id)
            if record is not None and record.is_available:
                if self.writes_outlook and crm_id in self.changed_records and crm_id not in self.links_by_record:
                    # An unlinked record of this run also looks for key matches (section 2 step 1):
                    # step 3 decides its stamped and key-matched items together.
                    self.stamped_for_step_three[crm_id] = items
                    self.claimed_items.update(item.id for item in items)
                else:
                    self.plan_match(record, items, rule="stamp without a link: rebuild the link")
            elif record is not None and record.availability is Availability.OUT_OF_RANGE:
                continue
            else:
                for item in items:
                    self.plan_orphan_item(item)

    def plan_orphan_item(self, item: OutlookItem) -> None:
        """An item carrying the id of no record available to the rep (section 4, last row)."""
        self.claimed_items.add(item.id)
        if self.direction is Direction.OUTLOOK_TO_CRM:
            actions = [
                CreateCrmRecord(self.entity, self.rules.values_for_crm(item.fields), item.id),
                LinkRecords(self.entity, None, item.id),
                StampOutlookItem(self.entity, item.id, None, item.change_key),
            ]
            self._add("stamp of no available record: create the record", actions, outlook_items=(item,))
        else:
            self._add(
                "stamp of no available record: delete the item",
                [DeleteOutlookItem(self.entity, item.id, item.crm_id)],
                outlook_items=(item,),
            )

    def plan_match(
        self, record: CrmRecord, items: list[OutlookItem], *, rule: str, key_match: KeyMatch | None = None
    ) -> None:
        """A record paired with items by stamp or key, with no snapshot: section 2's match in the current direction."""
        self.handled_records.add(record.id)
        self.claimed_items.update(item.id for item in items)
        values = dict(record.fields)
        crm_writes: dict[str, object] = {}
        conflicts: list[FieldConflict] = []
        for item in items:  # fold every item into the record first, then write the result to every item
            merged = merge_first_match(self.rules, values, item.fields)
            values = apply_writes(values, merged.crm_writes)
            crm_writes.update(merged.crm_writes)
            conflicts.extend(merged.conflicts)
        actions: list[Action] = []
        if crm_writes:
            actions.append(UpdateCrmRecord(self.entity, record.id, crm_writes, record.version))
        for item in items:
            writes = _diff(self.rules.values_for_outlook(values), item.fields)
            actions += self._stamp_or_update(item, record.id, writes)
            actions.append(LinkRecords(self.entity, record.id, item.id))
        self._add(
            rule,
            actions,
            crm_records=(record,),
            outlook_items=tuple(items),
            conflicts=tuple(conflicts),
            key_match=key_match,
        )

    # -- 3. CRM records without a link -----------------------------------------------------

    def plan_records_without_link(self) -> None:
        records = _oldest_first(
            record
            for record in self.changed_records.values()
            if record.is_available
            and record.id not in self.links_by_record
            and record.id not in self.handled_records
            and self.within_start_date(record)
        )
        if not records:
            return
        stamped: dict[str, list[OutlookItem]] = defaultdict(list, self.stamped_for_step_three)
        if not self.outlook_full:
            for item in self.outlook.find_by_stamps(self.entity, [record.id for record in records]):
                if item.id not in self.claimed_items and item.crm_id:
                    stamped[item.crm_id].append(item)
                    self.claimed_items.add(item.id)
        pool: dict[RecordKey, list[OutlookItem]] = defaultdict(list)
        candidates: dict[str, OutlookItem] = dict(self.changed_items)
        if not self.outlook_full:
            probes = [record.fields for record in records]
            candidates.update((item.id, item) for item in self.outlook.find_key_candidates(self.entity, probes))
        for item in sorted(candidates.values(), key=lambda item: item.id):
            if not item.crm_id and item.id not in self.claimed_items and self.within_start_date(item):
                pool[self.key_of(item.fields)].append(item)
        for record in records:
            matches = [item for item in pool.get(self.key_of(record.fields), []) if item.id not in self.claimed_items]
            by_stamp = sorted(stamped.get(record.id, []), key=lambda item: item.id)
            if matches:
                key_match = KeyMatch(
                    Side.CRM,
                    display_name(self.entity, record.fields),
                    tuple(display_name(self.entity, item.fields) for item in matches),
                )
                self.plan_match(record, by_stamp + matches, rule="key match", key_match=key_match)
            elif by_stamp:
                self.plan_match(record, by_stamp, rule="stamp without a link: rebuild the link")
            else:
                self.handled_records.add(record.id)
                actions = [
                    CreateOutlookItem(self.entity, record.id, self.rules.values_for_outlook(record.fields)),
                    LinkRecords(self.entity, record.id, None),
                ]
                self._add("no link, no key match: create in Outlook", actions, crm_records=(record,))

    # -- 4. Outlook items without a stamp --------------------------------------------------

    def plan_items_without_stamp(self) -> None:
        items = [
            item
            for item in sorted(self.changed_items.values(), key=lambda item: item.id)
            if not item.crm_id and item.id not in self.claimed_items and self.within_start_date(item)
        ]
        if not items:
            return
        candidates: dict[str, CrmRecord] = dict(self.changed_records)
        if not self.crm_full:
            probes = [item.fields for item in items]
            candidates.update((record.id, record) for record in self.crm.find_key_candidates(self.entity, probes))
        candidates.update(self.restored_in_run)
        pool: dict[RecordKey, list[CrmRecord]] = defaultdict(list)
        for record in _oldest_first(candidates.values()):
            if record.is_available and record.id not in self.archived_in_run:
                pool[self.key_of(record.fields)].append(record)
        by_key: dict[RecordKey, list[OutlookItem]] = defaultdict(list)
        for item in items:
            by_key[self.key_of(item.fields)].append(item)
        for key, same_key in by_key.items():
            self.plan_items_by_key(same_key, pool.get(key, []))

    def plan_items_by_key(self, items: list[OutlookItem], matches: list[CrmRecord]) -> None:
        """Unstamped items sharing one key, taken in turn as section 2 step 2 says.

        The first item without a match creates the record the next ones then match, so items with
        one key are decided together: every matching record takes the items' values (the last
        item's value of a field wins), and every item is linked to the oldest record and stamped.

        In a bidirectional sync the oldest record and the items are merged as a first-sync match
        (section 2: "a matched pair is merged") rather than overwritten: an item new in Outlook
        that shares the key of a synced record must not wipe what that record's other items just
        sent, and the outcome must not depend on the order a run, or a repeated run, applies it in
        (section 7).
        """
        values: dict[str, object] = {}
        for item in items:
            values.update(self.rules.values_for_crm(item.fields))
        if matches and self.direction is Direction.BIDIRECTIONAL:
            key_match = KeyMatch(
                Side.OUTLOOK,
                display_name(self.entity, items[0].fields),
                tuple(display_name(self.entity, record.fields) for record in matches),
            )
            # The younger records first, in their own step: once the items are stamped and linked,
            # a repeated run would no longer find them by key.
            younger = [
                UpdateCrmRecord(self.entity, record.id, writes, record.version)
                for record in matches[1:]
                if (writes := _diff(values, record.fields))
            ]
            self._add("key match: younger records take the values", younger, crm_records=tuple(matches[1:]))
            self.plan_match(matches[0], items, rule="key match: merged with the oldest", key_match=key_match)
            return
        self.claimed_items.update(item.id for item in items)
        actions: list[Action] = []
        oldest: str | None = None
        key_match: KeyMatch | None = None
        if matches:
            oldest = matches[0].id
            for record in matches:
                writes = _diff(values, record.fields)
                if writes:
                    actions.append(UpdateCrmRecord(self.entity, record.id, writes, record.version))
            key_match = KeyMatch(
                Side.OUTLOOK,
                display_name(self.entity, items[0].fields),
                tuple(display_name(self.entity, record.fields) for record in matches),
            )
        else:
            actions.append(CreateCrmRecord(self.entity, values, items[0].id))
        actions += [LinkRecords(self.entity, oldest, item.id) for item in items]
        actions += [StampOutlookItem(self.entity, item.id, oldest, item.change_key) for item in items]
        rule = "key match: link to the oldest" if matches else "no stamp, no key match: create in the CRM"
        self._add(rule, actions, crm_records=tuple(matches), outlook_items=tuple(items), key_match=key_match)
