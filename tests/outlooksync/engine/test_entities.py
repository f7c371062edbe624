"""Tasks and calendar events go through the same rules: series with their exceptions, all-day events, due dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.outlooksync.engine.harness import (
    BI,
    COLUMN_IDS,
    CRM_WINS,
    EVENT,
    O2C,
    OUTLOOK_WINS,
    SETTINGS_COLUMNS,
    TASK,
    World,
    visible,
)

PARIS = ZoneInfo("Europe/Paris")
MONDAY_9 = datetime(2026, 3, 2, 9, tzinfo=PARIS)


def weekly_series(**changes):
    series = {
        "title": "Pipeline review",
        "start": MONDAY_9,
        "end": MONDAY_9 + timedelta(hours=1),
        "all_day": False,
        "time_zone": "Europe/Paris",
        "recurrence_rule": "FREQ=WEEKLY;BYDAY=MO",
        "cancelled_starts": (MONDAY_9 + timedelta(weeks=2),),
        "exceptions": (
            {"original_start": MONDAY_9 + timedelta(weeks=1), "start": MONDAY_9 + timedelta(weeks=1, hours=2)},
        ),
    }
    series.update(changes)
    return series


@pytest.mark.parametrize(("direction", "winner"), SETTINGS_COLUMNS, ids=COLUMN_IDS)
def test_a_series_is_one_record_with_its_exceptions(direction, winner):
    world = World.with_settings(direction, winner, entity=EVENT)
    if direction is O2C:
        source = world.outlook.add(EVENT, weekly_series())
        world.sync()
        [record] = world.crm.all(EVENT)
        item_id = source.id
    else:
        record = world.crm.add(EVENT, weekly_series())
        world.sync()
        item_id = world.only_item_of(record.id, EVENT)

    assert len(world.crm.all(EVENT)) == len(world.outlook.all(EVENT)) == 1  # never one record per occurrence
    assert visible(world.crm.get(EVENT, record.id).fields) == visible(world.outlook.get(EVENT, item_id).fields)
    assert world.plan().steps == ()


@pytest.mark.parametrize("winner", [CRM_WINS, OUTLOOK_WINS])
def test_a_cancelled_occurrence_in_outlook_reaches_the_crm_series(winner):
    world = World.with_settings(BI, winner, entity=EVENT)
    record = world.crm.add(EVENT, weekly_series())
    world.sync()
    item_id = world.only_item_of(record.id, EVENT)
    cancelled = (MONDAY_9 + timedelta(weeks=2), MONDAY_9 + timedelta(weeks=3))
    # Graph spells the same instants in UTC: not a change of the instants already there.
    world.outlook.edit(EVENT, item_id, cancelled_starts=tuple(start.astimezone(UTC) for start in cancelled))

    world.sync()

    assert [start.astimezone(UTC) for start in world.crm_field(record.id, "cancelled_starts", EVENT)] == [
        start.astimezone(UTC) for start in cancelled
    ]
    assert world.plan().steps == ()


def test_an_all_day_event_matches_by_date_whatever_the_time_zone_spelling():
    world = World.with_settings(BI, entity=EVENT)
    world.crm.add(EVENT, {"title": "Offsite", "start": date(2026, 3, 3), "end": date(2026, 3, 4), "all_day": True})
    world.outlook.add(
        EVENT,
        {
            "title": "offsite",
            "start": datetime(2026, 3, 3, tzinfo=PARIS),
            "end": datetime(2026, 3, 4, tzinfo=PARIS),
            "all_day": True,
        },
    )

    world.sync()

    assert len(world.outlook.all(EVENT)) == 1
    assert len(world.crm.all(EVENT)) == 1


def test_a_task_due_late_in_the_evening_matches_on_the_reps_date():
    world = World.with_settings(BI, entity=TASK, time_zone="Europe/Paris")
    record = world.crm.add(TASK, {"subject": "Send quote", "due_at": datetime(2026, 3, 2, 23, 30, tzinfo=UTC)})
    item = world.outlook.add(TASK, {"subject": "Send quote", "due_at": datetime(2026, 3, 3, 9, tzinfo=PARIS)})

    world.sync()

    assert world.items_of(record.id, TASK) == [item.id]
