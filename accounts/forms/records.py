"""Forms of accounts and leads."""

from django import forms

from accounts import selectors
from accounts.forms.base import RecordForm
from accounts.models import Account, Lead


class AccountForm(RecordForm):
    """An account with its contacts, default contact and referring account."""

    class Meta:
        model = Account
        fields = ["name", "owner", "contacts", "default_contact", "referred_by", "description"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "contacts": forms.SelectMultiple(attrs={"size": 8}),
        }
        help_texts = {"default_contact": "Added to the account's contacts if it is not among them."}

    def limit_choices(self) -> None:
        contacts = selectors.contact_list(actor=self.actor)
        self.fields["contacts"].queryset = contacts
        self.fields["default_contact"].queryset = contacts
        accounts = selectors.account_list(actor=self.actor)
        if self.instance.pk:
            accounts = accounts.exclude(pk=self.instance.pk)
        self.fields["referred_by"].queryset = accounts

    def picker_exclude(self, name: str) -> tuple[str, ...]:
        # An account cannot refer itself.
        return (str(self.instance.pk),) if name == "referred_by" and self.instance.pk else ()


class LeadForm(RecordForm):
    """A prospect, with the account and contact it concerns when they are known."""

    class Meta:
        model = Lead
        fields = [
            "name",
            "status",
            "source",
            "first_name",
            "last_name",
            "email",
            "phone",
            "company_name",
            "job_title",
            "account",
            "contact",
            "description",
            "owner",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def limit_choices(self) -> None:
        self.fields["account"].queryset = selectors.account_list(actor=self.actor)
        self.fields["contact"].queryset = selectors.contact_list(actor=self.actor)
