"""The Outlook plug-in's REST API (username + API key): settings, its own connection, runs, status, alerts and
the preview. Every endpoint answers for the caller's own mailbox; organization admins may name any rep of
their organization with `?user=<id>` to read their status and runs."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.serializers.fields import StrictBooleanField
from accounts.api.views import drf_validation_error
from backoffice.models import User
from backoffice.org_settings import can_configure
from outlooksync.engine.records import Entity
from outlooksync.models import AlertState, OutlookConnection, Side, SyncAlert, SyncRun
from outlooksync.models import Entity as EntityChoice
from outlooksync.selectors import sync_status
from outlooksync.services import (
    alert_acknowledge,
    connection_get,
    connection_update,
    held_deletions_decide,
    plugin_latest,
    sync_request,
)
from outlooksync.settings_section import outlook_settings

ALERTS_PAGE = 100
RUNS_PAGE = 50


def _subject(request) -> User:
    """The caller, or the rep an organization admin names with ?user=."""
    user = request.user
    if not user.organization_id:
        raise exceptions.PermissionDenied("The Outlook synchronization is per organization; this user has none.")
    wanted = request.query_params.get("user")
    if wanted in (None, "", str(user.pk)):
        return user
    try:
        wanted_id = int(wanted)
    except ValueError:
        raise exceptions.ValidationError({"user": "A user id, such as 12."})
    if not can_configure(user):
        raise exceptions.PermissionDenied("Only organization admins read another rep's synchronization.")
    if not 0 < wanted_id < 2**63:
        raise exceptions.NotFound("No such user in your organization.")
    return get_object_or_404(User, pk=wanted_id, organization_id=user.organization_id)


USER_PARAMETER = OpenApiParameter(
    "user", int, required=False, description="Organization admins: the rep to read (default: the caller)"
)


class SettingsResponseSerializer(serializers.Serializer):
    sync_direction = serializers.ChoiceField(choices=["crm_to_outlook", "outlook_to_crm", "bidirectional"])
    conflict_resolution = serializers.ChoiceField(choices=Side.choices, help_text="The side that always wins")
    crm_sync_interval = serializers.IntegerField(help_text="Seconds between checks of the CRM side")
    outlook_sync_interval = serializers.IntegerField(help_text="Seconds between checks of the Outlook side")
    entities = serializers.DictField(child=serializers.BooleanField(), help_text="Entities synchronized")
    key_fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
    field_directions = serializers.DictField(child=serializers.DictField(child=serializers.CharField()))
    sync_enabled = serializers.BooleanField(help_text="Enable Sync: runs start at the intervals")
    show_alerts = serializers.BooleanField()
    plugin_download_url = serializers.CharField(allow_null=True)
    plugin_version = serializers.CharField(allow_null=True)


class SettingsView(APIView):
    """The effective Outlook settings for the caller (the organization's, with the caller's own switches)."""

    @extend_schema(responses={200: SettingsResponseSerializer}, operation_id="outlook_settings")
    def get(self, request):
        user = _subject(request)
        values = outlook_settings(organization_id=user.organization_id)
        connection = connection_get(user=user)
        release = plugin_latest(organization_id=user.organization_id)
        body = {
            "sync_direction": values["sync_direction"],
            "conflict_resolution": values["conflict_resolution"],
            "crm_sync_interval": values["crm_sync_interval"],
            "outlook_sync_interval": values["outlook_sync_interval"],
            "entities": {str(entity): bool(values[f"sync_{entity}s"]) for entity in Entity},
            "key_fields": {str(entity): list(values[f"{entity}_key_fields"]) for entity in Entity},
            "field_directions": {str(entity): dict(values[f"{entity}_fields"]) for entity in Entity},
            "sync_enabled": connection.sync_enabled,
            "show_alerts": connection.show_alerts,
            "plugin_download_url": request.build_absolute_uri(reverse("outlook-api-plugin")) if release else None,
            "plugin_version": release.version if release else None,
        }
        return Response(SettingsResponseSerializer(body).data)


class ConnectionSerializer(serializers.ModelSerializer):
    sync_enabled = StrictBooleanField(required=False, help_text="Enable Sync: runs start at the intervals")
    show_alerts = StrictBooleanField(required=False, help_text="Show the sync's alerts in the plug-in")

    class Meta:
        model = OutlookConnection
        fields = ["sync_enabled", "show_alerts", "disabled_by_admin", "mailbox", "crm_due_at", "outlook_due_at"]
        read_only_fields = ["disabled_by_admin", "mailbox", "crm_due_at", "outlook_due_at"]


class ConnectionView(APIView):
    """The plug-in's own settings: Enable Sync and Show Alerts."""

    @extend_schema(responses={200: ConnectionSerializer}, operation_id="outlook_connection_read")
    def get(self, request):
        return Response(ConnectionSerializer(connection_get(user=_subject(request))).data)

    @extend_schema(request=ConnectionSerializer, responses={200: ConnectionSerializer})
    def patch(self, request):
        serializer = ConnectionSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        try:
            connection = connection_update(actor=request.user, user=request.user, **serializer.validated_data)
        except DjangoPermissionDenied as error:
            raise exceptions.PermissionDenied(str(error))
        return Response(ConnectionSerializer(connection).data)


class SyncRequestSerializer(serializers.Serializer):
    entities = serializers.ListField(
        child=serializers.ChoiceField(choices=EntityChoice.choices),
        required=False,
        max_length=len(Entity),
        help_text="Entities to sync; all enabled ones when omitted",
    )
    resync = StrictBooleanField(
        required=False, default=False, help_text="Delete every synced item from Outlook, forget the links, sync anew"
    )


class RunSerializer(serializers.ModelSerializer):
    class Meta:
        model = SyncRun
        fields = [
            "id",
            "user",
            "state",
            "trigger",
            "entities",
            "sides",
            "resync",
            "triggers",
            "counts",
            "errors",
            "created_at",
            "started_at",
            "finished_at",
        ]


class SyncView(APIView):
    """Start sync now (or a resync): 202 with the run that will do it (a waiting run absorbs the request)."""

    @extend_schema(request=SyncRequestSerializer, responses={202: RunSerializer}, operation_id="outlook_sync_start")
    def post(self, request):
        serializer = SyncRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            run = sync_request(
                actor=request.user,
                user=request.user,
                trigger="plugin",
                entities=serializer.validated_data.get("entities"),
                resync=serializer.validated_data["resync"],
            )
        except DjangoValidationError as error:
            raise drf_validation_error(error)
        except DjangoPermissionDenied as error:
            raise exceptions.PermissionDenied(str(error))
        return Response(RunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class RunView(APIView):
    """A run's state, counts (per side and entity) and errors."""

    @extend_schema(responses={200: RunSerializer}, operation_id="outlook_sync_read")
    def get(self, request, pk: int):
        runs = SyncRun.objects.filter(organization_id=request.user.organization_id)
        if not can_configure(request.user):
            runs = runs.filter(user=request.user)
        return Response(RunSerializer(get_object_or_404(runs, pk=pk)).data)


class EntityStatusSerializer(serializers.Serializer):
    entity = serializers.CharField()
    enabled = serializers.BooleanField()
    crm_synced_at = serializers.DateTimeField(allow_null=True, help_text="Last successful sync of the CRM side")
    outlook_synced_at = serializers.DateTimeField(allow_null=True)
    links = serializers.IntegerField(help_text="Records linked with an Outlook item")


class StatusSerializer(serializers.Serializer):
    user = serializers.IntegerField()
    sync_enabled = serializers.BooleanField()
    disabled_by_admin = serializers.BooleanField()
    crm_due_at = serializers.DateTimeField(allow_null=True)
    outlook_due_at = serializers.DateTimeField(allow_null=True)
    entities = EntityStatusSerializer(many=True)
    last_run = RunSerializer(allow_null=True)


class StatusView(APIView):
    """Per entity: last successful sync of each side, next due times, number of links."""

    @extend_schema(parameters=[USER_PARAMETER], responses={200: StatusSerializer}, operation_id="outlook_status")
    def get(self, request):
        return Response(StatusSerializer(sync_status(_subject(request))).data)


class AlertSerializer(serializers.ModelSerializer):
    class Meta:
        model = SyncAlert
        fields = ["id", "user", "kind", "state", "message", "details", "run", "created_at", "decided_at"]


class AlertListView(APIView):
    """The caller's alerts, open ones first (the 100 newest); `?state=open` for those waiting only."""

    @extend_schema(
        parameters=[
            USER_PARAMETER,
            OpenApiParameter("state", str, required=False, enum=[state.value for state in AlertState]),
        ],
        responses={200: AlertSerializer(many=True)},
    )
    def get(self, request):
        alerts = SyncAlert.objects.filter(user=_subject(request))
        wanted = request.query_params.get("state")
        if wanted:
            if wanted not in AlertState.values:
                raise exceptions.ValidationError({"state": f"One of {', '.join(AlertState.values)}."})
            alerts = alerts.filter(state=wanted)
        return Response(AlertSerializer(alerts.order_by("-created_at", "-id")[:ALERTS_PAGE], many=True).data)


def _alert(request, pk: int) -> SyncAlert:
    alerts = SyncAlert.objects.filter(organization_id=request.user.organization_id)
    if not can_configure(request.user):
        alerts = alerts.filter(user=request.user)
    return get_object_or_404(alerts, pk=pk)


class AlertDecisionView(APIView):
    """Acknowledge an alert, or confirm or cancel the deletions a run held."""

    decision = "acknowledge"

    @extend_schema(request=None, responses={200: AlertSerializer})
    def post(self, request, pk: int):
        alert = _alert(request, pk)
        try:
            if self.decision == "acknowledge":
                alert = alert_acknowledge(actor=request.user, alert=alert)
            else:
                alert = held_deletions_decide(actor=request.user, alert=alert, confirm=self.decision == "confirm")
        except DjangoValidationError as error:
            raise drf_validation_error(error)
        except DjangoPermissionDenied as error:
            raise exceptions.PermissionDenied(str(error))
        return Response(AlertSerializer(alert).data)


class OutlookUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "outlook_unavailable"


class PreviewCountSerializer(serializers.Serializer):
    side = serializers.ChoiceField(choices=Side.choices, help_text="The side that would be written")
    entity = serializers.ChoiceField(choices=EntityChoice.choices)
    action = serializers.CharField(help_text="create, update, stamp, delete, archive, restore, link, unlink")
    count = serializers.IntegerField()


class AmbiguousMatchSerializer(serializers.Serializer):
    entity = serializers.CharField()
    side = serializers.CharField(help_text="The side of the record that matched several on the other side")
    name = serializers.CharField()
    matches = serializers.ListField(child=serializers.CharField())


class PreviewSerializer(serializers.Serializer):
    counts = PreviewCountSerializer(many=True)
    matched_by_key = serializers.DictField(child=serializers.IntegerField())
    ambiguous_matches = AmbiguousMatchSerializer(many=True)
    conflicts = serializers.DictField(child=serializers.IntegerField())
    held_deletions = serializers.IntegerField(help_text="Deletions the mass-deletion guard would hold")
    alerts = serializers.ListField(child=serializers.CharField())


class PreviewView(APIView):
    """What a sync would do now, written nowhere: counts per side, entity and action, key matches,
    ambiguous matches by name, conflicts and the deletions the guard would hold."""

    @extend_schema(request=None, responses={200: PreviewSerializer}, operation_id="outlook_preview")
    def post(self, request):
        from outlooksync.graph.errors import GraphError
        from outlooksync.runs import MailboxNotConfigured, sync_preview

        try:
            return Response(PreviewSerializer(sync_preview(actor=request.user, user=request.user)).data)
        except MailboxNotConfigured as error:
            raise exceptions.ValidationError({"non_field_errors": [str(error)]})
        except GraphError as error:
            raise OutlookUnavailable(f"Outlook could not be read: {error}")


class PluginDownloadView(APIView):
    """The organization's newest Outlook plug-in installer (the address the settings give)."""

    @extend_schema(responses={(200, "application/octet-stream"): bytes}, operation_id="outlook_plugin_download")
    def get(self, request):
        from outlooksync.views import plugin_response

        release = plugin_latest(organization_id=_subject(request).organization_id)
        if release is None:
            raise exceptions.NotFound("No Outlook plug-in has been uploaded yet.")
        return plugin_response(release)
