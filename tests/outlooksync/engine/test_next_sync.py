"""OUTLOOK_RULES.md sections 4 and 5: records without a link, lost links, reassignment, dormant links."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from outlooksync.engine import Availability, Side
from tests.outlooksync.engine.harness import (
    BI,
    C2O,
    COLUMN_IDS,
    CONTACT,
    CRM_WINS,
    EVENT,
    O2C,
    OUTLOOK_WINS,
    SETTINGS_COLUMNS,
    World,
    contact,
    visible,
)


def synced_world(direction, winner) -> tuple[World, str, str]:
    """A world whose first sync is done: one linked pair, so later runs are next syncs."""
    world = World.with_settings(direction, winner)
    record_id, item_id = world.linked_pair("Zoe", "Park")
    return world, record_id, item_id


# -- section 4, row 1: a CRM record new or changed, not linked ---------------------------------


@pytest.mark.parametrize(("direction", "winner"), SETTINGS_COLUMNS, ids=COLUMN_IDS)
def test_new_crm_record_with_key_match_in_outlook(direction, winner):
    world, *_ = synced_world(direction, winner)
    item = world.outlook.add(CONTACT, contact("Ann", "Lee", mobile_phone="555", job_title="Outlook title"))
    world.commit_cursors()  # the item is old news on the Outlook side
    record = world.crm.add(CONTACT, contact("ann ", "lee", job_title="CRM title"))

    world.sync()

    after = visible(world.outlook.get(CONTACT, item.id).fields)
    if direction is O2C:
        assert after == visible(item.fields)
        assert (record.id, item.id) not in world.linked_pairs()
    else:
        assert (record.id, item.id) in world.linked_pairs()
        assert world.items_of(record.id) == [item.id]
        assert after["first_name"] == ("Ann" if winner is OUTLOOK_WINS and direction is BI else "ann ")
        if direction is C2O:
            assert "mobile_phone" not in after and after["job_title"] == "CRM title"
        else:  # merged as in the first sync
            assert after["mobile_phone"] == "555"
            assert after["job_title"] == ("CRM title" if winner is CRM_WINS else "Outlook title")
            assert visible(world.crm.get(CONTACT, record.id).fields) == after
    assert len(world.outlook.all(CONTACT)) == 2


@pytest.mark.parametrize(("direction", "winner"), SETTINGS_COLUMNS, ids=COLUMN_IDS)
def test_new_crm_record_without_match_is_created_in_outlook(direction, winner):
    world, *_ = synced_world(direction, winner)
    record = world.crm.add(CONTACT, contact("Ann", "Lee"))

    world.sync()

    assert len(world.items_of(record.id)) == (0 if direction is O2C else 1)


# -- section 4, row 2: an Outlook item new or changed, without a stamp ------------------------


@pytest.mark.parametrize(("direction", "winner"), SETTINGS_COLUMNS, ids=COLUMN_IDS)
def test_new_outlook_item_with_key_matches_in_the_crm(direction, winner):
    world, *_ = synced_world(direction, winner)
    older = world.crm.add(CONTACT, contact("Ann", "Lee", job_title="Old"))
    newer = world.crm.add(CONTACT, contact("Ann", "Lee", job_title="New"))
    if direction is not O2C:
        world.sync()  # both records reach Outlook first
    world.commit_cursors()
    item = world.outlook.add(CONTACT, contact("ANN", "Lee", mobile_phone="555"))

    world.sync()

    stamp = world.outlook.get(CONTACT, item.id).crm_id
    if direction is C2O:
        assert stamp is None
        assert all(world.crm_field(record.id, "mobile_phone") is None for record in (older, newer))
    else:
        assert stamp == older.id  # linked to the oldest
        assert (older.id, item.id) in world.linked_pairs()
        for record in (older, newer):  # every matching record takes the item's values
            assert world.crm_field(record.id, "mobile_phone") == "555"
    assert len(world.crm.all(CONTACT)) == 3


@pytest.mark.parametrize(("direction", "winner"), SETTINGS_COLUMNS, ids=COLUMN_IDS)
def test_new_outlook_item_without_match_is_created_in_the_crm(direction, winner):
    world, *_ = synced_world(direction, winner)
    item = world.outlook.add(CONTACT, contact("Bob", "Ray"))

    world.sync()

    created = [record for record in world.crm.all(CONTACT) if record.fields["first_name"] == "Bob"]
    if direction is C2O:
        assert created == []
    else:
        assert world.outlook.get(CONTACT, item.id).crm_id == created[0].id
        assert (created[0].id, item.id) in world.linked_pairs()


# -- section 4, row 3: a stamp without a stored link ------------------------------------------


@pytest.mark.parametrize(("direction", "winner"), SETTINGS_COLUMNS, ids=COLUMN_IDS)
def test_lost_links_are_rebuilt_from_stamps(direction, winner):
    world = World.with_settings(direction, winner)
    record_id, item_id = world.linked_pair("Ann", "Lee", job_title="Buyer")
    world.crm.stored_links.clear()
    world.outlook.edit(CONTACT, item_id, mobile_phone="555")

    world.sync()

    assert world.linked_pairs() == {(record_id, item_id)}
    assert len(world.crm.all(CONTACT)) == 1
    assert len(world.outlook.all(CONTACT)) == 1
    mobile_in_crm = world.crm_field(record_id, "mobile_phone")
    mobile_in_outlook = world.outlook_field(item_id, "mobile_phone")
    if direction is C2O:  # handled as a first-sync match: the CRM's values are written
        assert (mobile_in_crm, mobile_in_outlook) == (None, None)
    else:
        assert (mobile_in_crm, mobile_in_outlook) == ("555", "555")


@pytest.mark.parametrize(("direction", "winner"), SETTINGS_COLUMNS, ids=COLUMN_IDS)
def test_expired_delta_token_reconciles_without_duplicates(direction, winner):
    world = World.with_settings(direction, winner)
    pairs = [world.linked_pair(f"Person{number}", "Lee") for number in range(3)]
    world.outlook.cursors.clear()  # the delta round starts over: every item is reported again
    world.crm.cursors.clear()

    world.sync()

    assert world.linked_pairs() == set(pairs)
    assert len(world.outlook.all(CONTACT)) == 3
    assert len(world.crm.all(CONTACT)) == 3


# -- section 4, row 4: the stamp of no available record --------------------------------------

ORPHAN_OUTCOME = {C2O: "deleted", O2C: "created in the CRM", BI: "deleted"}


@pytest.mark.parametrize("cause", ["never existed", "archived", "deleted for good"])
@pytest.mark.parametrize(("direction", "winner"), SETTINGS_COLUMNS, ids=COLUMN_IDS)
def test_item_stamped_with_no_available_record(direction, winner, cause):
    world = World.with_settings(direction, winner)
    if cause == "never existed":
        item = world.outlook.add(CONTACT, contact("Ann", "Lee"), stamp="r-unknown")
    else:
        record_id, item_id = world.linked_pair("Ann", "Lee")
        world.crm.stored_links.clear()
        if cause == "archived":
            world.crm.set_availability(CONTACT, record_id, Availability.ARCHIVED)
        else:
            world.crm.delete_for_good(CONTACT, record_id)
        world.commit_cursors()
        item = world.outlook.edit(CONTACT, item_id, notes="edited")

    world.sync()

    if ORPHAN_OUTCOME[direction] == "deleted":
        assert world.outlook.get(CONTACT, item.id) is None
    else:
        new_id = world.outlook.get(CONTACT, item.id).crm_id
        assert new_id != item.crm_id
        assert visible(world.crm.get(CONTACT, new_id).fields)["first_name"] == "Ann"
        assert world.linked_pairs() == {(new_id, item.id)}


# -- delta rounds: repeats and removals within one round --------------------------------------


@pytest.mark.parametrize(("direction", "winner"), SETTINGS_COLUMNS, ids=COLUMN_IDS)
def test_item_repeated_in_a_round_counts_once_with_its_last_values(direction, winner):
    world, record_id, item_id = synced_world(direction, winner)
    world.outlook.edit(CONTACT, item_id, notes="first edit")
    world.outlook.edit(CONTACT, item_id, notes="second edit")

    report = world.sync()

    if direction is not C2O:
        assert world.crm_field(record_id, "notes") == "second edit"
        assert report.count(Side.CRM, CONTACT, "updated") == 1


@pytest.mark.parametrize(("direction", "winner"), SETTINGS_COLUMNS, ids=COLUMN_IDS)
def test_item_added_and_removed_within_a_round_leaves_no_trace(direction, winner):
    world, *_ = synced_world(direction, winner)
    item = world.outlook.add(CONTACT, contact("Bob", "Ray"))
    world.outlook.remove(CONTACT, item.id)

    world.sync()

    assert [values["first_name"] for values in world.crm_values(include_archived=True)] == ["Zoe"]


# -- section 5: reassignment and availability -------------------------------------------------


@pytest.mark.parametrize(("direction", "winner"), SETTINGS_COLUMNS, ids=COLUMN_IDS)
def test_reassigned_record_counts_as_deleted_for_the_previous_rep(direction, winner):
    world, record_id, item_id = synced_world(direction, winner)
    world.crm.set_availability(CONTACT, record_id, Availability.REASSIGNED)

    report = world.sync()

    assert world.linked_pairs() == set()
    if direction is O2C:
        assert world.outlook.get(CONTACT, item_id) is not None  # left alone
        assert [alert.kind for alert in report.alerts] == ["reassigned"]
    else:
        assert world.outlook.get(CONTACT, item_id) is None
    assert world.crm.get(CONTACT, record_id).availability is Availability.REASSIGNED  # never archived


@pytest.mark.parametrize(("direction", "winner"), SETTINGS_COLUMNS, ids=COLUMN_IDS)
def test_record_out_of_range_keeps_a_dormant_link(direction, winner):
    world, record_id, item_id = synced_world(direction, winner)
    world.crm.set_availability(CONTACT, record_id, Availability.OUT_OF_RANGE)
    world.outlook.edit(CONTACT, item_id, notes="edited")

    world.sync()

    assert world.outlook.get(CONTACT, item_id) is not None
    assert world.linked_pairs() == {(record_id, item_id)}
    assert world.crm.get(CONTACT, record_id).availability is Availability.OUT_OF_RANGE


@pytest.mark.parametrize(("direction", "winner"), SETTINGS_COLUMNS, ids=COLUMN_IDS)
def test_event_leaving_the_calendar_window_is_not_a_deletion(direction, winner):
    world = World.with_settings(direction, winner, entity=EVENT)
    review = {"title": "Review", "start": datetime(2026, 3, 2, 9, tzinfo=UTC), "end": None, "all_day": False}
    if direction is O2C:
        item_id = world.outlook.add(EVENT, review).id
        world.sync()
        [record] = world.crm.all(EVENT)
    else:
        record = world.crm.add(EVENT, review)
        world.sync()
        item_id = world.only_item_of(record.id, EVENT)
    world.outlook.leave_window(EVENT, item_id)

    report = world.sync()

    assert world.crm.get(EVENT, record.id).availability is Availability.AVAILABLE
    assert world.outlook.get(EVENT, item_id) is not None
    assert world.linked_pairs(EVENT) == {(record.id, item_id)}
    assert sum(report.counts.values()) == 0


def test_outlook_to_crm_leaves_the_item_of_a_reassigned_record_alone_for_good():
    world, record_id, item_id = synced_world(O2C, CRM_WINS)
    world.crm.set_availability(CONTACT, record_id, Availability.REASSIGNED)
    world.sync()
    world.outlook.edit(CONTACT, item_id, notes="still mine")

    world.sync()

    assert [record.id for record in world.crm.all(CONTACT)] == [record_id]  # no record made from it
    assert world.outlook_field(item_id, "notes") == "still mine"
