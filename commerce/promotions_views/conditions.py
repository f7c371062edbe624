"""The conditions editor of the promotion form: up to MAX_CONDITIONS rows of (kind, its parameters).

Built from the registered condition kinds (`commerce.services.pricing.promotion_conditions`) and the parameters
each describes (`ConditionParam`), so a kind another app registers shows here without a change to this file.
A row checks its parameters with the kind's own `clean`, and its message shows on that row.
"""

import re

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.urls import reverse

from backoffice.forms import BootstrapForm, style_form
from backoffice.models import User
from backoffice.widgets import PickerSelectMultiple
from commerce.api import selectors
from commerce.services.pricing import MAX_CONDITION_IDS, MAX_CONDITIONS, ConditionKind, ConditionParam
from commerce.services.pricing import promotion_conditions as registry

# The rows an "ids" parameter may name with a searchable picker (commerce:picker kinds).
PICKER_ROWS = {"customer": selectors.customer_list, "group": selectors.customer_group_list}
NO_LONGER_OFFERED = "{value} (no longer offered)"


class BoundedModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Several rows chosen, at most `max_count` (checked before the ids are looked up)."""

    def __init__(self, *args, max_count: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_count = max_count

    def clean(self, value):
        if isinstance(value, list | tuple) and len(value) > self.max_count:
            raise ValidationError(f"Choose at most {self.max_count}.")
        return super().clean(value)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def field_name(kind: ConditionKind, param: ConditionParam) -> str:
    return f"{kind.key}__{param.name}"


class ConditionRowForm(BootstrapForm):
    """One condition: its kind, then the parameters of every kind (the page shows those of the chosen one)."""

    def __init__(self, *args, actor: User, kinds: list[ConditionKind], number: int, choices: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor, self.kinds, self.number, self.choices = actor, kinds, number, choices
        self.condition: dict | None = None
        self.fields["kind"] = forms.ChoiceField(
            label="Kind of condition",
            required=False,
            choices=[("", "No condition")] + [(kind.key, kind.label) for kind in kinds],
        )
        for kind in kinds:
            for param in kind.params:
                self.fields[field_name(kind, param)] = self._param_field(kind, param)
        self.fields["kind"].widget.attrs["data-condition-kind"] = ""
        for name, field in self.fields.items():
            if name.endswith("__operator"):
                field.widget.attrs["data-condition-operator"] = ""
        style_form(self)

    def _param_field(self, kind: ConditionKind, param: ConditionParam) -> forms.Field:
        common = {"label": param.label, "required": False, "help_text": param.help_text}
        if param.type == "ids":
            rows = PICKER_ROWS.get(param.picker)
            if rows is not None:
                url = reverse("commerce:picker", args=[param.picker])
                return BoundedModelMultipleChoiceField(
                    queryset=rows(actor=self.actor),
                    max_count=MAX_CONDITION_IDS,
                    widget=PickerSelectMultiple(url=url),
                    **common,
                )
            return forms.CharField(
                widget=forms.Textarea(attrs={"rows": 2}), max_length=MAX_CONDITION_IDS * 20, **common
            )
        if param.type == "lines":
            return forms.CharField(
                widget=forms.Textarea(attrs={"rows": 3}),
                max_length=MAX_CONDITION_IDS * (param.max_length + 1),
                **common,
            )
        if param.type == "choice":
            choices = self.choices.get(field_name(kind, param)) or []
            if choices:
                current = self.initial.get(field_name(kind, param))
                if current and current not in {value for value, _ in choices}:
                    choices = [*choices, (current, NO_LONGER_OFFERED.format(value=current))]
                return forms.ChoiceField(choices=[("", "Choose…"), *choices], **common)
        return forms.CharField(max_length=param.max_length, **common)

    def param_groups(self) -> list[tuple[ConditionKind, list]]:
        """Each kind with its parameters' bound fields and the operators each matters for (for the template)."""
        return [
            (kind, [(self[field_name(kind, param)], " ".join(param.shown_for)) for param in kind.params])
            for kind in self.kinds
        ]

    @staticmethod
    def initial_for(condition: dict) -> dict:
        """The row's initial values from a condition as a promotion stores it."""
        kind = registry.items.get(condition.get("kind"))
        if kind is None:
            return {}
        initial = {"kind": kind.key}
        params = condition.get("params") or {}
        for param in kind.params:
            value = params.get(param.name)
            if value is None:
                continue
            if param.type == "lines" and isinstance(value, list):
                value = "\n".join(str(item) for item in value)
            elif param.type == "ids" and param.picker not in PICKER_ROWS and isinstance(value, list):
                value = ", ".join(str(item) for item in value)
            initial[field_name(kind, param)] = value
        return initial

    def _param_value(self, kind: ConditionKind, param: ConditionParam):
        name = field_name(kind, param)
        value = self.cleaned_data.get(name)
        if param.type == "ids":
            if isinstance(value, str):
                words = [word for word in re.split(r"[\s,;]+", value) if word]
                if not all(word.isdecimal() and len(word) <= 18 for word in words):
                    self.add_error(name, "Give whole numbers separated by commas.")
                    return None
                return [int(word) for word in words] or None
            return [row.pk for row in value] if value else None
        if param.type == "lines":
            return _lines(value) or None
        return value.strip() if isinstance(value, str) and value.strip() else None

    def clean(self):
        data = super().clean()
        chosen = data.get("kind") or ""
        # What was left in the fields of another kind (the row's kind changed) is not part of the condition.
        for name in list(self._errors):
            if name not in ("kind", NON_FIELD_ERRORS) and not name.startswith(f"{chosen}__"):
                del self._errors[name]
        kind = registry.items.get(chosen)
        if kind is None or self._errors:
            return data
        params, operator = {}, data.get(f"{kind.key}__operator")
        for param in kind.params:
            value = self._param_value(kind, param)
            applies = not param.shown_for or operator in param.shown_for
            if value is None:
                if param.required and applies:
                    self.add_error(field_name(kind, param), "Required for this condition.")
                continue
            if applies:
                params[param.name] = value
        if self.errors:
            return data
        try:
            self.condition = {"kind": kind.key, "params": kind.clean(params)}
        except ValidationError as error:
            self.add_error(None, " ".join(error.messages))
        return data


class ConditionsEditor:
    """The MAX_CONDITIONS rows of the form; the rows with a kind chosen are the promotion's conditions."""

    def __init__(self, data, *, actor: User, conditions: list[dict]):
        kinds = list(registry)
        # The choices of each "choice" parameter, read once for every row (they may come from the database).
        choices = {
            field_name(kind, param): param.choices_for(actor.organization_id)
            for kind in kinds
            for param in kind.params
            if param.type == "choice"
        }
        self.rows = []
        for index in range(MAX_CONDITIONS):
            stored = conditions[index] if index < len(conditions) and isinstance(conditions[index], dict) else {}
            self.rows.append(
                ConditionRowForm(
                    data,
                    prefix=f"condition-{index}",
                    actor=actor,
                    kinds=kinds,
                    number=index + 1,
                    choices=choices,
                    initial=ConditionRowForm.initial_for(stored),
                )
            )

    def is_valid(self) -> bool:
        return all([row.is_valid() for row in self.rows])

    def conditions(self) -> list[dict]:
        """The conditions as the promotion service takes them (each already checked by its kind)."""
        return [row.condition for row in self.rows if row.condition is not None]

    def error_rows(self) -> list[ConditionRowForm]:
        return [row for row in self.rows if row.errors]

    def used(self) -> int:
        """How many rows hold a condition (as shown: posted or stored)."""
        return sum(1 for row in self.rows if (row["kind"].value() or ""))
