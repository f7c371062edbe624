"""A rep's two sides in memory, and what a user would look at after a run."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from outlooksync.engine import (
    Availability,
    ConflictWinner,
    Direction,
    Entity,
    EntitySettings,
    FieldDirection,
    HeldDeletionsDecision,
    RunReport,
    SyncSettings,
    make_link,
    plan_run,
    synchronize,
)
from outlooksync.engine.hashing import is_empty
from outlooksync.engine.memory import MemoryCrmStore, MemoryOutlookStore

CONTACT = Entity.CONTACT
TASK = Entity.TASK
EVENT = Entity.EVENT

DIRECTIONS = list(Direction)
WINNERS = list(ConflictWinner)
C2O, O2C, BI = Direction.CRM_TO_OUTLOOK, Direction.OUTLOOK_TO_CRM, Direction.BIDIRECTIONAL
CRM_WINS, OUTLOOK_WINS = ConflictWinner.CRM, ConflictWinner.OUTLOOK

# Every (direction, winner) setting; the winner only matters in a bidirectional sync.
SETTINGS_COLUMNS = [(C2O, CRM_WINS), (O2C, CRM_WINS), (BI, CRM_WINS), (BI, OUTLOOK_WINS)]
COLUMN_IDS = ["C->O", "O->C", "Bi, CRM wins", "Bi, Outlook wins"]


def contact(first: str = "Ann", last: str = "Lee", **extra: Any) -> dict[str, Any]:
    """A contact's mapped values, unset fields left out."""
    values: dict[str, Any] = {"first_name": first, "last_name": last, "gender": "female", "birthday": None}
    values.update(extra)
    return values


def visible(values: Any) -> dict[str, Any]:
    """A record's values as a person reads them: unset fields left out."""
    return {name: value for name, value in values.items() if not is_empty(value)}


def settings_for(
    direction: Direction = BI,
    winner: ConflictWinner = CRM_WINS,
    *,
    field_directions: dict[str, FieldDirection] | None = None,
    entity: Entity = CONTACT,
    start_date: date | None = None,
    time_zone: str = "UTC",
) -> SyncSettings:
    entities = {entity: EntitySettings.defaults(entity, field_directions=field_directions or {})}
    return SyncSettings(
        direction=direction, conflict=winner, entities=entities, start_date=start_date, time_zone=time_zone
    )


@dataclass
class World:
    """One rep's CRM and mailbox, synced with `settings`."""

    settings: SyncSettings = field(default_factory=settings_for)
    crm: MemoryCrmStore = field(default_factory=MemoryCrmStore)
    outlook: MemoryOutlookStore = field(default_factory=MemoryOutlookStore)
    entities: tuple[Entity, ...] = (CONTACT,)

    @classmethod
    def with_settings(cls, direction: Direction = BI, winner: ConflictWinner = CRM_WINS, **options: Any) -> World:
        entity = options.get("entity", CONTACT)
        return cls(settings=settings_for(direction, winner, **options), entities=(entity,))

    def sync(self, **options: Any) -> RunReport:
        return synchronize(
            settings=self.settings, crm=self.crm, outlook=self.outlook, entities=self.entities, **options
        )

    def plan(self, **options: Any):
        return plan_run(settings=self.settings, crm=self.crm, outlook=self.outlook, entities=self.entities, **options)

    def confirm_held_deletions(self) -> RunReport:
        return self.sync(held_deletions=HeldDeletionsDecision.CONFIRMED)

    # -- what a user sees ------------------------------------------------------------------

    def crm_values(self, entity: Entity = CONTACT, *, include_archived: bool = False) -> list[dict[str, Any]]:
        return sorted(
            (
                visible(record.fields)
                for record in self.crm.all(entity)
                if include_archived or record.availability is Availability.AVAILABLE
            ),
            key=repr,
        )

    def outlook_values(self, entity: Entity = CONTACT) -> list[dict[str, Any]]:
        return sorted((visible(item.fields) for item in self.outlook.all(entity)), key=repr)

    def crm_field(self, record_id: str, name: str, entity: Entity = CONTACT) -> Any:
        record = self.crm.get(entity, record_id)
        assert record is not None, f"{record_id} is gone from the CRM"
        return record.fields.get(name)

    def outlook_field(self, item_id: str, name: str, entity: Entity = CONTACT) -> Any:
        item = self.outlook.get(entity, item_id)
        assert item is not None, f"{item_id} is gone from Outlook"
        return item.fields.get(name)

    def items_of(self, record_id: str, entity: Entity = CONTACT) -> list[str]:
        """Outlook items stamped with the record's id."""
        return [item.id for item in self.outlook.all(entity) if item.crm_id == record_id]

    def only_item_of(self, record_id: str, entity: Entity = CONTACT) -> str:
        items = self.items_of(record_id, entity)
        assert len(items) == 1, f"{record_id} has items {items}"
        return items[0]

    def linked_pairs(self, entity: Entity = CONTACT) -> set[tuple[str, str]]:
        return {(link.crm_id, link.outlook_id) for link in self.crm.links(entity)}

    def is_archived(self, record_id: str, entity: Entity = CONTACT) -> bool:
        record = self.crm.get(entity, record_id)
        return record is not None and record.availability is Availability.ARCHIVED

    def linked_pair(self, first: str = "Ann", last: str = "Lee", **extra: Any) -> tuple[str, str]:
        """A contact created in the CRM and synced once to Outlook (in a direction that writes Outlook)."""
        record = self.crm.add(CONTACT, contact(first, last, **extra))
        item = self.outlook.add(CONTACT, contact(first, last, **extra), stamp=record.id)
        with self.crm.unit_of_work() as unit:
            unit.save_link(make_link(self.settings, record, item))
        self.commit_cursors()
        return record.id, item.id

    def commit_cursors(self, entities: Iterable[Entity] | None = None) -> None:
        for entity in entities or self.entities:
            self.crm.commit_cursor(entity, self.crm.read_changes(entity, full=True).cursor)
            self.outlook.commit_cursor(entity, self.outlook.read_changes(entity, full=True).cursor)
