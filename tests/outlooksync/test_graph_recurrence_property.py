"""Property: a rule sent to Outlook means the same days there as in the CRM.

Graph's patternedRecurrence is expanded here by its documented meaning (independently of the client's
code), and compared with dateutil's expansion of the RRULE the CRM stores.
"""

import calendar
import datetime as dt
from zoneinfo import ZoneInfo

from dateutil import rrule as dateutil_rrule
from hypothesis import given, settings
from hypothesis import strategies as st

from outlooksync.graph import UnsupportedRecurrence, graph_to_rrule, iana_to_windows, rrule_to_graph
from outlooksync.graph.recurrence import GRAPH_DAYS, INDEX_NUMBERS, WEEKDAYS, rrule_canonical

HORIZON_DAYS = 3 * 366
ZONES = ["Europe/Berlin", "America/New_York", "Asia/Tokyo", "Australia/Sydney", "UTC"]


def _months_between(first: dt.date, day: dt.date) -> int:
    return (day.year - first.year) * 12 + day.month - first.month


def _nth_in_month(day: dt.date, weekdays: set[int], index: int) -> bool:
    last = calendar.monthrange(day.year, day.month)[1]
    candidates = [d for d in range(1, last + 1) if dt.date(day.year, day.month, d).weekday() in weekdays]
    return len(candidates) >= abs(index) and candidates[index - 1 if index > 0 else index] == day.day


def graph_days(recurrence: dict, first: dt.date) -> list[dt.date]:
    """The dates a Graph recurrence produces, by the documented meaning of each pattern and range."""
    pattern, recurrence_range = recurrence["pattern"], recurrence["range"]
    interval = pattern.get("interval", 1)
    weekdays = {GRAPH_DAYS.index(d) for d in pattern.get("daysOfWeek", [])}
    week_start = GRAPH_DAYS.index(pattern.get("firstDayOfWeek", "sunday"))
    first_week = first - dt.timedelta(days=(first.weekday() - week_start) % 7)
    kind = pattern["type"]
    days = []
    for offset in range(HORIZON_DAYS):
        day = first + dt.timedelta(days=offset)
        if kind == "daily":
            hit = offset % interval == 0
        elif kind == "weekly":
            hit = ((day - first_week).days // 7) % interval == 0 and day.weekday() in weekdays
        elif kind == "absoluteMonthly":
            hit = _months_between(first, day) % interval == 0 and day.day == pattern["dayOfMonth"]
        elif kind == "relativeMonthly":
            index = INDEX_NUMBERS[pattern["index"]]
            hit = _months_between(first, day) % interval == 0 and _nth_in_month(day, weekdays, index)
        elif kind == "absoluteYearly":
            hit = (day.year - first.year) % interval == 0 and (day.month, day.day) == (
                pattern["month"],
                pattern["dayOfMonth"],
            )
        else:
            index = INDEX_NUMBERS[pattern["index"]]
            hit = (
                (day.year - first.year) % interval == 0
                and day.month == pattern["month"]
                and _nth_in_month(day, weekdays, index)
            )
        if not hit:
            continue
        if recurrence_range["type"] == "endDate" and day > dt.date.fromisoformat(recurrence_range["endDate"]):
            break
        days.append(day)
        if recurrence_range["type"] == "numbered" and len(days) == recurrence_range["numberOfOccurrences"]:
            break
    return days


def rrule_days(rule: str, start: dt.datetime) -> list[dt.date]:
    horizon = start + dt.timedelta(days=HORIZON_DAYS + 2)
    expanded = dateutil_rrule.rrulestr(rule, dtstart=start)
    return [occurrence.date() for occurrence in expanded.between(start, horizon, inc=True)]


@st.composite
def rules(draw):
    freq = draw(st.sampled_from(["DAILY", "WEEKLY", "MONTHLY", "YEARLY"]))
    parts = [f"FREQ={freq}"]
    interval = draw(st.integers(1, 3))
    if interval > 1:
        parts.append(f"INTERVAL={interval}")
    days = sorted(draw(st.sets(st.integers(0, 6), min_size=1, max_size=5)))
    if freq == "WEEKLY":
        parts.append("BYDAY=" + ",".join(WEEKDAYS[d] for d in days))
    elif freq in ("MONTHLY", "YEARLY"):
        style = draw(st.sampled_from(["monthday", "ordinal", "setpos"]))
        index = draw(st.sampled_from([1, 2, 3, 4, -1]))
        if style == "monthday":
            parts.append(f"BYMONTHDAY={draw(st.integers(1, 28))}")
        elif style == "ordinal":
            parts.append(f"BYDAY={index}{WEEKDAYS[days[0]]}")
        else:
            parts.append("BYDAY=" + ",".join(WEEKDAYS[d] for d in days))
        if freq == "YEARLY":
            parts.append(f"BYMONTH={draw(st.integers(1, 12))}")
        if style == "setpos":
            parts.append(f"BYSETPOS={index}")
    end = draw(st.sampled_from(["none", "count", "until"]))
    if end == "count":
        parts.append(f"COUNT={draw(st.integers(1, 30))}")
    elif end == "until":
        until = dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(hours=draw(st.integers(0, 2 * 366 * 24)))
        parts.append(f"UNTIL={until:%Y%m%dT%H%M%SZ}")
    return ";".join(parts)


@settings(max_examples=150, deadline=None)
@given(
    rule=rules(),
    day=st.dates(dt.date(2025, 12, 1), dt.date(2026, 2, 28)),
    minutes=st.integers(0, 24 * 60 - 1),
    zone_name=st.sampled_from(ZONES),
)
def test_outlook_repeats_a_series_on_the_days_the_crm_does(rule, day, minutes, zone_name):
    zone = ZoneInfo(zone_name)
    start = dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60), tzinfo=zone)
    try:
        graph = rrule_to_graph(rule, start=start, time_zone=zone_name, windows_zone=iana_to_windows(zone_name))
    except UnsupportedRecurrence:
        # Only a rule that ends before its series starts; it has no occurrence to compare.
        assert not rrule_days(rule, start)
        return
    first = dt.date.fromisoformat(graph["range"]["startDate"])
    expected = [d for d in rrule_days(rule, start) if first <= d < first + dt.timedelta(days=HORIZON_DAYS)]
    assert graph_days(graph, first) == expected
    back = graph_to_rrule(graph, time_zone=zone_name)
    if "UNTIL" not in rule:
        assert back == rrule_canonical(rule)
    within = [d for d in rrule_days(back, start) if first <= d < first + dt.timedelta(days=HORIZON_DAYS)]
    assert within == expected


@settings(max_examples=100, deadline=None)
@given(
    days=st.sets(st.sampled_from(GRAPH_DAYS), min_size=1, max_size=7),
    week_start=st.sampled_from(GRAPH_DAYS),
    interval=st.integers(1, 3),
    count=st.integers(1, 40),
    first=st.dates(dt.date(2026, 1, 1), dt.date(2026, 1, 31)),
)
def test_a_weekly_series_made_in_outlook_keeps_its_days_in_the_crm(days, week_start, interval, count, first):
    graph = {
        "pattern": {"type": "weekly", "interval": interval, "daysOfWeek": sorted(days), "firstDayOfWeek": week_start},
        "range": {"type": "numbered", "startDate": first.isoformat(), "numberOfOccurrences": count},
    }
    start = dt.datetime.combine(first, dt.time(9), tzinfo=ZoneInfo("Europe/Berlin"))
    rule = graph_to_rrule(graph, time_zone="Europe/Berlin")
    assert rrule_days(rule, start) == graph_days(graph, first)
