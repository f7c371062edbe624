"""Interrupted anywhere and run again, a run ends as if it had never been interrupted.

A store fails at its k-th write (a worker killed, a network error, a Graph error), for every k a
run makes; the next run must end in the same state as an uninterrupted twin: no duplicate on
either side, nothing lost, every link pointing at the records it stamps.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from outlooksync.engine import Availability, FieldDirection
from outlooksync.engine.memory import MemoryCrmStore, MemoryOutlookStore, OneWriteAtATimeOutlookStore
from tests.outlooksync.engine.harness import (
    COLUMN_IDS,
    CONTACT,
    SETTINGS_COLUMNS,
    World,
    contact,
    settings_for,
    visible,
)


class Interrupted(Exception):
    pass


class WriteCounter:
    """Counts the sync's writes; raises at the `fail_at`-th one when armed."""

    def __init__(self) -> None:
        self.writes = 0
        self.fail_at: int | None = None

    def __call__(self, operation: str) -> None:
        self.writes += 1
        if self.fail_at is not None and self.writes == self.fail_at:
            raise Interrupted(operation)

    def arm(self, fail_at: int | None) -> None:
        self.writes = 0
        self.fail_at = fail_at


def new_world(direction, winner, field_directions=None, *, batching=True) -> tuple[World, WriteCounter]:
    counter = WriteCounter()
    mailbox = MemoryOutlookStore if batching else OneWriteAtATimeOutlookStore
    world = World(
        settings=settings_for(direction, winner, field_directions=field_directions),
        crm=MemoryCrmStore(before_write=counter),
        outlook=mailbox(before_write=counter),
    )
    return world, counter


def busy_world(direction, winner, batching=True) -> tuple[World, WriteCounter]:
    """A next sync with a bit of everything: matches, creates, edits on both sides, deletions."""
    world, counter = new_world(direction, winner, batching=batching)
    pairs = [world.linked_pair(f"Linked{number}", "Lee", notes="n") for number in range(8)]
    world.crm.add(CONTACT, contact("Ann", "Lee", job_title="CRM"))  # matches an unlinked item by key
    world.outlook.add(CONTACT, contact("ann", "LEE", mobile_phone="555"))
    world.crm.add(CONTACT, contact("OnlyIn", "Crm"))
    world.outlook.add(CONTACT, contact("OnlyIn", "Outlook"))
    world.outlook.add(CONTACT, contact("Twin", "Key"))  # one item against two records
    world.crm.add(CONTACT, contact("Twin", "Key", notes="older"))
    world.crm.add(CONTACT, contact("Twin", "Key", notes="newer"))
    world.crm.edit(CONTACT, pairs[0][0], job_title="CRM edit")
    world.outlook.edit(CONTACT, pairs[1][1], mobile_phone="Outlook edit")
    world.crm.edit(CONTACT, pairs[2][0], notes="CRM side")
    world.outlook.edit(CONTACT, pairs[2][1], notes="Outlook side", mobile_phone="777")
    world.crm.set_availability(CONTACT, pairs[3][0], Availability.ARCHIVED)
    world.outlook.remove(CONTACT, pairs[4][1])
    world.crm.edit(CONTACT, pairs[5][0], notes="changed before its item was deleted")
    world.outlook.remove(CONTACT, pairs[5][1])
    world.crm.set_availability(CONTACT, pairs[6][0], Availability.ARCHIVED)
    world.outlook.edit(CONTACT, pairs[6][1], notes="edited after the archive")
    return world, counter


def end_state(world: World):
    """Both sides and the links, as content (ids differ between runs that created records)."""

    def crm_view(record):
        return (record.availability.value, tuple(sorted(visible(record.fields).items())))

    def outlook_view(item):
        return tuple(sorted(visible(item.fields).items()))

    records = {record.id: record for record in world.crm.all(CONTACT)}
    items = {item.id: item for item in world.outlook.all(CONTACT)}
    links = world.crm.links(CONTACT)
    # A link may outlive one side by the tables: an item deleted in Outlook while the CRM wins (the
    # link remembers the record's state), a record deleted in the CRM while Outlook is the master.
    for link in links:
        if link.outlook_id in items and link.crm_id in records:
            assert items[link.outlook_id].crm_id == link.crm_id, "a linked item is not stamped with its record"
    return (
        sorted(crm_view(record) for record in records.values()),
        sorted(outlook_view(item) for item in items.values()),
        sorted(
            (crm_view(records[link.crm_id]), outlook_view(items[link.outlook_id]))
            for link in links
            if link.outlook_id in items and link.crm_id in records
        ),
    )


def first_sync_world(direction, winner, batching=True) -> tuple[World, WriteCounter]:
    world, counter = new_world(direction, winner, batching=batching)
    for number in range(4):
        world.crm.add(CONTACT, contact(f"Crm{number}", "Lee"))
        world.outlook.add(CONTACT, contact(f"Outlook{number}", "Lee"))
    world.crm.add(CONTACT, contact("Both", "Sides", job_title="CRM"))
    world.outlook.add(CONTACT, contact("both", "sides", mobile_phone="555"))
    return world, counter


def synced_world(direction, winner, batching=True) -> tuple[World, WriteCounter]:
    world, counter = first_sync_world(direction, winner, batching)
    world.sync()
    world.outlook.add(CONTACT, contact("Crm0", "Lee", notes="a plain item matching by key"))
    return world, counter


# scenario -> (how the world is built, the options of the run that is interrupted)
SCENARIOS = {
    "first sync": (first_sync_world, {}),
    "busy next sync": (busy_world, {}),
    "resync": (synced_world, {"resync": True}),
}


@pytest.mark.parametrize(("direction", "winner"), SETTINGS_COLUMNS, ids=COLUMN_IDS)
@pytest.mark.parametrize("scenario", list(SCENARIOS))
@pytest.mark.parametrize("batching", [True, False], ids=["writes in batches", "one write at a time"])
def test_interrupted_at_every_write_ends_like_an_uninterrupted_run(direction, winner, scenario, batching):
    build, options = SCENARIOS[scenario]
    world, counter = build(direction, winner, batching)
    counter.arm(None)
    world.sync(**options)
    writes = counter.writes
    world.sync()
    reference = end_state(world)
    assert writes > 5

    for fail_at in range(1, writes + 1):
        world, counter = build(direction, winner, batching)
        counter.arm(fail_at)
        with pytest.raises(Interrupted):
            world.sync(**options)
        counter.arm(None)
        world.sync(**options)  # the job runs again, as it was queued
        world.sync()
        assert end_state(world) == reference, f"interrupted at write {fail_at} of {writes}"


OPERATIONS = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "crm add",
                "outlook add",
                "crm edit",
                "outlook edit",
                "crm archive",
                "outlook remove",
                "crm restore",
                "crm reassign",
                "crm out of range",
                "crm back in range",
                "crm delete for good",
            ]
        ),
        st.integers(min_value=0, max_value=5),
    ),
    min_size=1,
    max_size=12,
)


def pick(records: list, number: int):
    return records[number % len(records)].id


def apply_operations(world: World, operations) -> None:
    """What people do between runs, on either side."""
    for operation, number in operations:
        every_record = world.crm.all(CONTACT)
        records = [record for record in every_record if record.availability is Availability.AVAILABLE]
        archived = [record for record in every_record if record.availability is Availability.ARCHIVED]
        out_of_range = [record for record in every_record if record.availability is Availability.OUT_OF_RANGE]
        items = world.outlook.all(CONTACT)
        if operation == "crm add":
            world.crm.add(CONTACT, contact(f"P{number}", "Lee", notes="crm"))
        elif operation == "outlook add":
            world.outlook.add(CONTACT, contact(f"P{number}", "Lee", mobile_phone=str(number)))
        elif operation == "crm edit" and records:
            world.crm.edit(CONTACT, records[number % len(records)].id, notes=f"crm {number}")
        elif operation == "outlook edit" and items:
            world.outlook.edit(CONTACT, items[number % len(items)].id, notes=f"outlook {number}")
        elif operation == "crm archive" and records:
            world.crm.set_availability(CONTACT, records[number % len(records)].id, Availability.ARCHIVED)
        elif operation == "outlook remove" and items:
            world.outlook.remove(CONTACT, items[number % len(items)].id)
        elif operation == "crm restore" and archived:
            world.crm.set_availability(CONTACT, pick(archived, number), Availability.AVAILABLE)
        elif operation == "crm reassign" and records:
            world.crm.set_availability(CONTACT, pick(records, number), Availability.REASSIGNED)
        elif operation == "crm out of range" and records:
            world.crm.set_availability(CONTACT, pick(records, number), Availability.OUT_OF_RANGE)
        elif operation == "crm back in range" and out_of_range:
            world.crm.set_availability(CONTACT, pick(out_of_range, number), Availability.AVAILABLE)
        elif operation == "crm delete for good" and every_record:
            world.crm.delete_for_good(CONTACT, pick(every_record, number))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    column=st.sampled_from(SETTINGS_COLUMNS),
    field_directions=st.sampled_from(
        [
            {},
            {"notes": FieldDirection.TO_OUTLOOK, "mobile_phone": FieldDirection.TO_CRM},
            {"notes": FieldDirection.NOT_SYNCED},
        ]
    ),
    rounds=st.lists(st.tuples(OPERATIONS, st.integers(min_value=1, max_value=40)), min_size=1, max_size=3),
)
def test_random_edits_with_random_interruptions_match_an_uninterrupted_twin(column, field_directions, rounds):
    direction, winner = column
    steady, _ = new_world(direction, winner, field_directions)
    shaken, counter = new_world(direction, winner, field_directions)
    for operations, fail_at in rounds:
        apply_operations(steady, operations)
        apply_operations(shaken, operations)
        settle(steady)
        counter.arm(fail_at)
        try:
            shaken.sync()
        except Interrupted:
            pass
        counter.arm(None)
        settle(shaken)
        assert end_state(shaken) == end_state(steady)


def settle(world: World) -> None:
    """Run until a run finds nothing to do (an edit reaching a record's second item takes two runs)."""
    for _ in range(4):
        world.sync()
        if not world.plan().steps:
            return
    raise AssertionError("the sync does not settle")
