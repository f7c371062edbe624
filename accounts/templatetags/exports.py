"""Template helpers of list pages: the CSV export's row limit, to warn before a download that would be cut."""

from django import template

from accounts.views.exports import EXPORT_MAX_ROWS

register = template.Library()


@register.simple_tag
def export_limit() -> int:
    """The most rows a list's CSV export holds."""
    return EXPORT_MAX_ROWS
