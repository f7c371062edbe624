"""Forms of the storefront: what a visitor types, bounded before any service sees it."""

from django import forms

from commerce.services.orders import MAX_QUANTITY
from commerce.services.storefront import COMPANY_NAME_LENGTH, LIST_NAME_LENGTH, NOTE_LENGTH


class StorefrontForm(forms.Form):
    """Bootstrap classes on every field, and the invalid ones marked (the focus moves to the first)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-control"

    def add_error(self, field, error):
        super().add_error(field, error)
        for name in self._errors or {}:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs["class"] = "form-control is-invalid"
                attrs["aria-invalid"] = "true"
                attrs["aria-describedby"] = f"id_{name}_errors"

    def add_service_errors(self, error) -> None:
        """Show a service's refusal on the fields it names (or on the form)."""
        if hasattr(error, "error_dict"):
            for field, messages in error.message_dict.items():
                self.add_error(field if field in self.fields else None, messages)
        else:
            self.add_error(None, error.messages)


class SignUpForm(StorefrontForm):
    first_name = forms.CharField(
        label="First name", max_length=100, widget=forms.TextInput(attrs={"autocomplete": "given-name"})
    )
    last_name = forms.CharField(
        label="Last name", max_length=100, widget=forms.TextInput(attrs={"autocomplete": "family-name"})
    )
    email = forms.EmailField(label="E-mail", max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password = forms.CharField(
        label="Password",
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 8 characters, not only digits, not too common and not like your name or e-mail.",
    )
    company_name = forms.CharField(
        label="Company name",
        max_length=COMPANY_NAME_LENGTH,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
        help_text="Optional: leave empty when you buy for yourself.",
    )


class SignInForm(StorefrontForm):
    email = forms.EmailField(
        label="E-mail", max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "username"})
    )
    password = forms.CharField(
        label="Password",
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class ShoppingListForm(StorefrontForm):
    name = forms.CharField(label="Name of the new list", max_length=LIST_NAME_LENGTH)


class AddProductForm(StorefrontForm):
    product = forms.CharField(
        label="Product (SKU or name)", max_length=255, help_text="Type a SKU, or part of a product's name."
    )
    quantity = forms.IntegerField(label="Quantity", min_value=1, max_value=MAX_QUANTITY, initial=1)


class QuantityForm(StorefrontForm):
    quantity = forms.IntegerField(label="Quantity", min_value=1, max_value=MAX_QUANTITY)


class RequestQuoteForm(StorefrontForm):
    note = forms.CharField(
        label="Note for our sales team",
        max_length=NOTE_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
