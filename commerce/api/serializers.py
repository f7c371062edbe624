"""Serializers of the commerce API: validate input (ids only among the caller's organization), shape output.

Writes go through the commerce services (see views.py); these serializers never save. Text, decimals and
booleans are taken only as the JSON types the schema gives (accounts.api.serializers.fields).
"""

from rest_framework import serializers

from accounts.api.serializers.fields import (
    ModelSerializer,
    ScopedPrimaryKeyRelatedField,
    StrictBooleanField,
    StrictCharField,
    StrictDecimalField,
    owner_field,
)
from accounts.models import Account
from accounts.selectors import account_list
from commerce.api import selectors
from commerce.choices import AccountStrategy, PaymentMethod
from commerce.models import CommerceCustomer, CustomerGroup, CustomerUser, Order, OrderLine, Product
from commerce.services.customers import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH
from commerce.services.orders import MAX_AMOUNT, MAX_LINES, MAX_NUMBER_LENGTH, MAX_QUANTITY


def amount_field(**kwargs) -> StrictDecimalField:
    """An amount sent and answered as a string such as "12.50", 0 up to the services' bound."""
    kwargs.setdefault("min_value", 0)
    return StrictDecimalField(max_digits=18, decimal_places=2, max_value=MAX_AMOUNT, **kwargs)


def customer_field(**kwargs) -> ScopedPrimaryKeyRelatedField:
    return ScopedPrimaryKeyRelatedField(selector=selectors.customer_list, model=CommerceCustomer, **kwargs)


class CustomerSerializer(ModelSerializer):
    """A commerce customer: its place in a hierarchy, its group, owner and CRM account, its lifetime value."""

    owner = owner_field()
    parent = customer_field(required=False, allow_null=True, help_text="None: a root customer.")
    group = ScopedPrimaryKeyRelatedField(
        selector=selectors.customer_group_list, model=CustomerGroup, required=False, allow_null=True
    )
    account = ScopedPrimaryKeyRelatedField(
        selector=account_list,
        model=Account,
        required=False,
        help_text=(
            "Left out on creation, the account-creation strategy gives one; given on a change, it re-points the "
            "customer at that account."
        ),
    )
    children = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = CommerceCustomer
        fields = [
            "id",
            "name",
            "parent",
            "root",
            "depth",
            "children",
            "group",
            "account",
            "previous_account",
            "channel",
            "lifetime_value",
            "owner",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "root",
            "depth",
            "previous_account",
            "channel",
            "lifetime_value",
            "version",
            "created_at",
            "updated_at",
        ]


class CustomerMoveSerializer(serializers.Serializer):
    """The account a customer moves to."""

    account = ScopedPrimaryKeyRelatedField(selector=account_list, model=Account)


class CustomerGroupSerializer(ModelSerializer):
    """A group of customers."""

    class Meta:
        model = CustomerGroup
        fields = ["id", "name", "version", "created_at", "updated_at"]
        read_only_fields = ["version", "created_at", "updated_at"]


class CustomerUserSerializer(ModelSerializer):
    """A person acting for a customer in the storefront; the password is taken, never given back."""

    customer = customer_field()
    password = StrictCharField(
        write_only=True,
        required=False,
        min_length=PASSWORD_MIN_LENGTH,
        max_length=PASSWORD_MAX_LENGTH,
        trim_whitespace=False,
        help_text="Required on creation; on a change, a new password when given.",
        style={"input_type": "password"},
    )
    enabled = StrictBooleanField(required=False)
    confirmed = StrictBooleanField(required=False)

    class Meta:
        model = CustomerUser
        fields = [
            "id",
            "first_name",
            "last_name",
            "email",
            "password",
            "customer",
            "enabled",
            "confirmed",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["version", "created_at", "updated_at"]

    def validate(self, attrs):
        if self.instance is None and "password" not in attrs:
            raise serializers.ValidationError({"password": "Give the customer user a password."})
        return attrs


class ProductSerializer(ModelSerializer):
    """A product with its SKU (unique in the organization) and unit price."""

    unit_price = amount_field()
    active = StrictBooleanField(required=False)

    class Meta:
        model = Product
        fields = ["id", "sku", "name", "unit_price", "currency", "active", "version", "created_at", "updated_at"]
        read_only_fields = ["version", "created_at", "updated_at"]


class OrderLineSerializer(ModelSerializer):
    """One line of an order: a product, a quantity and the unit price (the product's unless one is given)."""

    product = ScopedPrimaryKeyRelatedField(selector=selectors.product_list, model=Product)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY)
    unit_price = amount_field(required=False, help_text="Defaults to the product's price (in the same currency).")

    class Meta:
        model = OrderLine
        fields = ["id", "product", "quantity", "unit_price", "amount"]
        read_only_fields = ["id", "amount"]


class OrderSerializer(ModelSerializer):
    """An order with its lines, totals, status and payment status; amounts are strings in its currency."""

    customer = customer_field()
    customer_user = ScopedPrimaryKeyRelatedField(
        selector=selectors.customer_user_list, model=CustomerUser, required=False, allow_null=True
    )
    owner = owner_field()
    lines = OrderLineSerializer(many=True, allow_empty=False, max_length=MAX_LINES)
    number = StrictCharField(
        required=False, allow_blank=True, max_length=MAX_NUMBER_LENGTH, help_text="Made up when left out."
    )
    currency = StrictCharField(
        required=False, min_length=3, max_length=3, help_text="Defaults to the first line's product's currency."
    )
    discount = amount_field(required=False)
    placed_at = serializers.DateTimeField(read_only=True)

    class Meta:
        model = Order
        fields = [
            "id",
            "number",
            "customer",
            "customer_user",
            "currency",
            "lines",
            "subtotal",
            "discount",
            "total",
            "base_subtotal",
            "paid_amount",
            "refunded_amount",
            "status",
            "payment_status",
            "placed_at",
            "owner",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "subtotal",
            "total",
            "base_subtotal",
            "paid_amount",
            "refunded_amount",
            "status",
            "payment_status",
            "version",
            "created_at",
            "updated_at",
        ]


class OrderPaySerializer(serializers.Serializer):
    """A payment of an order: at most what is still open."""

    amount = amount_field(min_value=None, help_text="Greater than zero, at most what is still open.")
    method = serializers.ChoiceField(choices=PaymentMethod.choices, default=PaymentMethod.CARD)


class OrderRefundSerializer(serializers.Serializer):
    """A refund of an order paid in full: at most what was paid and not refunded yet."""

    amount = amount_field(min_value=None, help_text="Greater than zero, at most what was paid and not refunded.")
    reason = StrictCharField(required=False, allow_blank=True, max_length=255)


class PaymentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=18, decimal_places=2)
    method = serializers.ChoiceField(choices=PaymentMethod.choices)
    paid_at = serializers.DateTimeField()


class AccountStrategySerializer(serializers.Serializer):
    """The organization's account-creation strategy and the re-relation job a change queued."""

    strategy = serializers.ChoiceField(choices=AccountStrategy.choices)
    job = serializers.IntegerField(read_only=True, allow_null=True, help_text="The re-relation job, if one was queued.")
    job_url = serializers.URLField(read_only=True, allow_null=True, help_text="Its progress: GET /api/jobs/{id}/.")


class AccountStrategyPreviewSerializer(serializers.Serializer):
    """What changing to a strategy would do, before it is saved."""

    strategy = serializers.ChoiceField(choices=AccountStrategy.choices)
    customers = serializers.IntegerField()
    customers_moving = serializers.IntegerField()
    accounts_created = serializers.IntegerField()


class AccountStrategyQuerySerializer(serializers.Serializer):
    strategy = serializers.ChoiceField(choices=AccountStrategy.choices, help_text="The strategy to preview.")
