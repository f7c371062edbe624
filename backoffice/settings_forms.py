"""The form of one settings section: each setting with its "Use default" box, as the Configuration page shows it."""

import copy

from django import forms

from backoffice.forms import apply_service_errors
from backoffice.org_settings import USE_DEFAULT, SettingsSection

USE_DEFAULT_SUFFIX = "__use_default"


class SettingsSectionForm(forms.Form):
    """Checked "Use default": the product default applies whatever the field holds."""

    def __init__(self, *args, section: SettingsSection, state: dict, **kwargs):
        super().__init__(*args, prefix=section.key, **kwargs)
        self.section = section
        self.rows = []
        for key, definition in section.fields.items():
            field = copy.deepcopy(definition)
            field.required = False
            item = state[key]
            if key in section.secret_keys:
                field.widget = forms.PasswordInput(render_value=False)
                field.help_text = (
                    field.help_text + " " if field.help_text else ""
                ) + "Leave empty to keep the stored value."
            else:
                field.initial = item["value"]
            use_default = forms.BooleanField(label="Use default", required=False, initial=item["use_default"])
            self.fields[key] = field
            self.fields[key + USE_DEFAULT_SUFFIX] = use_default
            self.rows.append({"key": key, "default": item["default"], "secret": key in section.secret_keys})

    def bound_rows(self):
        """(value field, use-default box, product default) per setting, for the template."""
        for row in self.rows:
            yield {
                "field": self[row["key"]],
                "use_default": self[row["key"] + USE_DEFAULT_SUFFIX],
                "default": None if row["secret"] else row["default"],
            }

    def clean(self):
        cleaned = super().clean()
        for row in self.rows:
            key = row["key"]
            if cleaned.get(key + USE_DEFAULT_SUFFIX):
                self.errors.pop(key, None)
                continue
            value = cleaned.get(key)
            if value in (None, "") and not row["secret"] and not isinstance(self.fields[key], forms.BooleanField):
                self.add_error(key, "Enter a value, or check Use default.")
        return cleaned

    def service_values(self) -> dict:
        values = {}
        for row in self.rows:
            key = row["key"]
            if self.cleaned_data.get(key + USE_DEFAULT_SUFFIX):
                values[key] = USE_DEFAULT
            elif row["secret"] and not self.cleaned_data.get(key):
                continue  # a write-only value left empty keeps what is stored
            else:
                values[key] = self.cleaned_data.get(key)
        return values

    def add_service_error(self, error) -> None:
        apply_service_errors(self, error)
