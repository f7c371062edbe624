"""The years the CRM accepts in its dates and times, checked at every way in (forms, API, services).

Outside 1900 to 2200 a date is almost surely a typo or a placeholder (0001-01-01, 9999-12-31), and
its neighbours overflow Python's calendar as soon as a time zone or a default length is applied.
"""

import datetime as dt

from django.core.exceptions import ValidationError

FIRST_YEAR, LAST_YEAR = 1900, 2200
OUT_OF_RANGE = f"Give a date in the years {FIRST_YEAR} to {LAST_YEAR}."


def in_range(value: dt.date | dt.datetime | None) -> bool:
    """Whether the value (an aware time is read in UTC) lies in the accepted years; None is in range."""
    if value is None:
        return True
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        try:
            value = value.astimezone(dt.UTC)
        except OverflowError:
            return False
    return FIRST_YEAR <= value.year <= LAST_YEAR


def validate_in_range(value: dt.date | dt.datetime | None) -> None:
    """A field validator: refuses a date or time outside the accepted years."""
    if not in_range(value):
        raise ValidationError(OUT_OF_RANGE, code="out_of_range")


def check_fields_in_range(data: dict, names: tuple[str, ...]) -> None:
    """Refuse, naming each field, the values of `data` outside the accepted years."""
    errors = {name: OUT_OF_RANGE for name in names if not in_range(data.get(name))}
    if errors:
        raise ValidationError(errors)


def wall_clock(value: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    """The instant as a naive time on the zone's wall clock; in UTC when the zone would take it past
    year 1 or 9999 (a stored time written before dates were checked)."""
    try:
        return value.astimezone(zone).replace(tzinfo=None)
    except OverflowError:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
