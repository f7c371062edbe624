"""OUTLOOK_RULES.md section 3: every row of the linked-pair table, in every column.

Each case starts from a contact synced once, changes one or both sides the way a person would,
runs the sync, and checks both sides as the rep would see them; then a second run must change
nothing (no echo).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from outlooksync.engine import Availability
from tests.outlooksync.engine.harness import (
    BI,
    C2O,
    COLUMN_IDS,
    CONTACT,
    CRM_WINS,
    OUTLOOK_WINS,
    SETTINGS_COLUMNS,
    World,
)

ORIGINAL = {"job_title": "Buyer", "mobile_phone": "111", "notes": "first"}
CRM_EDIT = {"job_title": "CRM title", "notes": "CRM notes"}
OUTLOOK_EDIT = {"mobile_phone": "555", "notes": "Outlook notes"}


def change_crm(world: World, record_id: str, state: str) -> None:
    if state == "changed":
        world.crm.edit(CONTACT, record_id, **CRM_EDIT)
    elif state == "deleted":
        world.crm.set_availability(CONTACT, record_id, Availability.ARCHIVED)
    elif state == "deleted for good":
        world.crm.delete_for_good(CONTACT, record_id)


def change_outlook(world: World, item_id: str, state: str) -> None:
    if state == "changed":
        world.outlook.edit(CONTACT, item_id, **OUTLOOK_EDIT)
    elif state == "deleted":
        world.outlook.remove(CONTACT, item_id)


# -- outcomes, each checked the way a person would notice it ---------------------------------


def wrote_crm_to_outlook(world, record_id, item_id, report):
    assert world.outlook_field(item_id, "job_title") == "CRM title"
    assert world.outlook_field(item_id, "notes") == "CRM notes"
    assert world.outlook_field(item_id, "mobile_phone") == "111"  # Outlook's own edit (if any) is overwritten
    assert world.crm_field(record_id, "mobile_phone") == "111"  # the source side is never overwritten
    assert (record_id, item_id) in world.linked_pairs()


def nothing_changed_outlook_keeps_its_edit(world, record_id, item_id, report):
    assert world.crm_field(record_id, "job_title") == "Buyer"
    assert world.crm_field(record_id, "mobile_phone") == "111"
    assert world.outlook_field(item_id, "mobile_phone") == "555"
    assert (record_id, item_id) in world.linked_pairs()


def nothing_changed_crm_keeps_its_edit(world, record_id, item_id, report):
    assert world.outlook_field(item_id, "job_title") == "Buyer"
    assert world.outlook_field(item_id, "notes") == "first"
    assert world.crm_field(record_id, "job_title") == "CRM title"
    assert (record_id, item_id) in world.linked_pairs()


def wrote_outlook_to_crm(world, record_id, item_id, report):
    assert world.crm_field(record_id, "mobile_phone") == "555"
    assert world.crm_field(record_id, "notes") == "Outlook notes"
    assert world.crm_field(record_id, "job_title") == "Buyer"  # a CRM edit (if any) is overwritten
    assert world.outlook_field(item_id, "job_title") == "Buyer"  # the source side is never overwritten
    assert (record_id, item_id) in world.linked_pairs()


def merged_with_winner(winner_notes: str) -> Callable:
    def check(world, record_id, item_id, report):
        expected = {"job_title": "CRM title", "mobile_phone": "555", "notes": winner_notes}
        for name, value in expected.items():
            assert world.crm_field(record_id, name) == value, name
            assert world.outlook_field(item_id, name) == value, name
        assert report.conflicts[CONTACT] == 1

    check.__name__ = f"merged, notes from {winner_notes}"
    return check


def deleted_outlook_item(world, record_id, item_id, report):
    assert world.outlook.get(CONTACT, item_id) is None
    assert world.items_of(record_id) == []
    assert world.linked_pairs() == set()
    record = world.crm.get(CONTACT, record_id)
    assert record is None or record.availability is Availability.ARCHIVED  # the CRM deletion stands


def kept_item_and_link(world, record_id, item_id, report):
    assert world.outlook_field(item_id, "mobile_phone") == "111"
    record = world.crm.get(CONTACT, record_id)
    assert record is None or record.availability is Availability.ARCHIVED  # the CRM deletion stands
    assert (record_id, item_id) in world.linked_pairs()


def restored_from_outlook(world, record_id, item_id, report):
    record = world.crm.get(CONTACT, record_id)
    if record is None:  # deleted for good: created again with a new id, stamped on the item
        new_id = world.outlook.get(CONTACT, item_id).crm_id
        assert new_id != record_id
        record_id = new_id
        record = world.crm.get(CONTACT, new_id)
    assert record.availability is Availability.AVAILABLE
    assert record.fields["mobile_phone"] == "555"
    assert record.fields["notes"] == "Outlook notes"
    assert world.linked_pairs() == {(record_id, item_id)}
    assert world.outlook.get(CONTACT, item_id).crm_id == record_id


def unlinked_and_created_again_on_next_change(world, record_id, item_id, report):
    assert world.crm_field(record_id, "job_title") == "Buyer"
    assert world.outlook.all(CONTACT) == []
    world.crm.edit(CONTACT, record_id, job_title="Later")
    world.sync()
    new_item = world.only_item_of(record_id)
    assert world.outlook_field(new_item, "job_title") == "Later"
    assert world.linked_pairs() == {(record_id, new_item)}


def created_item_again(world, record_id, item_id, report):
    new_item = world.only_item_of(record_id)
    assert new_item != item_id
    assert world.outlook_field(new_item, "job_title") == "CRM title"
    assert world.outlook_field(new_item, "mobile_phone") == "111"
    assert world.linked_pairs() == {(record_id, new_item)}


def archived_crm_record(world, record_id, item_id, report):
    assert world.is_archived(record_id)  # archived, never deleted
    assert world.linked_pairs() == set()
    assert [alert.kind for alert in report.alerts] == ["archived"]


def dropped_the_link(world, record_id, item_id, report):
    assert world.linked_pairs() == set()
    assert world.outlook.all(CONTACT) == []
    record = world.crm.get(CONTACT, record_id)
    assert record is None or record.availability is Availability.ARCHIVED


# (CRM side, Outlook side) -> outcome per column: C->O, O->C, Bi CRM wins, Bi Outlook wins.
TABLE = {
    ("changed", "unchanged"): (
        wrote_crm_to_outlook,
        nothing_changed_crm_keeps_its_edit,
        wrote_crm_to_outlook,
        wrote_crm_to_outlook,
    ),
    ("unchanged", "changed"): (
        nothing_changed_outlook_keeps_its_edit,
        wrote_outlook_to_crm,
        wrote_outlook_to_crm,
        wrote_outlook_to_crm,
    ),
    ("changed", "changed"): (
        wrote_crm_to_outlook,
        wrote_outlook_to_crm,
        merged_with_winner("CRM notes"),
        merged_with_winner("Outlook notes"),
    ),
    ("deleted", "unchanged"): (deleted_outlook_item, kept_item_and_link, deleted_outlook_item, deleted_outlook_item),
    ("deleted", "changed"): (deleted_outlook_item, restored_from_outlook, deleted_outlook_item, restored_from_outlook),
    ("deleted for good", "changed"): (
        deleted_outlook_item,
        restored_from_outlook,
        deleted_outlook_item,
        restored_from_outlook,
    ),
    ("unchanged", "deleted"): (
        unlinked_and_created_again_on_next_change,
        archived_crm_record,
        unlinked_and_created_again_on_next_change,
        archived_crm_record,
    ),
    ("changed", "deleted"): (created_item_again, archived_crm_record, created_item_again, archived_crm_record),
    ("deleted", "deleted"): (dropped_the_link,) * 4,
    ("deleted for good", "deleted"): (dropped_the_link,) * 4,
}


TABLE[("deleted for good", "unchanged")] = (
    deleted_outlook_item,
    kept_item_and_link,
    deleted_outlook_item,
    deleted_outlook_item,
)

CASES = [
    pytest.param(crm_state, outlook_state, direction, winner, outcome, id=f"{crm_state}|{outlook_state}|{column}")
    for (crm_state, outlook_state), outcomes in TABLE.items()
    for (direction, winner), column, outcome in zip(SETTINGS_COLUMNS, COLUMN_IDS, outcomes, strict=True)
]


@pytest.mark.parametrize(("crm_state", "outlook_state", "direction", "winner", "outcome"), CASES)
def test_linked_pair_table(crm_state, outlook_state, direction, winner, outcome):
    world = World.with_settings(direction, winner)
    record_id, item_id = world.linked_pair(**ORIGINAL)
    change_crm(world, record_id, crm_state)
    change_outlook(world, item_id, outlook_state)

    report = world.sync()

    assert report.errors == []
    outcome(world, record_id, item_id, report)
    assert world.plan().steps == (), "a run right after a run changes nothing"


@pytest.mark.parametrize(("direction", "winner"), SETTINGS_COLUMNS, ids=COLUMN_IDS)
def test_unchanged_pair_is_left_alone(direction, winner):
    world = World.with_settings(direction, winner)
    record_id, item_id = world.linked_pair(**ORIGINAL)
    change_key_before = world.outlook.get(CONTACT, item_id).change_key

    report = world.sync()

    assert sum(report.counts.values()) == 0
    assert world.outlook.get(CONTACT, item_id).change_key == change_key_before
    assert world.crm.get(CONTACT, record_id).version == 1


@pytest.mark.parametrize("winner", [CRM_WINS, OUTLOOK_WINS])
def test_same_value_typed_on_both_sides_is_no_conflict(winner):
    world = World.with_settings(BI, winner)
    record_id, item_id = world.linked_pair(**ORIGINAL)
    world.crm.edit(CONTACT, record_id, notes="same")
    world.outlook.edit(CONTACT, item_id, notes="same")

    report = world.sync()

    assert report.conflicts[CONTACT] == 0
    world.outlook.edit(CONTACT, item_id, notes="Outlook later")
    world.sync()
    assert world.crm_field(record_id, "notes") == "Outlook later"  # the later edit is not taken for a conflict


def test_one_way_outlook_edit_stays_until_the_crm_record_changes():
    world = World.with_settings(C2O)
    record_id, item_id = world.linked_pair(**ORIGINAL)
    world.outlook.edit(CONTACT, item_id, mobile_phone="555")
    world.sync()
    assert world.outlook_field(item_id, "mobile_phone") == "555"

    world.crm.edit(CONTACT, record_id, job_title="Director")
    world.sync()

    assert world.outlook_field(item_id, "mobile_phone") == "111"
    assert world.outlook_field(item_id, "job_title") == "Director"
