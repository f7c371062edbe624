"""A run for one rep: plan every enabled entity, guard against mass deletion, apply, commit cursors.

`preview` is the same plan, not applied: it reads both sides and writes nothing (delta cursors
are only committed by `synchronize`, after the plan was applied without errors or holds).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence

from outlooksync.engine.decide import EntityPlanner
from outlooksync.engine.execute import PlanExecutor, RunReport
from outlooksync.engine.plan import (
    ArchiveCrmRecord,
    DeleteOutlookItem,
    HeldDeletions,
    Plan,
    PlanSummary,
    RaiseAlert,
    Step,
    UnlinkRecords,
    hold_message,
)
from outlooksync.engine.records import Entity, Side
from outlooksync.engine.settings import Direction, SyncSettings
from outlooksync.engine.stores import CrmChanges, CrmStore, OutlookChange, OutlookChanges, OutlookStore

MASS_DELETION_MIN_COUNT = 10
MASS_DELETION_MAX_SHARE_PERCENT = 20


class HeldDeletionsDecision(enum.StrEnum):
    """What the rep or an admin answered about deletions the guard held."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"


def exceeds_mass_deletion_threshold(deletions: int, linked: int) -> bool:
    """More than 10 deletions and more than 20 % of the linked items on one side."""
    return deletions > MASS_DELETION_MIN_COUNT and deletions * 100 > linked * MASS_DELETION_MAX_SHARE_PERCENT


def plan_entity(
    *, settings: SyncSettings, entity: Entity, crm: CrmStore, outlook: OutlookStore, resync: bool = False
) -> tuple[list[Step], int, CrmChanges, OutlookChanges]:
    """One entity's steps, its number of stored links, and the changes read (for their cursors)."""
    links = list(crm.links(entity))
    linked = len(links)
    steps: list[Step] = []
    deleted_by_resync: set[str] = set()
    if resync:
        # Section 6: the rep confirmed the resync, so these deletions are never held.
        if links:
            unlinks = tuple(UnlinkRecords(entity, link.outlook_id) for link in links)
            steps.append(Step(entity=entity, rule="resync: clear the links", actions=unlinks, resync=True))
        if settings.direction is not Direction.OUTLOOK_TO_CRM:
            for item in outlook.list_stamped(entity):
                deleted_by_resync.add(item.id)
                steps.append(
                    Step(
                        entity=entity,
                        rule="resync: delete the stamped item",
                        actions=(DeleteOutlookItem(entity, item.id, item.crm_id, resync=True),),
                        outlook_items=(item,),
                        resync=True,
                    )
                )
        links = []
    # A first sync is the stores' to know: with no committed cursor they answer with everything
    # (full=True). Deciding it from "no links yet" would turn a rep's last unlinked pair into a
    # full re-creation.
    crm_changes = crm.read_changes(entity, full=resync)
    outlook_changes = outlook.read_changes(entity, full=resync)
    planner = EntityPlanner(
        settings=settings,
        entity=entity,
        crm=crm,
        outlook=outlook,
        links=links,
        crm_changes=crm_changes,
        outlook_changes=outlook_changes,
        ignored_item_ids=deleted_by_resync,
    )
    decided = planner.plan()
    # Deletions last: if a run stops early, it has written before it deleted.
    steps += [step for step in decided if not step.deletions] + [step for step in decided if step.deletions]
    return steps, linked, crm_changes, outlook_changes


def _cancelled(step: Step) -> Step:
    """A held deletion the rep cancelled: nothing is deleted or archived.

    An Outlook item kept this way keeps its link, so later edits on either side are judged by the
    tables again; a CRM record kept this way only loses the link to its item that is gone.
    """
    kept_items = {action.outlook_id for action in step.actions if isinstance(action, DeleteOutlookItem)}
    actions = tuple(
        action
        for action in step.actions
        if not isinstance(action, DeleteOutlookItem | ArchiveCrmRecord | RaiseAlert)
        and not (isinstance(action, UnlinkRecords) and action.outlook_id in kept_items)
    )
    return Step(entity=step.entity, rule=f"{step.rule} (deletion cancelled)", actions=actions)


def guard_mass_deletion(
    steps: Sequence[Step], linked: dict[Entity, int], decision: HeldDeletionsDecision
) -> tuple[list[Step], list[Step], list[HeldDeletions]]:
    """Hold every deletion of the run when one side of one entity would lose too many linked items.

    Returns the steps to apply, the steps held, and why. Resync deletions are never held.
    """
    holds: list[HeldDeletions] = []
    for entity, count in linked.items():
        for side, kind in ((Side.OUTLOOK, DeleteOutlookItem), (Side.CRM, ArchiveCrmRecord)):
            deletions = sum(
                1
                for step in steps
                if step.entity is entity and not step.resync
                for action in step.actions
                if isinstance(action, kind)
            )
            if exceeds_mass_deletion_threshold(deletions, count):
                holds.append(HeldDeletions(side=side, entity=entity, deletions=deletions, linked=count))
    if not holds or decision is HeldDeletionsDecision.CONFIRMED:
        return list(steps), [], []
    held = [step for step in steps if step.deletions and not step.resync]
    kept = [step for step in steps if not step.deletions or step.resync]
    if decision is HeldDeletionsDecision.CANCELLED:
        return kept + [_cancelled(step) for step in held], [], []
    return kept, held, holds


def plan_run(
    *,
    settings: SyncSettings,
    crm: CrmStore,
    outlook: OutlookStore,
    entities: Iterable[Entity] | None = None,
    resync: bool = False,
    held_deletions: HeldDeletionsDecision = HeldDeletionsDecision.PENDING,
) -> Plan:
    """Decide everything a run would do for the rep, reading both sides and writing nothing."""
    chosen = [entity for entity in (entities or settings.enabled_entities) if settings.entities[entity].enabled]
    steps: list[Step] = []
    linked: dict[Entity, int] = {}
    crm_cursors, outlook_cursors = {}, {}
    for entity in chosen:
        entity_steps, linked[entity], crm_changes, outlook_changes = plan_entity(
            settings=settings, entity=entity, crm=crm, outlook=outlook, resync=resync
        )
        steps += entity_steps
        crm_cursors[entity] = crm_changes.cursor
        outlook_cursors[entity] = outlook_changes.cursor
    kept, held, holds = guard_mass_deletion(steps, linked, held_deletions)
    return Plan(
        steps=tuple(kept),
        held_steps=tuple(held),
        holds=tuple(holds),
        crm_cursors=crm_cursors,
        outlook_cursors=outlook_cursors,
    )


def preview(
    *, settings: SyncSettings, crm: CrmStore, outlook: OutlookStore, entities: Iterable[Entity] | None = None
) -> PlanSummary:
    """What a run would do now, for the preview page and endpoint; nothing is written."""
    return plan_run(settings=settings, crm=crm, outlook=outlook, entities=entities).summary()


def replan_step(step: Step, *, settings: SyncSettings, crm: CrmStore, outlook: OutlookStore) -> list[Step]:
    """Decide a step again from fresh reads of its records (after a 412 or a stale version)."""
    entity = step.entity
    crm_ids = {record.id for record in step.crm_records}
    outlook_ids = {item.id for item in step.outlook_items}
    for action in step.actions:
        crm_ids.update(filter(None, [getattr(action, "crm_id", None)]))
        outlook_ids.update(filter(None, [getattr(action, "outlook_id", None)]))
    links = [link for link in crm.links(entity) if link.crm_id in crm_ids or link.outlook_id in outlook_ids]
    crm_ids |= {link.crm_id for link in links}
    outlook_ids |= {link.outlook_id for link in links}
    records = crm.get_records(entity, crm_ids)
    items = outlook.get_items(entity, outlook_ids)
    entries = [OutlookChange(item=item) for item in items.values()]
    entries += [OutlookChange(removed_id=outlook_id) for outlook_id in sorted(outlook_ids - set(items))]
    planner = EntityPlanner(
        settings=settings,
        entity=entity,
        crm=crm,
        outlook=outlook,
        links=links,
        crm_changes=CrmChanges(records=list(records.values()), deleted_ids=crm_ids - set(records)),
        outlook_changes=OutlookChanges(entries=entries),
    )
    return planner.plan()


def apply_plan(plan: Plan, *, settings: SyncSettings, crm: CrmStore, outlook: OutlookStore) -> RunReport:
    """Apply a plan; a step whose records changed meanwhile is decided again and retried once."""

    def replan(step: Step) -> list[Step]:
        return replan_step(step, settings=settings, crm=crm, outlook=outlook)

    return PlanExecutor(settings=settings, crm=crm, outlook=outlook, replan=replan).execute(plan)


def synchronize(
    *,
    settings: SyncSettings,
    crm: CrmStore,
    outlook: OutlookStore,
    entities: Iterable[Entity] | None = None,
    resync: bool = False,
    held_deletions: HeldDeletionsDecision = HeldDeletionsDecision.PENDING,
) -> RunReport:
    """One run for one rep: plan, apply, and commit the cursors when nothing was held or failed.

    Keeping the cursors after a hold or an error means the next run sees the same changes again;
    every decision is idempotent, so what was applied already is not applied twice.
    """
    plan = plan_run(
        settings=settings, crm=crm, outlook=outlook, entities=entities, resync=resync, held_deletions=held_deletions
    )
    report = apply_plan(plan, settings=settings, crm=crm, outlook=outlook)
    report.alerts += [RaiseAlert(hold.entity, "mass_deletion_held", hold_message(hold)) for hold in plan.holds]
    if not plan.held and not report.errors:
        for entity, cursor in plan.crm_cursors.items():
            crm.commit_cursor(entity, cursor)
        for entity, cursor in plan.outlook_cursors.items():
            outlook.commit_cursor(entity, cursor)
    return report
