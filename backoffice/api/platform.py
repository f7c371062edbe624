"""API of what every app shares: the changes feed, jobs with progress and the organization's settings."""

import re

from django.core.validators import RegexValidator
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from backoffice.changelog import FEED_PAGE_DEFAULT, FEED_PAGE_MAX, CursorExpired, change_feed, change_types
from backoffice.changes import ChangeAction, jsonable
from backoffice.models import Job
from backoffice.org_settings import settings_sections, settings_state
from backoffice.schema import ErrorResponse410Serializer
from backoffice.selectors import organization_scope

MAX_CURSOR = 2**63 - 1


class ChangeEntrySerializer(serializers.Serializer):
    sequence = serializers.IntegerField(help_text="Commit order; keep the last one read as the cursor")
    type = serializers.CharField(help_text="Record type, such as contact, task or event")
    id = serializers.IntegerField(source="object_id", help_text="The record's id")
    action = serializers.ChoiceField(choices=ChangeAction.choices)
    version = serializers.IntegerField(help_text="The record's version after this change")
    changed_fields = serializers.ListField(child=serializers.CharField())
    values = serializers.DictField(help_text="New value of every changed field (every field on create)")
    old_owner = serializers.IntegerField(source="old_owner_id", allow_null=True)
    new_owner = serializers.IntegerField(source="new_owner_id", allow_null=True)
    actor = serializers.IntegerField(source="actor_id", allow_null=True, help_text="The user who made it, if any")
    origin = serializers.CharField(help_text="web, api, admin, import, system or an integration such as outlook")
    at = serializers.DateTimeField(source="created_at")


class ChangeFeedSerializer(serializers.Serializer):
    results = ChangeEntrySerializer(many=True)
    next_after = serializers.IntegerField(help_text="The cursor to send as `after` for the next page")
    has_more = serializers.BooleanField()


class ChangeFeedQuerySerializer(serializers.Serializer):
    after = serializers.IntegerField(
        min_value=0, max_value=MAX_CURSOR, default=0, help_text="The last sequence read (0 to start)"
    )
    types = serializers.CharField(
        required=False, allow_blank=True, max_length=500, help_text="Comma-separated record types; all when omitted"
    )
    exclude_origin = serializers.CharField(
        required=False, allow_blank=True, max_length=500, help_text="Comma-separated origins to leave out"
    )
    limit = serializers.IntegerField(
        min_value=1,
        max_value=FEED_PAGE_MAX,
        default=FEED_PAGE_DEFAULT,
        help_text=f"Entries per page, 1 to {FEED_PAGE_MAX}",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Comma-separated registered names, read now (apps register them when ready); the schema shows it.
        names = sorted(change_types.types)
        name = "|".join(re.escape(name) for name in names)
        self.fields["types"].validators.append(
            RegexValidator(
                rf"^\s*(?:(?:{name})\s*)?(?:,\s*(?:(?:{name})\s*)?)*$",
                f"Give record types separated by commas, among {', '.join(names)}.",
            )
        )

    def validate_types(self, value: str) -> list[str]:
        names = [name.strip() for name in value.split(",") if name.strip()]
        unknown = [name for name in names if name not in change_types.types]
        if unknown:
            raise serializers.ValidationError(
                f"Unknown type(s) {', '.join(unknown)}; choose among {', '.join(sorted(change_types.types))}."
            )
        return names

    def validate_exclude_origin(self, value: str) -> list[str]:
        return [name.strip() for name in value.split(",") if name.strip()][:20]


class CursorGone(exceptions.APIException):
    status_code = 410
    default_code = "cursor_expired"
    default_detail = "Entries after this cursor were pruned; read every record again."


class ChangeFeedView(APIView):
    """Changes of the caller's organization after a cursor, in commit order, with tombstones for deletes.

    Keep `next_after` and send it as `after` next time: no change is missed or repeated. Skip your own
    writes with `exclude_origin` (echo suppression).
    """

    @extend_schema(
        parameters=[ChangeFeedQuerySerializer],
        responses={200: ChangeFeedSerializer, 410: ErrorResponse410Serializer},
    )
    def get(self, request):
        query = ChangeFeedQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        if not request.user.organization_id:
            raise exceptions.PermissionDenied("The changes feed is per organization; this user has none.")
        try:
            page = change_feed(
                actor=request.user,
                after=query.validated_data["after"],
                types=query.validated_data.get("types") or None,
                exclude_origins=query.validated_data.get("exclude_origin"),
                limit=query.validated_data["limit"],
            )
        except CursorExpired as error:
            raise CursorGone(str(error))
        results = [
            {
                "sequence": entry.sequence,
                "type": page.names[entry.content_type_id],
                "object_id": entry.object_id,
                "action": entry.action,
                "version": entry.version,
                "changed_fields": list(entry.changes),
                "values": {name: pair[1] for name, pair in entry.changes.items()},
                "old_owner_id": entry.old_owner_id,
                "new_owner_id": entry.new_owner_id,
                "actor_id": entry.actor_id,
                "origin": entry.origin,
                "created_at": entry.created_at,
            }
            for entry in page.entries
        ]
        body = {"results": results, "next_after": page.next_cursor, "has_more": page.has_more}
        return Response(ChangeFeedSerializer(body).data)


class JobSerializer(serializers.ModelSerializer):
    percent = serializers.IntegerField(read_only=True)
    is_finished = serializers.BooleanField(read_only=True)

    class Meta:
        model = Job
        fields = [
            "id",
            "kind",
            "state",
            "done",
            "total",
            "percent",
            "is_finished",
            "result",
            "error",
            "requests",
            "created_at",
            "started_at",
            "finished_at",
        ]


class JobDetailView(APIView):
    """A job of the caller's organization: its state, progress and result."""

    @extend_schema(responses={200: JobSerializer})
    def get(self, request, pk: int):
        job = get_object_or_404(organization_scope(Job.objects.all(), actor=request.user), pk=pk)
        return Response(JobSerializer(job).data)


class SettingValueSerializer(serializers.Serializer):
    value = serializers.JSONField(allow_null=True)
    default = serializers.JSONField(allow_null=True)
    use_default = serializers.BooleanField()


class SettingsSectionSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    settings = serializers.DictField(child=SettingValueSerializer())


def _section_body(section, organization_id: int) -> dict:
    state = settings_state(organization_id=organization_id, section=section.key)
    for key in section.secret_keys:
        state[key] = {"value": None, "default": None, "use_default": state[key]["use_default"]}
    return {"key": section.key, "title": section.title, "settings": state}


class SettingsListView(APIView):
    """The organization's settings, every section: effective value, product default, whether it follows it."""

    @extend_schema(responses={200: SettingsSectionSerializer(many=True)})
    def get(self, request):
        if not request.user.organization_id:
            raise exceptions.PermissionDenied("Settings are per organization; this user has none.")
        sections = [jsonable(_section_body(section, request.user.organization_id)) for section in settings_sections]
        return Response(SettingsSectionSerializer(sections, many=True).data)


class SettingsSectionView(APIView):
    """One section of the organization's settings."""

    @extend_schema(responses={200: SettingsSectionSerializer})
    def get(self, request, key: str):
        if not request.user.organization_id:
            raise exceptions.PermissionDenied("Settings are per organization; this user has none.")
        try:
            section = settings_sections.get(key)
        except KeyError:
            raise exceptions.NotFound(f"No settings section {key!r}.")
        return Response(SettingsSectionSerializer(jsonable(_section_body(section, request.user.organization_id))).data)
