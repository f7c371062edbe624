"""Searchable pickers: a select that carries only its chosen options and loads the others as one types.

The page holds no list of every contact, owner or time zone: the widget renders the options already
chosen, and `backoffice/picker.js` (Tom Select, served by the app) asks the picker endpoint named by
`data-picker-url` for the options matching what is typed. The form field keeps its full, organization-scoped
queryset or choices, so what is posted is validated on the server as with a plain select.
"""

from django import forms
from django.forms.models import ModelChoiceIterator


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
