"""OUTLOOK_RULES.md sections 3 and 5: linked pairs touched by a change on either side."""

from __future__ import annotations

from collections import defaultdict

from outlooksync.engine.decide.base import ItemState, LinkedPair, PlannerBase
from outlooksync.engine.merge import apply_writes, changed_fields, merge_changes
from outlooksync.engine.plan import (
    Action,
    ArchiveCrmRecord,
    CreateCrmRecord,
    CreateOutlookItem,
    DeleteOutlookItem,
    FieldConflict,
    LinkRecords,
    RestoreCrmRecord,
    StampOutlookItem,
    UnlinkRecords,
    UpdateCrmRecord,
)
from outlooksync.engine.records import (
    Availability,
    CrmRecord,
    Link,
    OutlookItem,
    display_name,
)
from outlooksync.engine.settings import Direction


class LinkedPairDecisions(PlannerBase):
    """Section 3's table, per CRM record and its linked items, and section 5's reassignment."""

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
                    pairs.append(LinkedPair(link, ItemState.DELETED, None))
                elif link.outlook_id in self.removed_item_ids:
                    pairs.append(LinkedPair(link, ItemState.DORMANT, item))
                else:
                    pairs.append(LinkedPair(link, ItemState.PRESENT, item, self._item_changes(link, item)))
            self.handled_records.add(crm_id)
            self.plan_linked_record(records.get(crm_id), crm_id, pairs)

    def plan_linked_record(self, record: CrmRecord | None, crm_id: str, pairs: list[LinkedPair]) -> None:
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

    def plan_reassigned(self, record: CrmRecord, pairs: list[LinkedPair]) -> None:
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

    def plan_deleted_record(self, record: CrmRecord | None, crm_id: str, pairs: list[LinkedPair]) -> CrmRecord | None:
        """The record was archived or deleted for good. Returns the record as restored, if an edit restores it."""
        restoring: LinkedPair | None = None
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

    def plan_restore(self, record: CrmRecord | None, crm_id: str, changed: list[LinkedPair]) -> CrmRecord | None:
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
        self.note_creation(values)
        return None

    def plan_present_record(self, record: CrmRecord, pairs: list[LinkedPair], *, restored: bool) -> None:
        """A record available to the rep with its linked items (section 3, rows 1 to 3, 6 and 7)."""
        values = dict(record.fields)
        crm_writes: dict[str, object] = {}
        actions: list[Action] = []
        conflicts: list[FieldConflict] = []
        items: list[OutlookItem] = []
        deleted_items: list[tuple[LinkedPair, bool]] = []  # with whether the CRM side changed
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
