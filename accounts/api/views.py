"""CRM REST API: thin viewsets that read through the selectors and write through the services."""

import re

from django.core.exceptions import NON_FIELD_ERRORS, ObjectDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Prefetch
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.fields import get_error_detail
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.api import serializers
from accounts.choices import OpportunityStatus
from accounts.filters import (
    AccountFilter,
    BusinessCustomerFilter,
    ContactFilter,
    EventFilter,
    LeadFilter,
    NoteFilter,
    OpportunityFilter,
    TaskFilter,
)
from accounts.models import (
    Account,
    BusinessCustomer,
    CalendarEvent,
    Channel,
    Contact,
    Lead,
    Note,
    Opportunity,
    Task,
)
from backoffice.access import can_write
from backoffice.models import User
from backoffice.records import StaleRecordError


def drf_validation_error(error: DjangoValidationError, field_map: dict[str, str] | None = None):
    """A service's Django ValidationError as a DRF one, keyed by the API's field names.

    Field-keyed errors keep their field (renamed through `field_map` where the API names it
    differently); errors without a field become `non_field_errors`, as DRF reports its own.
    """
    field_map = field_map or {}
    detail = get_error_detail(error)
    if isinstance(detail, list):
        return exceptions.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: detail})
    keyed: dict[str, list] = {}
    for field, messages in detail.items():
        key = api_settings.NON_FIELD_ERRORS_KEY if field == NON_FIELD_ERRORS else field_map.get(field, field)
        keyed.setdefault(key, []).extend(messages)
    return exceptions.ValidationError(keyed)


class ServiceErrorsMixin:
    """Answers the services' Django exceptions like DRF's own: 400 with field names, 403 with the reason."""

    # Model field name in a service error -> field name in the API.
    error_field_map: dict[str, str] = {}

    def handle_exception(self, exc):
        if isinstance(exc, StaleRecordError):
            exc = PreconditionFailed(" ".join(exc.messages))
        elif isinstance(exc, DjangoValidationError):
            exc = drf_validation_error(exc, self.error_field_map)
        elif isinstance(exc, DjangoPermissionDenied):
            exc = exceptions.PermissionDenied(str(exc) or None)
        elif isinstance(exc, ObjectDoesNotExist):
            exc = exceptions.NotFound(str(exc) or None)  # deleted by someone else meanwhile
        return super().handle_exception(exc)


class Conflict(exceptions.APIException):
    """A delete refused because other records depend on the row: nothing was deleted."""

    status_code = 409
    default_detail = "Other records depend on this one."
    default_code = "conflict"


class PreconditionFailed(exceptions.APIException):
    """The record changed after the version named in If-Match: nothing was written."""

    status_code = 412
    default_detail = "The record was changed by someone else; read it again and retry."
    default_code = "precondition_failed"


# The ETag a read gives ("7"), weak or without its quotes too; the schema's pattern says the same.
IF_MATCH_VERSION = re.compile(r'(?:W/)?"?([0-9]{1,18})"?', re.ASCII)

IF_MATCH = OpenApiParameter(
    "If-Match",
    {"type": "string", "pattern": r'^\s*(\*|(W/)?"?[0-9]{1,18}"?)?\s*$'},
    location=OpenApiParameter.HEADER,
    required=False,
    description=('The ETag (the record\'s "version") read before, or * (any); a record changed since answers 412.'),
)


def version_from_if_match(value: str) -> int:
    """The version in an If-Match header such as "7" or W/"7"; 400 naming the header otherwise."""
    # ASCII digits only, and few enough for a version: int() of thousands of digits raises.
    match = IF_MATCH_VERSION.fullmatch(value.strip())
    if match is None:
        raise exceptions.ValidationError({"If-Match": 'Send the ETag from the last read, such as "7".'})
    return int(match.group(1))


class CanWriteRecord(BasePermission):
    """Everyone of the organization reads; only who may write the row (owner, manager, admin) changes it.

    The services check the same rule; checking it here first answers 403 before any input validation.
    """

    message = "You can change only the records you own or are assigned."

    def has_object_permission(self, request, view, obj) -> bool:
        return request.method in SAFE_METHODS or can_write(request.user, obj)


class CanManageOrganization(BasePermission):
    """Reads for everyone of the organization; changes for sales managers and organization admins."""

    message = "Only sales managers and admins change the organization's settings."

    def has_permission(self, request, view) -> bool:
        return request.method in SAFE_METHODS or request.user.can_manage_organization


class RecordViewSet(ServiceErrorsMixin, viewsets.ModelViewSet):
    """CRUD over one record type: rows from `selector`, writes through `save_record` / `delete_record`."""

    permission_classes = [IsAuthenticated, CanWriteRecord]
    filter_backends = [DjangoFilterBackend]
    selector = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return self.list_queryset(type(self).selector(actor=self.request.user))

    def list_queryset(self, queryset):
        """Extra prefetches the output needs (kept constant per page, never per row)."""
        return queryset

    def save_record(self, *, actor: User, data: dict, instance=None):
        raise NotImplementedError

    def delete_record(self, *, actor: User, instance) -> None:
        services.record_delete(actor=actor, instance=instance)

    def _reloaded(self, instance):
        # Read back through the selector so the answer has the same shape (and prefetches) as a GET.
        return self.get_queryset().get(pk=instance.pk)

    def perform_create(self, serializer):
        instance = self.save_record(actor=self.request.user, data=dict(serializer.validated_data))
        serializer.instance = self._reloaded(instance)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        if_match = self.request.headers.get("If-Match")
        if if_match and if_match.strip() != "*":
            data["version"] = version_from_if_match(if_match)
        instance = self.save_record(actor=self.request.user, data=data, instance=serializer.instance)
        serializer.instance = self._reloaded(instance)

    @extend_schema(parameters=[IF_MATCH])
    def update(self, request, *args, **kwargs):
        return super().update(request, *args, **kwargs)

    @extend_schema(parameters=[IF_MATCH])
    def partial_update(self, request, *args, **kwargs):
        return super().partial_update(request, *args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        # One record's version is its ETag, for If-Match on the next write.
        if self.action in ("retrieve", "update", "partial_update") and isinstance(response.data, dict):
            if response.status_code < 300 and "version" in response.data:
                response["ETag"] = f'"{response.data["version"]}"'
        return response

    def perform_destroy(self, instance):
        try:
            self.delete_record(actor=self.request.user, instance=instance)
        except DjangoValidationError as error:
            # Nothing in the request is wrong: the row's dependants are (such as a customer's deals).
            raise Conflict(" ".join(error.messages))

    def filter_queryset(self, queryset):
        # Filters (and the default "active only") shape lists; one record is found by id, archived or not.
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)


class ArchiveMixin:
    """POST {id}/archive/ and {id}/restore/: with the same rights as editing, and recorded in the change log."""

    @extend_schema(request=None, summary="Archive the record (it leaves lists, pickers, calendars and boards)")
    @action(detail=True, methods=["post"])
    def archive(self, request, pk=None):
        instance = services.record_archive(actor=request.user, instance=self.get_object())
        return Response(self.get_serializer(self._reloaded(instance)).data)

    @extend_schema(request=None, summary="Restore an archived record")
    @action(detail=True, methods=["post"])
    def restore(self, request, pk=None):
        instance = services.record_restore(actor=request.user, instance=self.get_object())
        return Response(self.get_serializer(self._reloaded(instance)).data)


class AccountViewSet(ArchiveMixin, RecordViewSet):
    """Accounts of the caller's organization."""

    queryset = Account.objects.none()
    serializer_class = serializers.AccountSerializer
    filterset_class = AccountFilter
    selector = selectors.account_list

    def list_queryset(self, queryset):
        return queryset.prefetch_related(Prefetch("contacts", queryset=Contact.objects.only("id")))

    def save_record(self, *, actor, data, instance=None):
        return services.account_save(actor=actor, data=data, account=instance)


# The primary e-mail and phone are kept by the services from the lists the API takes, so the
# services' errors about them (or about one phone row) concern those lists.
CONTACT_POINTS_ERROR_FIELDS = {"email": "emails", "phone": "phones", "number": "phones", "phone_type": "phones"}


def pop_contact_points(data: dict) -> tuple[list[str] | None, list[tuple[str, str]] | None]:
    """Take the `emails` and `phones` lists out of validated data, as the services want them (None: not sent)."""
    emails = data.pop("emails", None)
    phones = data.pop("phones", None)
    if phones is not None:
        phones = [(str(phone["number"]), phone["phone_type"]) for phone in phones]
    return emails, phones


class ContactViewSet(ArchiveMixin, RecordViewSet):
    """Contacts with their e-mails and phones."""

    queryset = Contact.objects.none()
    serializer_class = serializers.ContactSerializer
    filterset_class = ContactFilter
    selector = selectors.contact_detail_list
    error_field_map = CONTACT_POINTS_ERROR_FIELDS

    def get_serializer_class(self):
        return serializers.ContactListSerializer if self.action == "list" else serializers.ContactSerializer

    def get_queryset(self):
        if self.action == "list" and not getattr(self, "swagger_fake_view", False):
            # Lists stay at two queries (count, page): the primary e-mail and phone live on the row, and the
            # owner is only an id. Plug-ins read every e-mail and phone from contacts/{id}/.
            return selectors.contact_list(actor=self.request.user).select_related(None)
        return super().get_queryset()

    def save_record(self, *, actor, data, instance=None):
        emails, phones = pop_contact_points(data)
        addresses = data.pop("addresses", None)
        return services.contact_save(
            actor=actor, data=data, contact=instance, emails=emails, phones=phones, addresses=addresses
        )


class BusinessCustomerViewSet(RecordViewSet):
    """Business (B2B) customers."""

    queryset = BusinessCustomer.objects.none()
    serializer_class = serializers.BusinessCustomerSerializer
    filterset_class = BusinessCustomerFilter
    # Lists prefetch the e-mails and phones: two queries more per page, whatever its size.
    selector = selectors.business_customer_detail_list
    error_field_map = CONTACT_POINTS_ERROR_FIELDS

    def save_record(self, *, actor, data, instance=None):
        emails, phones = pop_contact_points(data)
        return services.business_customer_save(actor=actor, data=data, customer=instance, emails=emails, phones=phones)


class LeadViewSet(ArchiveMixin, RecordViewSet):
    """Leads; POST leads/{id}/convert/ opens an opportunity from one."""

    queryset = Lead.objects.none()
    serializer_class = serializers.LeadSerializer
    filterset_class = LeadFilter
    selector = selectors.lead_list

    def save_record(self, *, actor, data, instance=None):
        return services.lead_save(actor=actor, data=data, lead=instance)

    @extend_schema(
        request=serializers.LeadConvertSerializer,
        responses={201: serializers.OpportunitySerializer},
        summary="Convert a lead into an opportunity",
    )
    @action(detail=True, methods=["post"])
    def convert(self, request, pk=None):
        """Use the given account and contact (else reuse or create the lead's) and open an opportunity linked to the
        lead, with the amount and close date given."""
        lead = self.get_object()
        options = serializers.LeadConvertSerializer(data=request.data, context=self.get_serializer_context())
        options.is_valid(raise_exception=True)
        opportunity = services.lead_convert(
            actor=request.user,
            lead=lead,
            account=options.validated_data.get("account"),
            contact=options.validated_data.get("contact"),
            opportunity_name=options.validated_data.get("opportunity_name", ""),
            budget_amount=options.validated_data.get("budget_amount"),
            budget_currency=options.validated_data.get("budget_currency", "").upper(),
            expected_close_date=options.validated_data.get("expected_close_date"),
        )
        opportunity = OpportunityViewSet.reload(actor=request.user, opportunity=opportunity)
        output = serializers.OpportunitySerializer(opportunity, context=self.get_serializer_context())
        return Response(output.data, status=status.HTTP_201_CREATED)


class OpportunityViewSet(ArchiveMixin, RecordViewSet):
    """Opportunities; POST opportunities/{id}/status/ moves one to another status."""

    queryset = Opportunity.objects.none()
    serializer_class = serializers.OpportunitySerializer
    filterset_class = OpportunityFilter
    selector = selectors.opportunity_list
    # The service resolves the customer object into the generic pair; the API names it by its id.
    error_field_map = {"customer": "customer_id"}

    def list_queryset(self, queryset):
        return queryset.prefetch_related("customer")

    @staticmethod
    def reload(*, actor: User, opportunity: Opportunity) -> Opportunity:
        """The opportunity read back through the selector, with its customer."""
        return selectors.opportunity_list(actor=actor).prefetch_related("customer").get(pk=opportunity.pk)

    def save_record(self, *, actor, data, instance=None):
        return services.opportunity_save(actor=actor, data=data, opportunity=instance)

    def delete_record(self, *, actor, instance) -> None:
        services.opportunity_delete(actor=actor, opportunity=instance)

    @extend_schema(
        request=serializers.OpportunityStatusSerializer,
        responses={200: serializers.OpportunitySerializer},
        summary="Move an opportunity to another status",
    )
    @action(detail=True, methods=["post"], url_path="status")
    def change_status(self, request, pk=None):
        """The probability moves to the new status's default only if it still was the old status's default."""
        opportunity = self.get_object()
        body = serializers.OpportunityStatusSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        opportunity = services.opportunity_change_status(
            actor=request.user, opportunity=opportunity, status=body.validated_data["status"]
        )
        output = self.get_serializer(self.reload(actor=request.user, opportunity=opportunity))
        return Response(output.data)


class ActivityViewSet(RecordViewSet):
    """Tasks, events and notes: the related record is any registered record type."""

    error_field_map = {"related": "related_id"}

    def list_queryset(self, queryset):
        return queryset.prefetch_related("related")

    def delete_record(self, *, actor, instance) -> None:
        services.activity_delete(actor=actor, activity=instance)


class TaskViewSet(ArchiveMixin, ActivityViewSet):
    """Tasks assigned to reps."""

    queryset = Task.objects.none()
    serializer_class = serializers.TaskSerializer
    filterset_class = TaskFilter
    selector = selectors.task_list

    def save_record(self, *, actor, data, instance=None):
        return services.task_save(actor=actor, data=data, task=instance)


class CalendarEventViewSet(ArchiveMixin, ActivityViewSet):
    """Calendar events with their attendees."""

    queryset = CalendarEvent.objects.none()
    serializer_class = serializers.CalendarEventSerializer
    filterset_class = EventFilter
    selector = selectors.event_list

    def save_record(self, *, actor, data, instance=None):
        return services.event_save(actor=actor, data=data, event=instance)


class NoteViewSet(ActivityViewSet):
    """Notes attached to records."""

    queryset = Note.objects.none()
    serializer_class = serializers.NoteSerializer
    filterset_class = NoteFilter
    selector = selectors.note_list

    def save_record(self, *, actor, data, instance=None):
        return services.note_save(actor=actor, data=data, note=instance)


class ChannelViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Channels (sources of customers) of the caller's organization; read-only."""

    queryset = Channel.objects.none()
    serializer_class = serializers.ChannelSerializer
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return selectors.channel_list(actor=self.request.user)


class StatusProbabilityView(ServiceErrorsMixin, APIView):
    """The organization's default probability of each opportunity status (managers and admins change them)."""

    permission_classes = [IsAuthenticated, CanManageOrganization]

    def _current(self, request) -> dict:
        values = services.status_probabilities(organization_id=request.user.organization_id)
        rows = [
            {"status": choice.value, "label": choice.label, "probability": values[choice.value]}
            for choice in OpportunityStatus
        ]
        return serializers.StatusProbabilitiesSerializer({"probabilities": rows}).data

    @extend_schema(responses={200: serializers.StatusProbabilitiesSerializer})
    def get(self, request):
        return Response(self._current(request))

    @extend_schema(
        request=serializers.StatusProbabilitiesSerializer,
        responses={200: serializers.StatusProbabilitiesSerializer},
        description="Give the statuses to change (the others keep their value); answers with all of them.",
    )
    def put(self, request):
        body = serializers.StatusProbabilitiesSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with transaction.atomic():  # all of the list or none of it
            for item in body.validated_data["probabilities"]:
                services.status_probability_set(
                    actor=request.user, status=item["status"], probability=item["probability"]
                )
        return Response(self._current(request))
