"""What every app's web forms share: Bootstrap styling and showing a service's refusal on the form.

Forms validate input and hand it to a service; the service has the last word (access rules, model
checks, stale versions). `apply_service_errors` puts what it refuses where the user looks for it.
"""

from collections.abc import Mapping

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError

# Keys whose messages already read well above the form, without a field name in front.
UNNAMED_ERROR_KEYS = frozenset({NON_FIELD_ERRORS, "version"})


def _widget_css_class(widget: forms.Widget) -> str:
    if isinstance(widget, forms.CheckboxInput | forms.CheckboxSelectMultiple | forms.RadioSelect):
        return "form-check-input"
    if isinstance(widget, forms.Select | forms.SelectMultiple):
        return "form-select"
    return "form-control"


def style_form(form: forms.BaseForm) -> None:
    """Give every widget its Bootstrap class (forms, filter forms and their sub-widgets alike)."""
    for field in form.fields.values():
        widget = field.widget
        subwidgets = getattr(widget, "widgets", None) or [widget]
        for sub in [widget, *subwidgets]:
            css = _widget_css_class(sub)
            existing = sub.attrs.get("class", "")
            if css not in existing.split():
                sub.attrs["class"] = f"{existing} {css}".strip()


def mark_invalid_fields(form: forms.BaseForm) -> None:
    """Outline every field that has an error (Bootstrap's `is-invalid`) and say so to assistive technology."""
    for name in form.errors:
        if name in form.fields:
            widget = form.fields[name].widget
            for sub in getattr(widget, "widgets", None) or [widget]:
                css = sub.attrs.get("class", "")
                if "is-invalid" not in css.split():
                    sub.attrs["class"] = f"{css} is-invalid".strip()
                sub.attrs["aria-invalid"] = "true"


class BootstrapForm(forms.Form):
    """A plain form whose widgets carry their Bootstrap classes; fields with an error are outlined."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_form(self)

    def add_error(self, field, error):
        super().add_error(field, error)
        mark_invalid_fields(self)


def apply_service_errors(
    form: forms.BaseForm,
    error: ValidationError | PermissionDenied,
    *,
    field_map: Mapping[str, str] | None = None,
) -> None:
    """Show a service's refusal on the form: each message under its field when the form has it, else on top.

    `field_map` sends a key the service uses to the form field that edits it (a model's `email` to a
    form's `emails`); it defaults to the form's `error_field_map` attribute. A message whose field is
    not on the form is shown on top with the field's name in front, so it still says what it is about.
    A PermissionDenied is shown on top with its reason.
    """
    if isinstance(error, PermissionDenied):
        form.add_error(None, str(error) or "You may not make this change.")
        return
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    if field_map is None:
        field_map = getattr(form, "error_field_map", None) or {}
    for name, errors in error.error_dict.items():
        target = field_map.get(name, name)
        if target not in form.fields:
            target = None
        for item in errors:
            messages = item.messages
            if target is None and name not in UNNAMED_ERROR_KEYS:
                messages = [f"{name.replace('_', ' ').capitalize()}: {m}" for m in messages]
            form.add_error(target, messages)
