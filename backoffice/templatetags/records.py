"""Template helpers of record pages: a record's change type (for its history and archive buttons)."""

from django import template

from backoffice.changelog import change_types
from backoffice.record_panels import record_panels

register = template.Library()


@register.filter
def change_type(record) -> str:
    """The record's type name in the change log ("contact", "task", ...), or "" when it has none."""
    for name, model in change_types.types.items():
        if isinstance(record, model):
            return name
    return ""


@register.filter
def archivable(record) -> bool:
    return hasattr(record, "archived_at") and bool(change_type(record))


@register.filter
def panels(record_type: str) -> list:
    """The panels other apps add to pages of this record type (see backoffice.record_panels)."""
    return record_panels.for_type(record_type) if record_type else []
