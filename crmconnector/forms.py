"""Forms of the CRM Connector Configuration window: a configuration, its properties (inline), the switch."""

import json

from django import forms
from django.forms import BaseInlineFormSet, inlineformset_factory

from backoffice.forms import mark_invalid_fields, style_form
from crmconnector.connectors.registry import connector_registry
from crmconnector.models import (
    MAX_OPTIONS_CHARS,
    CrmConnectorConfiguration,
    CrmConnectorProperty,
    properties_problems,
)
from crmconnector.validation import combo_lines, combo_options_problems, parse_combo_lines

MAX_COMBO_TEXT = 40_000


class StyledModelForm(forms.ModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_form(self)

    def add_error(self, field, error):
        super().add_error(field, error)
        mark_invalid_fields(self)

    def validate_unique(self):
        # Uniqueness across rows (names, one reference key, ...) is checked by the service on the whole set.
        return


class ConfigurationForm(StyledModelForm):
    """The configuration's own fields; the secret is write-only (left empty, the stored one is kept)."""

    connector = forms.ChoiceField(label="Connector implementation", choices=())
    secret = forms.CharField(
        label="API key, password or header value",
        required=False,
        max_length=2000,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Stored encrypted; never shown again. Leave empty to keep the stored one.",
    )
    base_url = forms.URLField(
        label="Base URL",
        max_length=500,
        assume_scheme="https",
        help_text="The CRM's address, such as https://crm.example.com",
    )
    clear_secret = forms.BooleanField(label="Forget the stored secret", required=False)
    options = forms.CharField(
        label="Connector options (JSON)",
        required=False,
        max_length=MAX_OPTIONS_CHARS,
        widget=forms.Textarea(attrs={"rows": 8, "class": "font-monospace"}),
    )

    class Meta:
        model = CrmConnectorConfiguration
        fields = ["name", "connector", "base_url", "username", "timeout_seconds", "options"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["connector"].choices = [("", "---------"), *connector_registry.choices()]
        if not self.is_bound:
            self.initial["options"] = json.dumps(self.instance.options or {}, indent=2)
        if self.instance.has_secret:
            self.fields["secret"].help_text = "A secret is stored (encrypted). " + self.fields["secret"].help_text
        examples = "; ".join(
            f"{label}: {json.dumps(connector_registry.get(key).options_example)}"
            for key, label in connector_registry.choices()
        )
        self.fields["options"].help_text = f"The connector's own settings. Examples - {examples}"[:2000]
        style_form(self)

    def clean_options(self):
        text = (self.cleaned_data.get("options") or "").strip()
        if not text:
            return {}
        try:
            value = json.loads(text)
        except (ValueError, RecursionError):
            raise forms.ValidationError('Write the options as a JSON object, such as {"resource": "contacts"}.')
        if not isinstance(value, dict):
            raise forms.ValidationError("The options are a JSON object ({...}).")
        return value

    def secret_value(self) -> str | None:
        """The secret to store: a new one, "" to forget it, None to keep the stored one."""
        if self.cleaned_data.get("clear_secret"):
            return ""
        return self.cleaned_data.get("secret") or None


class ComboOptionsField(forms.CharField):
    """Combo options as lines "value | label", "| default" after the default one; the line order is the order."""

    widget = forms.Textarea(attrs={"rows": 3, "class": "font-monospace"})

    def prepare_value(self, value):
        if isinstance(value, list):
            return combo_lines(value)
        return value

    def has_changed(self, initial, data):
        try:
            new = self.to_python(data)
        except forms.ValidationError:
            return True
        return (initial if isinstance(initial, list) else parse_combo_lines(initial or "")) != new

    def to_python(self, value):
        if isinstance(value, list):
            return value
        text = super().to_python(value) or ""
        options = parse_combo_lines(text)
        problems = combo_options_problems(options)
        if problems:
            raise forms.ValidationError(problems)
        return options


class PropertyForm(StyledModelForm):
    combo_options = ComboOptionsField(
        label="Combo options",
        required=False,
        max_length=MAX_COMBO_TEXT,
        help_text='One per line: "value | label"; add "| default" to the default one.',
    )

    class Meta:
        model = CrmConnectorProperty
        fields = [
            "external_field",
            "label",
            "property_type",
            "use_as",
            "combo_options",
            "validation_regex",
            "max_length",
            "list_position",
            "list_column_span",
            "detail_position",
            "detail_column_span",
            "show_in_list",
            "show_in_detail",
            "show_in_create",
            "show_in_edit",
            "mandatory_on_create",
            "mandatory_on_edit",
            "editable_on_create",
            "editable_on_edit",
            "searchable",
            "is_reference",
            "is_document_identifier",
            "is_category_key",
        ]

    FLAG_FIELDS = Meta.fields[11:]
    MAIN_FIELDS = Meta.fields[:11]


class BasePropertyFormSet(BaseInlineFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = "Remove this property"
            form.fields["DELETE"].widget.attrs["class"] = "form-check-input"

    def clean(self):
        super().clean()
        # Checked even when some rows have errors, so that everything to correct is listed in one round.
        kept = [form.instance for form in self.kept_forms()]
        problems = properties_problems(kept)
        if problems:
            raise forms.ValidationError(problems)

    def kept_forms(self) -> list[PropertyForm]:
        """Forms of the properties to keep: not marked for removal, and not a blank extra row."""
        forms_kept = []
        for form in self.forms:
            if self.can_delete and self._should_delete_form(form):
                continue
            if form.instance.pk is None and not form.has_changed():
                continue
            forms_kept.append(form)
        return forms_kept


PropertyFormSet = inlineformset_factory(
    CrmConnectorConfiguration,
    CrmConnectorProperty,
    form=PropertyForm,
    formset=BasePropertyFormSet,
    extra=1,
    can_delete=True,
    max_num=100,
    validate_max=True,
    absolute_max=120,
)


class ActivationForm(forms.Form):
    """The organization's switch: the CRM connector on or off, and the configuration it uses."""

    enabled = forms.BooleanField(label="CRM connector enabled", required=False)
    configuration = forms.ModelChoiceField(
        label="Configuration to use", queryset=CrmConnectorConfiguration.objects.none(), required=False
    )

    def __init__(self, *args, organization_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["configuration"].queryset = CrmConnectorConfiguration.objects.filter(
            organization_id=organization_id
        ).order_by("name")
        style_form(self)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("enabled") and not cleaned.get("configuration"):
            self.add_error("configuration", "Choose the configuration to use.")
        return cleaned

    def add_error(self, field, error):
        super().add_error(field, error)
        mark_invalid_fields(self)
