"""Writes of the calendar grid: moving one occurrence of a repeating event, or every occurrence of it.

Dragging (or moving with the keyboard) an occurrence of a series asks, as Outlook and Google Calendar do,
whether only this occurrence moves or every one:

- only this one becomes an exception: a row of its own pointing at the series (`series`, `original_start`),
  which the calendar shows in place of the slot it replaces (accounts/calendar.py);
- every one moves the series on the wall clock of its zone by the same amount, keeping its rule: a weekly
  Monday 9:00 meeting dragged to Tuesday 10:00 becomes a weekly Tuesday 10:00 one. What hangs on the
  series' slots moves with them, so that nothing comes back or goes missing: its cancelled occurrences stay
  cancelled, its moved occurrences keep replacing the slot they replaced (and keep their own times), and a
  timed UNTIL moves by as much, so the last occurrence stays.

A move to another day is refused when the rule pins days another way than by weekday (BYMONTHDAY,
BYSETPOS, BYMONTH, numbered weekdays), and whenever the moved rule would not give every occurrence moved
by the same amount (checked over a year and more of occurrences, as a weekly rule every other week whose
days would cross a Sunday does not): such a change is done in the event's form.

Both writes lock the series, check the version the page read, and go through `event_save`, so the
rights, checks and change log are those of any other change.
"""

import datetime as dt
import zoneinfo
from dataclasses import replace

from django.core.exceptions import ValidationError

from accounts.calendar import _rule_starts, format_instant, parse_instant
from accounts.models import CalendarEvent
from accounts.recurrence import rule_occurrences, rule_parse
from accounts.services import event_save
from backoffice.access import check_write
from backoffice.db import service_atomic
from backoffice.models import User
from backoffice.records import StaleRecordError

# How far the check that a moved series gives the same occurrences, moved, looks.
CHECKED_SPAN = dt.timedelta(days=800)
NOT_THE_SAME = (
    "Moved this way, this event's repetition would not move every occurrence alike: open it and change its "
    "start and repetition in its form."
)

# Fields an occurrence moved on its own takes from its series.
COPIED_FIELDS = ("title", "description", "location", "all_day", "time_zone", "related_type", "related_id")


def _locked_series(*, actor: User, series: CalendarEvent, version: int) -> CalendarEvent:
    """The series as stored, locked for this transaction; refused if it changed since `version` was read."""
    stored = CalendarEvent.objects.select_for_update().get(pk=series.pk)
    check_write(actor, stored)
    if not stored.recurrence_rule or stored.series_id is not None:
        raise ValidationError({"event": "This event does not repeat: move it as it is."})
    if stored.version != version:
        raise StaleRecordError({"version": f"{stored} was changed by someone else after you opened it."})
    return stored


def _is_slot(series: CalendarEvent, original_start: dt.datetime) -> bool:
    """Whether `original_start` is an occurrence of the series that is neither cancelled nor moved already."""
    if original_start not in _rule_starts(series, original_start - dt.timedelta(minutes=1), original_start):
        return False
    if any(parse_instant(value) == original_start for value in series.cancelled_starts or []):
        return False
    return not series.exceptions.filter(original_start=original_start).exists()


@service_atomic
def event_occurrence_move(
    *,
    actor: User,
    series: CalendarEvent,
    version: int,
    original_start: dt.datetime,
    start: dt.datetime,
    end: dt.datetime,
) -> CalendarEvent:
    """Move one occurrence of a series (the one at `original_start`) to [start, end): it becomes its own row,
    with the series' title, place, link and attendees, and the series stays as it was."""
    series = _locked_series(actor=actor, series=series, version=version)
    if not _is_slot(series, original_start):
        raise ValidationError(
            {"occurrence": "This occurrence is no longer in the series (cancelled or moved): reload the calendar."}
        )
    data = {name: getattr(series, name) for name in COPIED_FIELDS}
    data.pop("related_type"), data.pop("related_id")
    data.update(
        {
            "related": series.related,
            "owner": series.owner,
            "series": series,
            "original_start": original_start,
            "start": start,
            "end": end,
            "attendees": list(series.attendees.all()),
        }
    )
    return event_save(actor=actor, data=data)


def _shift(value: dt.datetime, delta: dt.timedelta, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """`value` moved by `delta` on the wall clock of `zone` (a 9:00 stays 9:00-based across DST)."""
    local = value.astimezone(zone).replace(tzinfo=None) + delta
    return local.replace(tzinfo=zone).astimezone(dt.UTC)


def _shifted_rule(text: str, *, days: int, delta: dt.timedelta, zone: zoneinfo.ZoneInfo) -> str:
    """The rule of a series moved by `delta` (`days` of it across dates): weekdays and a timed UNTIL follow."""
    rule = rule_parse(text)
    if days:
        if rule.bymonthday or rule.bysetpos or rule.bymonth or any(n is not None for n, _ in rule.byday):
            raise ValidationError(
                {
                    "occurrence": "This event repeats on set days of the month or year: to move every "
                    "occurrence to another day, open it and change its repetition."
                }
            )
        rule = replace(rule, byday=tuple(sorted((None, (weekday + days) % 7) for _, weekday in rule.byday)))
    if rule.until is not None:
        if rule.until_date_only:
            rule = replace(rule, until=rule.until + dt.timedelta(days=days))
        elif rule.until_utc:
            moved = _shift(rule.until.replace(tzinfo=dt.UTC), delta, zone)
            rule = replace(rule, until=moved.replace(tzinfo=None))
        else:
            rule = replace(rule, until=rule.until + delta)
    return rule.text()


def _check_moves_alike(
    *, old_rule: str, new_rule: str, old_start: dt.datetime, delta: dt.timedelta, zone: zoneinfo.ZoneInfo
) -> None:
    """Refuse unless the moved series' occurrences are exactly the old ones moved by `delta` (wall clock)."""
    old_local = old_start.astimezone(zone).replace(tzinfo=None)
    high = old_local + CHECKED_SPAN
    before = rule_occurrences(rule_parse(old_rule), old_local, old_local, high, zone)
    after = rule_occurrences(rule_parse(new_rule), old_local + delta, old_local + delta, high + delta, zone)
    if [value + delta for value in before] != after:
        raise ValidationError({"occurrence": NOT_THE_SAME})


@service_atomic
def event_series_move(
    *,
    actor: User,
    series: CalendarEvent,
    version: int,
    original_start: dt.datetime,
    start: dt.datetime,
    end: dt.datetime,
) -> CalendarEvent:
    """Move every occurrence of a series as its occurrence at `original_start` moves to [start, end)."""
    series = _locked_series(actor=actor, series=series, version=version)
    if series.all_day:
        raise ValidationError({"occurrence": "Open an all-day event to change its days."})
    if not _is_slot(series, original_start):
        raise ValidationError(
            {"occurrence": "This occurrence is no longer in the series (cancelled or moved): reload the calendar."}
        )
    zone = zoneinfo.ZoneInfo(series.time_zone)
    old_local = original_start.astimezone(zone).replace(tzinfo=None)
    new_local = start.astimezone(zone).replace(tzinfo=None)
    delta = new_local - old_local
    days = (new_local.date() - old_local.date()).days
    new_start = _shift(series.start, delta, zone)
    new_rule = _shifted_rule(series.recurrence_rule, days=days, delta=delta, zone=zone)
    _check_moves_alike(
        old_rule=series.recurrence_rule, new_rule=new_rule, old_start=series.start, delta=delta, zone=zone
    )
    data = {
        "start": new_start,
        "end": new_start + (end - start),
        "recurrence_rule": new_rule,
        "cancelled_starts": [
            format_instant(_shift(instant, delta, zone))
            for instant in (parse_instant(value) for value in series.cancelled_starts or [])
            if instant is not None
        ],
        "version": series.version,
    }
    # The moved occurrences are the series' rows: they follow its slots, keeping their own times.
    for exception in series.exceptions.select_for_update().order_by("pk"):
        if exception.original_start is not None:
            event_save(
                actor=actor,
                event=exception,
                data={"original_start": _shift(exception.original_start, delta, zone)},
            )
    return event_save(actor=actor, event=series, data=data)
