"""Fields and helpers shared by the CRM serializers: ids scoped to the caller's organization, record references.

Input is taken as the schema types it: DRF would turn the number 0 into the text "0" and take a JSON
number for a decimal the schema gives as a string, so `StrictCharField` and `StrictDecimalField`
refuse any other JSON type with a 400 naming the field, and `ModelSerializer` maps model fields to them.
"""

from django.db import models
from rest_framework import serializers

from accounts.selectors import RecordSelector
from backoffice.models import User
from backoffice.selectors import user_list


def request_user(serializer: serializers.Field) -> User | None:
    """The user of the request in the serializer's context, if any."""
    request = serializer.context.get("request")
    return getattr(request, "user", None)


class _StringOnly:
    """Refuses any JSON type but a string before the field reads it."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)


class StrictCharField(_StringOnly, serializers.CharField):
    """Text, sent as a JSON string: a number or a boolean is refused rather than turned into text.

    Its length is checked as sent, before surrounding spaces are trimmed, as the schema's maxLength says.
    """

    default_error_messages = {"not_a_string": "Send text as a string."}

    def to_internal_value(self, data):
        if isinstance(data, str) and self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)


class StrictDecimalField(_StringOnly, serializers.DecimalField):
    """A decimal (an amount, a percent) sent as a JSON string such as "12.50", as answers give it.

    A JSON number is refused: a binary float cannot carry every decimal exactly ("0.1" + "0.2"), and
    the schema gives one type only.
    """

    default_error_messages = {"not_a_string": 'Send the number as a string, such as "12.50".'}


class StrictBooleanField(serializers.BooleanField):
    """A yes or no sent as JSON true or false: 0, 1 and "yes" are refused rather than guessed."""

    default_error_messages = {"not_a_boolean": "Send true or false."}

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("not_a_boolean")
        return data


class ModelSerializer(serializers.ModelSerializer):
    """DRF's ModelSerializer with text and decimal model fields taken strictly (see the module docstring)."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
        models.DecimalField: StrictDecimalField,
    }


class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A primary key looked up only among the rows the selector gives the caller (their organization)."""

    def __init__(self, *, selector: RecordSelector, model, **kwargs):
        self.selector = selector
        # The empty queryset tells the schema generator the model; requests use get_queryset().
        kwargs.setdefault("queryset", model._default_manager.none())
        super().__init__(**kwargs)

    def get_queryset(self):
        user = request_user(self)
        if user is None or not user.is_authenticated:
            return self.queryset
        return self.selector(actor=user)


class RecordReferenceSerializer(serializers.Serializer):
    """A pointer to a record of any type: its type label, id and display name."""

    type = serializers.CharField(help_text='App label and model, such as "accounts.account".')
    id = serializers.IntegerField()
    name = serializers.CharField()


def record_reference(content_type, object_id, obj) -> dict | None:
    """The {type, id, name} of a generic relation, or None when it is empty."""
    if content_type is None or object_id is None:
        return None
    return {
        "type": f"{content_type.app_label}.{content_type.model}",
        "id": object_id,
        "name": str(obj) if obj is not None else "",
    }


def resolve_reference(
    *, user: User, selectors: dict[str, RecordSelector], type_label: str, object_id: int, type_field: str, id_field: str
):
    """The row named by a (type, id) pair among the caller's organization, or a 400 naming the field."""
    selector = selectors.get(type_label)
    if selector is None:
        raise serializers.ValidationError({type_field: f'"{type_label}" is not one of {", ".join(sorted(selectors))}.'})
    row = selector(actor=user).filter(pk=object_id).first()
    if row is None:
        raise serializers.ValidationError({id_field: f"No {type_label} with id {object_id}."})
    return row


def owner_field() -> ScopedPrimaryKeyRelatedField:
    """The owner of a record: a user of the caller's organization (the caller when left out)."""
    return ScopedPrimaryKeyRelatedField(
        selector=user_list, model=User, required=False, help_text="Defaults to the caller on creation."
    )
