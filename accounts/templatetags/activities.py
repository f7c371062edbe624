"""Template helpers of activity pages: a series' repetition in words."""

from django import template

from accounts.recurrence_words import rule_describe

register = template.Library()


@register.filter
def repeats(event) -> str:
    """How the event repeats, in words ("Every week on Monday, until 1 February 2027"); "" for a single event."""
    if not getattr(event, "recurrence_rule", ""):
        return ""
    return rule_describe(event.recurrence_rule, zone=event.time_zone or "UTC", start=event.start)
