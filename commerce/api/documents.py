"""REST API of shipments and invoices under /api/commerce/: list and read them, make one from order ids, move it on.

Thin like the rest of the API: the serializers check the input (ids only among the caller's organization),
the services decide (one customer, not cancelled, each line once), and their refusals answer 400 naming
`orders` or `lines`; a refused transition of a document's state (shipped already, paid already) answers 409.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.api.serializers.fields import StrictBooleanField
from accounts.api.views import Conflict, RecordViewSet
from backoffice.schema import ErrorResponse409Serializer
from commerce import documents_queries as queries
from commerce.api import selectors
from commerce.api.serializers import IdField
from commerce.models import Invoice, InvoiceLine, Order, OrderLine, Shipment, ShipmentLine
from commerce.services import documents as services
from commerce.services.documents import MAX_DOCUMENT_LINES, MAX_DOCUMENT_ORDERS


def _order_ids(document) -> list[int]:
    """The ids of the orders a document carries, from its prefetched lines (no query)."""
    return sorted({line.order_id for line in document.lines.all()})


class ShipmentLineSerializer(serializers.ModelSerializer):
    order_number = serializers.CharField(source="order.number", read_only=True)
    product_sku = serializers.CharField(source="product.sku", read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True)

    class Meta:
        model = ShipmentLine
        fields = ["id", "order", "order_number", "order_line", "product", "product_sku", "product_name", "quantity"]
        read_only_fields = fields


class ShipmentSerializer(serializers.ModelSerializer):
    """A shipment with the order lines it carries."""

    customer_name = serializers.CharField(source="customer.name", read_only=True)
    orders = serializers.SerializerMethodField()
    lines = ShipmentLineSerializer(many=True, read_only=True)

    class Meta:
        model = Shipment
        fields = [
            "id",
            "number",
            "customer",
            "customer_name",
            "crm_reference",
            "status",
            "shipped_at",
            "line_count",
            "quantity_total",
            "orders",
            "lines",
            "owner",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_orders(self, shipment) -> list[int]:
        return _order_ids(shipment)


class InvoiceLineSerializer(serializers.ModelSerializer):
    order_number = serializers.CharField(source="order.number", read_only=True)
    product_sku = serializers.CharField(source="product.sku", read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True)

    class Meta:
        model = InvoiceLine
        fields = [
            "id",
            "order",
            "order_number",
            "order_line",
            "product",
            "product_sku",
            "product_name",
            "quantity",
            "unit_price",
            "amount",
        ]
        read_only_fields = fields


class InvoiceSerializer(serializers.ModelSerializer):
    """An invoice with the order lines it bills; amounts are strings in its currency."""

    customer_name = serializers.CharField(source="customer.name", read_only=True)
    orders = serializers.SerializerMethodField()
    lines = InvoiceLineSerializer(many=True, read_only=True)

    class Meta:
        model = Invoice
        fields = [
            "id",
            "number",
            "customer",
            "customer_name",
            "crm_reference",
            "status",
            "issued_on",
            "due_on",
            "currency",
            "subtotal",
            "discount",
            "total",
            "orders",
            "lines",
            "owner",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_orders(self, invoice) -> list[int]:
        return _order_ids(invoice)


def _orders_field() -> serializers.ListField:
    return serializers.ListField(
        child=IdField(selector=selectors.order_list, model=Order),
        min_length=1,
        max_length=MAX_DOCUMENT_ORDERS,
        help_text="Ids of orders of one customer, none cancelled.",
    )


class ShipmentCreateSerializer(serializers.Serializer):
    """What to ship: orders of one customer and, optionally, which of their lines (all unshipped ones otherwise)."""

    orders = _orders_field()
    lines = serializers.ListField(
        child=IdField(selector=queries.order_line_list, model=OrderLine),
        required=False,
        min_length=1,
        max_length=MAX_DOCUMENT_LINES,
        help_text="Ids of lines of those orders not shipped yet; left out, every unshipped line.",
    )
    shipped = StrictBooleanField(default=False, help_text="true: the goods leave now (the shipment is shipped).")
    shipped_at = serializers.DateTimeField(required=False, help_text="When it left; now by default.")


class InvoiceCreateSerializer(serializers.Serializer):
    """What to bill: whole orders of one customer in one currency."""

    orders = _orders_field()
    issued_on = serializers.DateField(required=False, help_text="Today by default; within a year of today.")
    due_on = serializers.DateField(required=False, help_text="30 days after issue by default; at most 365.")


class ShipAtSerializer(serializers.Serializer):
    shipped_at = serializers.DateTimeField(required=False, help_text="When it left; now by default.")


STATE_RESPONSES = {409: ErrorResponse409Serializer}


class DocumentViewSet(RecordViewSet):
    """Read, make and move on one kind of document; documents are never edited field by field."""

    http_method_names = ["get", "post", "delete", "head", "options"]
    create_serializer = None

    def make(self, *, actor, data):
        raise NotImplementedError

    def create(self, request, *args, **kwargs):
        body = self.create_serializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        document = self.make(actor=request.user, data=dict(body.validated_data))
        return Response(self.get_serializer(self._reloaded(document)).data, status=status.HTTP_201_CREATED)

    def _transition(self, run):
        document = self.get_object()
        try:
            run(document)
        except DjangoValidationError as error:
            if hasattr(error, "error_dict") and set(error.error_dict) != {"status"}:
                raise
            raise Conflict(" ".join(error.messages)) from None
        return Response(self.get_serializer(self._reloaded(document)).data)


class ShipmentViewSet(DocumentViewSet):
    """Shipments: POST makes one from order ids, `ship` sends a pending one, DELETE removes a pending one."""

    queryset = Shipment.objects.none()
    serializer_class = ShipmentSerializer
    create_serializer = ShipmentCreateSerializer
    filterset_class = queries.ShipmentFilter
    selector = queries.shipment_detail_list

    def make(self, *, actor, data):
        return services.shipment_create(actor=actor, **data)

    def delete_record(self, *, actor, instance) -> None:
        services.shipment_delete(actor=actor, shipment=instance)

    @extend_schema(
        request=ShipmentCreateSerializer,
        responses={201: ShipmentSerializer},
        summary="Make a shipment from orders of one customer",
    )
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)

    @extend_schema(
        request=ShipAtSerializer,
        responses={200: ShipmentSerializer, **STATE_RESPONSES},
        summary="Send a pending shipment; orders with every line shipped become shipped",
    )
    @action(detail=True, methods=["post"])
    def ship(self, request, pk=None):
        body = ShipAtSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._transition(
            lambda shipment: services.shipment_ship(actor=request.user, shipment=shipment, **body.validated_data)
        )


class InvoiceViewSet(DocumentViewSet):
    """Invoices: POST bills whole orders of one customer, `pay` and `void` move an open one on."""

    queryset = Invoice.objects.none()
    serializer_class = InvoiceSerializer
    create_serializer = InvoiceCreateSerializer
    filterset_class = queries.InvoiceFilter
    selector = queries.invoice_detail_list
    http_method_names = ["get", "post", "head", "options"]

    def make(self, *, actor, data):
        return services.invoice_create(actor=actor, **data)

    @extend_schema(
        request=InvoiceCreateSerializer,
        responses={201: InvoiceSerializer},
        summary="Bill whole orders of one customer",
    )
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)

    @extend_schema(
        request=None, responses={200: InvoiceSerializer, **STATE_RESPONSES}, summary="Mark an open invoice paid"
    )
    @action(detail=True, methods=["post"])
    def pay(self, request, pk=None):
        return self._transition(lambda invoice: services.invoice_pay(actor=request.user, invoice=invoice))

    @extend_schema(
        request=None,
        responses={200: InvoiceSerializer, **STATE_RESPONSES},
        summary="Void an open invoice (its orders can be billed again)",
    )
    @action(detail=True, methods=["post"])
    def void(self, request, pk=None):
        return self._transition(lambda invoice: services.invoice_void(actor=request.user, invoice=invoice))
