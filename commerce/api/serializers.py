"""Serializers of the commerce API: validate input (ids only among the caller's organization), shape output.

Writes go through the commerce services (see views.py); these serializers never save. Text, decimals and
booleans are taken only as the JSON types the schema gives (accounts.api.serializers.fields).
"""

from decimal import Decimal

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
from commerce.models import (
    CommerceCustomer,
    CustomerGroup,
    CustomerUser,
    Order,
    OrderLine,
    Product,
    WebStoreOrderStatus,
)
from commerce.services.customers import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH
from commerce.services.orders import MAX_AMOUNT, MAX_LINES, MAX_NUMBER_LENGTH, MAX_QUANTITY
from commerce.services.webstore import MAX_BATCH


class IdField(ScopedPrimaryKeyRelatedField):
    """An id among the caller's organization's rows, sent as a JSON integer (not "5", not an empty string)."""

    def run_validation(self, data=serializers.empty):
        if data is not serializers.empty and data is not None and (not isinstance(data, int) or isinstance(data, bool)):
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().run_validation(data)


def amount_field(**kwargs) -> StrictDecimalField:
    """An amount sent and answered as a string such as "12.50", 0 up to the services' bound."""
    kwargs.setdefault("min_value", 0)
    return StrictDecimalField(max_digits=18, decimal_places=2, max_value=MAX_AMOUNT, **kwargs)


def customer_field(**kwargs) -> ScopedPrimaryKeyRelatedField:
    return IdField(selector=selectors.customer_list, model=CommerceCustomer, **kwargs)


class CustomerSerializer(ModelSerializer):
    """A commerce customer: its place in a hierarchy, its group, owner and CRM account, its lifetime value."""

    owner = owner_field()
    parent = customer_field(required=False, allow_null=True, help_text="None: a root customer.")
    group = IdField(selector=selectors.customer_group_list, model=CustomerGroup, required=False, allow_null=True)
    account = IdField(
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

    account = IdField(selector=account_list, model=Account)


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

    product = IdField(selector=selectors.product_list, model=Product)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY)
    unit_price = amount_field(required=False, help_text="Defaults to the product's price (in the same currency).")

    class Meta:
        model = OrderLine
        fields = ["id", "product", "quantity", "unit_price", "amount"]
        read_only_fields = ["id", "amount"]


class OrderSerializer(ModelSerializer):
    """An order with its lines, totals, status and payment status; amounts are strings in its currency."""

    customer = customer_field()
    customer_user = IdField(selector=selectors.customer_user_list, model=CustomerUser, required=False, allow_null=True)
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
            "crm_reference",
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
            "crm_reference",
            "version",
            "created_at",
            "updated_at",
        ]


class OrderCrmReferenceSerializer(serializers.Serializer):
    """The customer of an order of the anonymous customer, named by its reference in the external CRM."""

    reference = StrictCharField(max_length=255, help_text="The customer's reference in the CRM (it is read there).")


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


EXTERNAL_ID_HELP = "The record's id in the web store (1 to 255 characters); the upsert key."


class WebStoreCustomerRecordSerializer(serializers.Serializer):
    """A web store customer as the store knows it."""

    external_id = StrictCharField(max_length=255, help_text=EXTERNAL_ID_HELP)
    name = StrictCharField(max_length=255)
    email = serializers.EmailField(required=False, allow_blank=True, max_length=254)
    account = IdField(
        selector=account_list,
        model=Account,
        required=False,
        allow_null=True,
        help_text="The CRM account; a new customer without one gets a new account named after it.",
    )


class WebStoreOrderRecordSerializer(serializers.Serializer):
    """A web store order as the store knows it; its value in the base currency is fixed when it first arrives."""

    external_id = StrictCharField(max_length=255, help_text=EXTERNAL_ID_HELP)
    customer_external_id = StrictCharField(
        max_length=255, help_text="The web store customer's external id (of this batch or an earlier one)."
    )
    number = StrictCharField(max_length=64)
    currency = serializers.RegexField(r"^[A-Za-z]{3}$", help_text="The three-letter code, such as USD.")
    subtotal = amount_field()
    discount = amount_field(required=False, default=Decimal("0.00"))
    status = serializers.ChoiceField(choices=WebStoreOrderStatus.choices)
    placed_at = serializers.DateTimeField()

    def validate_currency(self, value: str) -> str:
        return value.upper()


class WebStoreBatchSerializer(serializers.Serializer):
    """Web store customers and orders to upsert by their external ids (customers are written first)."""

    customers = WebStoreCustomerRecordSerializer(many=True, required=False, max_length=MAX_BATCH, default=list)
    orders = WebStoreOrderRecordSerializer(many=True, required=False, max_length=MAX_BATCH, default=list)


class WebStoreRecordResultSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="The record's position in its list.")
    external_id = serializers.CharField()
    result = serializers.ChoiceField(choices=["created", "updated", "unchanged", "refused"])
    id = serializers.IntegerField(allow_null=True, help_text="The record's id here (null when refused).")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), help_text="Why it was refused, by field."
    )


class WebStoreBatchResultSerializer(serializers.Serializer):
    customers = WebStoreRecordResultSerializer(many=True)
    orders = WebStoreRecordResultSerializer(many=True)
