"""OUTLOOK_RULES.md sections 2 and 4: records and items without a link, matched by stamp, then by key."""

from __future__ import annotations

from collections import defaultdict

from outlooksync.engine.decide.base import PlannerBase, differing_values, oldest_first
from outlooksync.engine.keys import RecordKey
from outlooksync.engine.merge import apply_writes, merge_first_match
from outlooksync.engine.plan import (
    Action,
    CreateCrmRecord,
    CreateOutlookItem,
    DeleteOutlookItem,
    FieldConflict,
    KeyMatch,
    LinkRecords,
    StampOutlookItem,
    Step,
    UpdateCrmRecord,
    UpdateOutlookItem,
)
from outlooksync.engine.records import (
    Availability,
    CrmRecord,
    FieldValues,
    OutlookItem,
    Side,
    display_name,
)
from outlooksync.engine.settings import Direction


class UnlinkedDecisions(PlannerBase):
    """Stamps without links, and the first-sync matching of records and items by key."""

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
            elif (
                record is not None
                and record.availability is Availability.REASSIGNED
                and self.direction is Direction.OUTLOOK_TO_CRM
            ):
                continue  # section 5: the item of a record reassigned away is left alone in Outlook to CRM
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
            self.note_creation(item.fields)
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
            writes = differing_values(self.rules.values_for_matched_outlook(values), item.fields)
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
        records = oldest_first(
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
        for record in oldest_first(candidates.values()):
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
        creating = self.created_in_run.get(self.key_of(items[0].fields))
        if creating is not None:
            if not matches:
                self.join_creation(creating, items)
                return
            self.creation_takes_values(creating, values)
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
                if (writes := differing_values(values, record.fields))
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
                writes = differing_values(values, record.fields)
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

    def join_creation(self, index: int, items: list[OutlookItem]) -> None:
        """Items whose key matches a record this run creates (recreated, or made from an orphan stamp):
        they match it as they would match it once created, so a repeated run decides the same."""
        self.claimed_items.update(item.id for item in items)
        step = self.steps[index]
        values = dict(self._creation(step).fields)
        conflicts: list[FieldConflict] = list(step.conflicts)
        for item in items:
            if self.direction is Direction.BIDIRECTIONAL:
                merged = merge_first_match(self.rules, values, item.fields)
                values = apply_writes(values, merged.crm_writes)
                conflicts.extend(merged.conflicts)
            else:
                values.update(self.rules.values_for_crm(item.fields))
        self._rewrite_creation(index, values, [*step.outlook_items, *items], conflicts)

    def creation_takes_values(self, index: int, values: FieldValues) -> None:
        """A record this run creates shares the key of items matched to older records: like every
        record with that key, it takes the items' values."""
        step = self.steps[index]
        self._rewrite_creation(
            index, {**self._creation(step).fields, **values}, list(step.outlook_items), list(step.conflicts)
        )

    @staticmethod
    def _creation(step: Step) -> CreateCrmRecord:
        return next(action for action in step.actions if isinstance(action, CreateCrmRecord))

    def _rewrite_creation(
        self, index: int, values: FieldValues, items: list[OutlookItem], conflicts: list[FieldConflict]
    ) -> None:
        """Decide a creating step again with the record's final values and every item linked to it."""
        step = self.steps[index]
        create = self._creation(step)
        redecided = (CreateCrmRecord, UpdateOutlookItem, LinkRecords, StampOutlookItem)
        actions: list[Action] = [CreateCrmRecord(self.entity, values, create.outlook_id)]
        actions += [action for action in step.actions if not isinstance(action, redecided)]
        if self.direction is Direction.BIDIRECTIONAL:  # both sides end equal on the two-way fields
            two_way = {
                name: values.get(name)
                for name, way in self.rules.directions.items()
                if way.writes_outlook and way.writes_crm
            }
            for item in items:
                writes = differing_values(two_way, item.fields)
                if writes:
                    actions.append(UpdateOutlookItem(self.entity, item.id, writes, None, item.change_key))
        for item in items:
            actions += [
                LinkRecords(self.entity, None, item.id),
                StampOutlookItem(self.entity, item.id, None, item.change_key),
            ]
        self.steps[index] = Step(
            entity=self.entity,
            rule=step.rule,
            actions=tuple(actions),
            outlook_items=tuple(items),
            conflicts=tuple(conflicts),
        )
