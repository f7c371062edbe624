"""The plan of a run: typed actions grouped in steps, with a summary for the preview.

A step groups the actions on one CRM record and the Outlook items linked or matched to it, so
the executor can apply them in a safe order and, when a store reports that a record changed
meanwhile, re-read exactly these records and decide again. Computing a plan writes nothing:
the preview is a plan that is not applied.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from outlooksync.engine.records import CrmRecord, Entity, FieldValues, OutlookItem, Side


def _frozen(values: FieldValues) -> FieldValues:
    return MappingProxyType(dict(values))


@dataclass(frozen=True)
class CreateOutlookItem:
    """Create an Outlook item stamped with the CRM id.

    An item that already carries the stamp and is not one of `linked_item_ids` (the record's other
    linked items) is updated instead: that is the item an interrupted run created.
    """

    entity: Entity
    crm_id: str
    fields: FieldValues
    linked_item_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "fields", _frozen(self.fields))


@dataclass(frozen=True)
class UpdateOutlookItem:
    """Write fields of an Outlook item, and its stamp when `stamp` is given."""

    entity: Entity
    outlook_id: str
    fields: FieldValues
    stamp: str | None = None
    expected_change_key: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "fields", _frozen(self.fields))


@dataclass(frozen=True)
class StampOutlookItem:
    """Stamp the CRM id on an item; `crm_id` None means the record this step creates."""

    entity: Entity
    outlook_id: str
    crm_id: str | None
    expected_change_key: str | None = None


@dataclass(frozen=True)
class DeleteOutlookItem:
    """Delete an Outlook item. `resync` deletions were confirmed by the rep and are never held."""

    entity: Entity
    outlook_id: str
    crm_id: str | None = None
    resync: bool = False


@dataclass(frozen=True)
class CreateCrmRecord:
    """Create a CRM record owned by the rep from an Outlook item's values."""

    entity: Entity
    fields: FieldValues
    outlook_id: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "fields", _frozen(self.fields))


@dataclass(frozen=True)
class UpdateCrmRecord:
    """Write fields of a CRM record."""

    entity: Entity
    crm_id: str
    fields: FieldValues
    expected_version: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "fields", _frozen(self.fields))


@dataclass(frozen=True)
class RestoreCrmRecord:
    """Take an archived CRM record out of the archive with an Outlook item's values."""

    entity: Entity
    crm_id: str
    fields: FieldValues
    expected_version: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "fields", _frozen(self.fields))


@dataclass(frozen=True)
class ArchiveCrmRecord:
    """Archive a CRM record (the sync never deletes one)."""

    entity: Entity
    crm_id: str
    expected_version: int


@dataclass(frozen=True)
class LinkRecords:
    """Store the link of a pair; None stands for the record or item this step creates."""

    entity: Entity
    crm_id: str | None
    outlook_id: str | None


@dataclass(frozen=True)
class UnlinkRecords:
    """Forget the link of an Outlook item."""

    entity: Entity
    outlook_id: str


@dataclass(frozen=True)
class RaiseAlert:
    """Tell the rep something that needs their attention."""

    entity: Entity
    kind: str
    message: str
    crm_id: str | None = None
    outlook_id: str | None = None


OutlookWrite = CreateOutlookItem | UpdateOutlookItem | StampOutlookItem | DeleteOutlookItem
CrmWrite = CreateCrmRecord | UpdateCrmRecord | RestoreCrmRecord | ArchiveCrmRecord
LinkWrite = LinkRecords | UnlinkRecords
Action = OutlookWrite | CrmWrite | LinkWrite | RaiseAlert

DELETIONS = (DeleteOutlookItem, ArchiveCrmRecord)


@dataclass(frozen=True)
class FieldConflict:
    """A field changed on both sides to different values, and who won it."""

    field: str
    winner: Side


@dataclass(frozen=True)
class KeyMatch:
    """A record matched by key to items on the other side; ambiguous when more than one."""

    side: Side
    name: str
    matched_names: tuple[str, ...]

    @property
    def ambiguous(self) -> bool:
        return len(self.matched_names) > 1


@dataclass(frozen=True)
class Step:
    """Actions on one CRM record and the Outlook items paired with it, decided together.

    `crm_records` and `outlook_items` are the records as read when the step was decided; the
    executor starts from them and re-reads them when a store reports a change meanwhile.
    """

    entity: Entity
    rule: str
    actions: tuple[Action, ...]
    crm_records: tuple[CrmRecord, ...] = ()
    outlook_items: tuple[OutlookItem, ...] = ()
    conflicts: tuple[FieldConflict, ...] = ()
    key_match: KeyMatch | None = None
    resync: bool = False

    @property
    def deletions(self) -> tuple[Action, ...]:
        return tuple(action for action in self.actions if isinstance(action, DELETIONS))


@dataclass(frozen=True)
class HeldDeletions:
    """Why a run held its deletions (the mass-deletion guard), per side and entity."""

    side: Side
    entity: Entity
    deletions: int
    linked: int


@dataclass(frozen=True)
class Plan:
    """What a run would do: the steps to apply, the steps held by the guard, the cursors to commit."""

    steps: tuple[Step, ...]
    held_steps: tuple[Step, ...] = ()
    holds: tuple[HeldDeletions, ...] = ()
    crm_cursors: Mapping[Entity, Any] = field(default_factory=dict)
    outlook_cursors: Mapping[Entity, Any] = field(default_factory=dict)

    @property
    def actions(self) -> tuple[Action, ...]:
        return tuple(action for step in self.steps for action in step.actions)

    @property
    def held(self) -> bool:
        return bool(self.holds)

    def summary(self) -> PlanSummary:
        return summarize(self)


@dataclass(frozen=True)
class PlanSummary:
    """What the preview shows: counts per side, entity and action; ambiguous matches by name."""

    counts: Mapping[tuple[Side, Entity, str], int]
    matched_by_key: Mapping[Entity, int]
    ambiguous_matches: tuple[tuple[Entity, KeyMatch], ...]
    conflicts: Mapping[Entity, int]
    held_deletions: int
    alerts: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form for the preview page and endpoint."""
        return {
            "counts": [
                {"side": str(side), "entity": str(entity), "action": action, "count": count}
                for (side, entity, action), count in sorted(self.counts.items())
            ],
            "matched_by_key": {str(entity): count for entity, count in self.matched_by_key.items()},
            "ambiguous_matches": [
                {
                    "entity": str(entity),
                    "side": str(match.side),
                    "name": match.name,
                    "matches": list(match.matched_names),
                }
                for entity, match in self.ambiguous_matches
            ],
            "conflicts": {str(entity): count for entity, count in self.conflicts.items()},
            "held_deletions": self.held_deletions,
            "alerts": list(self.alerts),
        }


ACTION_VERBS: Mapping[type, tuple[Side, str]] = {
    CreateOutlookItem: (Side.OUTLOOK, "create"),
    UpdateOutlookItem: (Side.OUTLOOK, "update"),
    StampOutlookItem: (Side.OUTLOOK, "stamp"),
    DeleteOutlookItem: (Side.OUTLOOK, "delete"),
    CreateCrmRecord: (Side.CRM, "create"),
    UpdateCrmRecord: (Side.CRM, "update"),
    RestoreCrmRecord: (Side.CRM, "restore"),
    ArchiveCrmRecord: (Side.CRM, "archive"),
    LinkRecords: (Side.CRM, "link"),
    UnlinkRecords: (Side.CRM, "unlink"),
}


def summarize(plan: Plan) -> PlanSummary:
    """Count the plan's actions the way the preview presents them."""
    counts: Counter[tuple[Side, Entity, str]] = Counter()
    matched: Counter[Entity] = Counter()
    conflicts: Counter[Entity] = Counter()
    ambiguous: list[tuple[Entity, KeyMatch]] = []
    alerts: list[str] = []
    for step in plan.steps:
        for action in step.actions:
            if isinstance(action, RaiseAlert):
                alerts.append(action.message)
                continue
            side, verb = ACTION_VERBS[type(action)]
            counts[(side, action.entity, verb)] += 1
        conflicts[step.entity] += len(step.conflicts)
        if step.key_match is not None:
            matched[step.entity] += len(step.key_match.matched_names)
            if step.key_match.ambiguous:
                ambiguous.append((step.entity, step.key_match))
    held = sum(len(step.deletions) for step in plan.held_steps)
    for hold in plan.holds:
        alerts.append(hold_message(hold))
    return PlanSummary(
        counts=dict(counts),
        matched_by_key=dict(matched),
        ambiguous_matches=tuple(ambiguous),
        conflicts={entity: count for entity, count in conflicts.items() if count},
        held_deletions=held,
        alerts=tuple(alerts),
    )


def hold_message(hold: HeldDeletions) -> str:
    """The alert a held mass deletion raises."""
    where = "Outlook" if hold.side is Side.OUTLOOK else "the CRM"
    return (
        f"The sync would delete {hold.deletions} of {hold.linked} linked {hold.entity} records in {where}; "
        "nothing was deleted. Confirm or cancel the deletions."
    )
