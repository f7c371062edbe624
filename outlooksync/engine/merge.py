"""Field-by-field merge of a CRM record and an Outlook item.

Each synced field has an effective direction (`SyncSettings.field_direction`): "both" in a
bidirectional sync, "to Outlook" / "to the CRM" for a one-way sync or a one-way field. The merge
is the same rule for every direction, applied per field:

- a field changed on one side only is copied to the other side, when its direction allows it;
- a field changed on both sides to different values takes the winner's value on both sides;
- a one-way field is overwritten from its source side whenever its target record is written for
  any reason (OUTLOOK_RULES.md section 3: "an Outlook edit of it is overwritten by r's value at
  the next write of o"), and a target-side edit alone writes nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from outlooksync.engine.hashing import is_empty, value_hash, values_equal
from outlooksync.engine.plan import FieldConflict
from outlooksync.engine.records import Entity, FieldValues
from outlooksync.engine.settings import ConflictWinner, Direction, FieldDirection, SyncSettings


@dataclass(frozen=True)
class FieldRules:
    """The synced fields of an entity with their effective directions, and the conflict winner."""

    entity: Entity
    directions: Mapping[str, FieldDirection]
    winner: ConflictWinner
    bidirectional: bool = True

    @classmethod
    def from_settings(cls, settings: SyncSettings, entity: Entity) -> FieldRules:
        return cls(
            entity=entity,
            directions={name: settings.field_direction(entity, name) for name in settings.synced_fields(entity)},
            winner=settings.conflict,
            bidirectional=settings.direction is Direction.BIDIRECTIONAL,
        )

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.directions)

    def values_for_outlook(self, crm_values: FieldValues) -> dict[str, Any]:
        """Every field a CRM record may write to Outlook: what a create or a full write sends."""
        return {name: crm_values.get(name) for name, way in self.directions.items() if way.writes_outlook}

    def values_for_matched_outlook(self, crm_values: FieldValues) -> dict[str, Any]:
        """What a record matched by stamp or key writes to its items: as `values_for_outlook`, except
        that in a bidirectional sync an empty CRM-owned field leaves the item's value alone (see
        `merge_first_match`)."""
        return {
            name: value
            for name, value in self.values_for_outlook(crm_values).items()
            if not (self.bidirectional and self.directions[name] is FieldDirection.TO_OUTLOOK and is_empty(value))
        }

    def values_for_crm(self, outlook_values: FieldValues) -> dict[str, Any]:
        """Every field an Outlook item may write to the CRM."""
        return {name: outlook_values.get(name) for name, way in self.directions.items() if way.writes_crm}


@dataclass
class MergeResult:
    """What to write on each side so that both end as the rules say."""

    outlook_writes: dict[str, Any] = field(default_factory=dict)
    crm_writes: dict[str, Any] = field(default_factory=dict)
    conflicts: list[FieldConflict] = field(default_factory=list)


def changed_fields(values: FieldValues, snapshot: Mapping[str, str], names: Collection[str]) -> set[str]:
    """Fields whose value differs from the snapshot taken at the last sync.

    A field missing from the snapshot (newly mapped since) is not a change: it joins the sync at
    the next write of its record.
    """
    return {name for name in names if name in snapshot and value_hash(values.get(name)) != snapshot[name]}


def _copy_if_different(writes: dict[str, Any], name: str, value: Any, current: Any) -> None:
    if not values_equal(value, current):
        writes[name] = value


def _overwrite_one_way_fields(rules: FieldRules, crm: FieldValues, outlook: FieldValues, result: MergeResult) -> None:
    if result.outlook_writes:
        for name, way in rules.directions.items():
            if way is FieldDirection.TO_OUTLOOK and name not in result.outlook_writes:
                _copy_if_different(result.outlook_writes, name, crm.get(name), outlook.get(name))
    if result.crm_writes:
        for name, way in rules.directions.items():
            if way is FieldDirection.TO_CRM and name not in result.crm_writes:
                _copy_if_different(result.crm_writes, name, outlook.get(name), crm.get(name))


def merge_changes(
    rules: FieldRules,
    crm: FieldValues,
    outlook: FieldValues,
    crm_changed: Collection[str],
    outlook_changed: Collection[str],
) -> MergeResult:
    """Merge a linked pair by what each side changed since the last sync (OUTLOOK_RULES.md section 3)."""
    result = MergeResult()
    for name, way in rules.directions.items():
        crm_value, outlook_value = crm.get(name), outlook.get(name)
        changed_in_crm, changed_in_outlook = name in crm_changed, name in outlook_changed
        if way is FieldDirection.TO_OUTLOOK:
            if changed_in_crm:
                _copy_if_different(result.outlook_writes, name, crm_value, outlook_value)
        elif way is FieldDirection.TO_CRM:
            if changed_in_outlook:
                _copy_if_different(result.crm_writes, name, outlook_value, crm_value)
        elif changed_in_crm and changed_in_outlook:
            if values_equal(crm_value, outlook_value):
                continue
            result.conflicts.append(FieldConflict(name, rules.winner.side))
            if rules.winner is ConflictWinner.CRM:
                result.outlook_writes[name] = crm_value
            else:
                result.crm_writes[name] = outlook_value
        elif changed_in_crm:
            _copy_if_different(result.outlook_writes, name, crm_value, outlook_value)
        elif changed_in_outlook:
            _copy_if_different(result.crm_writes, name, outlook_value, crm_value)
    _overwrite_one_way_fields(rules, crm, outlook, result)
    return result


def merge_first_match(rules: FieldRules, crm: FieldValues, outlook: FieldValues) -> MergeResult:
    """Merge a pair matched by key or stamp, with no snapshot to compare with (OUTLOOK_RULES.md section 2).

    One-way fields take their source's value; a two-way field set on one side only takes that
    value; set on both and different, it takes the winner's value. In a one-way sync the source's
    values overwrite every mapped field, empty or not (the seed: "values of all the mapped fields
    are overwritten"); a one-way field of a bidirectional sync is only written when its source has
    a value, since a create never writes it to the other side and a repeated match must not then
    empty it on its own side.
    """
    result = MergeResult()
    for name, way in rules.directions.items():
        crm_value, outlook_value = crm.get(name), outlook.get(name)
        if values_equal(crm_value, outlook_value):
            continue
        if way is FieldDirection.TO_OUTLOOK:
            if not (rules.bidirectional and is_empty(crm_value)):
                result.outlook_writes[name] = crm_value
        elif way is FieldDirection.TO_CRM:
            if not (rules.bidirectional and is_empty(outlook_value)):
                result.crm_writes[name] = outlook_value
        elif is_empty(crm_value):
            result.crm_writes[name] = outlook_value
        elif is_empty(outlook_value):
            result.outlook_writes[name] = crm_value
        else:
            result.conflicts.append(FieldConflict(name, rules.winner.side))
            if rules.winner is ConflictWinner.CRM:
                result.outlook_writes[name] = crm_value
            else:
                result.crm_writes[name] = outlook_value
    return result


def apply_writes(values: FieldValues, writes: Mapping[str, Any]) -> dict[str, Any]:
    """`values` with `writes` applied: a record's values after the merge writes it."""
    merged = dict(values)
    merged.update(writes)
    return merged
