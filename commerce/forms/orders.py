"""Forms of products and orders: an order with its lines, and the pay and refund actions.

The order form checks only what it is sent (a product of the organization, a quantity and a price in range,
at most so many rows); the rules of an order (a line at least, a price when the product is priced in another
currency, a discount within the subtotal, a customer user of the customer, which orders' lines still change)
are the order services', whose refusals show on the form.
"""

from decimal import Decimal

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator

from accounts.forms.base import RecordForm
from accounts.forms.opportunities import CurrencyField
from backoffice.forms import BootstrapForm
from commerce.api import selectors
from commerce.choices import OrderStatus, PaymentMethod
from commerce.forms.customers import commerce_picker
from commerce.models import Order, Product
from commerce.services import LineInput
from commerce.services.crm_attributes import MAX_REFERENCE_LENGTH
from commerce.services.orders import (
    MAX_AMOUNT,
    MAX_LINES,
    MAX_NUMBER_LENGTH,
    MAX_QUANTITY,
    NEXT_STATUS,
    order_lines_refusal,
)

AMOUNT_VALIDATORS = [MinValueValidator(Decimal("0")), MaxValueValidator(MAX_AMOUNT)]


class ProductForm(RecordForm):
    """A product: SKU (unique in the organization), name, unit price and currency, active."""

    class Meta:
        model = Product
        fields = ["sku", "name", "unit_price", "currency", "active"]
        field_classes = {"currency": CurrencyField}
        widgets = {"currency": forms.TextInput(attrs={"maxlength": 3, "size": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.pk:
            self.initial.setdefault(
                "currency", self.actor.organization.base_currency if self.actor.organization_id else ""
            )

    def clean(self):
        data = super().clean()
        # The service refuses it too; checked here so that it shows with every other message at once.
        sku = (data.get("sku") or "").strip()
        taken = selectors.product_list(actor=self.actor).filter(sku=sku)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if sku and taken.exists():
            self.add_error("sku", "A product with this SKU exists already.")
        return data


class OrderLineForm(BootstrapForm):
    """One line: a product, a quantity and, optionally, a unit price (the product's price when empty)."""

    product = forms.ModelChoiceField(queryset=Product.objects.none())
    quantity = forms.IntegerField(min_value=1, max_value=MAX_QUANTITY, initial=1)
    unit_price = forms.DecimalField(
        required=False, max_digits=14, decimal_places=2, validators=AMOUNT_VALIDATORS, help_text=""
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = selectors.product_list(actor=actor)
        commerce_picker(self.fields["product"], "product")
        self.fields["unit_price"].widget.attrs["placeholder"] = "Product's price"


class BaseLineFormSet(forms.BaseFormSet):
    def __init__(self, *args, actor, **kwargs):
        self.actor = actor
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "actor": self.actor}

    @property
    def empty_form(self):
        form = self.form(
            auto_id=self.auto_id, prefix=self.add_prefix("__prefix__"), empty_permitted=True, actor=self.actor
        )
        self.add_fields(form, None)
        return form

    def wanted(self) -> list[OrderLineForm]:
        """The rows filled in and not removed."""
        return [
            form
            for form in self.forms
            if form.has_changed() and not (self.can_delete and form.cleaned_data.get("DELETE"))
        ]


LineFormSet = forms.formset_factory(
    OrderLineForm, formset=BaseLineFormSet, extra=0, can_delete=True, max_num=MAX_LINES, absolute_max=MAX_LINES
)


class OrderForm(RecordForm):
    """An order: customer (fixed once placed), customer user, number, currency, status, discount, lines."""

    error_field_map = {"amount": "discount"}

    class Meta:
        model = Order
        fields = ["customer", "customer_user", "number", "currency", "status", "discount"]
        field_classes = {"currency": CurrencyField}
        widgets = {"currency": forms.TextInput(attrs={"maxlength": 3, "size": 4})}

    def __init__(self, *args, lines_data=None, crm: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        order = self.instance
        editing = order.pk is not None
        # With the CRM connector on, a new order names its customer by the CRM reference (the customer selector
        # fills it in); the order itself goes on the organization's anonymous customer.
        self.crm = crm and not editing
        self.fields["number"].required = editing
        self.fields["number"].max_length = MAX_NUMBER_LENGTH
        self.fields["number"].help_text = "" if editing else "Leave empty for the next number."
        self.fields["discount"].required = False
        self.fields["discount"].validators.extend(AMOUNT_VALIDATORS)
        if editing:
            del self.fields["customer"]
            del self.fields["currency"]
            allowed = NEXT_STATUS[OrderStatus(order.status)]
            self.fields["status"].choices = [(v, label) for v, label in OrderStatus.choices if v in allowed]
            query = f"customer={order.customer_id}"
        else:
            del self.fields["status"]
            commerce_picker(self.fields["customer"], "customer")
            self.fields["currency"].required = False
            self.fields["currency"].help_text = "Leave empty for the first product's currency."
            chosen = self.initial.get("customer")
            query = f"customer={int(chosen)}" if isinstance(chosen, int) else ""
        self.fields["customer_user"].required = False
        commerce_picker(self.fields["customer_user"], "customeruser", query=query)
        if self.crm:
            del self.fields["customer"]
            del self.fields["customer_user"]
            self.fields["crm_reference"] = forms.CharField(
                label="CRM reference",
                max_length=MAX_REFERENCE_LENGTH,
                help_text="The customer's reference in the CRM: find the customer below, or type the reference.",
            )
            self.order_fields(["crm_reference", "number", "currency", "discount"])
        initial_lines = None
        if editing and lines_data is None:
            initial_lines = [
                {"product": line.product_id, "quantity": line.quantity, "unit_price": line.unit_price}
                for line in order.lines.order_by("id")
            ]
        self.lines = LineFormSet(lines_data, prefix="line", actor=self.actor, initial=initial_lines)
        if lines_data is None:
            # Empty rows to fill in; untouched ones are left out when the form is sent.
            self.lines.extra = 3 if editing else 4
        # Lines the service would refuse to change are shown read-only, with its reason, and not sent to it.
        refusal = order_lines_refusal(order) if editing else None
        self.lines_locked_reason = " ".join(refusal.messages) if refusal is not None else ""
        self.lines_locked = bool(self.lines_locked_reason)

    def limit_choices(self) -> None:
        if "customer" in self.fields:
            self.fields["customer"].queryset = selectors.customer_list(actor=self.actor)
        if "customer_user" in self.fields:
            self.fields["customer_user"].queryset = selectors.customer_user_list(actor=self.actor)

    def is_valid(self) -> bool:
        form_valid = super().is_valid()
        return (self.lines_locked or self.lines.is_valid()) and form_valid

    def line_inputs(self) -> list[LineInput]:
        return [
            LineInput(
                product=row.cleaned_data["product"],
                quantity=row.cleaned_data["quantity"],
                unit_price=row.cleaned_data.get("unit_price"),
            )
            for row in self.lines.wanted()
        ]

    def error_count(self) -> int:
        return len(self.errors) + self.lines.total_error_count()


class PayForm(BootstrapForm):
    """A payment of an order: an amount (at most what is open) and a method."""

    amount = forms.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0.01"), max_value=MAX_AMOUNT)
    method = forms.ChoiceField(choices=PaymentMethod.choices, initial=PaymentMethod.CARD)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "pay")
        super().__init__(*args, **kwargs)


class RefundForm(BootstrapForm):
    """A refund of an order paid in full: an amount (at most what was paid and not refunded) and a reason."""

    amount = forms.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0.01"), max_value=MAX_AMOUNT)
    reason = forms.CharField(max_length=255, required=False)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "refund")
        super().__init__(*args, **kwargs)


class CrmReferenceForm(BootstrapForm):
    """The CRM reference of an order's customer, given after the sale (the customer is read from the CRM)."""

    reference = forms.CharField(label="CRM reference", max_length=MAX_REFERENCE_LENGTH)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "crm")
        super().__init__(*args, **kwargs)
