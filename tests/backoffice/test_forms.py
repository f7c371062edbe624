"""The shared form helpers: a service's refusal lands where the user looks for it."""

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError

from backoffice.forms import apply_service_errors


class PersonForm(forms.Form):
    name = forms.CharField(required=False)
    emails = forms.CharField(required=False)
    error_field_map = {"email": "emails"}


def bound_form() -> PersonForm:
    form = PersonForm({"name": "Ada", "emails": "ada@example.com"})
    assert form.is_valid()
    return form


def test_messages_keyed_by_a_form_field_show_under_it():
    form = bound_form()
    apply_service_errors(form, ValidationError({"name": "Too short."}))
    assert form.errors == {"name": ["Too short."]}


def test_the_forms_field_map_sends_a_model_field_to_the_form_field_that_edits_it():
    form = bound_form()
    apply_service_errors(form, ValidationError({"email": "Not deliverable."}))
    assert form.errors == {"emails": ["Not deliverable."]}
    form = bound_form()
    apply_service_errors(form, ValidationError({"name": "Taken."}), field_map={"name": "emails"})
    assert form.errors == {"emails": ["Taken."]}


def test_a_field_the_form_lacks_is_named_above_the_form():
    form = bound_form()
    apply_service_errors(form, ValidationError({"due_at": "Before the start.", "version": "Changed meanwhile."}))
    assert form.non_field_errors() == ["Due at: Before the start.", "Changed meanwhile."]


def test_unkeyed_refusals_and_permission_denied_show_above_the_form():
    form = bound_form()
    apply_service_errors(form, ValidationError("A disqualified lead cannot be converted."))
    apply_service_errors(form, PermissionDenied("The owner must belong to your organization."))
    apply_service_errors(form, PermissionDenied())
    assert form.non_field_errors() == [
        "A disqualified lead cannot be converted.",
        "The owner must belong to your organization.",
        "You may not make this change.",
    ]
