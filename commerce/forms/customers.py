"""Forms of commerce customers, their storefront users and groups.

Like the CRM's record forms they never write: they check what can be checked without writing (so every
message shows in one round) and hand the values to commerce.services, whose refusals land under the field.
"""

from django import forms
from django.urls import reverse

from accounts.forms.base import RecordForm
from accounts.selectors import account_list
from backoffice.forms import BootstrapForm
from backoffice.widgets import PickerSelect
from commerce.api import selectors
from commerce.choices import AccountStrategy
from commerce.models import MAX_HIERARCHY_DEPTH, CommerceCustomer, CustomerUser
from commerce.services import account_strategy_get
from commerce.services.customers import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH
from commerce.services.pages_support import customer_ancestor_ids

CYCLE = "{parent} is {customer} or one of its descendants: a customer cannot be its own ancestor."
TOO_DEEP = f"A customer hierarchy is at most {MAX_HIERARCHY_DEPTH + 1} levels deep."


def commerce_picker(field: forms.ModelChoiceField, kind: str, *, exclude=(), query: str = "") -> None:
    """Give a choice field the commerce picker of `kind`; its queryset still validates what is posted."""
    url = reverse("commerce:picker", args=[kind])
    params = [f"exclude={value}" for value in exclude] + ([query] if query else [])
    if params:
        url += "?" + "&".join(params)
    field.widget = PickerSelect(url=url)
    field.widget.choices = field.choices
    field.widget.is_required = field.required


class CustomerForm(RecordForm):
    """A commerce customer. On create the account may stay empty (the strategy gives one); on edit it is
    required, and another account re-points the customer. A parent inside the customer's own subtree is refused."""

    class Meta:
        model = CommerceCustomer
        fields = ["name", "parent", "group", "account", "owner"]
        help_texts = {"parent": "Leave empty for a top-level customer."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        editing = self.instance.pk is not None
        commerce_picker(self.fields["parent"], "customer", exclude=[self.instance.pk] if editing else ())
        commerce_picker(self.fields["group"], "group")
        account = self.fields["account"]
        account.required = editing
        if editing:
            account.help_text = "Choosing another account moves this customer (and its sales value) to it."
        else:
            strategy = account_strategy_get(organization_id=self.actor.organization_id)
            rule = (
                "a new account named after the customer"
                if strategy == AccountStrategy.EACH
                else "its top-level customer's account (a new one for a top-level customer)"
            )
            account.help_text = f"Leave empty to follow the organization's account-creation strategy: {rule}."
        account.widget.is_required = account.required

    def limit_choices(self) -> None:
        self.fields["parent"].queryset = selectors.customer_list(actor=self.actor)
        self.fields["group"].queryset = selectors.customer_group_list(actor=self.actor)
        self.fields["account"].queryset = account_list(actor=self.actor)

    def clean(self):
        data = super().clean()
        parent = data.get("parent")
        if parent is not None:
            if self.instance.pk and self.instance.pk in customer_ancestor_ids(customer_id=parent.pk):
                self.add_error("parent", CYCLE.format(parent=parent, customer=self.instance))
            elif parent.depth + 1 > MAX_HIERARCHY_DEPTH:
                self.add_error("parent", TOO_DEEP)
        return data


class CustomerUserForm(RecordForm):
    """A storefront user of a customer; the password is required on create and kept when left empty on edit."""

    extra_fields = ("password",)

    password = forms.CharField(
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        min_length=PASSWORD_MIN_LENGTH,
        max_length=PASSWORD_MAX_LENGTH,
        required=False,
    )

    class Meta:
        model = CustomerUser
        fields = ["first_name", "last_name", "email", "customer", "enabled", "confirmed"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        commerce_picker(self.fields["customer"], "customer")
        password = self.fields["password"]
        password.required = self.instance.pk is None
        password.help_text = (
            f"{PASSWORD_MIN_LENGTH} to {PASSWORD_MAX_LENGTH} characters."
            if password.required
            else "Leave empty to keep the current password."
        )

    def limit_choices(self) -> None:
        self.fields["customer"].queryset = selectors.customer_list(actor=self.actor)


class CustomerGroupForm(BootstrapForm):
    """A customer group: a name unique in the organization."""

    name = forms.CharField(max_length=100)
