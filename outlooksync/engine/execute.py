"""Applying a plan through the two stores, in an order that survives an interruption anywhere.

Within a step: Outlook writes first, then the CRM writes and the links in one unit of work, then
the stamps. A link is always computed from the records as written,
so it never claims a state a side does not have: if a run stops between the Outlook write and the
CRM commit, the next run sees the Outlook write as an Outlook change, merges it again, and ends in
the same state. Outlook creates look up the stamp first, so an item created by an interrupted run
is reused, never duplicated. A record that changed meanwhile (412, stale version) is re-read, the
rules applied again, and the step retried once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from outlooksync.engine.hashing import field_hashes
from outlooksync.engine.plan import (
    ACTION_VERBS,
    Action,
    ArchiveCrmRecord,
    CreateCrmRecord,
    CreateOutlookItem,
    DeleteOutlookItem,
    LinkRecords,
    Plan,
    RaiseAlert,
    RestoreCrmRecord,
    StampOutlookItem,
    Step,
    UnlinkRecords,
    UpdateCrmRecord,
    UpdateOutlookItem,
)
from outlooksync.engine.records import CrmRecord, Entity, Link, OutlookItem, Side
from outlooksync.engine.settings import SyncSettings
from outlooksync.engine.stores import (
    ChangedMeanwhile,
    CrmStore,
    CrmUnitOfWork,
    ItemCreate,
    ItemDelete,
    ItemUpdate,
    ItemWrite,
    OutlookStore,
    RecordWrite,
)

Replanner = Callable[[Step], Sequence[Step]]

# Steps applied together when the mailbox takes batches: their Outlook writes go in one call (the store
# sends them 20 to a `$batch` request), their CRM writes and links in one unit of work.
GROUP_STEPS = 500


def _touched(step: Step) -> set[tuple[str, str]]:
    """The records and items a step reads or writes: steps of one group touch none in common."""
    keys = {("crm", record.id) for record in step.crm_records} | {("outlook", item.id) for item in step.outlook_items}
    for action in step.actions:
        crm_id, outlook_id = getattr(action, "crm_id", None), getattr(action, "outlook_id", None)
        if crm_id is not None:
            keys.add(("crm", str(crm_id)))
        if outlook_id is not None:
            keys.add(("outlook", str(outlook_id)))
    return keys


COUNTED_VERBS = {
    "create": "created",
    "update": "updated",
    "delete": "deleted",
    "archive": "archived",
    "restore": "restored",
    "link": "linked",
    "unlink": "unlinked",
    "stamp": "stamped",
}
CRM_SIDE_ACTIONS = (CreateCrmRecord, UpdateCrmRecord, RestoreCrmRecord, ArchiveCrmRecord, LinkRecords, UnlinkRecords)
CRM_RECORD_WRITES = (CreateCrmRecord, UpdateCrmRecord, RestoreCrmRecord, ArchiveCrmRecord)


@dataclass(frozen=True)
class HistoryEntry:
    """One thing a run did to one record, for the record's sync history."""

    entity: Entity
    side: Side
    action: str
    crm_id: str | None
    outlook_id: str | None
    changed_fields: tuple[str, ...] = ()
    note: str = ""


@dataclass
class RunReport:
    """What a run did: counts per side, entity and action, conflicts, history, alerts and errors."""

    counts: Counter[tuple[Side, Entity, str]] = field(default_factory=Counter)
    conflicts: Counter[Entity] = field(default_factory=Counter)
    history: list[HistoryEntry] = field(default_factory=list)
    alerts: list[RaiseAlert] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    held_deletions: int = 0

    def count(self, side: Side, entity: Entity, what: str) -> int:
        """`what` is one of created, updated, deleted, archived, restored, linked, unlinked, stamped."""
        return self.counts[(side, entity, what)]


def conflict_history(step: Step) -> list[HistoryEntry]:
    """A history entry per field both sides changed: which side won it ("conflict", written on the loser's
    side is the winner's value)."""
    crm_id = step.crm_records[0].id if step.crm_records else None
    outlook_id = step.outlook_items[0].id if step.outlook_items else None
    return [
        HistoryEntry(
            entity=step.entity,
            side=conflict.winner,
            action="conflict",
            crm_id=crm_id,
            outlook_id=outlook_id,
            changed_fields=(conflict.field,),
            note=f"{'CRM' if conflict.winner is Side.CRM else 'Outlook'} won the conflict on {conflict.field}",
        )
        for conflict in step.conflicts
    ]


def make_link(settings: SyncSettings, record: CrmRecord, item: OutlookItem) -> Link:
    """The link of a pair as both sides are now: the snapshot the next run compares with."""
    names = settings.synced_fields(record.entity)
    return Link(
        entity=record.entity,
        crm_id=record.id,
        outlook_id=item.id,
        change_key=item.change_key,
        crm_version=record.version,
        crm_field_hashes=field_hashes(record.fields, names),
        outlook_field_hashes=field_hashes(item.fields, names),
    )


@dataclass
class _StepState:
    records: dict[str, CrmRecord]
    items: dict[str, OutlookItem]
    created_record: CrmRecord | None = None
    created_item: OutlookItem | None = None


class PlanExecutor:
    """Applies plans for one rep through a CRM store and an Outlook store."""

    def __init__(
        self, *, settings: SyncSettings, crm: CrmStore, outlook: OutlookStore, replan: Replanner | None = None
    ) -> None:
        self.settings = settings
        self.crm = crm
        self.outlook = outlook
        self.replan = replan
        # The version (CRM) or change key (Outlook) of every record this run wrote, as written.
        self._written: dict[tuple[Side, Entity, str], str] = {}

    def execute(self, plan: Plan) -> RunReport:
        report = RunReport(held_deletions=sum(len(step.deletions) for step in plan.held_steps))
        if not callable(getattr(self.outlook, "write_batch", None)):
            for step in plan.steps:
                self.run_step(step, report, retry=True)
            return report
        group: list[Step] = []
        touched: set[tuple[str, str]] = set()
        for step in plan.steps:
            keys = _touched(step)
            if group and (step.entity is not group[0].entity or len(group) >= GROUP_STEPS or keys & touched):
                self._run_group(group, report)
                group, touched = [], set()
            group.append(step)
            touched |= keys
        if group:
            self._run_group(group, report)
        return report

    # -- groups of steps, their Outlook writes sent together ---------------------------------------

    def _run_group(self, steps: list[Step], report: RunReport) -> None:
        """Apply steps on distinct records in the order a single step follows (Outlook writes, the CRM's
        unit of work, stamps), each phase for the whole group at once: the Outlook writes of a phase go in
        one batch, the CRM writes in one unit of work. A step that meets a change meanwhile is decided
        again and retried on its own, as `run_step` does."""
        ready: list[Step] = []
        for step in steps:
            if self.replan is not None and self._written_earlier(step):
                self.run_step(step, report, retry=True)
            else:
                ready.append(step)
        if not ready:
            return
        entity = ready[0].entity
        states = [
            _StepState(
                records={record.id: record for record in step.crm_records},
                items={item.id: item for item in step.outlook_items},
            )
            for step in ready
        ]
        failed: set[int] = set()
        # 1. Outlook writes that come before the CRM's.
        before = [
            (index, action)
            for index, step in enumerate(ready)
            for action in step.actions
            if not isinstance(action, CRM_SIDE_ACTIONS + (RaiseAlert, StampOutlookItem))
        ]
        self._write_group(entity, before, states, failed, report)
        # 2. The CRM's writes and links, one unit of work for the group (one per step if one of them fails).
        with_crm = [
            index
            for index, step in enumerate(ready)
            if index not in failed and any(isinstance(action, CRM_SIDE_ACTIONS) for action in step.actions)
        ]
        if with_crm:
            try:
                self._crm_unit(ready, states, with_crm, report)
            except ChangedMeanwhile:
                for index in with_crm:
                    try:
                        self._crm_unit(ready, states, [index], report)
                    except ChangedMeanwhile:
                        failed.add(index)
        # 3. Stamps, once the CRM side is done.
        stamps = [
            (index, action)
            for index, step in enumerate(ready)
            if index not in failed
            for action in step.actions
            if isinstance(action, StampOutlookItem)
        ]
        self._write_group(entity, stamps, states, failed, report)
        self._relink_stamped([(ready[index], states[index], action) for index, action in stamps if index not in failed])
        for index, step in enumerate(ready):
            if index in failed:
                if self.replan is None:
                    report.errors.append(f"outlook {step.entity} changed meanwhile ({step.rule})")
                    continue
                for fresh in self.replan(step):
                    self.run_step(fresh, report, retry=False)
                continue
            report.conflicts[step.entity] += len(step.conflicts)
            report.history.extend(conflict_history(step))
            report.alerts.extend(action for action in step.actions if isinstance(action, RaiseAlert))

    def _relink_stamped(self, stamped: list[tuple[Step, _StepState, Action]]) -> None:
        """Links stored before their item was stamped get the item's version after the stamp: the next delta
        round then reads the stamp as the sync's own write, not as a change to read again."""
        links = []
        for step, state, action in stamped:
            if not any(isinstance(each, LinkRecords) for each in step.actions):
                continue
            item = state.items.get(action.outlook_id)  # type: ignore[attr-defined]
            crm_id = action.crm_id  # type: ignore[attr-defined]
            record = state.created_record if crm_id is None else state.records.get(crm_id)
            if item is not None and record is not None:
                links.append(make_link(self.settings, record, item))
        if links:
            with self.crm.unit_of_work() as unit:
                for link in links:
                    unit.save_link(link)

    def _crm_unit(self, steps: list[Step], states: list[_StepState], indexes: list[int], report: RunReport) -> None:
        committed = RunReport()
        written_before = dict(self._written)
        try:
            with self.crm.unit_of_work() as unit:
                actions = [
                    (index, action)
                    for index in indexes
                    for action in steps[index].actions
                    if isinstance(action, CRM_SIDE_ACTIONS)
                ]
                written = self._crm_batch(unit, steps[indexes[0]].entity, [action for _, action in actions])
                for (index, action), record in zip(actions, written, strict=True):
                    self._apply_crm(unit, action, states[index], committed, written=record)
        except BaseException:
            self._written = written_before
            raise
        report.counts.update(committed.counts)
        report.history.extend(committed.history)

    def _write_group(
        self,
        entity: Entity,
        actions: list[tuple[int, Action]],
        states: list[_StepState],
        failed: set[int],
        report: RunReport,
    ) -> None:
        """Send the Outlook writes of a phase together, then take each answer as `_apply_outlook` would."""
        actions = [(index, action) for index, action in actions if index not in failed]
        if not actions:
            return
        creates = [action.crm_id for _, action in actions if isinstance(action, CreateOutlookItem)]
        stamped: dict[str, list[OutlookItem]] = {}
        if creates:
            for item in self.outlook.find_by_stamps(entity, creates):
                stamped.setdefault(str(item.crm_id), []).append(item)
        writes: list[ItemWrite] = []
        for index, action in actions:
            if isinstance(action, CreateOutlookItem):
                reusable = [item for item in stamped.get(action.crm_id, []) if item.id not in action.linked_item_ids]
                if reusable:  # created by an interrupted run: written instead of created again
                    writes.append(ItemUpdate(reusable[0].id, action.fields, stamp=action.crm_id))
                else:
                    writes.append(ItemCreate(action.fields, stamp=action.crm_id))
            elif isinstance(action, UpdateOutlookItem):
                writes.append(ItemUpdate(action.outlook_id, action.fields, action.stamp, action.expected_change_key))
            elif isinstance(action, StampOutlookItem):
                crm_id = action.crm_id
                if crm_id is None:
                    created = states[index].created_record
                    assert created is not None, "a stamp of a created record follows its creation"
                    crm_id = created.id
                writes.append(ItemUpdate(action.outlook_id, {}, stamp=crm_id))
            elif isinstance(action, DeleteOutlookItem):
                writes.append(ItemDelete(action.outlook_id))
            else:
                raise TypeError(f"not an Outlook action: {action!r}")
        results = self.outlook.write_batch(entity, writes)  # type: ignore[attr-defined]
        for (index, action), write, result in zip(actions, writes, results, strict=True):
            if isinstance(result, ChangedMeanwhile):
                failed.add(index)
                continue
            if isinstance(result, Exception):
                raise result
            if index in failed:
                continue
            state = states[index]
            if isinstance(action, DeleteOutlookItem):
                self._written[(Side.OUTLOOK, entity, action.outlook_id)] = "deleted"
                state.items.pop(action.outlook_id, None)
                self._record(report, action, crm_id=action.crm_id, outlook_id=action.outlook_id)
                continue
            assert result is not None
            item = self._wrote_item(result)
            state.items[item.id] = item
            if isinstance(action, CreateOutlookItem):
                state.created_item = item
                self._record(
                    report,
                    action,
                    crm_id=action.crm_id,
                    outlook_id=item.id,
                    changed_fields=tuple(sorted(action.fields)),
                )
            elif isinstance(action, UpdateOutlookItem):
                self._record(
                    report, action, crm_id=item.crm_id, outlook_id=item.id, changed_fields=tuple(sorted(action.fields))
                )
            else:
                self._record(report, action, crm_id=write.stamp, outlook_id=item.id)  # type: ignore[union-attr]

    def _written_earlier(self, step: Step) -> bool:
        """Whether an earlier step of this run wrote a record this step was decided on."""
        stale_records = any(
            self._written.get((Side.CRM, step.entity, record.id), str(record.version)) != str(record.version)
            for record in step.crm_records
        )
        stale_items = any(
            self._written.get((Side.OUTLOOK, step.entity, item.id), item.change_key) != item.change_key
            for item in step.outlook_items
        )
        return stale_records or stale_items

    def run_step(self, step: Step, report: RunReport, *, retry: bool, fresh_decisions: int = 3) -> None:
        """Apply one step; on a change meanwhile, decide again from fresh reads and retry once.

        A step decided on a record that an earlier step of the run wrote is decided again before
        it writes anything: its values are stale, and writing them first would make the other side
        look changed (the outcome would then depend on the order steps are applied in).
        """
        if retry and self.replan is not None and fresh_decisions and self._written_earlier(step):
            for fresh in self.replan(step):
                self.run_step(fresh, report, retry=True, fresh_decisions=fresh_decisions - 1)
            return
        try:
            self._apply(step, report)
        except ChangedMeanwhile as error:
            if not retry or self.replan is None:
                report.errors.append(str(error))
                return
            for fresh in self.replan(step):
                self.run_step(fresh, report, retry=False)
            return
        report.conflicts[step.entity] += len(step.conflicts)
        report.history.extend(conflict_history(step))

    def _apply(self, step: Step, report: RunReport) -> None:
        state = _StepState(
            records={record.id: record for record in step.crm_records},
            items={item.id: item for item in step.outlook_items},
        )
        # Stamps go last: a stamp tells later runs the CRM side is done (an item matched to several
        # records is stamped once all of them took its values).
        after_crm = [action for action in step.actions if isinstance(action, StampOutlookItem)]
        crm_actions = [action for action in step.actions if isinstance(action, CRM_SIDE_ACTIONS)]
        for action in step.actions:
            if not isinstance(action, CRM_SIDE_ACTIONS + (RaiseAlert,)) and action not in after_crm:
                self._apply_outlook(action, state, report)
        if crm_actions:
            # Counted and remembered only once committed: a unit of work that rolls back wrote nothing.
            committed = RunReport()
            written_before = dict(self._written)
            try:
                with self.crm.unit_of_work() as unit:
                    written = self._crm_batch(unit, step.entity, crm_actions)
                    for action, record in zip(crm_actions, written, strict=True):
                        self._apply_crm(unit, action, state, committed, written=record)
            except BaseException:
                self._written = written_before
                raise
            report.counts.update(committed.counts)
            report.history.extend(committed.history)
        for action in after_crm:
            self._apply_outlook(action, state, report)
        self._relink_stamped([(step, state, action) for action in after_crm])
        report.alerts.extend(action for action in step.actions if isinstance(action, RaiseAlert))

    def _record(self, report: RunReport, action: Action, **entry: object) -> None:
        side, verb = ACTION_VERBS[type(action)]
        report.counts[(side, action.entity, COUNTED_VERBS[verb])] += 1
        report.history.append(HistoryEntry(entity=action.entity, side=side, action=verb, **entry))  # type: ignore[arg-type]

    def _wrote_item(self, item: OutlookItem) -> OutlookItem:
        self._written[(Side.OUTLOOK, item.entity, item.id)] = item.change_key
        return item

    def _wrote_record(self, record: CrmRecord) -> CrmRecord:
        self._written[(Side.CRM, record.entity, record.id)] = str(record.version)
        return record

    def _apply_outlook(self, action: Action, state: _StepState, report: RunReport) -> None:
        entity = action.entity
        if isinstance(action, CreateOutlookItem):
            reusable = [
                item
                for item in self.outlook.find_by_stamps(entity, [action.crm_id])
                if item.id not in action.linked_item_ids
            ]
            if reusable:  # created by an interrupted run: write it instead of creating a duplicate
                item = self.outlook.update_item(
                    entity, reusable[0].id, action.fields, stamp=action.crm_id, expected_change_key=None
                )
            else:
                item = self.outlook.create_item(entity, action.fields, stamp=action.crm_id)
            state.created_item = state.items[item.id] = self._wrote_item(item)
            self._record(
                report, action, crm_id=action.crm_id, outlook_id=item.id, changed_fields=tuple(sorted(action.fields))
            )
        elif isinstance(action, UpdateOutlookItem):
            item = self.outlook.update_item(
                entity,
                action.outlook_id,
                action.fields,
                stamp=action.stamp,
                expected_change_key=action.expected_change_key,
            )
            state.items[item.id] = self._wrote_item(item)
            self._record(
                report, action, crm_id=item.crm_id, outlook_id=item.id, changed_fields=tuple(sorted(action.fields))
            )
        elif isinstance(action, StampOutlookItem):
            crm_id = action.crm_id
            if crm_id is None:
                assert state.created_record is not None, "a stamp of a created record follows its creation"
                crm_id = state.created_record.id
            item = self.outlook.update_item(entity, action.outlook_id, {}, stamp=crm_id, expected_change_key=None)
            state.items[item.id] = self._wrote_item(item)
            self._record(report, action, crm_id=crm_id, outlook_id=item.id)
        elif isinstance(action, DeleteOutlookItem):
            self.outlook.delete_item(entity, action.outlook_id)
            self._written[(Side.OUTLOOK, entity, action.outlook_id)] = "deleted"
            state.items.pop(action.outlook_id, None)
            self._record(report, action, crm_id=action.crm_id, outlook_id=action.outlook_id)
        else:
            raise TypeError(f"not an Outlook action: {action!r}")

    def _crm_batch(self, unit: CrmUnitOfWork, entity: Entity, actions: Sequence[Action]) -> list[CrmRecord | None]:
        """The record writes among `actions` made in one call when the unit of work takes batches: the records
        as written, in the actions' places (None for a link or unlink, or for every action when the writes
        go one by one: a unit without batches, or one record written twice)."""
        answers: list[CrmRecord | None] = [None] * len(actions)
        write_batch = getattr(unit, "write_batch", None)
        places = [index for index, action in enumerate(actions) if isinstance(action, CRM_RECORD_WRITES)]
        crm_ids = [actions[index].crm_id for index in places if not isinstance(actions[index], CreateCrmRecord)]
        if not callable(write_batch) or not places or len(set(crm_ids)) != len(crm_ids):
            return answers
        writes = []
        for index in places:
            action = actions[index]
            if isinstance(action, CreateCrmRecord):
                writes.append(RecordWrite("create", fields=action.fields))
            elif isinstance(action, ArchiveCrmRecord):
                writes.append(RecordWrite("archive", action.crm_id, expected_version=action.expected_version))
            else:
                kind = "restore" if isinstance(action, RestoreCrmRecord) else "update"
                writes.append(RecordWrite(kind, action.crm_id, action.fields, action.expected_version))
        for index, record in zip(places, write_batch(entity, writes), strict=True):
            answers[index] = record
        return answers

    def _apply_crm(
        self,
        unit: CrmUnitOfWork,
        action: Action,
        state: _StepState,
        report: RunReport,
        *,
        written: CrmRecord | None = None,
    ) -> None:
        """One CRM-side action; `written` is the record as a batch wrote it already (then it is not written
        again, only taken into the step's state and the report)."""
        entity = action.entity
        if isinstance(action, CreateCrmRecord):
            record = written if written is not None else unit.create_record(entity, action.fields)
            state.created_record = state.records[record.id] = self._wrote_record(record)
            self._record(
                report,
                action,
                crm_id=record.id,
                outlook_id=action.outlook_id,
                changed_fields=tuple(sorted(action.fields)),
            )
        elif isinstance(action, UpdateCrmRecord):
            record = (
                written
                if written is not None
                else unit.update_record(entity, action.crm_id, action.fields, expected_version=action.expected_version)
            )
            state.records[record.id] = self._wrote_record(record)
            self._record(report, action, crm_id=record.id, outlook_id=None, changed_fields=tuple(sorted(action.fields)))
        elif isinstance(action, RestoreCrmRecord):
            record = (
                written
                if written is not None
                else unit.restore_record(entity, action.crm_id, action.fields, expected_version=action.expected_version)
            )
            state.records[record.id] = self._wrote_record(record)
            self._record(report, action, crm_id=record.id, outlook_id=None, changed_fields=tuple(sorted(action.fields)))
        elif isinstance(action, ArchiveCrmRecord):
            record = (
                written
                if written is not None
                else unit.archive_record(entity, action.crm_id, expected_version=action.expected_version)
            )
            state.records[record.id] = self._wrote_record(record)
            self._record(report, action, crm_id=record.id, outlook_id=None)
        elif isinstance(action, LinkRecords):
            record = state.created_record if action.crm_id is None else state.records.get(action.crm_id)
            item = state.created_item if action.outlook_id is None else state.items.get(action.outlook_id)
            if record is None:
                record = self.crm.get_records(entity, [str(action.crm_id)])[str(action.crm_id)]
            if item is None:
                item = self.outlook.get_items(entity, [str(action.outlook_id)])[str(action.outlook_id)]
            unit.save_link(make_link(self.settings, record, item))
            self._record(report, action, crm_id=record.id, outlook_id=item.id)
        elif isinstance(action, UnlinkRecords):
            unit.delete_link(entity, action.outlook_id)
            self._record(report, action, crm_id=None, outlook_id=action.outlook_id)
        else:
            raise TypeError(f"not a CRM action: {action!r}")
