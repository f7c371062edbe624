"""Template helpers of record pages: a record's change type (for its history and archive buttons)."""

from django import template

from backoffice.changelog import change_types

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
