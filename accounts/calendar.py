"""Calendar events turned into occurrences: recurring series expanded, cancelled and moved ones applied.

A series repeats in its own time zone (a 9:00 weekly meeting in Berlin stays at 9:00 local across
daylight saving time), so its RRULE is expanded from a start expressed in that zone. All-day events
are whole dates and stay so whatever the viewer's time zone.
"""

import datetime as dt
import functools
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet

from accounts.models import CalendarEvent
from accounts.recurrence import Rule, rule_occurrences, rule_parse

# How far before a window an exception's original slot may lie and still be suppressed in it.
LONGEST_EVENT = dt.timedelta(days=60)


@dataclass(frozen=True)
class Occurrence:
    """One occurrence of an event: a single event, a series' instance or a moved/changed exception."""

    event: CalendarEvent
    start: dt.datetime
    end: dt.datetime
    all_day: bool
    # The slot in the series this occurrence stands for (None for a single event).
    original_start: dt.datetime | None = None

    @property
    def series_id(self) -> int | None:
        if self.event.recurrence_rule:
            return self.event.pk
        return self.event.series_id

    @property
    def is_recurring(self) -> bool:
        return self.series_id is not None

    @property
    def first_date(self) -> dt.date:
        """The first day (all-day: in the event's zone, where it is a whole date)."""
        return self.start.astimezone(_zone(self.event.time_zone)).date()

    @property
    def last_date(self) -> dt.date:
        """The last day, inclusive (an all-day event ends at midnight after it)."""
        end = self.end.astimezone(_zone(self.event.time_zone))
        if end.time() == dt.time(0) and end.date() > self.first_date:
            return end.date() - dt.timedelta(days=1)
        return max(end.date(), self.first_date)

    def dates(self, zone: zoneinfo.ZoneInfo) -> list[dt.date]:
        """The days this occurrence shows on in a calendar displayed in `zone`."""
        if self.all_day:
            first, last = self.first_date, self.last_date
        else:
            first = self.start.astimezone(zone).date()
            end = self.end.astimezone(zone)
            last = end.date()
            if end.time() == dt.time(0) and last > first:
                last -= dt.timedelta(days=1)
        days, day = [], first
        while day <= last:
            days.append(day)
            day += dt.timedelta(days=1)
        return days


def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def parse_instant(value: str) -> dt.datetime | None:
    """An ISO 8601 instant (as kept in cancelled_starts) as an aware datetime, or None if unreadable."""
    try:
        parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def format_instant(value: dt.datetime) -> str:
    """The canonical UTC ISO form of an instant, as stored in cancelled_starts."""
    return value.astimezone(dt.UTC).isoformat()


@functools.lru_cache(maxsize=1024)
def _parsed_rule(text: str) -> Rule | None:
    """The stored rule parsed (None when it is not one the product accepts, such as an old row's)."""
    try:
        return rule_parse(text)
    except ValidationError:
        return None


def _rule_starts(event: CalendarEvent, after: dt.datetime, before: dt.datetime) -> list[dt.datetime]:
    """Starts of the series' occurrences between two instants, computed on the wall clock of its zone.

    A stored rule the product does not accept shows its first occurrence only.
    """
    zone = _zone(event.time_zone)
    rule = _parsed_rule(event.recurrence_rule.strip())
    if rule is None:
        return [event.start]
    try:
        local_start = event.start.astimezone(zone).replace(tzinfo=None)
        # A day either side covers the hours a wall-clock time moves across a DST change.
        low = after.astimezone(zone).replace(tzinfo=None) - dt.timedelta(days=1)
        high = before.astimezone(zone).replace(tzinfo=None) + dt.timedelta(days=1)
    except OverflowError:
        return [event.start]
    starts = []
    for value in rule_occurrences(rule, local_start, low, high, zone):
        # A wall-clock time that does not exist (spring forward) is resolved by zoneinfo; keep it
        # normalised so equal instants compare equal.
        try:
            starts.append(value.replace(tzinfo=zone).astimezone(dt.UTC))
        except OverflowError:
            break
    return starts


def _overlaps(start: dt.datetime, end: dt.datetime, window_start: dt.datetime, window_end: dt.datetime) -> bool:
    if end <= start:  # an instant event shows on its start
        return window_start <= start < window_end
    return start < window_end and end > window_start


def expand_occurrences(
    events: Iterable[CalendarEvent], window_start: dt.datetime, window_end: dt.datetime
) -> list[Occurrence]:
    """Occurrences of the events that overlap [window_start, window_end), in start order.

    `events` may mix single events, series (with a recurrence_rule) and their exceptions (rows whose
    `series` is a series; each replaces the occurrence at its `original_start`). Cancelled starts of
    a series are left out. Window bounds are aware datetimes.
    """
    events = list(events)
    exceptions_by_series: dict[int, dict[dt.datetime, CalendarEvent]] = defaultdict(dict)
    series_ids = {e.pk for e in events if e.recurrence_rule and e.series_id is None}
    for event in events:
        if event.series_id is not None and event.original_start is not None:
            exceptions_by_series[event.series_id][event.original_start.astimezone(dt.UTC)] = event
    occurrences = []
    for event in events:
        duration = event.end - event.start
        if event.series_id is not None and event.series_id in series_ids and event.original_start is not None:
            continue  # emitted with its series below, in place of the slot it replaces
        if event.recurrence_rule and event.series_id is None:
            cancelled = {parse_instant(v) for v in (event.cancelled_starts or [])}
            replaced = exceptions_by_series.get(event.pk, {})
            # Look back by the event's length so that an occurrence begun before the window still shows.
            starts = _rule_starts(event, window_start - duration, window_end)
            for start in starts:
                if start in cancelled or start in replaced:
                    continue
                end = start + duration
                if event.all_day:
                    # Whole days: the end is midnight after the last day on the wall clock, which
                    # is not always 24 hours per day across a DST change.
                    zone = _zone(event.time_zone)
                    local = start.astimezone(zone)
                    days = max(1, round(duration / dt.timedelta(days=1)))
                    end = dt.datetime.combine(local.date() + dt.timedelta(days=days), dt.time(0), zone)
                if _overlaps(start, end, window_start, window_end):
                    occurrences.append(Occurrence(event, start, end, event.all_day, original_start=start))
            for original, exception in replaced.items():
                if original in cancelled or exception.archived_at is not None:
                    continue
                if _overlaps(exception.start, exception.end, window_start, window_end):
                    occurrences.append(
                        Occurrence(exception, exception.start, exception.end, exception.all_day, original)
                    )
        elif _overlaps(event.start, event.end, window_start, window_end):
            occurrences.append(Occurrence(event, event.start, event.end, event.all_day, event.original_start))
    occurrences.sort(key=lambda o: (not o.all_day, o.start, o.event.pk))
    return occurrences


def events_for_window(queryset: QuerySet, window_start: dt.datetime, window_end: dt.datetime) -> QuerySet:
    """The rows needed to expand a window: events in it, series begun before its end, and exceptions.

    Exceptions are loaded when they lie in the window or when the slot they replace does, so that a
    moved occurrence neither appears twice nor leaves its old slot behind.
    """
    # Archived events and series leave the calendar; an archived moved occurrence is still loaded, so
    # that its slot stays taken (it shows as cancelled would).
    queryset = queryset.exclude(series__isnull=True, archived_at__isnull=False).exclude(
        series__archived_at__isnull=False
    )
    return queryset.filter(
        Q(start__lt=window_end, end__gt=window_start)
        | Q(start__gte=window_start, start__lt=window_end)
        | (Q(series__isnull=True) & ~Q(recurrence_rule="") & Q(start__lt=window_end))
        | Q(
            series__isnull=False,
            original_start__gte=window_start - LONGEST_EVENT,
            original_start__lt=window_end,
        )
    )
