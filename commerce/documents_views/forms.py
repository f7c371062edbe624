"""The "make a shipment / make an invoice" form: a customer, then some of its orders (and the document's options)."""

from django import forms
from django.urls import reverse

from backoffice.forms import BootstrapForm
from backoffice.widgets import PickerSelect
from commerce.documents_queries import customer_choices
from commerce.models import Order
from commerce.services.documents import MAX_DOCUMENT_ORDERS

# How many of a customer's orders the form offers (newest first): a bound on the page, far above a real need.
ORDERS_OFFERED = 100
# A date picker (<input type="date">) sends and shows ISO dates whatever the organization's format.
ISO_DATE = "%Y-%m-%d"


class CustomerChoiceForm(BootstrapForm):
    """Step one: whose orders (a searchable picker over the organization's customers)."""

    customer = forms.ModelChoiceField(queryset=None, label="Customer", empty_label="Choose a customer")

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["customer"]
        field.queryset = customer_choices(actor=actor)
        field.widget = PickerSelect(url=reverse("commerce_documents:customer-options"), placeholder="Type a name…")
        field.widget.choices = field.choices
        field.widget.attrs["class"] = "form-select"


class DocumentForm(BootstrapForm):
    """Step two: the orders of that customer to put on the document; the service has the last word."""

    orders = forms.ModelMultipleChoiceField(
        queryset=Order.objects.none(),
        label="Orders",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Tick at least one order."},
    )

    def __init__(self, *args, orders, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["orders"].queryset = orders

    def clean_orders(self):
        orders = self.cleaned_data["orders"]
        if len(orders) > MAX_DOCUMENT_ORDERS:
            raise forms.ValidationError(f"Tick at most {MAX_DOCUMENT_ORDERS} orders.")
        return list(orders)


class ShipmentForm(DocumentForm):
    shipped = forms.BooleanField(
        required=False, label="Shipped now", help_text="Leave unticked to keep it pending until the goods leave."
    )


class InvoiceForm(DocumentForm):
    issued_on = forms.DateField(
        required=False,
        label="Issued on",
        help_text="Today when left empty.",
        input_formats=[ISO_DATE],
        widget=forms.DateInput({"type": "date"}, format=ISO_DATE),
    )
    due_on = forms.DateField(
        required=False,
        label="Due on",
        help_text="30 days after issue when left empty.",
        input_formats=[ISO_DATE],
        widget=forms.DateInput({"type": "date"}, format=ISO_DATE),
    )
