"""Per-field directions (OUTLOOK_RULES.md section 3, last paragraph): they narrow the tables, never widen them."""

from __future__ import annotations

import pytest

from outlooksync.engine import FieldDirection
from tests.outlooksync.engine.harness import (
    BI,
    C2O,
    CONTACT,
    CRM_WINS,
    O2C,
    OUTLOOK_WINS,
    World,
    contact,
    settings_for,
    visible,
)

BOTH, TO_OUTLOOK, TO_CRM, NOT_SYNCED = (
    FieldDirection.BOTH,
    FieldDirection.TO_OUTLOOK,
    FieldDirection.TO_CRM,
    FieldDirection.NOT_SYNCED,
)

EFFECTIVE = [
    (BI, BOTH, BOTH),
    (BI, TO_OUTLOOK, TO_OUTLOOK),
    (BI, TO_CRM, TO_CRM),
    (BI, NOT_SYNCED, NOT_SYNCED),
    (C2O, BOTH, TO_OUTLOOK),
    (C2O, TO_OUTLOOK, TO_OUTLOOK),
    (C2O, TO_CRM, NOT_SYNCED),
    (C2O, NOT_SYNCED, NOT_SYNCED),
    (O2C, BOTH, TO_CRM),
    (O2C, TO_OUTLOOK, NOT_SYNCED),
    (O2C, TO_CRM, TO_CRM),
    (O2C, NOT_SYNCED, NOT_SYNCED),
]


@pytest.mark.parametrize(("direction", "own", "effective"), EFFECTIVE)
def test_field_direction_narrows_the_sync_direction(direction, own, effective):
    settings = settings_for(direction, field_directions={"job_title": own})
    assert settings.field_direction(CONTACT, "job_title") is effective
    assert settings.field_direction(CONTACT, "notes") is settings_for(direction).field_direction(CONTACT, "notes")


@pytest.mark.parametrize(("direction", "own", "effective"), EFFECTIVE)
def test_edits_flow_only_the_effective_way(direction, own, effective):
    world = World.with_settings(direction, field_directions={"job_title": own})
    record_id, item_id = world.linked_pair("Ann", "Lee", job_title="Buyer", notes="n")
    world.crm.edit(CONTACT, record_id, job_title="CRM title", notes="CRM notes")
    world.sync()
    reached_outlook = world.outlook_field(item_id, "job_title") == "CRM title"

    world.outlook.edit(CONTACT, item_id, job_title="Outlook title", notes="Outlook notes")
    world.sync()
    reached_crm = world.crm_field(record_id, "job_title") == "Outlook title"

    assert reached_outlook is effective.writes_outlook
    assert reached_crm is effective.writes_crm


@pytest.mark.parametrize("winner", [CRM_WINS, OUTLOOK_WINS])
def test_outlook_edit_of_a_crm_owned_field_is_overwritten_at_the_next_write(winner):
    world = World.with_settings(BI, winner, field_directions={"job_title": TO_OUTLOOK})
    record_id, item_id = world.linked_pair("Ann", "Lee", job_title="Buyer")
    world.outlook.edit(CONTACT, item_id, job_title="Outlook title", mobile_phone="555")

    world.sync()

    assert world.crm_field(record_id, "job_title") == "Buyer"
    assert world.crm_field(record_id, "mobile_phone") == "555"  # phones flow both ways
    assert world.outlook_field(item_id, "job_title") == "Outlook title"  # kept until the item is written

    world.crm.edit(CONTACT, record_id, notes="call back")
    world.sync()

    assert world.outlook_field(item_id, "job_title") == "Buyer"
    assert world.outlook_field(item_id, "notes") == "call back"


@pytest.mark.parametrize("winner", [CRM_WINS, OUTLOOK_WINS])
def test_one_way_field_changed_on_both_sides_takes_its_source_value_whoever_wins(winner):
    world = World.with_settings(BI, winner, field_directions={"job_title": TO_OUTLOOK, "mobile_phone": TO_CRM})
    record_id, item_id = world.linked_pair("Ann", "Lee")
    world.crm.edit(CONTACT, record_id, job_title="CRM title", mobile_phone="111")
    world.outlook.edit(CONTACT, item_id, job_title="Outlook title", mobile_phone="555")

    report = world.sync()

    assert world.outlook_field(item_id, "job_title") == "CRM title"
    assert world.crm_field(record_id, "job_title") == "CRM title"
    assert world.crm_field(record_id, "mobile_phone") == "555"
    assert world.outlook_field(item_id, "mobile_phone") == "555"
    assert report.conflicts[CONTACT] == 0


@pytest.mark.parametrize("direction", [BI, C2O, O2C])
def test_not_synced_field_is_never_written_and_never_a_change(direction):
    world = World.with_settings(direction, field_directions={"notes": NOT_SYNCED})
    record_id, item_id = world.linked_pair("Ann", "Lee", notes="same")
    world.crm.edit(CONTACT, record_id, notes="CRM only")
    world.outlook.edit(CONTACT, item_id, notes="Outlook only")

    plan = world.plan()
    world.sync()

    assert plan.steps == ()
    assert world.crm_field(record_id, "notes") == "CRM only"
    assert world.outlook_field(item_id, "notes") == "Outlook only"


def test_creates_write_every_field_whose_direction_allows_the_target_side():
    world = World.with_settings(BI, field_directions={"notes": NOT_SYNCED, "job_title": TO_OUTLOOK})
    record = world.crm.add(CONTACT, contact("Ann", "Lee", notes="private", job_title="Buyer", mobile_phone="1"))
    item = world.outlook.add(CONTACT, contact("Bob", "Ray", notes="mine", job_title="Chef", mobile_phone="2"))

    world.sync()

    created_item = visible(world.outlook.get(CONTACT, world.only_item_of(record.id)).fields)
    assert created_item == {
        "first_name": "Ann",
        "last_name": "Lee",
        "gender": "female",
        "job_title": "Buyer",
        "mobile_phone": "1",
    }
    created_record = visible(world.crm.get(CONTACT, world.outlook.get(CONTACT, item.id).crm_id).fields)
    assert created_record == {"first_name": "Bob", "last_name": "Ray", "gender": "female", "mobile_phone": "2"}


@pytest.mark.parametrize(("field", "way"), [("mobile_phone", TO_CRM), ("job_title", TO_OUTLOOK)])
def test_rebuilt_links_do_not_empty_a_one_way_field_the_other_side_never_received(field, way):
    world = World.with_settings(BI, field_directions={field: way})
    if way is TO_CRM:
        record = world.crm.add(CONTACT, contact("Ann", "Lee", **{field: "kept"}))
        world.sync()  # the item is created without the CRM-only-bound field
        item_id = world.only_item_of(record.id)
    else:
        item_id = world.outlook.add(CONTACT, contact("Ann", "Lee", **{field: "kept"})).id
        world.sync()  # the record is created without the Outlook-only-bound field
        record = world.crm.all(CONTACT)[0]
    world.crm.stored_links.clear()
    world.crm.edit(CONTACT, record.id, notes="rebuild")

    world.sync()

    kept_on = world.crm_field(record.id, field) if way is TO_CRM else world.outlook_field(item_id, field)
    assert kept_on == "kept"
    assert world.linked_pairs() == {(record.id, item_id)}
