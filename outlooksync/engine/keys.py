"""Record keys: the tuple of an entity's key fields, normalized so that equal meanings match.

Text is trimmed and compared case-insensitively; an empty value is a value (two contacts with
no birthday match on birthday); times are compared as UTC instants; the start and end of an
all-day event are compared by date; a task's due date by its date in the rep's time zone.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from outlooksync.engine.records import Entity, FieldValues

RecordKey = tuple[Hashable, ...]

_EMPTY = ("empty",)


def normalize_key_value(value: Any) -> Hashable:
    """One key field's value in its comparable form."""
    if value is None:
        return _EMPTY
    if isinstance(value, str):
        text = value.strip().casefold()
        return text if text else _EMPTY
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} in a key field: stores must give aware datetimes")
        return ("instant", value.astimezone(UTC))
    if isinstance(value, date):
        return ("date", value)
    if isinstance(value, Mapping):
        return tuple(sorted((str(name), normalize_key_value(item)) for name, item in value.items()))
    if isinstance(value, list | tuple):
        return tuple(normalize_key_value(item) for item in value) if value else _EMPTY
    if isinstance(value, set | frozenset):
        return tuple(sorted((normalize_key_value(item) for item in value), key=repr)) if value else _EMPTY
    return value


def _calendar_date(value: Any, zone: tzinfo | None) -> Hashable:
    """The date part of a date or datetime: in `zone` when given, else as the value itself tells it."""
    if value is None:
        return _EMPTY
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} in a key field: stores must give aware datetimes")
        return ("date", (value.astimezone(zone) if zone else value).date())
    if isinstance(value, date):
        return ("date", value)
    return normalize_key_value(value)


def record_key(entity: Entity, values: FieldValues, key_fields: Sequence[str], rep_zone: tzinfo) -> RecordKey:
    """The normalized key of a record of `entity`.

    All-day events are midnight to midnight in their own time zone, so their start and end are
    compared by the date they name, not by the UTC instant (midnight in Paris is 23:00 UTC the day
    before). A task's due date is its date in the rep's time zone.
    """
    all_day = bool(values.get("all_day"))
    parts: list[Hashable] = []
    for name in key_fields:
        value = values.get(name)
        if entity is Entity.EVENT and all_day and name in ("start", "end"):
            parts.append(_calendar_date(value, None))
        elif entity is Entity.TASK and name == "due_at":
            parts.append(_calendar_date(value, rep_zone))
        else:
            parts.append(normalize_key_value(value))
    return tuple(parts)
