"""Forms of contacts and business customers: several e-mails and phones each, and a contact's addresses."""

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from phonenumber_field.phonenumber import to_python as phone_to_python

from accounts import selectors
from accounts.choices import PhoneType
from accounts.forms.base import DATE_INPUT, RecordForm
from accounts.models import Account, BusinessCustomer, Contact
from backoffice.forms import style_form


class ContactAddressForm(forms.Form):
    """One postal address of a contact; a row left empty is ignored."""

    label = forms.CharField(required=False, max_length=50, help_text="Home, office, …")
    street = forms.CharField(required=False, max_length=255)
    postal_code = forms.CharField(required=False, max_length=20)
    city = forms.CharField(required=False, max_length=100)
    region = forms.CharField(required=False, max_length=100)
    country = forms.RegexField(
        required=False,
        regex=r"^[A-Za-z]{2}$",
        max_length=2,
        error_messages={"invalid": "Use the two-letter country code, such as US or DE."},
    )

    def clean_country(self) -> str:
        return self.cleaned_data["country"].upper()

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not any(data.get(name) for name in ("street", "postal_code", "city", "region", "country"))


ContactAddressFormSet = forms.formset_factory(ContactAddressForm, extra=1, can_delete=True)


class ContactPointsForm(RecordForm):
    """Base of the forms of rows with several e-mails (one per line) and phones (lines "number, type").

    The model has `emails` and `phones` rows and keeps the first of each on its `email` and `phone`;
    the cleaned lists are what contact_save and business_customer_save take.
    """

    extra_fields = ("emails", "phones")
    error_field_map = {"email": "emails", "phone": "phones", "number": "phones", "phone_type": "phones"}

    emails = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="E-mail addresses",
        help_text="One per line; the first is the primary address.",
    )
    phones = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Phones",
        help_text=(
            "One per line as “number, type” with type business, mobile or home (business if left out), "
            "such as “+1 202 555 0143, mobile”. The first is the primary phone."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        row = self.instance
        if row.pk and not self.is_bound:
            self.initial["emails"] = "\n".join(e.email for e in row.emails.all()) or row.email
            phones = [f"{p.number.as_international}, {p.phone_type}" for p in row.phones.all()]
            if not phones and row.phone:
                phones = [f"{row.phone.as_international}, {PhoneType.BUSINESS}"]
            self.initial["phones"] = "\n".join(phones)

    def clean_emails(self) -> list[str]:
        emails, problems = [], []
        for number, line in enumerate(self.cleaned_data["emails"].splitlines(), start=1):
            email = line.strip().strip(",;")
            if not email:
                continue
            try:
                validate_email(email)
            except ValidationError:
                problems.append(f"Line {number}: “{email}” is not a valid e-mail address.")
                continue
            if email.lower() not in (e.lower() for e in emails):
                emails.append(email)
        if problems:
            raise ValidationError(problems)
        return emails

    def clean_phones(self) -> list[tuple[str, str]]:
        phones, problems = [], []
        types = {value: value for value in PhoneType.values} | {
            label.lower(): value for value, label in PhoneType.choices
        }
        for number, line in enumerate(self.cleaned_data["phones"].splitlines(), start=1):
            if not line.strip():
                continue
            raw, _, raw_type = line.rpartition(",") if "," in line else (line, "", "")
            raw, raw_type = raw.strip(), raw_type.strip().lower()
            phone_type = types.get(raw_type or PhoneType.BUSINESS)
            if phone_type is None:
                problems.append(f"Line {number}: “{raw_type}” is not a phone type (business, mobile or home).")
                continue
            parsed = phone_to_python(raw)
            if parsed is None or not parsed.is_valid():
                problems.append(f"Line {number}: “{raw}” is not a valid phone number.")
                continue
            phones.append((parsed.as_e164, phone_type))
        if problems:
            raise ValidationError(problems)
        return phones


class ContactForm(ContactPointsForm):
    """A contact with several e-mails (one per line) and phones (lines "number, type"); the first is primary."""

    class Meta:
        model = Contact
        fields = [
            "name_prefix",
            "first_name",
            "middle_name",
            "last_name",
            "gender",
            "birthday",
            "job_title",
            "description",
            "owner",
        ]
        widgets = {"birthday": DATE_INPUT, "description": forms.Textarea(attrs={"rows": 4})}

    accounts = forms.ModelMultipleChoiceField(
        queryset=Account.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 5}),
        help_text="The companies this person works for or with.",
    )

    field_order = [*Meta.fields[:7], "emails", "phones", "accounts", *Meta.fields[7:]]

    def limit_choices(self) -> None:
        self.fields["accounts"].queryset = selectors.account_list(actor=self.actor).select_related(None)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        contact = self.instance
        if contact.pk and not self.is_bound:
            self.initial["accounts"] = list(contact.accounts.values_list("pk", flat=True))
        existing = [
            {name: getattr(a, name) for name in ContactAddressForm.base_fields if name != "DELETE"}
            for a in (contact.addresses.all() if contact.pk else [])
        ]
        # A post without the address rows (an older page, a script) leaves the addresses as they are.
        self.addresses_submitted = self.is_bound and "address-TOTAL_FORMS" in self.data
        self.addresses = ContactAddressFormSet(
            self.data if self.addresses_submitted else None, prefix="address", initial=existing or None
        )
        for form in self.addresses.forms:
            style_form(form)

    def is_valid(self) -> bool:
        # Both are validated so that every message shows at once.
        form_valid = super().is_valid()
        addresses_valid = self.addresses.is_valid() if self.addresses_submitted else True
        return form_valid and addresses_valid

    def address_list(self) -> list[dict] | None:
        """The addresses kept (not blank, not marked for removal), the first primary; None if not submitted."""
        if not self.addresses_submitted:
            return None
        return [
            {name: value for name, value in form.cleaned_data.items() if name != "DELETE"}
            for form in self.addresses.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE") and not form.is_blank()
        ]


class BusinessCustomerForm(ContactPointsForm):
    """A B2B customer of an account, with several e-mails and phones; the first of each is primary."""

    class Meta:
        model = BusinessCustomer
        fields = [
            "name",
            "account",
            "contact",
            "owner",
            "billing_street",
            "billing_city",
            "billing_postal_code",
            "billing_country",
            "shipping_street",
            "shipping_city",
            "shipping_postal_code",
            "shipping_country",
        ]

    field_order = [*Meta.fields[:3], "emails", "phones", *Meta.fields[3:]]

    def limit_choices(self) -> None:
        self.fields["account"].queryset = selectors.account_list(actor=self.actor)
        self.fields["contact"].queryset = selectors.contact_list(actor=self.actor)
