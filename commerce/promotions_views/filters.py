"""The promotion list's filters: the API's FilterSet (search by name, active, in force now, kind, ordering) with
choices a person can use."""

import django_filters

from commerce.api.promotions import PromotionFilter
from commerce.models.promotions import PromotionKind, PromotionScope

BOOLEAN_CHOICES = [("true", "Yes"), ("false", "No")]


class PromotionPageFilter(PromotionFilter):
    active = django_filters.ChoiceFilter(
        choices=BOOLEAN_CHOICES, label="Active", empty_label="Any", method="filter_active"
    )
    in_force = django_filters.ChoiceFilter(
        choices=[("true", "In force now"), ("false", "Not in force now")],
        label="In force",
        empty_label="Any time",
        method="filter_in_force_choice",
    )
    kind = django_filters.ChoiceFilter(choices=PromotionKind.choices, label="Kind", empty_label="Any kind")
    scope = django_filters.ChoiceFilter(choices=PromotionScope.choices, label="Applies to", empty_label="Anything")

    def filter_active(self, queryset, name, value):
        return queryset.filter(active=value == "true")

    def filter_in_force_choice(self, queryset, name, value):
        return self.filter_in_force(queryset, name, value == "true")
