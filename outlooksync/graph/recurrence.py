"""Recurrence between RFC 5545 RRULE text (the CRM's) and Graph's patternedRecurrence.

Graph expresses a subset of RRULE: daily, weekly on given days, monthly or yearly on a day of the month
or on the first..fourth or last given weekday(s), ending on a date, after a count or never. A rule
outside that subset raises UnsupportedRecurrence rather than being sent approximately.

The RRULE text produced is in the CRM's normalized form (parts in the order FREQ, INTERVAL, BYDAY,
BYMONTHDAY, BYMONTH, BYSETPOS, COUNT, UNTIL; INTERVAL left out when 1), so that a rule read back
from Graph compares equal to the one the CRM sent. Graph's end date is a local date including its
last occurrence; it becomes an UNTIL at the end of that day in the series' zone, in UTC.
"""

import datetime as dt
from typing import Any

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
GRAPH_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
INDEXES = {1: "first", 2: "second", 3: "third", 4: "fourth", -1: "last"}
INDEX_NUMBERS = {name: number for number, name in INDEXES.items()}
MAX_INTERVAL = 1000
MAX_COUNT = 1000


class UnsupportedRecurrence(ValueError):
    """A recurrence that the other side cannot express."""


def _parse(text: str) -> dict[str, str]:
    parts: dict[str, str] = {}
    for part in text.strip().removeprefix("RRULE:").split(";"):
        if not part:
            continue
        name, sep, value = part.partition("=")
        if not sep or name.upper() in parts:
            raise UnsupportedRecurrence(f"malformed rule part {part!r}")
        parts[name.upper()] = value.upper()
    return parts


def _int(value: str, low: int, high: int) -> int:
    try:
        number = int(value)
    except ValueError:
        raise UnsupportedRecurrence(f"not a number: {value!r}") from None
    if not low <= number <= high:
        raise UnsupportedRecurrence(f"out of range: {value!r}")
    return number


def _byday(value: str) -> list[tuple[int | None, int]]:
    days = []
    for token in value.split(","):
        token = token.strip()
        weekday = token[-2:]
        if weekday not in WEEKDAYS:
            raise UnsupportedRecurrence(f"unknown weekday {token!r}")
        ordinal = _int(token[:-2], -53, 53) if token[:-2] else None
        days.append((ordinal, WEEKDAYS.index(weekday)))
    return days


def _parse_until(value: str, zone: dt.tzinfo) -> dt.datetime:
    """UNTIL as an aware datetime; a date or floating time is read in the series' zone."""
    try:
        if len(value) == 8:
            return dt.datetime.strptime(value, "%Y%m%d").replace(tzinfo=zone)
        if value.endswith("Z"):
            return dt.datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
        return dt.datetime.strptime(value, "%Y%m%dT%H%M%S").replace(tzinfo=zone)
    except ValueError:
        raise UnsupportedRecurrence(f"malformed UNTIL {value!r}") from None


def rrule_to_graph(rule: str, *, start: dt.datetime, time_zone: str, windows_zone: str) -> dict[str, Any]:
    """Graph's patternedRecurrence for `rule`, a series starting at the aware `start` in IANA `time_zone`."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(time_zone)
    local_start = start.astimezone(zone)
    parts = _parse(rule)
    allowed = {"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "BYMONTH", "BYSETPOS", "COUNT", "UNTIL", "WKST"}
    if set(parts) - allowed:
        raise UnsupportedRecurrence(f"Outlook cannot express {sorted(set(parts) - allowed)}")
    freq = parts.get("FREQ", "")
    interval = _int(parts.get("INTERVAL", "1"), 1, MAX_INTERVAL)
    byday = _byday(parts["BYDAY"]) if "BYDAY" in parts else []
    monthdays = [_int(v, 1, 31) for v in parts["BYMONTHDAY"].split(",")] if "BYMONTHDAY" in parts else []
    months = [_int(v, 1, 12) for v in parts["BYMONTH"].split(",")] if "BYMONTH" in parts else []
    setpos = [_int(v, -1, 4) for v in parts["BYSETPOS"].split(",")] if "BYSETPOS" in parts else []
    if len(monthdays) > 1 or len(months) > 1 or len(setpos) > 1 or 0 in setpos:
        raise UnsupportedRecurrence("Outlook cannot express several month days, months or positions")

    pattern: dict[str, Any] = {"interval": interval}
    days = [GRAPH_DAYS[d] for _, d in byday]
    ordinals = {n for n, _ in byday}
    if freq == "DAILY":
        if byday and (interval != 1 or ordinals != {None}):
            raise UnsupportedRecurrence("Outlook cannot express a daily rule on given days every n days")
        if byday:
            pattern.update(type="weekly", daysOfWeek=days, firstDayOfWeek="monday")
        else:
            pattern["type"] = "daily"
        if monthdays or months or setpos:
            raise UnsupportedRecurrence("Outlook cannot express a daily rule with month parts")
    elif freq == "WEEKLY":
        if ordinals - {None} or monthdays or months or setpos:
            raise UnsupportedRecurrence("Outlook cannot express this weekly rule")
        pattern.update(
            type="weekly",
            daysOfWeek=days or [GRAPH_DAYS[local_start.weekday()]],
            firstDayOfWeek=GRAPH_DAYS[WEEKDAYS.index(parts.get("WKST", "MO"))]
            if parts.get("WKST", "MO") in WEEKDAYS
            else "monday",
        )
    elif freq in ("MONTHLY", "YEARLY"):
        yearly = freq == "YEARLY"
        if yearly:
            pattern["month"] = months[0] if months else local_start.month
        elif months:
            raise UnsupportedRecurrence("Outlook cannot express a monthly rule limited to months")
        if byday:
            if monthdays:
                raise UnsupportedRecurrence("Outlook cannot express weekdays and month days together")
            if len(ordinals) != 1:
                raise UnsupportedRecurrence("Outlook cannot express mixed weekday positions")
            (ordinal,) = ordinals
            if ordinal is not None and setpos:
                raise UnsupportedRecurrence("Outlook cannot express a weekday position with BYSETPOS")
            index = ordinal if ordinal is not None else (setpos[0] if setpos else None)
            if index not in INDEXES:
                raise UnsupportedRecurrence("Outlook expresses only the first to fourth or the last weekday")
            pattern.update(
                type="relativeYearly" if yearly else "relativeMonthly", daysOfWeek=days, index=INDEXES[index]
            )
        else:
            if setpos:
                raise UnsupportedRecurrence("Outlook cannot express BYSETPOS without weekdays")
            pattern.update(
                type="absoluteYearly" if yearly else "absoluteMonthly",
                dayOfMonth=monthdays[0] if monthdays else local_start.day,
            )
    else:
        raise UnsupportedRecurrence(f"Outlook cannot express FREQ={freq or '(none)'}")

    recurrence_range: dict[str, Any] = {"startDate": local_start.date().isoformat(), "recurrenceTimeZone": windows_zone}
    if "COUNT" in parts and "UNTIL" in parts:
        raise UnsupportedRecurrence("COUNT and UNTIL together")
    if "COUNT" in parts:
        recurrence_range.update(type="numbered", numberOfOccurrences=_int(parts["COUNT"], 1, MAX_COUNT))
    elif "UNTIL" in parts:
        until = _parse_until(parts["UNTIL"], zone).astimezone(zone)
        end_date = until.date()
        # The last occurrence is the last start not after UNTIL: on UNTIL's day only if its time is reached.
        if until.time() < local_start.time():
            end_date -= dt.timedelta(days=1)
        if end_date < local_start.date():
            raise UnsupportedRecurrence("the rule ends before the series starts: Outlook needs one occurrence")
        recurrence_range.update(type="endDate", endDate=end_date.isoformat())
    else:
        recurrence_range["type"] = "noEnd"
    return {"pattern": pattern, "range": recurrence_range}


def graph_to_rrule(recurrence: dict[str, Any] | None, *, time_zone: str, all_day: bool = False) -> str:
    """The normalized RRULE text for Graph's patternedRecurrence ("" when there is none)."""
    from zoneinfo import ZoneInfo

    if not recurrence:
        return ""
    pattern = recurrence.get("pattern") or {}
    recurrence_range = recurrence.get("range") or {}
    kind = pattern.get("type")
    interval = _int(str(pattern.get("interval") or 1), 1, MAX_INTERVAL)
    days = [WEEKDAYS[GRAPH_DAYS.index(d.lower())] for d in (pattern.get("daysOfWeek") or []) if d.lower() in GRAPH_DAYS]
    parts: list[str] = []
    wkst = ""
    if kind == "daily":
        parts.append("FREQ=DAILY")
    elif kind == "weekly":
        parts.append("FREQ=WEEKLY")
    elif kind in ("absoluteMonthly", "relativeMonthly"):
        parts.append("FREQ=MONTHLY")
    elif kind in ("absoluteYearly", "relativeYearly"):
        parts.append("FREQ=YEARLY")
    else:
        raise UnsupportedRecurrence(f"unknown recurrence pattern {kind!r}")
    if interval != 1:
        parts.append(f"INTERVAL={interval}")
    if kind == "weekly" and days:
        parts.append("BYDAY=" + ",".join(days))
        week_start = str(pattern.get("firstDayOfWeek") or "sunday").lower()
        anchor = _start_weekday(recurrence_range)
        anchored = days if anchor is None else [*days, WEEKDAYS[anchor]]
        if interval != 1 and week_start in GRAPH_DAYS and _week_start_matters(anchored, GRAPH_DAYS.index(week_start)):
            wkst = f"WKST={WEEKDAYS[GRAPH_DAYS.index(week_start)]}"
    setpos = None
    if kind in ("relativeMonthly", "relativeYearly"):
        index = INDEX_NUMBERS.get(str(pattern.get("index") or "first"))
        if index is None or not days:
            raise UnsupportedRecurrence("relative pattern without index or weekdays")
        if len(days) == 1:
            parts.append(f"BYDAY={index}{days[0]}")
        else:
            parts.append("BYDAY=" + ",".join(days))
            setpos = index
    if kind in ("absoluteMonthly", "absoluteYearly"):
        parts.append(f"BYMONTHDAY={_int(str(pattern.get('dayOfMonth')), 1, 31)}")
    if kind in ("absoluteYearly", "relativeYearly"):
        parts.append(f"BYMONTH={_int(str(pattern.get('month')), 1, 12)}")
    if setpos is not None:
        parts.append(f"BYSETPOS={setpos}")
    range_type = recurrence_range.get("type")
    if range_type == "numbered":
        parts.append(f"COUNT={_int(str(recurrence_range.get('numberOfOccurrences')), 1, MAX_COUNT)}")
    elif range_type == "endDate":
        try:
            end_date = dt.date.fromisoformat(str(recurrence_range.get("endDate"))[:10])
        except ValueError:
            raise UnsupportedRecurrence("malformed end date") from None
        if all_day:
            parts.append(f"UNTIL={end_date:%Y%m%d}")
        else:
            end_of_day = dt.datetime.combine(end_date, dt.time(23, 59, 59), tzinfo=ZoneInfo(time_zone))
            parts.append(f"UNTIL={end_of_day.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}")
    if wkst:
        parts.append(wkst)
    return ";".join(parts)


def _start_weekday(recurrence_range: dict[str, Any]) -> int | None:
    try:
        return dt.date.fromisoformat(str(recurrence_range.get("startDate"))[:10]).weekday()
    except ValueError:
        return None


def _week_start_matters(days: list[str], week_start: int) -> bool:
    """Whether weeks starting on `week_start` group these weekdays (the series' days and the weekday it starts
    on, which anchors the weeks counted) otherwise than weeks starting on Monday: only then does an
    every-n-weeks rule need WKST. Weekdays from week_start to Sunday are the ones that change week."""
    early = {(week_start + offset) % 7 for offset in range((7 - week_start) % 7)}
    numbers = {WEEKDAYS.index(day) for day in days}
    return bool(numbers & early) and bool(numbers - early)


def rrule_canonical(rule: str) -> str:
    """The form in which a rule comes back from Outlook, for comparing without false changes.

    One weekday with BYSETPOS comes back as an ordinal weekday (BYDAY=MO;BYSETPOS=1 as BYDAY=1MO); an
    UNTIL comes back as the end of its last day (compare those by the occurrences they produce).
    """
    try:
        parts = _parse(rule)
    except UnsupportedRecurrence:
        return rule
    byday = parts.get("BYDAY", "")
    if "BYSETPOS" in parts and byday and "," not in byday and byday[:-2] == "" and "," not in parts["BYSETPOS"]:
        text = rule.strip().removeprefix("RRULE:")
        pieces = [p for p in text.split(";") if p and not p.upper().startswith(("BYSETPOS=", "BYDAY="))]
        freq_and_interval = [p for p in pieces if p.upper().startswith(("FREQ=", "INTERVAL="))]
        rest = [p for p in pieces if p not in freq_and_interval]
        return ";".join([*freq_and_interval, f"BYDAY={int(parts['BYSETPOS'])}{byday}", *rest])
    return rule


def cancelled_starts_from_graph(
    occurrence_ids: list[str], *, start: dt.datetime, time_zone: str, limit: int = 1000
) -> list[str]:
    """UTC ISO start instants of cancelled occurrences from Graph's cancelledOccurrences ("OID.<id>.<date>").

    The occurrence's date is local to the series; its start is the series' local start time on that day.
    """
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(time_zone)
    local_time = start.astimezone(zone).time()
    starts = set()
    for occurrence_id in occurrence_ids[:limit]:
        try:
            day = dt.date.fromisoformat(str(occurrence_id).rsplit(".", 1)[-1][:10])
        except ValueError:
            continue
        instant = dt.datetime.combine(day, local_time, tzinfo=zone).astimezone(dt.UTC)
        starts.add(instant.isoformat())
    return sorted(starts)
