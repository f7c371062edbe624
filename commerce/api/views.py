"""Commerce REST API: thin viewsets that read through the selectors and write through the commerce services."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from accounts.api.views import Conflict, RecordViewSet, ServiceErrorsMixin
from backoffice.models import Job
from backoffice.models.integration import ACTIVE_JOB_STATES
from backoffice.records import record_delete
from backoffice.schema import ErrorResponse409Serializer
from commerce import services
from commerce.api import selectors, serializers
from commerce.api.filters import CustomerFilter, CustomerGroupFilter, CustomerUserFilter, OrderFilter, ProductFilter
from commerce.api.selector_errors import UnavailableResponseSerializer, unavailable_response
from commerce.choices import OrderStatus
from commerce.models import CommerceCustomer, CustomerGroup, CustomerUser, Order, Product
from commerce.selector import SelectorUnavailable
from commerce.services import LineInput
from commerce.services.crm_orders import order_crm_reference_set
from commerce.services.strategy import RELATION_JOB

# Writes that change a record but never remove one (customers and their users are kept for their history).
NO_DELETE = ["get", "post", "put", "patch", "head", "options"]


class CommerceRecordViewSet(RecordViewSet):
    """A commerce record type: reads by its selector, writes through its service, deletes by the shared rule."""

    def delete_record(self, *, actor, instance) -> None:
        record_delete(actor=actor, instance=instance)


class CustomerViewSet(CommerceRecordViewSet):
    """Commerce customers in hierarchies; each belongs to one CRM account (the strategy gives it on creation)."""

    queryset = CommerceCustomer.objects.none()
    serializer_class = serializers.CustomerSerializer
    filterset_class = CustomerFilter
    selector = selectors.customer_detail_list
    http_method_names = NO_DELETE

    def save_record(self, *, actor, data, instance=None):
        if instance is None:
            data.pop("version", None)
            return services.customer_create(actor=actor, **data)
        return services.customer_update(actor=actor, customer=instance, data=data)

    @extend_schema(
        request=serializers.CustomerMoveSerializer,
        responses={200: serializers.CustomerSerializer},
        summary="Move a customer to another account (both accounts' lifetime values follow)",
    )
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        customer = self.get_object()
        body = serializers.CustomerMoveSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        customer = services.customer_move_account(
            actor=request.user, customer=customer, account=body.validated_data["account"]
        )
        return Response(self.get_serializer(self._reloaded(customer)).data)


class CustomerGroupViewSet(CommerceRecordViewSet):
    """Customer groups (managers and admins change them)."""

    queryset = CustomerGroup.objects.none()
    serializer_class = serializers.CustomerGroupSerializer
    filterset_class = CustomerGroupFilter
    selector = selectors.customer_group_list

    def save_record(self, *, actor, data, instance=None):
        return services.customer_group_save(actor=actor, data=data, group=instance)


class CustomerUserViewSet(CommerceRecordViewSet):
    """Storefront users of customers; the password is write-only."""

    queryset = CustomerUser.objects.none()
    serializer_class = serializers.CustomerUserSerializer
    filterset_class = CustomerUserFilter
    selector = selectors.customer_user_list
    http_method_names = NO_DELETE

    def save_record(self, *, actor, data, instance=None):
        password = data.pop("password", None)
        if instance is None:
            data.pop("version", None)
            return services.customer_user_create(actor=actor, password=password, **data)
        return services.customer_user_update(actor=actor, customer_user=instance, data=data, password=password)


class ProductViewSet(CommerceRecordViewSet):
    """Products (SKU unique in the organization); managers and admins change them."""

    queryset = Product.objects.none()
    serializer_class = serializers.ProductSerializer
    filterset_class = ProductFilter
    selector = selectors.product_list

    def save_record(self, *, actor, data, instance=None):
        return services.product_save(actor=actor, data=data, product=instance)


def _conflict_unless_field(error: DjangoValidationError) -> Exception:
    """A refused transition (no field to blame: the order's state) is a conflict; a bad field stays a 400."""
    if hasattr(error, "error_dict") and set(error.error_dict) != {"status"}:
        return error
    return Conflict(" ".join(error.messages))


ORDER_ACTION_RESPONSES = {200: serializers.OrderSerializer, 409: ErrorResponse409Serializer}


class OrderViewSet(CommerceRecordViewSet):
    """Orders with their lines; POST places one, pay/refund/cancel/ship/close move it on, DELETE removes it."""

    queryset = Order.objects.none()
    serializer_class = serializers.OrderSerializer
    filterset_class = OrderFilter
    selector = selectors.order_detail_list
    http_method_names = ["get", "post", "delete", "head", "options"]

    def delete_record(self, *, actor, instance) -> None:
        services.order_delete(actor=actor, order=instance)

    def save_record(self, *, actor, data, instance=None):
        lines = [
            LineInput(product=line["product"], quantity=line["quantity"], unit_price=line.get("unit_price"))
            for line in data.pop("lines")
        ]
        data.pop("version", None)
        if "currency" in data:
            data["currency"] = data["currency"].upper()
        return services.order_place(actor=actor, lines=lines, **data)

    def _transition(self, request, run):
        order = self.get_object()
        try:
            run(order)
        except DjangoValidationError as error:
            raise _conflict_unless_field(error) from None
        return Response(self.get_serializer(self._reloaded(order)).data)

    @extend_schema(
        request=serializers.OrderPaySerializer,
        responses=ORDER_ACTION_RESPONSES,
        summary="Record a payment (at most what is still open)",
    )
    @action(detail=True, methods=["post"])
    def pay(self, request, pk=None):
        body = serializers.OrderPaySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._transition(
            request, lambda order: services.order_pay(actor=request.user, order=order, **body.validated_data)
        )

    @extend_schema(
        request=serializers.OrderRefundSerializer,
        responses=ORDER_ACTION_RESPONSES,
        summary="Refund part or all of what was paid for an order paid in full",
    )
    @action(detail=True, methods=["post"])
    def refund(self, request, pk=None):
        body = serializers.OrderRefundSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._transition(
            request, lambda order: services.order_refund(actor=request.user, order=order, **body.validated_data)
        )

    @extend_schema(request=None, responses=ORDER_ACTION_RESPONSES, summary="Cancel an open or shipped order")
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._transition(request, lambda order: services.order_cancel(actor=request.user, order=order))

    @extend_schema(
        request=serializers.OrderCrmReferenceSerializer,
        responses={**ORDER_ACTION_RESPONSES, 503: UnavailableResponseSerializer},
        summary="Give an order of the anonymous customer its customer's CRM reference (read from the CRM)",
    )
    @action(detail=True, methods=["post"], url_path="crm-reference")
    def crm_reference(self, request, pk=None):
        order = self.get_object()
        body = serializers.OrderCrmReferenceSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            order_crm_reference_set(actor=request.user, order=order, reference=body.validated_data["reference"])
        except SelectorUnavailable as error:
            return unavailable_response(error)
        return Response(self.get_serializer(self._reloaded(order)).data)

    @extend_schema(request=None, responses=ORDER_ACTION_RESPONSES, summary="Mark an open order shipped")
    @action(detail=True, methods=["post"])
    def ship(self, request, pk=None):
        return self._transition(
            request,
            lambda order: services.order_update(actor=request.user, order=order, data={"status": OrderStatus.SHIPPED}),
        )

    @extend_schema(request=None, responses=ORDER_ACTION_RESPONSES, summary="Close an open or shipped order")
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return self._transition(
            request,
            lambda order: services.order_update(actor=request.user, order=order, data={"status": OrderStatus.CLOSED}),
        )


def _organization_id(request) -> int:
    if not request.user.organization_id:
        raise exceptions.PermissionDenied("The account-creation strategy is per organization; this user has none.")
    return request.user.organization_id


class AccountStrategyView(ServiceErrorsMixin, APIView):
    """The account-creation strategy: everyone of the organization reads it; organization admins change it.

    A change queues one job that re-relates every customer; follow it at `job_url` (GET /api/jobs/{id}/).
    """

    permission_classes = [IsAuthenticated]

    def _body(self, request, job: Job | None = None) -> dict:
        strategy = services.account_strategy_get(organization_id=_organization_id(request))
        if job is None:
            job = (
                Job.objects.filter(
                    organization_id=request.user.organization_id, kind=RELATION_JOB, state__in=ACTIVE_JOB_STATES
                )
                .order_by("-pk")
                .first()
            )
        url = reverse("api-job-detail", kwargs={"pk": job.pk}, request=request) if job else None
        return {"strategy": strategy, "job": job.pk if job else None, "job_url": url}

    @extend_schema(responses={200: serializers.AccountStrategySerializer})
    def get(self, request):
        return Response(serializers.AccountStrategySerializer(self._body(request)).data)

    @extend_schema(
        request=serializers.AccountStrategySerializer,
        responses={200: serializers.AccountStrategySerializer},
        description=(
            "Organization admins only. A new strategy queues the re-relation of every customer (its job in `job`); "
            "the same strategy again changes nothing. Preview first with GET account-strategy/preview/."
        ),
    )
    def put(self, request):
        _organization_id(request)
        body = serializers.AccountStrategySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.account_strategy_update(actor=request.user, strategy=body.validated_data["strategy"])
        return Response(serializers.AccountStrategySerializer(self._body(request)).data)


class AccountStrategyPreviewView(ServiceErrorsMixin, APIView):
    """What a change to `strategy` would do before it is saved: customers that move, accounts to be made."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[serializers.AccountStrategyQuerySerializer],
        responses={200: serializers.AccountStrategyPreviewSerializer},
    )
    def get(self, request):
        query = serializers.AccountStrategyQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        strategy = query.validated_data["strategy"]
        preview = services.account_strategy_preview(organization_id=_organization_id(request), strategy=strategy)
        return Response(serializers.AccountStrategyPreviewSerializer({"strategy": strategy, **preview}).data)


class WebStoreBatchView(ServiceErrorsMixin, APIView):
    """Upsert web store customers and orders by their ids in the store, up to 1,000 of each per call.

    Every record gets a result (created, updated, unchanged, or refused with its reasons, the others being
    written); sending the same batch again changes nothing. A list longer than 1,000 answers 400 naming it.
    """

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=serializers.WebStoreBatchSerializer,
        responses={200: serializers.WebStoreBatchResultSerializer},
        summary="Upsert a batch of web store customers and orders",
    )
    def post(self, request):
        body = serializers.WebStoreBatchSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        result = services.web_store_ingest(
            actor=request.user,
            customers=[dict(row) for row in body.validated_data["customers"]],
            orders=[dict(row) for row in body.validated_data["orders"]],
        )
        return Response(serializers.WebStoreBatchResultSerializer(result).data)
