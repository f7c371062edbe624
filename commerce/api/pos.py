"""REST endpoints of the POS: the customer selector (fields, search, get, create, update), pricing a basket,
and completing a sale. Whatever selector the organization uses answers here in the same shapes, so the POS
page (or another front end) never depends on where customers live."""

from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.serializers.fields import StrictCharField
from commerce.api.selector_errors import SelectorErrorsMixin, UnavailableResponseSerializer
from commerce.api.selectors import product_list
from commerce.api.serializers import IdField
from commerce.models import Product
from commerce.selector import (
    MAX_QUERY_LENGTH,
    MAX_RESULTS,
    SelectorCustomer,
    customer_selector_for,
)
from commerce.services.orders import MAX_LINES, MAX_QUANTITY
from commerce.services.pos import POS_METHODS, BasketLine, pos_basket_price, pos_sale_complete

MAX_VALUES = 50
MAX_VALUE_LENGTH = 1000
REFERENCE_HELP = "The customer's reference, as the selector gave it."


class ChoiceSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()


class SelectorFieldSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    type = serializers.CharField(help_text="text, email, phone, number, date, boolean, choice or static.")
    in_list = serializers.BooleanField()
    in_detail = serializers.BooleanField()
    in_create = serializers.BooleanField()
    in_edit = serializers.BooleanField()
    required = serializers.BooleanField()
    max_length = serializers.IntegerField(allow_null=True)
    choices = ChoiceSerializer(many=True)
    required_on_edit = serializers.BooleanField(allow_null=True, help_text="In the edit form (null: as `required`).")
    list_position = serializers.IntegerField()
    list_span = serializers.IntegerField(help_text="Width in the result list, in twelfths.")
    detail_position = serializers.IntegerField()
    detail_span = serializers.IntegerField(help_text="Width in the detail view, in twelfths.")
    searchable = serializers.BooleanField(help_text="The key can be given as a `filter` of a search.")


class SelectorSerializer(serializers.Serializer):
    """The organization's selector: which one it is and the fields its customers have."""

    backend = serializers.CharField()
    label = serializers.CharField()
    fields = SelectorFieldSerializer(many=True)


class SelectorCustomerSerializer(serializers.Serializer):
    """A customer as the selector gives it: reference, name to show, field values by key."""

    reference = serializers.CharField(help_text=REFERENCE_HELP)
    label = serializers.CharField()
    values = serializers.DictField(child=serializers.CharField(allow_blank=True))
    version = serializers.IntegerField(allow_null=True, help_text="Send it back with a change (409 if stale).")


class SelectorPageSerializer(serializers.Serializer):
    results = SelectorCustomerSerializer(many=True)
    has_more = serializers.BooleanField()


def _values_field(**kwargs):
    return serializers.DictField(
        child=StrictCharField(allow_blank=True, max_length=MAX_VALUE_LENGTH),
        help_text="Field values by key (the create or edit form's fields).",
        **kwargs,
    )


class SelectorWriteSerializer(serializers.Serializer):
    values = _values_field()
    version = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2**31 - 1)

    def validate_values(self, value):
        if len(value) > MAX_VALUES:
            raise serializers.ValidationError(f"Give at most {MAX_VALUES} values.")
        return value


def _actor(request):
    """The signed-in user itself: a session's user is a lazy proxy, which the write path must not be handed."""
    user = request.user
    user.pk  # noqa: B018 - loads the proxied user
    return getattr(user, "_wrapped", user)


def _customer(customer: SelectorCustomer) -> dict:
    return {
        "reference": customer.reference,
        "label": customer.label,
        "values": {key: "" if value is None else str(value) for key, value in customer.values.items()},
        "version": customer.version,
    }


class SelectorView(SelectorErrorsMixin, APIView):
    """The customer selector of the caller's organization and its fields (for the list, detail and forms)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={200: SelectorSerializer, 503: UnavailableResponseSerializer},
        summary="The customer selector and its fields",
    )
    def get(self, request):
        selector = customer_selector_for(actor=_actor(request))
        fields = [
            {**field.__dict__, "choices": [choice.__dict__ for choice in field.choices]}
            for field in selector.fields(actor=_actor(request))
        ]
        return Response(SelectorSerializer({"backend": selector.key, "label": selector.label, "fields": fields}).data)


SEARCH_PARAMETERS = [
    OpenApiParameter("q", str, description="What to look for: a name, an e-mail, a phone number.", required=False),
    OpenApiParameter("limit", int, description=f"At most this many results (1 to {MAX_RESULTS}).", required=False),
]


MAX_FILTERS = 10


class SelectorSearchSerializer(serializers.Serializer):
    q = StrictCharField(required=False, allow_blank=True, max_length=MAX_QUERY_LENGTH, default="")
    limit = serializers.IntegerField(required=False, min_value=1, max_value=MAX_RESULTS, default=20)
    filter = serializers.ListField(
        child=StrictCharField(max_length=MAX_QUERY_LENGTH + 201),
        required=False,
        max_length=MAX_FILTERS,
        help_text="`key:value` of a searchable field (repeat for several, all must match); `q` is then not used.",
    )

    def validate_filter(self, value):
        filters = {}
        for item in value:
            key, colon, text = item.partition(":")
            if not colon or not key.strip() or not text.strip():
                raise serializers.ValidationError("Give each filter as key:value, such as email:ann@example.com.")
            filters[key.strip()] = text.strip()
        return filters


class SelectorCustomersView(SelectorErrorsMixin, APIView):
    """Search customers (GET) and create one (POST) through the organization's selector."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[SelectorSearchSerializer],
        responses={200: SelectorPageSerializer, 503: UnavailableResponseSerializer},
        operation_id="commerce_selector_customers_search",
        summary="Search customers by name, e-mail or phone",
    )
    def get(self, request):
        query = SelectorSearchSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        filters = query.validated_data.get("filter")
        page = customer_selector_for(actor=_actor(request)).search(
            actor=_actor(request),
            query=query.validated_data["q"],
            limit=query.validated_data["limit"],
            **({"filters": filters} if filters else {}),
        )
        return Response({"results": [_customer(c) for c in page.results], "has_more": page.has_more})

    @extend_schema(
        request=SelectorWriteSerializer,
        responses={201: SelectorCustomerSerializer, 503: UnavailableResponseSerializer},
        operation_id="commerce_selector_customers_create",
        summary="Create a customer from the create form's values",
    )
    def post(self, request):
        body = SelectorWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        customer = customer_selector_for(actor=_actor(request)).create(
            actor=_actor(request), values=body.validated_data["values"]
        )
        return Response(_customer(customer), status=status.HTTP_201_CREATED)


class SelectorCustomerView(SelectorErrorsMixin, APIView):
    """One customer of the selector: read (GET) and change (PATCH) it."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={200: SelectorCustomerSerializer, 503: UnavailableResponseSerializer},
        operation_id="commerce_selector_customers_get",
    )
    def get(self, request, reference: str):
        customer = customer_selector_for(actor=_actor(request)).get(actor=_actor(request), reference=reference)
        return Response(_customer(customer))

    @extend_schema(
        request=SelectorWriteSerializer,
        responses={200: SelectorCustomerSerializer, 503: UnavailableResponseSerializer},
        operation_id="commerce_selector_customers_update",
    )
    def patch(self, request, reference: str):
        body = SelectorWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        customer = customer_selector_for(actor=_actor(request)).update(
            actor=_actor(request),
            reference=reference,
            values=body.validated_data["values"],
            version=body.validated_data.get("version"),
        )
        return Response(_customer(customer))


class BasketLineSerializer(serializers.Serializer):
    product = IdField(selector=product_list, model=Product)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY)


class BasketSerializer(serializers.Serializer):
    customer = StrictCharField(required=False, allow_blank=True, max_length=200, help_text=REFERENCE_HELP)
    lines = BasketLineSerializer(many=True, max_length=MAX_LINES)


PROMOTION_AMOUNT = inline_serializer(
    "PosPromotionAmount",
    {
        "promotion": serializers.IntegerField(allow_null=True),
        "name": serializers.CharField(),
        "amount": serializers.CharField(),
    },
    many=True,
)


class PricedLineSerializer(serializers.Serializer):
    product = serializers.IntegerField()
    sku = serializers.CharField()
    name = serializers.CharField()
    quantity = serializers.IntegerField()
    unit_price = serializers.CharField()
    amount = serializers.CharField()
    discount = serializers.CharField()
    net = serializers.CharField()
    promotions = PROMOTION_AMOUNT


class BasketPriceSerializer(serializers.Serializer):
    currency = serializers.CharField(allow_blank=True)
    lines = PricedLineSerializer(many=True)
    promotions = PROMOTION_AMOUNT
    subtotal = serializers.CharField()
    discount = serializers.CharField()
    total = serializers.CharField()


def _lines(validated: dict) -> list[BasketLine]:
    return [BasketLine(product_id=line["product"].pk, quantity=line["quantity"]) for line in validated["lines"]]


def _price_body(basket) -> dict:
    pricing = basket.pricing
    lines = []
    for index, (product, quantity) in enumerate(zip(basket.products, basket.quantities, strict=True)):
        line = pricing.lines[index]
        discount = pricing.line_discount(index)
        lines.append(
            {
                "product": product.pk,
                "sku": product.sku,
                "name": product.name,
                "quantity": quantity,
                "unit_price": f"{line.unit_price:.2f}",
                "amount": f"{line.amount:.2f}",
                "discount": f"{discount:.2f}",
                "net": f"{line.amount - discount:.2f}",
                "promotions": [
                    {"promotion": d.promotion.pk, "name": d.promotion.name, "amount": f"{d.amount:.2f}"}
                    for d in pricing.discounts
                    if d.line == index
                ],
            }
        )
    return {
        "currency": basket.currency,
        "lines": lines,
        "promotions": [
            {"promotion": promotion.pk, "name": promotion.name, "amount": f"{amount:.2f}"}
            for promotion, amount in pricing.promotions()
        ],
        "subtotal": f"{pricing.subtotal:.2f}",
        "discount": f"{pricing.discount:.2f}",
        "total": f"{pricing.subtotal - pricing.discount:.2f}",
    }


class PosPriceView(SelectorErrorsMixin, APIView):
    """Price a basket now for the chosen customer: the promotions per line and on the total (nothing is saved)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=BasketSerializer, responses={200: BasketPriceSerializer, 503: UnavailableResponseSerializer})
    def post(self, request):
        body = BasketSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        basket = pos_basket_price(
            actor=_actor(request),
            lines=_lines(body.validated_data),
            reference=body.validated_data.get("customer") or None,
        )
        return Response(_price_body(basket))


class SaleSerializer(BasketSerializer):
    idempotency_key = serializers.UUIDField(help_text="Made by the page for each sale: the same key never sells twice.")
    customer = StrictCharField(
        required=False, allow_blank=True, max_length=200, help_text=REFERENCE_HELP + " Required unless anonymous."
    )
    anonymous = serializers.BooleanField(
        required=False, default=False, help_text="Sell to the anonymous customer (no customer named)."
    )
    lines = BasketLineSerializer(many=True, allow_empty=False, max_length=MAX_LINES)
    payment_method = serializers.ChoiceField(choices=[(m.value, m.label) for m in POS_METHODS])


class SaleResultSerializer(serializers.Serializer):
    order = serializers.IntegerField()
    number = serializers.CharField()
    currency = serializers.CharField()
    subtotal = serializers.CharField()
    discount = serializers.CharField()
    total = serializers.CharField()
    paid_amount = serializers.CharField()
    payment_status = serializers.CharField()
    crm_reference = serializers.CharField(allow_blank=True, help_text="The customer's CRM reference, if any.")
    url = serializers.CharField(help_text="The order's page.")
    replayed = serializers.BooleanField(help_text="True when this key completed the sale before (nothing new made).")


class PosSaleView(SelectorErrorsMixin, APIView):
    """Complete a sale: an order for the customer, paid in full by cash or card, in one transaction."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=SaleSerializer,
        responses={201: SaleResultSerializer, 200: SaleResultSerializer, 503: UnavailableResponseSerializer},
    )
    def post(self, request):
        body = SaleSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        order, created = pos_sale_complete(
            actor=_actor(request),
            idempotency_key=body.validated_data["idempotency_key"],
            reference=body.validated_data.get("customer") or None,
            lines=_lines(body.validated_data),
            method=body.validated_data["payment_method"],
            anonymous=body.validated_data["anonymous"],
        )
        result = {
            "order": order.pk,
            "number": order.number,
            "currency": order.currency,
            "subtotal": f"{order.subtotal:.2f}",
            "discount": f"{order.discount:.2f}",
            "total": f"{order.total:.2f}",
            "paid_amount": f"{order.paid_amount:.2f}",
            "payment_status": order.payment_status,
            "crm_reference": order.crm_reference,
            "url": reverse("commerce:order-detail", args=[order.pk]),
            "replayed": not created,
        }
        return Response(result, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
