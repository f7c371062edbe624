"""OUTLOOK_RULES.md section 2: the first sync, with no, one or several key matches, in every column."""

from __future__ import annotations

from datetime import date

import pytest

from tests.outlooksync.engine.harness import (
    BI,
    C2O,
    COLUMN_IDS,
    CONTACT,
    CRM_WINS,
    O2C,
    OUTLOOK_WINS,
    SETTINGS_COLUMNS,
    World,
    contact,
    visible,
)


@pytest.mark.parametrize(("direction", "winner"), SETTINGS_COLUMNS, ids=COLUMN_IDS)
def test_crm_record_without_key_match(direction, winner):
    world = World.with_settings(direction, winner)
    record = world.crm.add(CONTACT, contact("Ann", "Lee", job_title="Buyer"))

    world.sync()

    if direction is O2C:
        assert world.outlook.all(CONTACT) == []
        assert world.linked_pairs() == set()
    else:
        item_id = world.only_item_of(record.id)
        assert world.outlook_values() == [visible(record.fields)]
        assert world.linked_pairs() == {(record.id, item_id)}
    assert world.crm_values() == [visible(record.fields)]


@pytest.mark.parametrize(("direction", "winner"), SETTINGS_COLUMNS, ids=COLUMN_IDS)
def test_outlook_item_without_key_match(direction, winner):
    world = World.with_settings(direction, winner)
    item = world.outlook.add(CONTACT, contact("Bob", "Ray", mobile_phone="555"))

    world.sync()

    if direction is C2O:
        assert world.crm_values() == []
        assert world.outlook.get(CONTACT, item.id).crm_id is None
    else:
        [record] = world.crm.all(CONTACT)
        assert visible(record.fields) == visible(item.fields)
        assert world.outlook.get(CONTACT, item.id).crm_id == record.id  # stamped with the new id
        assert world.linked_pairs() == {(record.id, item.id)}
    assert world.outlook_values() == [visible(item.fields)]


# One CRM record and one Outlook item with the same key (spelled differently) and other fields apart.
ONE_MATCH_EXPECTED = {
    (C2O, CRM_WINS): {"job_title": "CRM title"},  # every mapped field overwritten with the CRM's values
    (O2C, CRM_WINS): {"job_title": "Outlook title", "mobile_phone": "555"},
    (BI, CRM_WINS): {"job_title": "CRM title", "mobile_phone": "555", "notes": "from CRM"},
    (BI, OUTLOOK_WINS): {"job_title": "Outlook title", "mobile_phone": "555", "notes": "from CRM"},
}


@pytest.mark.parametrize(("direction", "winner"), SETTINGS_COLUMNS, ids=COLUMN_IDS)
def test_one_key_match_is_written_linked_and_stamped(direction, winner):
    world = World.with_settings(direction, winner)
    record = world.crm.add(CONTACT, contact("Ann", "Lee", job_title="CRM title", notes="from CRM"))
    item = world.outlook.add(CONTACT, contact("  ann", "LEE ", job_title="Outlook title", mobile_phone="555"))

    world.sync()

    expected = ONE_MATCH_EXPECTED[(direction, winner)]
    crm_after = world.crm.get(CONTACT, record.id).fields
    outlook_after = world.outlook.get(CONTACT, item.id).fields
    written_side = outlook_after if direction is C2O else crm_after
    for name, value in expected.items():
        assert written_side.get(name) == value, name
    if direction is BI:
        assert visible(crm_after) == visible(outlook_after)  # both sides end equal
    if direction is C2O:
        assert visible(crm_after) == visible(record.fields)  # the source side is never overwritten
        assert outlook_after.get("mobile_phone") is None
    if direction is O2C:
        assert visible(outlook_after) == visible(item.fields)
    assert len(world.crm.all(CONTACT)) == 1
    assert len(world.outlook.all(CONTACT)) == 1
    assert world.linked_pairs() == {(record.id, item.id)}
    assert world.outlook.get(CONTACT, item.id).crm_id == record.id
    assert world.plan().steps == ()


@pytest.mark.parametrize(("direction", "winner"), SETTINGS_COLUMNS, ids=COLUMN_IDS)
def test_one_record_matching_several_items(direction, winner):
    world = World.with_settings(direction, winner)
    record = world.crm.add(CONTACT, contact("Ann", "Lee", job_title="CRM title"))
    first = world.outlook.add(CONTACT, contact("Ann", "Lee", job_title="Outlook title"))
    second = world.outlook.add(CONTACT, contact("Ann", "Lee", mobile_phone="222"))

    world.sync()

    assert world.linked_pairs() == {(record.id, first.id), (record.id, second.id)}
    assert sorted(world.items_of(record.id)) == sorted([first.id, second.id])
    assert len(world.crm.all(CONTACT)) == 1
    crm_after = visible(world.crm.get(CONTACT, record.id).fields)
    items_after = [visible(world.outlook.get(CONTACT, item.id).fields) for item in (first, second)]
    if direction is C2O:
        assert items_after == [visible(record.fields)] * 2  # all these records are updated
        assert crm_after == visible(record.fields)
    elif direction is O2C:
        assert crm_after in items_after  # each item's values were written to the record
        assert items_after == [visible(first.fields), visible(second.fields)]
    else:
        assert items_after == [crm_after, crm_after]
        assert crm_after["mobile_phone"] == "222"
        assert crm_after["job_title"] == ("CRM title" if winner is CRM_WINS else "Outlook title")
    assert world.plan().steps == ()


@pytest.mark.parametrize(("direction", "winner"), SETTINGS_COLUMNS, ids=COLUMN_IDS)
def test_one_item_matching_several_records(direction, winner):
    world = World.with_settings(direction, winner)
    older = world.crm.add(CONTACT, contact("Ann", "Lee", job_title="Old"))
    newer = world.crm.add(CONTACT, contact("Ann", "Lee", job_title="New"))
    item = world.outlook.add(CONTACT, contact("Ann", "Lee", mobile_phone="555"))

    world.sync()

    if direction is O2C:
        # Both records take the item's values; the item is linked to and stamped with the oldest.
        assert world.linked_pairs() == {(older.id, item.id)}
        assert world.outlook.get(CONTACT, item.id).crm_id == older.id
        for record in (older, newer):
            assert world.crm_field(record.id, "mobile_phone") == "555"
        assert len(world.outlook.all(CONTACT)) == 1
    else:
        # Each CRM record looks for an unlinked item: the oldest takes it, the other gets its own.
        assert world.items_of(older.id) == [item.id]
        newer_item = world.only_item_of(newer.id)
        assert world.outlook_field(newer_item, "job_title") == "New"
        assert world.linked_pairs() == {(older.id, item.id), (newer.id, newer_item)}
    assert len(world.crm.all(CONTACT)) == 2
    assert world.plan().steps == ()


@pytest.mark.parametrize(("direction", "winner"), SETTINGS_COLUMNS, ids=COLUMN_IDS)
def test_records_on_both_sides_without_matches_meet_in_the_middle(direction, winner):
    world = World.with_settings(direction, winner)
    world.crm.add(CONTACT, contact("Ann", "Lee"))
    world.outlook.add(CONTACT, contact("Bob", "Ray"))

    world.sync()

    names = {"Ann", "Bob"}
    crm_names = {values["first_name"] for values in world.crm_values()}
    outlook_names = {values["first_name"] for values in world.outlook_values()}
    assert crm_names == (names if direction is not C2O else {"Ann"})
    assert outlook_names == (names if direction is not O2C else {"Bob"})


def test_key_match_is_listed_in_the_preview_summary():
    world = World.with_settings(BI)
    world.crm.add(CONTACT, contact("Ann", "Lee"))
    world.outlook.add(CONTACT, contact("Ann", "Lee"))
    world.outlook.add(CONTACT, contact("ann", "lee"))

    summary = world.plan().summary()

    [(entity, match)] = summary.ambiguous_matches
    assert match.name == "Ann Lee"
    assert match.matched_names == ("Ann Lee", "ann lee")


@pytest.mark.parametrize(("start", "synced"), [(date(2025, 12, 31), True), (date(2026, 1, 2), False)])
def test_records_processed_before_the_start_date_are_not_synced(start, synced):
    world = World.with_settings(BI, start_date=start)
    world.crm.add(CONTACT, contact("Ann", "Lee"))  # processed on 2026-01-01
    world.outlook.add(CONTACT, contact("Bob", "Ray"))

    world.sync()

    assert len(world.outlook.all(CONTACT)) == (2 if synced else 1)
    assert len(world.crm.all(CONTACT)) == (2 if synced else 1)
