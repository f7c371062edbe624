"""The base of the record forms: they validate input and hand model field values to the services.

The forms never write and never validate the model themselves (`_post_clean` is off): the
services run the model checks and the access rules, and `backoffice.forms.apply_service_errors`
shows what they refuse under the field it concerns (`error_field_map` names the form field for a
model field the form edits under another name). Pickers only offer rows of the acting user's organization.
"""

from django import forms
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Q
from django.urls import reverse
from django.utils.http import urlencode

from accounts.models import Account, BusinessCustomer, Contact
from accounts.selectors.pickers import owner_choices
from backoffice.forms import mark_invalid_fields, style_form
from backoffice.models import User
from backoffice.widgets import OrganizationDateInput, PickerSelect, PickerSelectMultiple

# The picker (accounts.selectors.pickers) that searches each kind of row a record form links to.
PICKER_KINDS = {Account: "account", BusinessCustomer: "businesscustomer", Contact: "contact", User: "owner"}


def picker_widget(kind: str, *, multiple: bool = False, exclude=(), **kwargs) -> PickerSelect:
    """A select that searches `kind` through the picker endpoint as one types, leaving out `exclude`."""
    widget_class = PickerSelectMultiple if multiple else PickerSelect
    url = reverse("accounts:picker", args=[kind])
    if exclude:
        url += "?" + urlencode({"exclude": list(exclude)}, doseq=True)
    return widget_class(url=url, **kwargs)


def use_picker(field: forms.ChoiceField, kind: str, *, exclude=()) -> None:
    """Give a choice field a searchable picker; its queryset or choices still validate what is posted."""
    multiple = isinstance(field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField)
    field.widget = picker_widget(kind, multiple=multiple, exclude=exclude)
    field.widget.choices = field.choices
    field.widget.is_required = field.required


def without_archived(queryset, *, current=()):
    """Archived rows leave pickers, except those the record already holds."""
    if not hasattr(queryset.model, "archived_at"):
        return queryset
    return queryset.filter(Q(archived_at__isnull=True) | Q(pk__in=list(current)))


class UserChoiceField(forms.ModelChoiceField):
    """A user picker labelled with people's names."""

    def label_from_instance(self, obj: User) -> str:
        return obj.display_name


def owner_queryset(actor: User):
    """Whom the actor may make owner: reps only themselves, managers and admins anyone of the organization."""
    return owner_choices(actor)


class RecordForm(forms.ModelForm):
    """Base of the record forms: organization-scoped pickers, Bootstrap styling, data for the services."""

    # Form fields that are not model fields of the row (handled by the view and service separately).
    extra_fields: tuple[str, ...] = ()
    # Where a service error keyed by a model field that is not on the form should be shown.
    error_field_map: dict[str, str] = {}

    def __init__(self, *args, actor: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        if "owner" in self.fields:
            current = self.instance.owner if self.instance.pk else None
            self.fields["owner"] = UserChoiceField(queryset=owner_queryset(actor), initial=current or actor)
        self.limit_choices()
        for name, field in self.fields.items():
            if isinstance(field, forms.ModelChoiceField):
                field.queryset = without_archived(field.queryset, current=self._current_ids(name))
                kind = PICKER_KINDS.get(field.queryset.model)
                if kind:
                    use_picker(field, kind, exclude=self.picker_exclude(name))
        self._add_model_validators()
        style_form(self)

    def _add_model_validators(self) -> None:
        # Model validators (ranges, currency codes) only run in the service's full_clean, which a form
        # with other errors never reaches; running them here too shows every message at once.
        for name, form_field in self.fields.items():
            try:
                model_field = self._meta.model._meta.get_field(name)
            except FieldDoesNotExist:
                continue
            for validator in getattr(model_field, "validators", []):
                if validator not in form_field.validators:
                    form_field.validators.append(validator)

    def limit_choices(self) -> None:
        """Restrict related pickers to the actor's organization (subclasses)."""

    def picker_exclude(self, name: str) -> tuple[str, ...]:
        """Values the picker of field `name` should not offer, because the form refuses them (subclasses)."""
        return ()

    def _current_ids(self, name: str) -> list:
        """What the record holds in a picker now: an archived choice stays offered while it is chosen."""
        ids = []
        initial = self.initial.get(name)
        for value in initial if isinstance(initial, list | tuple) else [initial]:
            if value not in (None, ""):
                ids.append(getattr(value, "pk", value))
        if self.instance.pk:
            if hasattr(self.instance, f"{name}_id"):
                ids.append(getattr(self.instance, f"{name}_id"))
            elif name in {f.name for f in self.instance._meta.many_to_many} or hasattr(type(self.instance), name):
                related = getattr(self.instance, name, None)
                if hasattr(related, "values_list"):
                    ids.extend(related.values_list("pk", flat=True))
        return [pk for pk in ids if pk is not None]

    def add_error(self, field, error):
        super().add_error(field, error)
        mark_invalid_fields(self)

    def _post_clean(self):
        # The services validate the model (and must see the row as it is in the database for their
        # access checks), so the form neither copies values onto the instance nor full_cleans it.
        pass

    def service_data(self) -> dict:
        """Cleaned values of model fields, as the services take them."""
        data = {name: value for name, value in self.cleaned_data.items() if name not in self.extra_fields}
        if data.get("owner") is None:
            data.pop("owner", None)
        version = self.data.get("version", "")
        if self.instance.pk and version.isdecimal():
            # The version the page was opened at: the service refuses to overwrite a newer change.
            data["version"] = int(version)
        return data


DATE_INPUT = OrganizationDateInput()
