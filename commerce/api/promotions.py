"""Promotions in the REST API (/api/commerce/promotions/): everyone of the organization reads them; sales
managers and admins make, change and delete them through commerce.services.promotions."""

import django_filters
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from rest_framework import serializers

from accounts.api.serializers.fields import ModelSerializer, StrictBooleanField, StrictCharField
from accounts.filters import SearchFilterSet
from backoffice.filters import IdFilter, StrictBooleanFilter
from backoffice.models import User
from backoffice.selectors import organization_scope
from commerce.api import selectors
from commerce.api.serializers import IdField, amount_field
from commerce.api.views import CommerceRecordViewSet
from commerce.models import CustomerGroup, Product, Promotion
from commerce.models.promotions import ConditionMatch, PromotionKind, PromotionScope
from commerce.services.pricing import (
    MAX_CONDITION_IDS,
    MAX_CONDITIONS,
    MAX_PRODUCTS,
    in_force_at,
    promotion_conditions,
)
from commerce.services.promotions import FIELDS, promotion_delete, promotion_save


def promotion_list(*, actor: User) -> QuerySet[Promotion]:
    """Promotions of the actor's organization, with their products' ids (one query more per page)."""
    return organization_scope(Promotion.objects.all(), actor=actor).prefetch_related(
        Prefetch("products", queryset=Product.objects.only("id").order_by("id"))
    )


class PromotionFilter(SearchFilterSet):
    search_fields = ("name",)
    owner = None  # promotions have no owner
    archived = None
    active = StrictBooleanFilter(field_name="active")
    kind = django_filters.ChoiceFilter(choices=PromotionKind.choices)
    scope = django_filters.ChoiceFilter(choices=PromotionScope.choices)
    customer_group = IdFilter(field_name="customer_group")
    in_force = StrictBooleanFilter(method="filter_in_force", label="In force now (active and valid now)")
    ordering = django_filters.OrderingFilter(fields=("name", "priority", "valid_from", "valid_to", "created_at"))

    class Meta:
        model = Promotion
        fields = ["q", "active", "in_force", "kind", "scope", "customer_group"]

    def filter_in_force(self, queryset, name, value):
        condition = in_force_at(timezone.now())
        return queryset.filter(condition) if value else queryset.exclude(condition)


class IdListField(serializers.ListField):
    """Ids of a many-to-many list: written as a list of integers, read back from the prefetched rows."""

    def get_attribute(self, instance):
        return [row.pk for row in getattr(instance, self.source).all()]


class ConditionSerializer(serializers.Serializer):
    """A further condition: a registered kind and its parameters (such as {"ids": [1, 2]})."""

    kind = serializers.ChoiceField(
        choices=[], help_text="A registered condition kind: customer, customer_group, crm_reference, crm_property, ..."
    )
    params = serializers.DictField(
        required=False,
        default=dict,
        help_text=(
            f'The kind\'s parameters: {{"ids": [...]}} (at most {MAX_CONDITION_IDS}) for customer and customer_group, '
            '{"references": [...]} for crm_reference, {"field": "category", "operator": "equals", "value": "VIP"} '
            "for crm_property (operators equals, one_of with values, contains, at_least, at_most, is_true)."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = sorted(promotion_conditions.items)

    def validate_params(self, value):
        if len(value) > 10:
            raise serializers.ValidationError("Give at most 10 parameters.")
        return value


class PromotionSerializer(ModelSerializer):
    """A promotion: what it takes off (kind, value), of what (scope, products), when and for whom."""

    value = amount_field(help_text='The percentage (0 to 100) or the amount off, such as "10.00".')
    minimum_subtotal = amount_field(required=False, allow_null=True)
    currency = serializers.RegexField(
        r"^[A-Za-z]{3}$",
        required=False,
        allow_blank=True,
        help_text="The currency of a fixed amount or minimum subtotal (such a promotion applies to orders in it).",
    )
    # Ids checked together by the service (one query for the whole list, not one per id).
    products = IdListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        required=False,
        max_length=MAX_PRODUCTS,
        help_text=f"The ids of the products a 'products' promotion covers (at most {MAX_PRODUCTS}).",
    )
    customer_group = IdField(
        selector=selectors.customer_group_list, model=CustomerGroup, required=False, allow_null=True
    )
    conditions = ConditionSerializer(many=True, required=False, max_length=MAX_CONDITIONS)
    condition_match = serializers.ChoiceField(choices=ConditionMatch.choices, required=False)
    priority = serializers.IntegerField(min_value=0, max_value=32767, required=False)
    exclusive = StrictBooleanField(required=False)
    active = StrictBooleanField(required=False)
    name = StrictCharField(max_length=100)

    class Meta:
        model = Promotion
        fields = ["id", *FIELDS, "created_at", "updated_at"]
        read_only_fields = ["version", "created_at", "updated_at"]


class PromotionViewSet(CommerceRecordViewSet):
    """Promotions applied when orders are priced (managers and admins change them)."""

    queryset = Promotion.objects.none()
    serializer_class = PromotionSerializer
    filterset_class = PromotionFilter
    selector = promotion_list

    def save_record(self, *, actor, data, instance=None):
        if instance is None:
            data.pop("version", None)
        if "conditions" in data:
            data["conditions"] = [dict(condition) for condition in data["conditions"]]
        return promotion_save(actor=actor, data=data, promotion=instance)

    def delete_record(self, *, actor, instance) -> None:
        promotion_delete(actor=actor, promotion=instance)
