"""Recurrence rules and time-zone names between the CRM and Graph (no server needed)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from outlooksync.graph import (
    Entity,
    GraphClient,
    GraphProtocolError,
    GraphTransport,
    UnsupportedRecurrence,
    graph_to_rrule,
    iana_to_windows,
    rrule_to_graph,
    windows_to_iana,
)
from outlooksync.graph.mapping import event_from_graph, event_to_graph

BERLIN = ZoneInfo("Europe/Berlin")
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=BERLIN)  # a Monday


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=DAILY",
        "FREQ=DAILY;INTERVAL=3;COUNT=10",
        "FREQ=WEEKLY;BYDAY=MO,WE,FR",
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU;UNTIL=20261231T225959Z",
        "FREQ=MONTHLY;BYMONTHDAY=15",
        "FREQ=MONTHLY;INTERVAL=2;BYDAY=2TU",
        "FREQ=MONTHLY;BYDAY=-1FR;COUNT=12",
        "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
        "FREQ=YEARLY;BYMONTHDAY=2;BYMONTH=3",
        "FREQ=YEARLY;BYDAY=4TH;BYMONTH=11",
    ],
)
def test_rules_outlook_can_express_round_trip(rule):
    graph = rrule_to_graph(rule, start=START, time_zone="Europe/Berlin", windows_zone="W. Europe Standard Time")
    assert graph["range"]["startDate"] == "2026-03-02"
    assert graph["range"]["recurrenceTimeZone"] == "W. Europe Standard Time"
    assert graph_to_rrule(graph, time_zone="Europe/Berlin") == rule


def test_until_becomes_the_date_of_the_last_occurrence():
    # UNTIL before 9:00 local on 31 March: the last occurrence is on the day before.
    graph = rrule_to_graph(
        "FREQ=DAILY;UNTIL=20260331T050000Z",
        start=START,
        time_zone="Europe/Berlin",
        windows_zone="W. Europe Standard Time",
    )
    assert graph["range"] == {
        "type": "endDate",
        "startDate": "2026-03-02",
        "endDate": "2026-03-30",
        "recurrenceTimeZone": "W. Europe Standard Time",
    }


def test_the_weekday_of_the_start_fills_in_a_bare_weekly_rule():
    graph = rrule_to_graph(
        "FREQ=WEEKLY", start=START, time_zone="Europe/Berlin", windows_zone="W. Europe Standard Time"
    )
    assert graph["pattern"]["daysOfWeek"] == ["monday"]


@pytest.mark.parametrize(
    "rule",
    ["FREQ=HOURLY", "FREQ=MONTHLY;BYMONTHDAY=1,15", "FREQ=MONTHLY;BYDAY=3MO,1TU", "FREQ=MONTHLY;BYDAY=5MO"],
)
def test_rules_outlook_cannot_express_are_refused(rule):
    with pytest.raises(UnsupportedRecurrence):
        rrule_to_graph(rule, start=START, time_zone="Europe/Berlin", windows_zone="W. Europe Standard Time")


def test_all_day_series_end_on_a_date():
    graph = {
        "pattern": {"type": "daily", "interval": 1},
        "range": {"type": "endDate", "startDate": "2026-03-02", "endDate": "2026-03-06"},
    }
    assert graph_to_rrule(graph, time_zone="Europe/Berlin", all_day=True) == "FREQ=DAILY;UNTIL=20260306"


@pytest.mark.parametrize(
    ("windows", "iana"),
    [
        ("W. Europe Standard Time", "Europe/Berlin"),
        ("Pacific Standard Time", "America/Los_Angeles"),
        ("Tokyo Standard Time", "Asia/Tokyo"),
        ("India Standard Time", "Asia/Kolkata"),
        ("FLE Standard Time", "Europe/Kyiv"),
        ("UTC", "UTC"),
    ],
)
def test_windows_and_iana_names(windows, iana):
    assert windows_to_iana(windows) == iana
    assert iana_to_windows(iana) == windows


def test_iana_names_map_to_their_windows_zone_and_unknown_names_are_refused():
    assert iana_to_windows("Europe/Paris") == "Romance Standard Time"
    assert iana_to_windows("Asia/Kolkata") == "India Standard Time"
    assert windows_to_iana("Europe/Paris") == "Europe/Paris"  # a zone sent as IANA comes back as it went
    # The rep's zone comes back under its own name when it is the same Windows zone.
    assert windows_to_iana("W. Europe Standard Time", prefer="Europe/Zurich") == "Europe/Zurich"
    assert windows_to_iana("W. Europe Standard Time", prefer="Europe/London") == "Europe/Berlin"
    with pytest.raises(ValueError):
        windows_to_iana("Mars Standard Time")
    with pytest.raises(ValueError):
        iana_to_windows("Mars/Olympus")


def test_an_all_day_event_that_ends_mid_day_is_sent_to_the_next_midnight():
    fields = {
        "start": dt.datetime(2026, 3, 29, 0, 0, tzinfo=BERLIN),  # the day clocks change in Berlin
        "end": dt.datetime(2026, 3, 29, 12, 0, tzinfo=BERLIN),
        "all_day": True,
        "time_zone": "Europe/Berlin",
    }
    graph = event_to_graph(fields)
    assert graph["start"]["dateTime"].startswith("2026-03-29T00:00:00")
    assert graph["end"]["dateTime"].startswith("2026-03-30T00:00:00")
    back = event_from_graph({**graph, "originalStartTimeZone": "W. Europe Standard Time"})
    assert back["end"] - back["start"] == dt.timedelta(hours=23)  # a 23-hour local day


def test_an_event_without_a_zone_uses_the_reps_zone():
    graph = event_to_graph(
        {"start": dt.datetime(2026, 7, 1, 7, tzinfo=dt.UTC), "end": dt.datetime(2026, 7, 1, 8, tzinfo=dt.UTC)},
        default_time_zone="America/New_York",
    )
    assert graph["start"] == {"dateTime": "2026-07-01T03:00:00.0000000", "timeZone": "Eastern Standard Time"}


def test_every_windows_zone_round_trips_through_its_iana_name():
    from tzlocal.windows_tz import win_tz

    unmatched = {w: windows_to_iana(w) for w in win_tz if iana_to_windows(windows_to_iana(w)) != w}
    assert unmatched == {}


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)
GRAPH_KEYS = [
    "givenName",
    "surname",
    "birthday",
    "emailAddresses",
    "businessPhones",
    "homePhones",
    "mobilePhone",
    "homeAddress",
    "singleValueExtendedProperties",
    "linkedResources",
    "title",
    "body",
    "status",
    "importance",
    "dueDateTime",
    "reminderDateTime",
    "isReminderOn",
    "start",
    "end",
    "isAllDay",
    "recurrence",
    "originalStartTimeZone",
    "cancelledOccurrences",
    "exceptionOccurrences",
    "location",
    "lastModifiedDateTime",
]


# Reading an item needs no request: one client that never connects serves every example.
OFFLINE_CLIENT = GraphClient(transport=GraphTransport(base_url="https://graph.invalid/v1.0", mailbox="m", token=str))


@settings(max_examples=150, deadline=None)
@given(entity=st.sampled_from(list(Entity)), values=st.dictionaries(st.sampled_from(GRAPH_KEYS), JSON, max_size=8))
def test_an_item_outside_the_protocol_is_refused_as_such_never_half_read(entity, values):
    try:
        item = OFFLINE_CLIENT._item(entity, {"id": "x", **values})
    except GraphProtocolError:
        return
    assert item.id == "x" and isinstance(item.fields, dict)
