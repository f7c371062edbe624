"""Serializers of the CRM REST API: validate input (ids only among the caller's organization), shape output.

Writes go through the services (see views.py); these serializers never save. Every id in the input is
resolved among the rows the caller may read, so an id of another organization is a 400 naming the field.
"""

import datetime as dt
from collections.abc import Callable

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema_field
from phonenumber_field.serializerfields import PhoneNumberField
from rest_framework import serializers

from accounts.choices import PhoneType
from accounts.models import (
    Account,
    BusinessCustomer,
    CalendarEvent,
    Channel,
    Contact,
    ContactAddress,
    Lead,
    Note,
    Opportunity,
    Task,
)
from accounts.registry import account_registry, customer_types
from accounts.selectors import (
    account_list,
    business_customer_list,
    contact_list,
    event_list,
    lead_list,
    opportunity_list,
)
from backoffice.models import User
from backoffice.selectors import organization_scope, user_list

Selector = Callable[..., QuerySet]


def _request_user(serializer: serializers.Field) -> User | None:
    request = serializer.context.get("request")
    return getattr(request, "user", None)


class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A primary key looked up only among the rows the selector gives the caller (their organization)."""

    def __init__(self, *, selector: Selector, model, **kwargs):
        self.selector = selector
        # The empty queryset tells the schema generator the model; requests use get_queryset().
        kwargs.setdefault("queryset", model._default_manager.none())
        super().__init__(**kwargs)

    def get_queryset(self):
        user = _request_user(self)
        if user is None or not user.is_authenticated:
            return self.queryset
        return self.selector(actor=user)


def _scoped_selector(model) -> Selector:
    def select(*, actor: User) -> QuerySet:
        return organization_scope(model._default_manager.all(), actor=actor)

    return select


def customer_type_selectors() -> dict[str, Selector]:
    """Opportunity customer types by label ("accounts.businesscustomer"), each with its scoped queryset."""
    selectors: dict[str, Selector] = {}
    for registered in customer_types:
        label = registered.model._meta.label_lower
        selectors[label] = (
            business_customer_list if registered.model is BusinessCustomer else _scoped_selector(registered.model)
        )
    return selectors


def related_type_selectors() -> dict[str, Selector]:
    """Record types an activity may be attached to: the CRM records, then any other app registered."""
    selectors: dict[str, Selector] = {
        "accounts.account": account_list,
        "accounts.contact": contact_list,
        "accounts.businesscustomer": business_customer_list,
        "accounts.lead": lead_list,
        "accounts.opportunity": opportunity_list,
    }
    extra = [c.model for c in customer_types] + [s.model for s in account_registry.activity]
    for model in extra:
        selectors.setdefault(model._meta.label_lower, _scoped_selector(model))
    return selectors


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
    *, user: User, selectors: dict[str, Selector], type_label: str, object_id: int, type_field: str, id_field: str
):
    """The row named by a (type, id) pair among the caller's organization, or a 400 naming the field."""
    selector = selectors.get(type_label)
    if selector is None:
        raise serializers.ValidationError({type_field: f'"{type_label}" is not one of {", ".join(sorted(selectors))}.'})
    row = selector(actor=user).filter(pk=object_id).first()
    if row is None:
        raise serializers.ValidationError({id_field: f"No {type_label} with id {object_id}."})
    return row


def _owner_field() -> ScopedPrimaryKeyRelatedField:
    return ScopedPrimaryKeyRelatedField(
        selector=user_list, model=User, required=False, help_text="Defaults to the caller on creation."
    )


class AccountSerializer(serializers.ModelSerializer):
    """An account with its contacts (ids), default contact and referring account."""

    owner = _owner_field()
    contacts = ScopedPrimaryKeyRelatedField(selector=contact_list, model=Contact, many=True, required=False)
    default_contact = ScopedPrimaryKeyRelatedField(
        selector=contact_list, model=Contact, required=False, allow_null=True
    )
    referred_by = ScopedPrimaryKeyRelatedField(selector=account_list, model=Account, required=False, allow_null=True)

    class Meta:
        model = Account
        fields = [
            "id",
            "name",
            "description",
            "owner",
            "contacts",
            "default_contact",
            "referred_by",
            "lifetime_value",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["lifetime_value", "version", "created_at", "updated_at"]


class ContactEmailsField(serializers.ListField):
    """The contact's e-mail addresses, primary first; on input the first one becomes the primary."""

    child = serializers.EmailField()

    def to_representation(self, data):
        return [row.email for row in data.all()]


class ContactPhoneSerializer(serializers.Serializer):
    """One phone number of a contact with its type."""

    number = PhoneNumberField()
    type = serializers.ChoiceField(choices=PhoneType.choices, source="phone_type", default=PhoneType.BUSINESS)


class ContactAddressSerializer(serializers.ModelSerializer):
    """One postal address of a contact (read-only here)."""

    class Meta:
        model = ContactAddress
        fields = ["label", "street", "city", "region", "postal_code", "country", "is_primary"]


class ContactSerializer(serializers.ModelSerializer):
    """A person with several e-mails and phones (the first of each is the primary)."""

    owner = _owner_field()
    full_name = serializers.CharField(read_only=True)
    email = serializers.EmailField(read_only=True, help_text="The primary e-mail.")
    phone = serializers.CharField(read_only=True, help_text="The primary phone (E.164).")
    emails = ContactEmailsField(required=False, help_text="Primary first.")
    phones = ContactPhoneSerializer(many=True, required=False, help_text="Primary first.")
    addresses = ContactAddressSerializer(many=True, read_only=True)
    accounts = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Contact
        fields = [
            "id",
            "name_prefix",
            "first_name",
            "middle_name",
            "last_name",
            "full_name",
            "gender",
            "birthday",
            "job_title",
            "description",
            "email",
            "phone",
            "emails",
            "phones",
            "addresses",
            "accounts",
            "owner",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["version", "created_at", "updated_at"]


class ContactListSerializer(serializers.ModelSerializer):
    """A contact as lists show it: the row with its primary e-mail and phone (GET contacts/{id}/ gives them all)."""

    full_name = serializers.CharField(read_only=True)
    email = serializers.EmailField(read_only=True, help_text="The primary e-mail.")
    phone = serializers.CharField(read_only=True, help_text="The primary phone (E.164).")

    class Meta:
        model = Contact
        fields = [
            "id",
            "name_prefix",
            "first_name",
            "middle_name",
            "last_name",
            "full_name",
            "gender",
            "birthday",
            "job_title",
            "description",
            "email",
            "phone",
            "owner",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class BusinessCustomerSerializer(serializers.ModelSerializer):
    """A B2B customer of an account; its lifetime value is the close revenue of its won opportunities."""

    owner = _owner_field()
    account = ScopedPrimaryKeyRelatedField(selector=account_list, model=Account)
    contact = ScopedPrimaryKeyRelatedField(selector=contact_list, model=Contact, required=False, allow_null=True)
    phone = PhoneNumberField(required=False, allow_blank=True)

    class Meta:
        model = BusinessCustomer
        fields = [
            "id",
            "name",
            "account",
            "contact",
            "channel",
            "email",
            "phone",
            "billing_street",
            "billing_city",
            "billing_postal_code",
            "billing_country",
            "shipping_street",
            "shipping_city",
            "shipping_postal_code",
            "shipping_country",
            "lifetime_value",
            "owner",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["channel", "lifetime_value", "version", "created_at", "updated_at"]


class LeadSerializer(serializers.ModelSerializer):
    """A prospect; convert it with POST leads/{id}/convert/."""

    owner = _owner_field()
    account = ScopedPrimaryKeyRelatedField(selector=account_list, model=Account, required=False, allow_null=True)
    contact = ScopedPrimaryKeyRelatedField(selector=contact_list, model=Contact, required=False, allow_null=True)
    phone = PhoneNumberField(required=False, allow_blank=True)

    class Meta:
        model = Lead
        fields = [
            "id",
            "name",
            "first_name",
            "last_name",
            "email",
            "phone",
            "company_name",
            "job_title",
            "status",
            "source",
            "description",
            "account",
            "contact",
            "owner",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["version", "created_at", "updated_at"]


class LeadConvertSerializer(serializers.Serializer):
    """Options of a lead conversion: an existing account to use, and the new opportunity's name."""

    account = ScopedPrimaryKeyRelatedField(
        selector=account_list,
        model=Account,
        required=False,
        allow_null=True,
        help_text="Defaults to the lead's account, else one named like its company (made when missing).",
    )
    opportunity_name = serializers.CharField(required=False, allow_blank=True, max_length=255)


class CustomerTypeField(serializers.ChoiceField):
    """A registered opportunity customer type; the choices are read when the serializer is made."""

    def __init__(self, **kwargs):
        super().__init__(choices=sorted(customer_type_selectors()), **kwargs)


class OpportunitySerializer(serializers.ModelSerializer):
    """A deal: status and probability, money (amount, currency, base-currency value), customer of any type."""

    owner = _owner_field()
    account = ScopedPrimaryKeyRelatedField(
        selector=account_list, model=Account, required=False, help_text="Defaults to the customer's account."
    )
    contact = ScopedPrimaryKeyRelatedField(selector=contact_list, model=Contact, required=False, allow_null=True)
    lead = ScopedPrimaryKeyRelatedField(selector=lead_list, model=Lead, required=False, allow_null=True)
    customer = serializers.SerializerMethodField()
    customer_type = CustomerTypeField(
        write_only=True, required=False, allow_null=True, help_text='Such as "accounts.businesscustomer".'
    )
    customer_id = serializers.IntegerField(write_only=True, required=False, allow_null=True, min_value=1)

    class Meta:
        model = Opportunity
        fields = [
            "id",
            "name",
            "account",
            "customer",
            "customer_type",
            "customer_id",
            "contact",
            "lead",
            "status",
            "probability",
            "budget_amount",
            "budget_currency",
            "budget_amount_base",
            "close_revenue",
            "close_revenue_currency",
            "close_revenue_base",
            "expected_close_date",
            "closed_at",
            "close_reason",
            "description",
            "owner",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "budget_amount_base",
            "close_revenue_base",
            "closed_at",
            "version",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {"probability": {"required": False, "help_text": "Percent; defaults to the status's default."}}

    @extend_schema_field(RecordReferenceSerializer(allow_null=True))
    def get_customer(self, obj: Opportunity) -> dict | None:
        return record_reference(obj.customer_type, obj.customer_id, obj.customer if obj.customer_id else None)

    def validate(self, attrs: dict) -> dict:
        if "customer_type" in attrs or "customer_id" in attrs:
            type_label, object_id = attrs.pop("customer_type", None), attrs.pop("customer_id", None)
            if type_label is None and object_id is None:
                attrs["customer"] = None
            elif type_label is None or object_id is None:
                missing = "customer_type" if type_label is None else "customer_id"
                raise serializers.ValidationError({missing: "Give both customer_type and customer_id, or neither."})
            else:
                attrs["customer"] = resolve_reference(
                    user=_request_user(self),
                    selectors=customer_type_selectors(),
                    type_label=type_label,
                    object_id=object_id,
                    type_field="customer_type",
                    id_field="customer_id",
                )
        return attrs


class OpportunityStatusSerializer(serializers.Serializer):
    """The status to move an opportunity to; its probability follows the default rule."""

    status = serializers.ChoiceField(choices=Opportunity._meta.get_field("status").choices)


class StatusProbabilitySerializer(serializers.Serializer):
    """An organization's default probability (percent) of one opportunity status."""

    status = serializers.ChoiceField(choices=Opportunity._meta.get_field("status").choices)
    label = serializers.CharField(read_only=True)
    probability = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=0, max_value=100)


class StatusProbabilitiesSerializer(serializers.Serializer):
    """Default probabilities per status: all of them in answers, those to change in a PUT."""

    probabilities = StatusProbabilitySerializer(many=True, allow_empty=False)


class RelatedTypeField(serializers.ChoiceField):
    """A record type an activity may be attached to; the choices are read when the serializer is made."""

    def __init__(self, **kwargs):
        super().__init__(choices=sorted(related_type_selectors()), **kwargs)


class ActivitySerializer(serializers.ModelSerializer):
    """Shared by tasks, events and notes: owner and the related record (given as type and id)."""

    owner = _owner_field()
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
                attrs["related"] = resolve_reference(
                    user=_request_user(self),
                    selectors=related_type_selectors(),
                    type_label=type_label,
                    object_id=object_id,
                    type_field="related_type",
                    id_field="related_id",
                )
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


class ChannelSerializer(serializers.ModelSerializer):
    """A source of customers (business, commerce, external web store)."""

    class Meta:
        model = Channel
        fields = ["id", "name", "channel_type"]
