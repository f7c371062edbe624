"""The opportunity form."""

from django import forms

from accounts import selectors
from accounts.forms.base import DATE_INPUT, RecordForm
from accounts.models import BusinessCustomer, Opportunity
from accounts.registry import customer_types


class CurrencyField(forms.CharField):
    """A currency code; typed in any case, kept in capitals."""

    def to_python(self, value) -> str:
        return super().to_python(value).upper()


class CustomerChoiceField(forms.ModelChoiceField):
    """Business customers labelled with their account, so that the right one is picked."""

    def label_from_instance(self, obj: BusinessCustomer) -> str:
        return f"{obj.name} ({obj.account.name})"


def registered_customer(actor, reference: str):
    """The customer a "<app_label.model>:<id>" reference names, if its type is registered (customer_types)
    and the row belongs to the actor's organization; None otherwise."""
    key, _, pk = (reference or "").partition(":")
    registered = customer_types.types.get(key)
    if registered is None or not pk.isdecimal() or len(pk) > 18:
        return None
    return registered.model._default_manager.filter(organization_id=actor.organization_id, pk=int(pk)).first()


class OpportunityForm(RecordForm):
    """An opportunity; a blank probability takes the status's default.

    Another app's page (a commerce customer's "Create opportunity") names its customer with `customer_ref`
    ("<app_label.model>:<id>" of a registered customer type); the form keeps it unless one is picked.
    """

    extra_fields = ("customer", "customer_ref")
    error_field_map = {"customer_id": "customer", "customer_type": "customer"}

    customer_ref = forms.CharField(required=False, max_length=120, widget=forms.HiddenInput)

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
        elif not instance.pk:
            reference = self.data.get("customer_ref") if self.is_bound else self.initial.get("customer_ref")
            preset = registered_customer(self.actor, reference)
            if preset is not None and not isinstance(preset, BusinessCustomer):
                self.other_customer = preset
                self.fields["customer"].help_text = f"{preset} is the customer; choose one to replace it."
        base_currency = self.actor.organization.base_currency if self.actor.organization_id else ""
        for name in ("budget_currency", "close_revenue_currency"):
            if not getattr(instance, name):
                self.initial.setdefault(name, base_currency)

    def limit_choices(self) -> None:
        self.fields["account"].queryset = selectors.account_list(actor=self.actor)
        self.fields["contact"].queryset = selectors.contact_list(actor=self.actor)
        self.fields["customer"].queryset = selectors.business_customer_list(actor=self.actor)

    def clean(self):
        data = super().clean()
        # The service refuses it too; checked here so that it shows with every other message at once.
        customer, account = data.get("customer"), data.get("account")
        if customer is not None and account is not None and customer.account_id != account.pk:
            self.add_error(
                "customer",
                f"{customer.name} belongs to another account ({customer.account.name}), not to {account.name}.",
            )
        return data

    def service_data(self) -> dict:
        data = super().service_data()
        if data.get("probability") is None:
            data.pop("probability", None)
        customer = self.cleaned_data.get("customer")
        if customer is not None or self.other_customer is None:
            data["customer"] = customer
        elif not self.instance.pk:
            data["customer"] = self.other_customer  # named by another app's page (customer_ref)
        return data
