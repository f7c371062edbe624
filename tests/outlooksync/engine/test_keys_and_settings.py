"""Key normalization, change hashes and settings validation."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from outlooksync.engine import (
    ConflictWinner,
    Direction,
    EntitySettings,
    FieldDirection,
    SyncSettings,
    record_key,
)
from outlooksync.engine.hashing import value_hash
from tests.outlooksync.engine.harness import BI, CONTACT, EVENT, TASK, World, contact, settings_for

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")


def contact_key(**values):
    fields = contact(**{name: values.pop(name) for name in ("first", "last") if name in values})
    fields.update(values)
    return record_key(CONTACT, fields, ("first_name", "last_name", "gender", "birthday"), UTC)


KEY_CASES = [
    pytest.param(CONTACT, {"first_name": " Ann "}, {"first_name": "aNN"}, True, id="text trimmed, any case"),
    pytest.param(CONTACT, {"first_name": "Ann"}, {"first_name": "Anne"}, False, id="different text"),
    pytest.param(CONTACT, {"birthday": None}, {"birthday": None}, True, id="empty is a value"),
    pytest.param(CONTACT, {"first_name": None}, {"first_name": "  "}, True, id="None and blank are both empty"),
    pytest.param(CONTACT, {"birthday": None}, {"birthday": date(1990, 5, 1)}, False, id="empty against a date"),
    pytest.param(CONTACT, {"middle_name": "X"}, {"middle_name": "Y"}, True, id="not a key field"),
    pytest.param(CONTACT, {"gender": "female"}, {"gender": "male"}, False, id="gender is a key field"),
    pytest.param(
        EVENT,
        {"start": datetime(2026, 3, 2, 10, tzinfo=PARIS)},
        {"start": datetime(2026, 3, 2, 9, tzinfo=UTC)},
        True,
        id="times as UTC instants",
    ),
    pytest.param(
        EVENT,
        {"start": datetime(2026, 3, 2, 10, tzinfo=PARIS)},
        {"start": datetime(2026, 3, 2, 10, tzinfo=UTC)},
        False,
        id="same wall time, other instant",
    ),
    pytest.param(
        EVENT,
        {"all_day": True, "start": datetime(2026, 3, 2, tzinfo=PARIS), "end": datetime(2026, 3, 3, tzinfo=PARIS)},
        {"all_day": True, "start": date(2026, 3, 2), "end": datetime(2026, 3, 3, tzinfo=NEW_YORK)},
        True,
        id="all-day events by date",
    ),
    pytest.param(
        EVENT,
        {"all_day": False, "start": datetime(2026, 3, 2, tzinfo=PARIS)},
        {"all_day": False, "start": datetime(2026, 3, 2, tzinfo=NEW_YORK)},
        False,
        id="timed events by instant",
    ),
    pytest.param(EVENT, {"all_day": True}, {"all_day": False}, False, id="all-day is a key field"),
    pytest.param(
        TASK,
        {"subject": "Call", "due_at": datetime(2026, 3, 2, 8, tzinfo=UTC)},
        {"subject": "call", "due_at": datetime(2026, 3, 2, 17, tzinfo=UTC)},
        True,
        id="task due date by its date",
    ),
    pytest.param(
        TASK,
        {"subject": "Call", "due_at": datetime(2026, 3, 2, 23, 30, tzinfo=UTC)},
        {"subject": "Call", "due_at": datetime(2026, 3, 3, 10, tzinfo=PARIS)},
        True,
        id="task due date in the rep's time zone",
    ),
]


@pytest.mark.parametrize(("entity", "first", "second", "same"), KEY_CASES)
def test_key_normalization(entity, first, second, same):
    settings = settings_for(time_zone="Europe/Paris")
    key_fields = settings.entity_settings(entity).key_fields
    assert (record_key(entity, first, key_fields, PARIS) == record_key(entity, second, key_fields, PARIS)) is same


@pytest.mark.parametrize(("entity", "first", "second", "same"), KEY_CASES)
def test_key_normalization_decides_first_sync_matches(entity, first, second, same):
    world = World.with_settings(BI, entity=entity, time_zone="Europe/Paris")
    base = {"first_name": "Ann", "last_name": "Lee", "subject": "Call", "title": "Review"}
    record = world.crm.add(entity, base | first)
    item = world.outlook.add(entity, base | second)

    world.sync()

    assert (world.items_of(record.id, entity) == [item.id]) is same
    assert len(world.outlook.all(entity)) == (1 if same else 2)


def test_task_due_date_depends_on_the_reps_time_zone():
    due_late_utc = {"subject": "Call", "due_at": datetime(2026, 3, 2, 23, 30, tzinfo=UTC)}
    due_next_morning = {"subject": "Call", "due_at": datetime(2026, 3, 3, 8, tzinfo=UTC)}
    fields = ("subject", "due_at")
    assert record_key(TASK, due_late_utc, fields, PARIS) == record_key(TASK, due_next_morning, fields, PARIS)
    assert record_key(TASK, due_late_utc, fields, UTC) != record_key(TASK, due_next_morning, fields, UTC)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="naive"):
        record_key(EVENT, {"start": datetime(2026, 3, 2, 10)}, ("start",), UTC)


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        ("", None, True),
        ((), None, True),
        ("Ann", "ann", False),  # a change of case is a change to write, though not a different key
        (datetime(2026, 3, 2, 10, tzinfo=PARIS), datetime(2026, 3, 2, 9, tzinfo=UTC), True),
        (datetime(2026, 3, 2, 10, tzinfo=timezone(timedelta(hours=1))), datetime(2026, 3, 2, 10, tzinfo=UTC), False),
        (("a", "b"), ["a", "b"], True),
        ({"city": "Oslo", "street": ""}, {"street": None, "city": "Oslo"}, True),
        (date(2026, 3, 2), "2026-03-02", False),
    ],
)
def test_change_hash(first, second, same):
    assert (value_hash(first) == value_hash(second)) is same


# -- settings ---------------------------------------------------------------------------------


def test_defaults_are_the_seeds():
    settings = SyncSettings()
    assert settings.direction is Direction.BIDIRECTIONAL
    assert settings.conflict is ConflictWinner.CRM
    assert (settings.crm_interval_seconds, settings.outlook_interval_seconds) == (120, 30)
    assert settings.enabled_entities == (CONTACT, TASK, EVENT)
    assert settings.entity_settings(CONTACT).key_fields == ("first_name", "last_name", "gender", "birthday")
    assert settings.entity_settings(EVENT).key_fields == ("title", "start", "end", "all_day")
    assert settings.entity_settings(TASK).key_fields == ("subject", "due_at")
    assert settings.validate() == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"crm_interval_seconds": 0}, "crm_interval_seconds"),
        ({"crm_interval_seconds": 86400}, "crm_interval_seconds"),
        ({"outlook_interval_seconds": 0}, "outlook_interval_seconds"),
        ({"outlook_interval_seconds": 86400}, "outlook_interval_seconds"),
        ({"calendar_days_back": -1}, "calendar_days_back"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        (
            {"entities": {CONTACT: EntitySettings.defaults(CONTACT, key_fields=("first_name", "shoe_size"))}},
            "contact.key_fields",
        ),
        ({"entities": {CONTACT: EntitySettings.defaults(CONTACT, key_fields=())}}, "contact.key_fields"),
        (
            {
                "entities": {
                    CONTACT: EntitySettings.defaults(CONTACT, field_directions={"birthday": FieldDirection.NOT_SYNCED})
                }
            },
            "contact.field_directions.birthday",
        ),
        (
            {"entities": {TASK: EntitySettings.defaults(TASK, field_directions={"colour": FieldDirection.BOTH})}},
            "task.field_directions.colour",
        ),
    ],
)
def test_invalid_settings_name_their_field(changes, field):
    problems = SyncSettings(**changes).validate()
    assert [problem.field for problem in problems] == [field]
    assert problems[0].message


@pytest.mark.parametrize("seconds", [1, 86399])
def test_interval_bounds_are_accepted(seconds):
    assert SyncSettings(crm_interval_seconds=seconds, outlook_interval_seconds=seconds).validate() == []


def test_disabled_entity_is_not_synced():
    world = World(settings=SyncSettings(entities={CONTACT: EntitySettings.defaults(CONTACT, enabled=False)}))
    world.crm.add(CONTACT, contact("Ann", "Lee"))

    world.sync()

    assert world.outlook.all(CONTACT) == []
