"""Filters for showing jobs."""

from django import template

register = template.Library()


@register.filter
def result_label(key) -> str:
    """A key of a job's result as words: "accounts_created" reads "Accounts created"."""
    return str(key).replace("_", " ").capitalize()
