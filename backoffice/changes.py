"""Who and what is changing business rows right now, and the signal fired once a change is committed.

Every write of a business row is recorded in the change log (`backoffice.models.ChangeLogEntry`)
with its actor and its origin. The web middleware sets the origin from the request (web, api,
admin); services set the actor; commands, tasks and integrations set their own origin
(`import`, `system`, `outlook`, ...). Rows written outside any context are logged with origin
`system` and no actor.
"""

import contextlib
import datetime as dt
import decimal
import uuid
from contextvars import ContextVar
from dataclasses import dataclass

from django.db import models
from django.dispatch import Signal


class Origin(models.TextChoices):
    """Where a change came from; integrations add their own names (such as `outlook`)."""

    WEB = "web", "Web"
    API = "api", "API"
    ADMIN = "admin", "Admin"
    IMPORT = "import", "Import"
    SYSTEM = "system", "System"


class ChangeAction(models.TextChoices):
    CREATE = "create", "Created"
    UPDATE = "update", "Changed"
    ARCHIVE = "archive", "Archived"
    RESTORE = "restore", "Restored"
    DELETE = "delete", "Deleted"


ORIGIN_MAX_LENGTH = 32


@dataclass(frozen=True)
class ChangeContext:
    actor: object | None = None
    origin: str = Origin.SYSTEM


_context: ContextVar[ChangeContext | None] = ContextVar("change_context", default=None)
_NO_CONTEXT = ChangeContext()


def current_change_context() -> ChangeContext:
    """The actor and origin that writes made now are recorded with."""
    return _context.get() or _NO_CONTEXT


@contextlib.contextmanager
def change_context(*, actor=None, origin: str | None = None):
    """Record the writes made inside with this actor and/or origin (what is not given is inherited)."""
    outer = current_change_context()
    if origin is not None and not (0 < len(origin) <= ORIGIN_MAX_LENGTH):
        raise ValueError(f"An origin is 1 to {ORIGIN_MAX_LENGTH} characters.")
    token = _context.set(
        ChangeContext(
            actor=actor if actor is not None else outer.actor,
            origin=origin if origin is not None else outer.origin,
        )
    )
    try:
        yield
    finally:
        _context.reset(token)


def field_json(field: models.Field, value):
    """A column's value as the change log stores it: decimals at the column's scale, instants in UTC."""
    if isinstance(field, models.DecimalField) and isinstance(value, decimal.Decimal) and value.is_finite():
        try:
            value = value.quantize(decimal.Decimal(1).scaleb(-field.decimal_places))
        except decimal.InvalidOperation:
            pass
    return jsonable(value)


# Sent after the transaction that wrote a change log entry has committed, once per entry, with
# `entry` (a ChangeLogEntry). Receivers (the Outlook sync, webhooks, ...) must be quick: queue work.
change_committed = Signal()


def jsonable(value):
    """A field value as JSON can hold it: dates and instants in ISO 8601, decimals as strings."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, models.Model):
        return value.pk
    return str(value)
