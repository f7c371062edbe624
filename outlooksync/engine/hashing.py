"""Stable hashes of mapped field values: the snapshot that suppresses echoes.

A value the sync itself wrote is stored in the link's snapshot in the same step, so the next
run sees the same hash and does not take its own write for a user's change. Hashes are computed
from a canonical form: datetimes as UTC instants (a different time zone spelling is no change),
empty text, empty lists and None alike (Graph and the CRM spell "nothing" differently).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any


def canonical_value(value: Any) -> Any:
    """A JSON-ready form of a field value in which equal meanings have equal forms."""
    if value is None or value == "" or (isinstance(value, list | tuple | set | frozenset) and not value):
        return None
    if isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} in a synced field: stores must give aware datetimes")
        return "datetime:" + value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return "date:" + value.isoformat()
    if isinstance(value, Decimal):
        return "decimal:" + str(value.normalize())
    if isinstance(value, Mapping):
        return {str(key): canonical_value(item) for key, item in sorted(value.items(), key=lambda pair: str(pair[0]))}
    if isinstance(value, set | frozenset):
        return sorted((canonical_value(item) for item in value), key=repr)
    if isinstance(value, list | tuple):
        return [canonical_value(item) for item in value]
    raise TypeError(f"unsupported field value type {type(value).__name__}")


def value_hash(value: Any) -> str:
    """A short, stable hash of one field value."""
    encoded = json.dumps(canonical_value(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode()).hexdigest()[:20]


def values_equal(first: Any, second: Any) -> bool:
    """Whether two field values mean the same (so writing one over the other changes nothing)."""
    return canonical_value(first) == canonical_value(second)


def is_empty(value: Any) -> bool:
    """Whether a field is unset, as the first sync's merge understands "set on one side only"."""
    return canonical_value(value) is None


def field_hashes(values: Mapping[str, Any], names: Iterable[str]) -> dict[str, str]:
    """The per-field snapshot of `values` over the synced field `names`."""
    return {name: value_hash(values.get(name)) for name in names}


def snapshot_hash(hashes: Mapping[str, str]) -> str:
    """One hash over a per-field snapshot."""
    encoded = json.dumps(dict(sorted(hashes.items())), separators=(",", ":"))
    return hashlib.sha256(encoded.encode()).hexdigest()[:20]
