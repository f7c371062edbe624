"""Serializers of activities: tasks, calendar events and notes, each attached to a record given as type and id."""

import datetime as dt

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api.serializers.fields import (
    ModelSerializer,
    RecordReferenceSerializer,
    ScopedPrimaryKeyRelatedField,
    owner_field,
    record_reference,
    request_user,
)
from accounts.models import CalendarEvent, Contact, Note, Task
from accounts.selectors import contact_list, event_list, related_record_get, related_record_types
from backoffice.models import User


class RelatedTypeField(serializers.ChoiceField):
    """A record type an activity may be attached to; the choices are read when the serializer is made."""

    def __init__(self, **kwargs):
        super().__init__(choices=sorted(related_record_types()), **kwargs)


def _related_record(*, user: User, type_label: str, object_id: int):
    """The record an activity is attached to, in the caller's organization, or a 400 naming the field."""
    types = related_record_types()
    if type_label not in types:
        raise serializers.ValidationError({"related_type": f'"{type_label}" is not one of {", ".join(sorted(types))}.'})
    record = related_record_get(actor=user, content_type_label=type_label, object_id=object_id)
    if record is None:
        raise serializers.ValidationError({"related_id": f"No {type_label} with id {object_id}."})
    return record


class ActivitySerializer(ModelSerializer):
    """Shared by tasks, events and notes: owner and the related record (given as type and id)."""

    owner = owner_field()
    related = serializers.SerializerMethodField()
    related_type = RelatedTypeField(
        write_only=True, required=False, allow_null=True, help_text='Such as "accounts.account".'
    )
    related_id = serializers.IntegerField(write_only=True, required=False, allow_null=True, min_value=1)

    activity_fields = ["related", "related_type", "related_id", "owner", "version", "created_at", "updated_at"]

    @extend_schema_field(RecordReferenceSerializer(allow_null=True))
    def get_related(self, obj) -> dict | None:
        return record_reference(obj.related_type, obj.related_id, obj.related if obj.related_id else None)

    def validate(self, attrs: dict) -> dict:
        if "related_type" in attrs or "related_id" in attrs:
            type_label, object_id = attrs.pop("related_type", None), attrs.pop("related_id", None)
            if type_label is None and object_id is None:
                attrs["related"] = None
            elif type_label is None or object_id is None:
                missing = "related_type" if type_label is None else "related_id"
                raise serializers.ValidationError({missing: "Give both related_type and related_id, or neither."})
            else:
                attrs["related"] = _related_record(user=request_user(self), type_label=type_label, object_id=object_id)
        return attrs


class TaskSerializer(ActivitySerializer):
    """A to-do assigned to its owner; completing it stamps completed_at."""

    class Meta:
        model = Task
        fields = [
            "id",
            "subject",
            "description",
            "start_at",
            "due_at",
            "status",
            "priority",
            "reminder_at",
            "completed_at",
            *ActivitySerializer.activity_fields,
            "archived_at",
        ]
        read_only_fields = ["version", "created_at", "updated_at"]


class CalendarEventSerializer(ActivitySerializer):
    """An event in its owner's calendar; a series when it has an RRULE."""

    attendees = ScopedPrimaryKeyRelatedField(selector=contact_list, model=Contact, many=True, required=False)
    series = ScopedPrimaryKeyRelatedField(selector=event_list, model=CalendarEvent, required=False, allow_null=True)
    cancelled_starts = serializers.ListField(
        child=serializers.DateTimeField(), required=False, help_text="Start instants of cancelled occurrences."
    )

    class Meta:
        model = CalendarEvent
        fields = [
            "id",
            "title",
            "description",
            "location",
            "start",
            "end",
            "all_day",
            "time_zone",
            "recurrence_rule",
            "cancelled_starts",
            "series",
            "original_start",
            "attendees",
            *ActivitySerializer.activity_fields,
            "archived_at",
        ]
        read_only_fields = ["version", "created_at", "updated_at"]
        extra_kwargs = {
            "end": {"required": False, "help_text": "Defaults to one hour after the start."},
            "time_zone": {"help_text": "Defaults to the owner's time zone."},
        }

    def validate(self, attrs: dict) -> dict:
        if "cancelled_starts" in attrs:
            # Stored as ISO 8601 strings in UTC, the form the recurrence expansion compares.
            attrs["cancelled_starts"] = [value.astimezone(dt.UTC).isoformat() for value in attrs["cancelled_starts"]]
        return super().validate(attrs)


class NoteSerializer(ActivitySerializer):
    """A note attached to a record."""

    class Meta:
        model = Note
        fields = ["id", "text", *ActivitySerializer.activity_fields]
        read_only_fields = ["version", "created_at", "updated_at"]
