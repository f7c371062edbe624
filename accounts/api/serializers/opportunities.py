"""Serializers of opportunities: the deal with a customer of any registered type, status moves, probabilities."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api.serializers.fields import (
    ModelSerializer,
    RecordReferenceSerializer,
    ScopedPrimaryKeyRelatedField,
    StrictDecimalField,
    owner_field,
    record_reference,
    request_user,
    resolve_reference,
)
from accounts.models import Account, BusinessCustomer, Contact, Lead, Opportunity
from accounts.registry import customer_types
from accounts.selectors import (
    RecordSelector,
    account_list,
    business_customer_list,
    contact_list,
    lead_list,
    organization_record_selector,
)


def customer_type_selectors() -> dict[str, RecordSelector]:
    """Opportunity customer types by label ("accounts.businesscustomer"), each with its scoped queryset."""
    selectors: dict[str, RecordSelector] = {}
    for registered in customer_types:
        label = registered.model._meta.label_lower
        selectors[label] = (
            business_customer_list
            if registered.model is BusinessCustomer
            else organization_record_selector(registered.model)
        )
    return selectors


class CustomerTypeField(serializers.ChoiceField):
    """A registered opportunity customer type; the choices are read when the serializer is made."""

    def __init__(self, **kwargs):
        super().__init__(choices=sorted(customer_type_selectors()), **kwargs)


class OpportunitySerializer(ModelSerializer):
    """A deal: status and probability, money (amount, currency, base-currency value), customer of any type."""

    owner = owner_field()
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
            "archived_at",
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
                    user=request_user(self),
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
    probability = StrictDecimalField(max_digits=5, decimal_places=2, min_value=0, max_value=100)


class StatusProbabilitiesSerializer(serializers.Serializer):
    """Default probabilities per status: all of them in answers, those to change in a PUT."""

    probabilities = StatusProbabilitySerializer(many=True, allow_empty=False)
