"""OUTLOOK_RULES.md sections 6 and 7: resync, the mass-deletion guard, archive-never-delete."""

from __future__ import annotations

import pytest

from outlooksync.engine import Availability, HeldDeletionsDecision, exceeds_mass_deletion_threshold
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
)

# -- section 6: resync ------------------------------------------------------------------------


@pytest.mark.parametrize(("direction", "winner"), SETTINGS_COLUMNS, ids=COLUMN_IDS)
def test_resync(direction, winner):
    world = World.with_settings(direction, winner)
    pairs = [world.linked_pair(f"Person{number}", "Lee") for number in range(30)]
    plain_item = world.outlook.add(CONTACT, contact("Person0", "Lee", notes="never synced"))
    world.commit_cursors()

    report = world.sync(resync=True)

    assert report.held_deletions == 0  # the rep confirmed the resync: never held
    assert len(world.crm.all(CONTACT)) == 30
    links = world.linked_pairs()
    assert {crm_id for crm_id, _ in links} == {crm_id for crm_id, _ in pairs}
    if direction is O2C:
        # Outlook is the master: nothing deleted; links cleared and matched again by stamp, then key.
        assert links >= set(pairs)
        assert len(world.outlook.all(CONTACT)) == 31
    else:
        # Every stamped item deleted and created again (or matched by key), one item per record.
        assert not links & set(pairs)
        assert len(world.outlook.all(CONTACT)) == 30
        assert world.outlook.get(CONTACT, plain_item.id).crm_id == pairs[0][0]  # matched by key
        assert all(len(world.items_of(crm_id)) == 1 for crm_id, _ in pairs)
    assert world.plan().steps == ()


# -- section 7: the mass-deletion guard -------------------------------------------------------


@pytest.mark.parametrize(
    ("deletions", "linked", "held"),
    [
        (10, 10, False),  # 100 % but not more than 10
        (10, 20, False),
        (11, 20, True),
        (11, 54, True),  # 20.4 %
        (11, 55, False),  # exactly 20 %: not more than 20 %
        (12, 100, False),
        (21, 100, True),
        (0, 0, False),
    ],
)
def test_threshold(deletions, linked, held):
    assert exceeds_mass_deletion_threshold(deletions, linked) is held


def world_with_pairs(direction, winner, count):
    world = World.with_settings(direction, winner)
    pairs = [world.linked_pair(f"Person{number}", "Lee") for number in range(count)]
    return world, pairs


GUARD_SIDES = [
    pytest.param(C2O, CRM_WINS, "crm archives", id="C->O: Outlook deletions"),
    pytest.param(BI, CRM_WINS, "crm archives", id="Bi CRM wins: Outlook deletions"),
    pytest.param(BI, OUTLOOK_WINS, "outlook removes", id="Bi Outlook wins: CRM archives"),
    pytest.param(O2C, CRM_WINS, "outlook removes", id="O->C: CRM archives"),
]


def delete_on_source(world, pairs, how):
    for crm_id, outlook_id in pairs:
        if how == "crm archives":
            world.crm.set_availability(CONTACT, crm_id, Availability.ARCHIVED)
        else:
            world.outlook.remove(CONTACT, outlook_id)


def deleted_on_target(world, pairs, how) -> int:
    if how == "crm archives":
        return sum(world.outlook.get(CONTACT, outlook_id) is None for _, outlook_id in pairs)
    return sum(world.is_archived(crm_id) for crm_id, _ in pairs)


@pytest.mark.parametrize(("direction", "winner", "how"), GUARD_SIDES)
@pytest.mark.parametrize(("count", "deleted", "held"), [(50, 10, False), (50, 11, True), (55, 11, False)])
def test_guard_holds_mass_deletions(direction, winner, how, count, deleted, held):
    world, pairs = world_with_pairs(direction, winner, count)
    delete_on_source(world, pairs[:deleted], how)
    world.crm.edit(CONTACT, pairs[-1][0], notes="edited meanwhile")
    world.outlook.edit(CONTACT, pairs[-2][1], notes="edited meanwhile")

    report = world.sync()

    assert deleted_on_target(world, pairs[:deleted], how) == (0 if held else deleted)
    assert report.held_deletions == (deleted if held else 0)
    assert ("mass_deletion_held" in [alert.kind for alert in report.alerts]) is held
    # everything else in the run proceeds
    if direction is not O2C:
        assert world.outlook_field(pairs[-1][1], "notes") == "edited meanwhile"
    if direction is not C2O:
        assert world.crm_field(pairs[-2][0], "notes") == "edited meanwhile"


@pytest.mark.parametrize(("direction", "winner", "how"), GUARD_SIDES)
def test_held_deletions_wait_for_confirmation(direction, winner, how):
    world, pairs = world_with_pairs(direction, winner, 20)
    delete_on_source(world, pairs[:11], how)

    world.sync()
    second = world.sync()  # still waiting: nothing deleted by a plain run

    assert second.held_deletions == 11
    assert deleted_on_target(world, pairs[:11], how) == 0
    world.confirm_held_deletions()
    assert deleted_on_target(world, pairs[:11], how) == 11
    assert world.linked_pairs() == set(pairs[11:])
    assert world.plan().steps == ()


@pytest.mark.parametrize(("direction", "winner", "how"), GUARD_SIDES)
def test_cancelled_deletions_keep_both_sides(direction, winner, how):
    world, pairs = world_with_pairs(direction, winner, 20)
    delete_on_source(world, pairs[:11], how)
    world.sync()

    world.sync(held_deletions=HeldDeletionsDecision.CANCELLED)

    assert deleted_on_target(world, pairs[:11], how) == 0
    assert world.plan().steps == ()
    if how == "crm archives":
        # The items stay linked: a record the rep takes back out of the archive syncs to its item again.
        assert world.linked_pairs() == set(pairs)
        world.crm.set_availability(CONTACT, pairs[0][0], Availability.AVAILABLE)
        world.crm.edit(CONTACT, pairs[0][0], notes="back")
        world.sync()
        assert world.outlook_field(pairs[0][1], "notes") == "back"
    else:
        # The records stay; only the links to the items that are gone are dropped.
        assert world.linked_pairs() == set(pairs[11:])
        assert all(world.crm.get(CONTACT, crm_id).availability is Availability.AVAILABLE for crm_id, _ in pairs)


def test_archive_never_deletes_and_raises_an_alert():
    world, pairs = world_with_pairs(BI, OUTLOOK_WINS, 3)
    world.outlook.remove(CONTACT, pairs[0][1])

    report = world.sync()

    record = world.crm.get(CONTACT, pairs[0][0])
    assert record is not None and record.availability is Availability.ARCHIVED
    [alert] = report.alerts
    assert alert.kind == "archived" and "Person0 Lee" in alert.message
