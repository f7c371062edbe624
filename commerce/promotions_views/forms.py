"""The promotion form: what it gives, on what, when, for whom, and its conditions editor.

Like the other record forms it never writes: it checks what it can (every message at once) and hands the
values to commerce.services.promotions.promotion_save, whose refusals are shown under their field.
"""

from django import forms
from django.urls import reverse

from accounts.date_range import validate_in_range
from accounts.forms.base import RecordForm
from accounts.forms.opportunities import CurrencyField
from backoffice.forms import style_form
from backoffice.widgets import OrganizationDateTimeInput, PickerSelectMultiple
from commerce.api import selectors
from commerce.forms.customers import commerce_picker
from commerce.models import Promotion
from commerce.promotions_views.conditions import BoundedModelMultipleChoiceField, ConditionsEditor
from commerce.services.pricing import MAX_PRODUCTS


def _datetime_field(label: str, help_text: str) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=False,
        help_text=help_text,
        widget=OrganizationDateTimeInput(),
        validators=[validate_in_range],
    )


class PromotionForm(RecordForm):
    """A promotion with its products (searched as one types, at most MAX_PRODUCTS) and its conditions."""

    class Meta:
        model = Promotion
        fields = [
            "name",
            "kind",
            "value",
            "currency",
            "scope",
            "products",
            "valid_from",
            "valid_to",
            "minimum_subtotal",
            "customer_group",
            "priority",
            "exclusive",
            "active",
            "condition_match",
        ]
        field_classes = {"currency": CurrencyField}
        widgets = {"currency": forms.TextInput(attrs={"maxlength": 3, "size": 4})}
        labels = {"condition_match": "Conditions that must hold", "customer_group": "Only for the customer group"}
        help_texts = {
            "scope": "Chosen products: only their lines are discounted.",
            "priority": "Lower first; each promotion discounts what the ones before it left.",
            "minimum_subtotal": "In the promotion's currency; orders in another currency do not get it.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["products"] = BoundedModelMultipleChoiceField(
            queryset=selectors.product_list(actor=self.actor),
            max_count=MAX_PRODUCTS,
            required=False,
            label="Products",
            help_text=f"For a promotion on chosen products (at most {MAX_PRODUCTS}).",
            widget=PickerSelectMultiple(url=reverse("commerce:picker", args=["product"])),
        )
        self.fields["valid_from"] = _datetime_field("Valid from", "Leave empty for a promotion valid at once.")
        self.fields["valid_to"] = _datetime_field("Valid to", "Leave empty for no end.")
        self.fields["currency"].required = False
        self.fields["currency"].help_text = "Required for a fixed amount or a minimum subtotal."
        self.fields["minimum_subtotal"].required = False
        self.fields["customer_group"].required = False
        commerce_picker(self.fields["customer_group"], "group")
        if not self.instance.pk:
            self.initial.setdefault(
                "currency", self.actor.organization.base_currency if self.actor.organization_id else ""
            )
        self.conditions = ConditionsEditor(
            self.data if self.is_bound else None,
            actor=self.actor,
            conditions=list(self.instance.conditions or []) if self.instance.pk else [],
        )
        style_form(self)

    def limit_choices(self) -> None:
        self.fields["customer_group"].queryset = selectors.customer_group_list(actor=self.actor)

    def clean(self):
        data = super().clean()
        valid_from, valid_to = data.get("valid_from"), data.get("valid_to")
        if valid_from and valid_to and valid_to < valid_from:
            self.add_error("valid_to", "The end of validity cannot come before its start.")
        return data

    def is_valid(self) -> bool:
        form_valid = super().is_valid()
        return self.conditions.is_valid() and form_valid

    def service_data(self) -> dict:
        data = super().service_data()
        data["products"] = list(data.get("products") or [])
        data["conditions"] = self.conditions.conditions()
        return data

    def error_count(self) -> int:
        return len(self.errors) + len(self.conditions.error_rows())
