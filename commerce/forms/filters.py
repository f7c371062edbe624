"""Filters of the commerce list pages: the API's FilterSets, with pickers a person can use for the links.

The query parameters are the API's (`?q=`, `?group=`, `?is_root=`, `?ordering=`...), so a list page and
its endpoint answer the same question the same way; only the widgets differ.
"""

import django_filters

from commerce.api import filters as api_filters
from commerce.api.selectors import customer_group_list

BOOLEAN_CHOICES = [("true", "Yes"), ("false", "No")]


def _groups(request):
    """The groups a customer list may be narrowed to: the acting user's organization's."""
    return customer_group_list(actor=request.user)


class CustomerPageFilter(api_filters.CustomerFilter):
    group = django_filters.ModelChoiceFilter(queryset=_groups, label="Group", empty_label="Any group")
    is_root = django_filters.ChoiceFilter(
        choices=[("true", "Top-level only"), ("false", "Divisions only")],
        label="Level",
        empty_label="All levels",
        method="filter_is_root",
    )

    def filter_is_root(self, queryset, name, value):
        return queryset.filter(parent__isnull=value == "true")


class CustomerUserPageFilter(api_filters.CustomerUserFilter):
    enabled = django_filters.ChoiceFilter(
        choices=BOOLEAN_CHOICES, label="Enabled", empty_label="Any", method="filter_enabled"
    )

    def filter_enabled(self, queryset, name, value):
        return queryset.filter(enabled=value == "true")


class ProductPageFilter(api_filters.ProductFilter):
    active = django_filters.ChoiceFilter(
        choices=BOOLEAN_CHOICES, label="Active", empty_label="Any", method="filter_active"
    )

    def filter_active(self, queryset, name, value):
        return queryset.filter(active=value == "true")


class CustomerGroupPageFilter(api_filters.CustomerGroupFilter):
    ordering = django_filters.OrderingFilter(fields=("name", "created_at"))


class OrderPageFilter(api_filters.OrderFilter):
    pass
