"""A recurrence rule in words, as people say it: "Every week on Monday, until 1 February 2027".

Pages show a series' rule only this way, never as RRULE text. The last day of an UNTIL stored as a
UTC instant is read in the series' own zone (the repetition editor stores the end of that day).
"""

import datetime as dt
import zoneinfo

from django.core.exceptions import ValidationError

from accounts.recurrence import Rule, rule_parse

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
UNITS = {"DAILY": "day", "WEEKLY": "week", "MONTHLY": "month", "YEARLY": "year"}
ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", -1: "last", -2: "second to last"}


def _ordinal(number: int) -> str:
    if number in ORDINALS:
        return ORDINALS[number]
    if number < 0:
        return f"{_ordinal(-number)} from the end"
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def human_date(day: dt.date) -> str:
    """A date as people write it: "1 February 2027"."""
    return f"{day.day} {MONTH_NAMES[day.month - 1]} {day.year}"


def rule_last_day(rule: Rule, zone: dt.tzinfo) -> dt.date | None:
    """The last day of an UNTIL rule, in the series' zone; None without UNTIL."""
    if rule.until is None:
        return None
    if rule.until_utc:
        try:
            return rule.until.replace(tzinfo=dt.UTC).astimezone(zone).date()
        except OverflowError:
            return rule.until.date()
    return rule.until.date()


def _days(rule: Rule, start: dt.datetime | None) -> str:
    if rule.byday:
        named = [
            DAY_NAMES[day] if ordinal is None else f"the {_ordinal(ordinal)} {DAY_NAMES[day]}"
            for ordinal, day in rule.byday
        ]
        if rule.bysetpos:
            positions = _and([_ordinal(p) for p in rule.bysetpos])
            return f" on the {positions} of {_and(named)}"
        return f" on {_and(named)}"
    if rule.bymonthday:
        days = _and([f"the {_ordinal(day)}" if day < 0 else str(day) for day in rule.bymonthday])
        return f" on day {days}" if len(rule.bymonthday) == 1 else f" on days {days}"
    if start is None:
        return ""
    if rule.freq == "WEEKLY":
        return f" on {DAY_NAMES[start.weekday()]}"
    if rule.freq == "MONTHLY":
        return f" on day {start.day}"
    if rule.freq == "YEARLY" and not rule.bymonth:
        return f" on {start.day} {MONTH_NAMES[start.month - 1]}"
    return ""


def rule_describe(rule: Rule | str, *, zone: dt.tzinfo | str = dt.UTC, start: dt.datetime | None = None) -> str:
    """The rule in words; `start` (the series' first start, in its zone) names the day a plain rule repeats on."""
    if isinstance(rule, str):
        try:
            rule = rule_parse(rule)
        except ValidationError:
            return "Repeats on a rule that can no longer be read"
    if isinstance(zone, str):
        zone = zoneinfo.ZoneInfo(zone)
    if start is not None and start.tzinfo is not None:
        start = start.astimezone(zone)
    unit = UNITS[rule.freq]
    text = f"Every {unit}" if rule.interval == 1 else f"Every {rule.interval} {unit}s"
    text += _days(rule, start)
    if rule.bymonth:
        text += " in " + _and([MONTH_NAMES[month - 1] for month in rule.bymonth])
    if rule.count is not None:
        text += ", once" if rule.count == 1 else f", {rule.count} times"
    last_day = rule_last_day(rule, zone)
    if last_day is not None:
        text += f", until {human_date(last_day)}"
    return text
