"""Converting a lead: a dialog on the lead's page (or, without scripts, a page) asks for the deal's name,
amount, close date, account and contact, prefilled from the lead, then opens the new opportunity."""

import datetime as dt

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from accounts import selectors, services
from accounts.choices import LeadStatus
from accounts.forms.base import use_picker
from accounts.models import Lead
from backoffice.access import can_write
from backoffice.forms import apply_service_errors, mark_invalid_fields, style_form

# A converted lead's deal is expected to close this many days later unless the rep says otherwise.
DEFAULT_CLOSE_DAYS = 30


class LeadConvertForm(forms.Form):
    """What converting asks for; everything is optional and falls back on the lead."""

    opportunity_name = forms.CharField(label="Opportunity name", max_length=255, required=False)
    budget_amount = forms.DecimalField(
        label="Amount",
        required=False,
        max_digits=18,
        decimal_places=2,
        min_value=0,
        error_messages={"min_value": "The amount cannot be negative."},
    )
    budget_currency = forms.CharField(label="Currency", max_length=3, required=False)
    expected_close_date = forms.DateField(
        label="Expected close date", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    account = forms.ModelChoiceField(label="Account", queryset=None, required=False)
    contact = forms.ModelChoiceField(label="Contact", queryset=None, required=False)

    def __init__(self, *args, actor, lead: Lead, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = selectors.account_list(actor=actor).filter(archived_at__isnull=True)
        self.fields["account"].empty_label = (
            f"New account “{lead.company_name}” (or the same name if it exists)"
            if lead.company_name
            else "New account from the lead"
        )
        self.fields["contact"].queryset = selectors.contact_list(actor=actor).filter(archived_at__isnull=True)
        person = f"{lead.first_name} {lead.last_name}".strip()
        self.fields["contact"].empty_label = f"New contact “{person}”" if person else "No contact"
        # Searched as one types: the dialog carries only the lead's own account and contact.
        use_picker(self.fields["account"], "account")
        use_picker(self.fields["contact"], "contact")
        self.fields["budget_currency"].widget.attrs.update({"size": 3, "autocapitalize": "characters"})
        style_form(self)

    def clean_budget_currency(self) -> str:
        return self.cleaned_data["budget_currency"].strip().upper()


def _initial(lead: Lead, actor) -> dict:
    return {
        "opportunity_name": lead.name,
        "budget_currency": actor.organization.base_currency if actor.organization_id else "",
        "expected_close_date": timezone.localdate() + dt.timedelta(days=DEFAULT_CLOSE_DAYS),
        "account": lead.account_id,
        "contact": lead.contact_id,
    }


def lead_convert_form(*, actor, lead: Lead, data=None) -> LeadConvertForm:
    """The conversion form of this lead, prefilled from it (the lead page's dialog renders it too)."""
    return LeadConvertForm(data, actor=actor, lead=lead, initial=_initial(lead, actor))


@require_http_methods(["GET", "POST"])
def lead_convert(request, pk: int):
    """Ask what the new opportunity needs (GET), then convert the lead and open the opportunity (POST)."""
    if not request.user.is_authenticated:
        return redirect(f"{reverse('login')}?next={reverse('accounts:lead-detail', args=[pk])}")
    lead = selectors.lead_get(actor=request.user, pk=pk)
    if not can_write(request.user, lead):
        raise PermissionDenied("Only the lead's owner and managers can convert it.")
    form = lead_convert_form(actor=request.user, lead=lead, data=request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            opportunity = services.lead_convert(
                actor=request.user,
                lead=lead,
                account=data["account"],
                contact=data["contact"],
                opportunity_name=data["opportunity_name"],
                budget_amount=data["budget_amount"],
                budget_currency=data["budget_currency"],
                expected_close_date=data["expected_close_date"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"The lead was converted into the opportunity “{opportunity}”.")
            return redirect("accounts:opportunity-detail", opportunity.pk)
    mark_invalid_fields(form)
    return render(
        request,
        "accounts/records/lead_convert.html",
        {"lead": lead, "form": form, "can_convert": lead.status != LeadStatus.DISQUALIFIED},
        status=400 if form.is_bound else 200,
    )
