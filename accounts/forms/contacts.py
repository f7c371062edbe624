"""Forms of contacts and business customers: several e-mails and phones each, and a contact's addresses."""

from django import forms
from django.core.exceptions import ValidationError
from phonenumber_field.phonenumber import to_python as phone_to_python

from accounts import selectors
from accounts.choices import PhoneType
from accounts.forms.base import DATE_INPUT, RecordForm
from accounts.models import Account, BusinessCustomer, Contact
from backoffice.forms import mark_invalid_fields, style_form


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


class EmailRowForm(forms.Form):
    """One e-mail address of a contact or customer; a row left empty is ignored."""

    email = forms.EmailField(required=False, label="E-mail", max_length=254)


class PhoneRowForm(forms.Form):
    """One phone number with its type; a row left empty is ignored."""

    number = forms.CharField(required=False, label="Phone", max_length=40)
    phone_type = forms.ChoiceField(choices=PhoneType.choices, initial=PhoneType.BUSINESS, label="Type")

    def clean_number(self) -> str:
        raw = self.cleaned_data["number"].strip()
        if not raw:
            return ""
        parsed = phone_to_python(raw)
        if parsed is None or not parsed.is_valid():
            raise ValidationError(
                f"“{raw}” is not a valid phone number; give it with its country code, such as +1 202 555 0143."
            )
        return parsed.as_e164


EmailFormSet = forms.formset_factory(EmailRowForm, extra=1, can_delete=True)
PhoneFormSet = forms.formset_factory(PhoneRowForm, extra=1, can_delete=True)


class ContactPointRows:
    """The rows of one list (e-mails or phones): a formset, and which row is the primary one.

    The primary is chosen with a radio button named "<prefix>-primary" whose value is the row's index;
    the list handed to the services starts with it. A post without the rows (an older page, a script)
    leaves the list as it is.
    """

    def __init__(self, formset_class, *, data, prefix: str, initial: list[dict]):
        self.prefix = prefix
        self.submitted = data is not None and f"{prefix}-TOTAL_FORMS" in data
        self.formset = formset_class(data if self.submitted else None, prefix=prefix, initial=initial or None)
        self.primary = str(data.get(f"{prefix}-primary", "0")) if self.submitted else "0"
        for form in [*self.formset.forms, self.formset.empty_form]:
            style_form(form)

    def is_valid(self) -> bool:
        if not self.submitted:
            return True
        valid = self.formset.is_valid()
        for form in self.formset.forms:
            mark_invalid_fields(form)
        return valid

    def kept(self) -> list[tuple[int, dict]]:
        """(index, cleaned values) of the rows kept: filled in and not marked for removal."""
        rows = []
        for index, form in enumerate(self.formset.forms):
            data = form.cleaned_data
            if data and not data.get("DELETE") and any(data.get(name) for name in ("email", "number")):
                rows.append((index, data))
        return rows

    def ordered(self) -> list[dict]:
        """The kept rows with the chosen primary first (the first kept row when none is chosen)."""
        rows = self.kept()
        primary = [data for index, data in rows if str(index) == self.primary]
        return primary + [data for index, data in rows if str(index) != self.primary]


class ContactPointsForm(RecordForm):
    """Base of the forms of rows with several e-mails and phones, each a row with its type and a primary choice.

    The model has `emails` and `phones` rows and keeps the primary of each on its `email` and `phone`;
    `cleaned_data["emails"]` and `["phones"]` are the lists contact_save and business_customer_save take
    (primary first), or None when the rows were not posted.
    """

    extra_fields = ("emails", "phones")
    error_field_map = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        row = self.instance
        emails, phones = [], []
        if row.pk:
            emails = [{"email": e.email} for e in row.emails.all()] or ([{"email": row.email}] if row.email else [])
            phones = [{"number": p.number.as_international, "phone_type": p.phone_type} for p in row.phones.all()]
            if not phones and row.phone:
                phones = [{"number": row.phone.as_international, "phone_type": PhoneType.BUSINESS}]
        data = self.data if self.is_bound else None
        self.email_rows = ContactPointRows(EmailFormSet, data=data, prefix="email", initial=emails)
        self.phone_rows = ContactPointRows(PhoneFormSet, data=data, prefix="phone", initial=phones)

    @property
    def contact_point_lists(self) -> list[tuple[ContactPointRows, str, str]]:
        """The row lists as the form template shows them: rows, title, what "Add" adds."""
        return [(self.email_rows, "E-mail addresses", "an e-mail address"), (self.phone_rows, "Phones", "a phone")]

    def is_valid(self) -> bool:
        # Every part is validated so that every message shows at once.
        form_valid = super().is_valid()
        emails_valid = self.email_rows.is_valid()
        phones_valid = self.phone_rows.is_valid()
        if not (form_valid and emails_valid and phones_valid):
            return False
        self.cleaned_data["emails"] = self._emails() if self.email_rows.submitted else None
        self.cleaned_data["phones"] = (
            [(data["number"], data["phone_type"]) for data in self.phone_rows.ordered()]
            if self.phone_rows.submitted
            else None
        )
        return True

    def _emails(self) -> list[str]:
        emails = []
        for data in self.email_rows.ordered():
            if data["email"].lower() not in (e.lower() for e in emails):
                emails.append(data["email"])
        return emails


class ContactForm(ContactPointsForm):
    """A contact with several e-mails and phones, each a row with a primary choice, and postal addresses."""

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

    field_order = [*Meta.fields[:7], "accounts", *Meta.fields[7:]]

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
        for form in self.addresses.forms if self.addresses_submitted else []:
            mark_invalid_fields(form)
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

    field_order = [*Meta.fields[:3], *Meta.fields[3:]]

    def limit_choices(self) -> None:
        self.fields["account"].queryset = selectors.account_list(actor=self.actor)
        self.fields["contact"].queryset = selectors.contact_list(actor=self.actor)
