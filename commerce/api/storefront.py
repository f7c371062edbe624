"""API of the storefront side for back-office users: storefront sign-up (for a storefront that runs
elsewhere and calls in with an API key), shopping lists and requests for quote to read, quotes to read,
make, accept and cancel."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.serializers.fields import ModelSerializer, StrictCharField, owner_field
from accounts.api.views import Conflict, ServiceErrorsMixin
from backoffice.models import Organization
from backoffice.schema import ErrorResponse409Serializer
from commerce.api.selectors import customer_user_list, product_list
from commerce.api.serializers import IdField, OrderSerializer, amount_field, customer_field
from commerce.backoffice_quotes import selectors
from commerce.backoffice_quotes.filters import QuoteFilter, RequestForQuoteFilter, ShoppingListFilter
from commerce.models import (
    CustomerUser,
    Product,
    Quote,
    QuoteLine,
    RequestForQuote,
    RequestForQuoteLine,
    ShoppingList,
    ShoppingListLine,
)
from commerce.services import quotes as quote_services
from commerce.services import storefront as storefront_services
from commerce.services.orders import MAX_LINES, MAX_QUANTITY


class SignUpSerializer(serializers.Serializer):
    first_name = StrictCharField(max_length=100)
    last_name = StrictCharField(max_length=100)
    email = serializers.EmailField(max_length=254)
    password = StrictCharField(max_length=128, write_only=True, trim_whitespace=False)
    company_name = StrictCharField(max_length=255, required=False, allow_blank=True, default="")


class SignedUpSerializer(serializers.Serializer):
    customer_user = serializers.IntegerField()
    customer = serializers.IntegerField()
    account = serializers.IntegerField()


class StorefrontSignUpView(ServiceErrorsMixin, APIView):
    """Register a storefront customer in the caller's organization: its customer, first user and account.

    For a storefront that runs elsewhere and signs its visitors up with its own API key: the caller is a
    known back-office user, so sign-ups are not limited per address here (the store's own pages are).
    """

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=SignUpSerializer,
        responses={201: SignedUpSerializer},
        summary="Storefront sign-up: a customer named after the company (or the person), its user and account",
    )
    def post(self, request):
        if not request.user.organization_id:
            raise DjangoValidationError("A storefront sign-up is made for an organization; this user has none.")
        body = SignUpSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        organization = Organization.objects.get(pk=request.user.organization_id)
        user = storefront_services.storefront_sign_up(organization=organization, **body.validated_data)
        user = CustomerUser.objects.select_related("customer").get(pk=user.pk)
        return Response(
            SignedUpSerializer(
                {"customer_user": user.pk, "customer": user.customer_id, "account": user.customer.account_id}
            ).data,
            status=status.HTTP_201_CREATED,
        )


class ListLineSerializer(ModelSerializer):
    class Meta:
        model = ShoppingListLine
        fields = ["id", "product", "quantity"]
        read_only_fields = fields


class ShoppingListSerializer(ModelSerializer):
    lines = ListLineSerializer(many=True, read_only=True)

    class Meta:
        model = ShoppingList
        fields = ["id", "name", "customer", "customer_user", "lines", "created_at", "updated_at"]
        read_only_fields = fields


class RequestLineSerializer(ModelSerializer):
    class Meta:
        model = RequestForQuoteLine
        fields = ["id", "product", "quantity"]
        read_only_fields = fields


class RequestForQuoteSerializer(ModelSerializer):
    lines = RequestLineSerializer(many=True, read_only=True)

    class Meta:
        model = RequestForQuote
        fields = ["id", "number", "customer", "customer_user", "shopping_list", "note", "status", "lines", "created_at"]
        read_only_fields = fields


class QuoteLineSerializer(ModelSerializer):
    product = IdField(selector=product_list, model=Product)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY)
    unit_price = amount_field(required=False, help_text="Defaults to the product's price (in the same currency).")

    class Meta:
        model = QuoteLine
        fields = ["id", "product", "quantity", "unit_price", "amount"]
        read_only_fields = ["id", "amount"]


class QuoteSerializer(ModelSerializer):
    """A quote: made for a customer, or from a request for quote (its customer and lines' products)."""

    customer = customer_field(required=False)
    customer_user = IdField(selector=customer_user_list, model=CustomerUser, required=False, allow_null=True)
    request = IdField(selector=selectors.request_for_quote_list, model=RequestForQuote, required=False, allow_null=True)
    owner = owner_field()
    lines = QuoteLineSerializer(many=True, allow_empty=False, max_length=MAX_LINES)
    currency = StrictCharField(required=False, min_length=3, max_length=3)
    valid_until = serializers.DateField()

    class Meta:
        model = Quote
        fields = [
            "id",
            "number",
            "customer",
            "customer_user",
            "request",
            "currency",
            "lines",
            "subtotal",
            "valid_until",
            "status",
            "order",
            "accepted_at",
            "owner",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "number",
            "subtotal",
            "status",
            "order",
            "accepted_at",
            "version",
            "created_at",
            "updated_at",
        ]


class _ReadViewSet(ServiceErrorsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated]
    # The FilterSet's own ordering only (as every list of the API), documented with its choices.
    filter_backends = [DjangoFilterBackend]
    selector = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return type(self).selector(actor=self.request.user)

    def filter_queryset(self, queryset):
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)


class ShoppingListViewSet(_ReadViewSet):
    """Customer users' shopping lists (written in the storefront only)."""

    queryset = ShoppingList.objects.none()
    serializer_class = ShoppingListSerializer
    filterset_class = ShoppingListFilter
    selector = selectors.shopping_list_detail_list


class RequestForQuoteViewSet(_ReadViewSet):
    """Requests for quote sent from the storefront."""

    queryset = RequestForQuote.objects.none()
    serializer_class = RequestForQuoteSerializer
    filterset_class = RequestForQuoteFilter
    selector = selectors.request_for_quote_detail_list


QUOTE_ACTION_RESPONSES = {200: QuoteSerializer, 409: ErrorResponse409Serializer}


class QuoteViewSet(mixins.CreateModelMixin, _ReadViewSet):
    """Quotes: POST makes one (from a request for quote or for a customer); accept places its order."""

    queryset = Quote.objects.none()
    serializer_class = QuoteSerializer
    filterset_class = QuoteFilter
    selector = selectors.quote_detail_list

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        lines = [
            quote_services.QuoteLineInput(
                product=line["product"], quantity=line["quantity"], unit_price=line.get("unit_price")
            )
            for line in data.pop("lines")
        ]
        if "currency" in data:
            data["currency"] = data["currency"].upper()
        quote = quote_services.quote_create(actor=self.request.user, lines=lines, **data)
        serializer.instance = self.get_queryset().get(pk=quote.pk)

    def _transition(self, run):
        quote = self.get_object()
        try:
            run(quote)
        except DjangoValidationError as error:
            if hasattr(error, "error_dict") and set(error.error_dict) != {"status"}:
                raise
            raise Conflict(" ".join(error.messages)) from None
        return self.get_queryset().get(pk=quote.pk)

    @extend_schema(
        request=None,
        responses={200: OrderSerializer, 409: ErrorResponse409Serializer},
        summary="Accept an open, valid quote: its order is placed at the quoted prices",
    )
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        quote = self._transition(lambda quote: quote_services.quote_accept(actor=request.user, quote=quote))
        return Response(OrderSerializer(quote.order, context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses=QUOTE_ACTION_RESPONSES, summary="Withdraw an open quote")
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        quote = self._transition(lambda quote: quote_services.quote_cancel(actor=request.user, quote=quote))
        return Response(self.get_serializer(quote).data)
