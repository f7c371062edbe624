"""Forms of the sales reps' web UI: they validate input and hand model field values to the services.

The forms never write and never validate the model themselves (`_post_clean` is off): the
services run the model checks and the access rules, and `backoffice.forms.apply_service_errors`
shows what they refuse under the field it concerns (`error_field_map` names the form field for a
model field the form edits under another name). Pickers only offer rows of the acting user's organization.
"""

from django import forms
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.validators import validate_email
from phonenumber_field.phonenumber import to_python as phone_to_python

from accounts import selectors
from accounts.choices import PhoneType
from accounts.models import Account, BusinessCustomer, Contact, Lead, Opportunity
from backoffice.models import User
from backoffice.selectors import user_list


class UserChoiceField(forms.ModelChoiceField):
    """A user picker labelled with people's names."""

    def label_from_instance(self, obj: User) -> str:
        return obj.get_full_name() or obj.username


def owner_queryset(actor: User):
    """Whom the actor may make owner: reps only themselves, managers and admins anyone of the organization."""
    if actor.can_manage_organization:
        return user_list(actor=actor)
    return User.objects.filter(pk=actor.pk)


def _widget_css_class(widget: forms.Widget) -> str:
    if isinstance(widget, forms.CheckboxInput | forms.CheckboxSelectMultiple | forms.RadioSelect):
        return "form-check-input"
    if isinstance(widget, forms.Select | forms.SelectMultiple):
        return "form-select"
    return "form-control"


def style_form(form: forms.BaseForm) -> None:
    """Give every widget its Bootstrap class (also used on the list filter forms)."""
    for field in form.fields.values():
        widget = field.widget
        subwidgets = getattr(widget, "widgets", None) or [widget]
        for sub in [widget, *subwidgets]:
            css = _widget_css_class(sub)
            existing = sub.attrs.get("class", "")
            if css not in existing.split():
                sub.attrs["class"] = f"{existing} {css}".strip()


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

    def add_error(self, field, error):
        super().add_error(field, error)
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                css = widget.attrs.get("class", "")
                if "is-invalid" not in css.split():
                    widget.attrs["class"] = f"{css} is-invalid".strip()

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


DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


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


class CurrencyField(forms.CharField):
    """A currency code; typed in any case, kept in capitals."""

    def to_python(self, value) -> str:
        return super().to_python(value).upper()


class CustomerChoiceField(forms.ModelChoiceField):
    """Business customers labelled with their account, so that the right one is picked."""

    def label_from_instance(self, obj: BusinessCustomer) -> str:
        return f"{obj.name} ({obj.account.name})"


class OpportunityForm(RecordForm):
    """An opportunity; a blank probability takes the status's default."""

    extra_fields = ("customer",)
    error_field_map = {"customer_id": "customer", "customer_type": "customer"}

    customer = CustomerChoiceField(
        queryset=BusinessCustomer.objects.none(),
        required=False,
        help_text="A business customer of the opportunity's account.",
    )

    class Meta:
        model = Opportunity
        fields = [
            "name",
            "account",
            "contact",
            "status",
            "probability",
            "budget_amount",
            "budget_currency",
            "close_revenue",
            "close_revenue_currency",
            "expected_close_date",
            "close_reason",
            "description",
            "owner",
        ]
        widgets = {
            "expected_close_date": DATE_INPUT,
            "description": forms.Textarea(attrs={"rows": 4}),
            "budget_currency": forms.TextInput(attrs={"maxlength": 3, "size": 4}),
            "close_revenue_currency": forms.TextInput(attrs={"maxlength": 3, "size": 4}),
        }
        help_texts = {"probability": "Percent; leave blank for the status's default."}
        field_classes = {"budget_currency": CurrencyField, "close_revenue_currency": CurrencyField}

    field_order = [*Meta.fields[:2], "customer", *Meta.fields[2:]]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["probability"].required = False
        instance = self.instance
        self.other_customer = None
        if instance.pk and instance.customer_id is not None:
            customer = instance.customer
            if isinstance(customer, BusinessCustomer):
                self.initial.setdefault("customer", customer.pk)
            else:
                # A customer of a type this form cannot pick (a commerce customer) is kept unless one is chosen.
                self.other_customer = customer
                self.fields["customer"].help_text = f"Currently {customer}; choose one to replace it."
        base_currency = self.actor.organization.base_currency if self.actor.organization_id else ""
        for name in ("budget_currency", "close_revenue_currency"):
            if not getattr(instance, name):
                self.initial.setdefault(name, base_currency)

    def limit_choices(self) -> None:
        self.fields["account"].queryset = selectors.account_list(actor=self.actor)
        self.fields["contact"].queryset = selectors.contact_list(actor=self.actor)
        self.fields["customer"].queryset = selectors.business_customer_list(actor=self.actor)

    def service_data(self) -> dict:
        data = super().service_data()
        if data.get("probability") is None:
            data.pop("probability", None)
        customer = self.cleaned_data.get("customer")
        if customer is not None or self.other_customer is None:
            data["customer"] = customer
        return data
