"""Widgets every app's forms share: searchable pickers, and dates typed in the organization's format.

Searchable pickers: a select that carries only its chosen options and loads the others as one types.

The page holds no list of every contact, owner or time zone: the widget renders the options already
chosen, and `backoffice/picker.js` (Tom Select, served by the app) asks the picker endpoint named by
`data-picker-url` for the options matching what is typed. The form field keeps its full, organization-scoped
queryset or choices, so what is posted is validated on the server as with a plain select.
"""

from django import forms
from django.forms.models import ModelChoiceIterator
from django.utils import formats


def _chosen(values) -> set[str]:
    return {str(value) for value in values if value not in (None, "")}


class PickerMixin:
    """Render only the chosen options; the rest are searched through `url`."""

    def __init__(self, *, url: str, placeholder: str = "Type to search…", attrs=None, **kwargs):
        attrs = {"data-picker-url": url, "data-placeholder": placeholder, **(attrs or {})}
        super().__init__(attrs=attrs, **kwargs)

    def _chosen_choices(self, values: set[str]) -> list:
        choices = self.choices
        if isinstance(choices, ModelChoiceIterator):
            field = choices.field
            empty = (
                [("", field.empty_label)] if field.empty_label is not None and not self.allow_multiple_selected else []
            )
            keys = [value for value in values if value.isdecimal()]
            rows = field.queryset.filter(pk__in=keys) if keys else field.queryset.none()
            return empty + [choices.choice(row) for row in rows]
        return [(value, label) for value, label in choices if str(value) in values or value == ""]

    def optgroups(self, name, value, attrs=None):
        full = self.choices
        self.choices = self._chosen_choices(_chosen(value))
        try:
            return super().optgroups(name, value, attrs)
        finally:
            self.choices = full


class PickerSelect(PickerMixin, forms.Select):
    """A single choice searched as one types."""


class PickerSelectMultiple(PickerMixin, forms.SelectMultiple):
    """Several choices searched as one types."""


_PATTERN_WORDS = {"%Y": "YYYY", "%m": "MM", "%d": "DD", "%H": "hh", "%I": "hh", "%M": "mm", "%p": "AM", "%b": "Mon"}


def _typed_pattern(strftime_format: str) -> str:
    """How a strftime format reads to a person typing it: "%d/%m/%Y %H:%M" is "DD/MM/YYYY hh:mm"."""
    for code, word in _PATTERN_WORDS.items():
        strftime_format = strftime_format.replace(code, word)
    return strftime_format


class _OrganizationFormatMixin:
    """A text input in the organization's date (and time) format, with that format as its placeholder.

    The format is the active one when the page is drawn (backoffice.formats), not when the form is
    declared, so every organization sees and types its own.
    """

    format_key = ""

    def __init__(self, attrs=None):
        super().__init__(attrs={"autocomplete": "off", **(attrs or {})})

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        pattern = _typed_pattern(formats.get_format(self.format_key)[0])
        context["widget"]["attrs"].setdefault("placeholder", pattern)
        return context


class OrganizationDateInput(_OrganizationFormatMixin, forms.DateInput):
    """A date typed in the organization's format."""

    format_key = "DATE_INPUT_FORMATS"


class OrganizationDateTimeInput(_OrganizationFormatMixin, forms.DateTimeInput):
    """A date and time typed in the organization's format."""

    format_key = "DATETIME_INPUT_FORMATS"
