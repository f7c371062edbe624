"""Recurrence rules the product accepts, and their expansion with bounded work.

A stored rule is a subset of RFC 5545 RRULE: FREQ (DAILY, WEEKLY, MONTHLY or YEARLY), INTERVAL,
BYDAY, BYMONTHDAY, BYMONTH, BYSETPOS, COUNT and UNTIL. Rules are parsed once on write into a
`Rule`, and stored as its normalized text. Expansion jumps straight to the period holding the window
instead of stepping from the series' start, and never looks at more than a fixed number of periods,
so any stored rule (even one written before these checks) expands in a bounded time.

Expansion works on the wall clock of the series' zone (naive datetimes): a 9:00 meeting stays at
9:00 across daylight saving time. Weeks start on Monday.
"""

import calendar
import datetime as dt
import functools
import re
from dataclasses import dataclass, replace

from django.core.exceptions import ValidationError

from accounts.date_range import FIRST_YEAR, LAST_YEAR

FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
ALLOWED_PARTS = ("FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "BYMONTH", "BYSETPOS", "COUNT", "UNTIL")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
MAX_INTERVAL = 1000
MAX_COUNT = 1000
# How many periods (days, weeks, months or years) one expansion may look at. A rule that finds
# nothing in that many periods finds nothing, rather than walking on towards year 9999.
MAX_PERIODS = 5000

_BYDAY = re.compile(r"^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")
_UNTIL = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z?))?$")


@dataclass(frozen=True)
class Rule:
    """A parsed recurrence rule. `byday` holds (ordinal or None, weekday 0=Monday) pairs.

    `until` is a naive date-time: UTC when `until_utc`, otherwise the series' wall clock (a date-only
    UNTIL is midnight starting that day, as dateutil reads it).
    """

    freq: str
    interval: int = 1
    byday: tuple[tuple[int | None, int], ...] = ()
    bymonthday: tuple[int, ...] = ()
    bymonth: tuple[int, ...] = ()
    bysetpos: tuple[int, ...] = ()
    count: int | None = None
    until: dt.datetime | None = None
    until_utc: bool = False
    until_date_only: bool = False

    def text(self) -> str:
        """The normalized RRULE text (what is stored)."""
        parts = [f"FREQ={self.freq}"]
        if self.interval != 1:
            parts.append(f"INTERVAL={self.interval}")
        if self.byday:
            parts.append("BYDAY=" + ",".join(f"{'' if n is None else n}{WEEKDAYS[d]}" for n, d in self.byday))
        if self.bymonthday:
            parts.append("BYMONTHDAY=" + ",".join(map(str, self.bymonthday)))
        if self.bymonth:
            parts.append("BYMONTH=" + ",".join(map(str, self.bymonth)))
        if self.bysetpos:
            parts.append("BYSETPOS=" + ",".join(map(str, self.bysetpos)))
        if self.count is not None:
            parts.append(f"COUNT={self.count}")
        if self.until is not None:
            if self.until_date_only:
                parts.append(f"UNTIL={self.until:%Y%m%d}")
            else:
                parts.append(f"UNTIL={self.until:%Y%m%dT%H%M%S}{'Z' if self.until_utc else ''}")
        return ";".join(parts)


def _refuse(message: str):
    raise ValidationError({"recurrence_rule": message})


def _integers(name: str, value: str, low: int, high: int, *, signed: bool) -> tuple[int, ...]:
    numbers = []
    for item in value.split(","):
        try:
            number = int(item)
        except ValueError:
            _refuse(f"{name} must be a list of whole numbers, not “{value}”.")
        if not (low <= abs(number) <= high) or (number < 0 and not signed) or number == 0:
            bounds = f"{low} to {high}" + (f" or -{high} to -{low}" if signed else "")
            _refuse(f"{name} values must be {bounds}, not {number}.")
        numbers.append(number)
    return tuple(sorted(set(numbers)))


def rule_parse(text: str) -> Rule:
    """The rule in `text`, or a ValidationError on recurrence_rule naming what is not allowed."""
    text = (text or "").strip()
    if text.upper().startswith("RRULE:"):
        text = text[len("RRULE:") :]
    if "\n" in text or "\r" in text:
        _refuse("Give a single RRULE line; DTSTART, EXRULE, RDATE and EXDATE lines are not allowed.")
    parts: dict[str, str] = {}
    for piece in filter(None, text.upper().split(";")):
        name, sep, value = piece.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not value:
            _refuse(f"“{piece}” is not a NAME=VALUE part of a rule.")
        if name not in ALLOWED_PARTS:
            _refuse(f"{name} is not allowed in a recurrence rule; use only {', '.join(ALLOWED_PARTS)}.")
        if name in parts:
            _refuse(f"{name} is given twice.")
        parts[name] = value
    freq = parts.get("FREQ")
    if freq is None:
        _refuse("A recurrence rule needs FREQ (DAILY, WEEKLY, MONTHLY or YEARLY).")
    if freq not in FREQUENCIES:
        _refuse(f"FREQ={freq} is not allowed; use DAILY, WEEKLY, MONTHLY or YEARLY.")
    interval = _integers("INTERVAL", parts.get("INTERVAL", "1"), 1, MAX_INTERVAL, signed=False)
    if len(interval) != 1:
        _refuse("INTERVAL takes one number.")
    byday = []
    for item in filter(None, parts.get("BYDAY", "").split(",")):
        match = _BYDAY.match(item)
        if not match:
            _refuse(f"BYDAY value “{item}” is not a weekday such as MO, 1MO or -1FR.")
        ordinal = int(match[1]) if match[1] else None
        if ordinal is not None:
            if freq not in ("MONTHLY", "YEARLY"):
                _refuse(f"BYDAY={item}: a numbered weekday is allowed only with FREQ=MONTHLY or YEARLY.")
            limit = 5 if freq == "MONTHLY" or "BYMONTH" in parts else 53
            if ordinal == 0 or abs(ordinal) > limit:
                _refuse(f"BYDAY={item}: the number must be 1 to {limit} or -1 to -{limit}.")
        byday.append((ordinal, WEEKDAYS.index(match[2])))
    if "BYDAY" in parts and not byday:
        _refuse("BYDAY is empty.")
    bymonthday = _integers("BYMONTHDAY", parts["BYMONTHDAY"], 1, 31, signed=True) if "BYMONTHDAY" in parts else ()
    if bymonthday and freq == "WEEKLY":
        _refuse("BYMONTHDAY is not allowed with FREQ=WEEKLY.")
    bymonth = _integers("BYMONTH", parts["BYMONTH"], 1, 12, signed=False) if "BYMONTH" in parts else ()
    bysetpos = _integers("BYSETPOS", parts["BYSETPOS"], 1, 366, signed=True) if "BYSETPOS" in parts else ()
    if bysetpos and not (byday or bymonthday or bymonth):
        _refuse("BYSETPOS needs BYDAY, BYMONTHDAY or BYMONTH to choose from.")
    count = None
    if "COUNT" in parts:
        count = _integers("COUNT", parts["COUNT"], 1, MAX_COUNT, signed=False)
        if len(count) != 1:
            _refuse("COUNT takes one number.")
        count = count[0]
    until, until_utc, date_only = None, False, False
    if "UNTIL" in parts:
        if count is not None:
            _refuse("Give COUNT or UNTIL, not both.")
        match = _UNTIL.match(parts["UNTIL"])
        if not match:
            _refuse(f"UNTIL={parts['UNTIL']} is not a date (20301231) or a UTC time (20301231T235959Z).")
        numbers = [int(g) if g else 0 for g in match.groups()[:6]]
        try:
            until = dt.datetime(*numbers)  # noqa: DTZ001  (a wall-clock or UTC time, said by until_utc)
        except ValueError:
            _refuse(f"UNTIL={parts['UNTIL']} is not a real date.")
        if not FIRST_YEAR <= until.year <= LAST_YEAR:
            _refuse(f"UNTIL must be in the years {FIRST_YEAR} to {LAST_YEAR}.")
        until_utc, date_only = bool(match[7]), match[4] is None
    return Rule(
        freq=freq,
        interval=interval[0],
        byday=tuple(sorted(set(byday), key=lambda p: (p[1], p[0] or 0))),
        bymonthday=bymonthday,
        bymonth=bymonth,
        bysetpos=bysetpos,
        count=count,
        until=until,
        until_utc=until_utc,
        until_date_only=date_only,
    )


# --- expansion ------------------------------------------------------------------------------------


def _period_index(freq: str, day: dt.date) -> int:
    if freq == "DAILY":
        return day.toordinal()
    if freq == "WEEKLY":
        return (day.toordinal() - 1) // 7  # ordinal 1 (0001-01-01) is a Monday
    if freq == "MONTHLY":
        return day.year * 12 + day.month - 1
    return day.year


def _period_first_day(freq: str, index: int) -> dt.date | None:
    """The first day of a period, or None when it lies outside the years expansion considers."""
    try:
        if freq == "DAILY":
            day = dt.date.fromordinal(index)
        elif freq == "WEEKLY":
            day = dt.date.fromordinal(index * 7 + 1)
        elif freq == "MONTHLY":
            day = dt.date(index // 12, index % 12 + 1, 1)
        else:
            day = dt.date(index, 1, 1)
    except (ValueError, OverflowError):
        return None
    return day if day.year <= LAST_YEAR + 1 else None


def _weekdays_in(first: dt.date, length: int, byday, ordinals: bool, lo: int = 0, hi: int | None = None) -> set[int]:
    """Days (as ordinals) of a span (a month or a year) matching BYDAY; numbered ones counted within it.

    Unnumbered weekdays are listed only between the span's days `lo` and `hi` (the window). Days are
    handled as ordinals, which cost far less than date objects when a whole year is listed."""
    days = set()
    base = first.toordinal()
    hi = length if hi is None else min(hi, length)
    for ordinal, weekday in byday:
        offset = (weekday - first.weekday()) % 7
        matches = range(offset, length, 7)
        if ordinal is None or not ordinals:
            begin = offset + max(0, -(-(lo - offset) // 7)) * 7
            days.update(range(base + begin, base + hi, 7))
        elif -len(matches) <= ordinal <= len(matches) and ordinal:
            days.add(base + matches[ordinal - 1 if ordinal > 0 else ordinal])
    return days


def _month_days(rule: Rule, year: int, month: int, start: dt.date, ordinals_in_month: bool) -> set[int]:
    """Days (as ordinals) of one month the rule picks."""
    length = calendar.monthrange(year, month)[1]
    first = dt.date(year, month, 1)
    base = first.toordinal() - 1
    days = None
    if rule.bymonthday:
        days = set()
        for number in rule.bymonthday:
            day = number if number > 0 else length + 1 + number
            if 1 <= day <= length:
                days.add(base + day)
    if rule.byday and ordinals_in_month:
        matched = _weekdays_in(first, length, rule.byday, ordinals=True)
        days = matched if days is None else days & matched
    if days is None:
        days = {base + start.day} if start.day <= length else set()
    return days


def _period_days(rule: Rule, index: int, start: dt.date, window: tuple[dt.date, dt.date] | None) -> list[int]:
    """The days (as ordinals) of one period the rule picks, in order, before BYSETPOS is applied.

    Without BYSETPOS (which needs the whole period), a year's days are listed only within `window`.
    """
    first = _period_first_day(rule.freq, index)
    if first is None:
        return []
    if rule.freq in ("DAILY", "WEEKLY"):
        span = [first] if rule.freq == "DAILY" else [first + dt.timedelta(days=i) for i in range(7)]
        weekdays = {d for _, d in rule.byday} or ({start.weekday()} if rule.freq == "WEEKLY" else None)
        days = [
            day
            for day in span
            if (weekdays is None or day.weekday() in weekdays)
            and (not rule.bymonth or day.month in rule.bymonth)
            and (not rule.bymonthday or _month_day_matches(day, rule.bymonthday))
        ]
        return [day.toordinal() for day in days]
    if rule.freq == "MONTHLY":
        if rule.bymonth and first.month not in rule.bymonth:
            return []
        return sorted(_month_days(rule, first.year, first.month, start, ordinals_in_month=True))
    # YEARLY
    year = first.year
    if not (rule.bymonth or rule.bymonthday or rule.byday):
        try:
            return [dt.date(year, start.month, start.day).toordinal()]
        except ValueError:
            return []  # 29 February in a common year
    months = rule.bymonth or tuple(range(1, 13))
    clip = window is not None and not rule.bysetpos
    if clip:
        months = [
            m for m in months if (window[0].year, window[0].month) <= (year, m) <= (window[1].year, window[1].month)
        ]
    if rule.byday and not rule.bymonth:
        # Numbered weekdays count within the year; BYMONTHDAY, if any, narrows them.
        length = 366 if calendar.isleap(year) else 365
        lo, hi = ((window[0] - first).days, (window[1] - first).days + 1) if clip else (0, None)
        days = _weekdays_in(first, length, rule.byday, ordinals=True, lo=lo, hi=hi)
        if rule.bymonthday:
            days = {d for d in days if _month_day_matches(dt.date.fromordinal(d), rule.bymonthday)}
        return sorted(days)
    days = set()
    for month in months:
        if rule.bymonthday or rule.byday:
            days |= _month_days(rule, year, month, start, ordinals_in_month=True)
        else:
            length = calendar.monthrange(year, month)[1]
            if start.day <= length:
                days.add(dt.date(year, month, start.day).toordinal())
    return sorted(days)


def _month_day_matches(day: dt.date, bymonthday: tuple[int, ...]) -> bool:
    length = calendar.monthrange(day.year, day.month)[1]
    return day.day in bymonthday or (day.day - length - 1) in bymonthday


def _setpos(days: list[int], bysetpos: tuple[int, ...]) -> list[int]:
    if not bysetpos:
        return days
    picked = {days[p - 1 if p > 0 else p] for p in bysetpos if -len(days) <= p <= len(days)}
    return sorted(picked)


def _walk(rule: Rule, start: dt.datetime, from_index: int, until: dt.datetime | None, low: dt.date | None = None):
    """Occurrences (naive wall clock) from the period `from_index` on, up to `until` (a naive wall-clock
    time or None), looking at MAX_PERIODS periods at most."""
    first_index = _period_index(rule.freq, start.date())
    index = max(first_index, from_index)
    index += (first_index - index) % rule.interval  # onto a period of the series
    for _ in range(MAX_PERIODS):
        first_day = _period_first_day(rule.freq, index)
        if first_day is None or (until is not None and first_day > until.date()):
            return
        window = (low, until.date()) if low is not None and until is not None else None
        for day in _setpos(_period_days(rule, index, start.date(), window), rule.bysetpos):
            value = dt.datetime.combine(dt.date.fromordinal(day), start.time())
            if value < start:
                continue
            if until is not None and value > until:
                return
            yield value
        index += rule.interval


@functools.lru_cache(maxsize=1024)
def _count_end(rule: Rule, start: dt.datetime) -> dt.datetime | None:
    """The last occurrence of a COUNT rule (work bounded by MAX_PERIODS; cached, as it is pure)."""
    last = None
    for number, value in enumerate(_walk(replace(rule, count=None), start, 0, None), start=1):
        last = value
        if number >= rule.count:
            break
    return last


def _local_until(rule: Rule, zone) -> dt.datetime | None:
    if rule.until is None:
        return None
    if rule.until_utc:
        try:
            return rule.until.replace(tzinfo=dt.UTC).astimezone(zone).replace(tzinfo=None)
        except OverflowError:
            return rule.until
    return rule.until


def rule_occurrences(rule: Rule, start: dt.datetime, low: dt.datetime, high: dt.datetime, zone) -> list[dt.datetime]:
    """Wall-clock starts of the series (first at `start`) between `low` and `high` inclusive (all naive).

    The work is bounded by the window, not by how far it lies from the start: the walk begins at the
    period holding `low`. A COUNT rule is first turned into the UNTIL of its last occurrence.
    """
    if high < low:
        return []
    until = _local_until(rule, zone)
    if rule.count is not None:
        until = _count_end(rule, start)
        if until is None:
            return []
    index = _period_index(rule.freq, max(low, start).date())
    # Nothing after the window is wanted: stopping there keeps a rare rule from walking on past it.
    until = high if until is None else min(until, high)
    return [value for value in _walk(rule, start, index, until, low.date()) if value >= low]


def rule_first_occurrence(rule: Rule, start: dt.datetime, zone) -> dt.datetime | None:
    """The first occurrence of the series, or None when the rule finds none within MAX_PERIODS periods."""
    return next(iter(_walk(rule, start, 0, _local_until(rule, zone))), None)
