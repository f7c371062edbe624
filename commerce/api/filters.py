"""Filters of the commerce API lists (`?field=` parameters), strict like the CRM's."""

import django_filters

from accounts.filters import SearchFilterSet
from backoffice.filters import DateTimeFromToRangeFilter, IdFilter, StrictBooleanFilter, StrictFilterSet
from commerce.choices import OrderStatus, PaymentStatus
from commerce.models import CommerceCustomer, CustomerGroup, CustomerUser, Order, Product


class CustomerFilter(SearchFilterSet):
    search_fields = ("name",)
    archived = None  # not archivable: no such parameter
    parent = IdFilter(field_name="parent")
    root = IdFilter(field_name="root")
    group = IdFilter(field_name="group")
    account = IdFilter(field_name="account")
    is_root = StrictBooleanFilter(field_name="parent", lookup_expr="isnull", label="Roots only (true) or children")
    ordering = django_filters.OrderingFilter(fields=("name", "created_at", "lifetime_value"))

    class Meta:
        model = CommerceCustomer
        fields = ["q", "owner", "parent", "root", "group", "account", "is_root"]


class CustomerGroupFilter(StrictFilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label="Search", max_length=100)

    class Meta:
        model = CustomerGroup
        fields = ["q"]


class CustomerUserFilter(SearchFilterSet):
    search_fields = ("first_name", "last_name", "email")
    owner = None  # customer users have no owner
    archived = None
    customer = IdFilter(field_name="customer")
    enabled = StrictBooleanFilter(field_name="enabled")
    ordering = django_filters.OrderingFilter(fields=("last_name", "first_name", "email", "created_at"))

    class Meta:
        model = CustomerUser
        fields = ["q", "customer", "enabled"]


class ProductFilter(SearchFilterSet):
    search_fields = ("sku", "name")
    owner = None  # products have no owner
    archived = None
    active = StrictBooleanFilter(field_name="active")
    ordering = django_filters.OrderingFilter(fields=("sku", "name", "unit_price", "created_at"))

    class Meta:
        model = Product
        fields = ["q", "active"]


class OrderFilter(SearchFilterSet):
    search_fields = ("number", "crm_reference")
    archived = None
    customer = IdFilter(field_name="customer")
    status = django_filters.ChoiceFilter(choices=OrderStatus.choices)
    payment_status = django_filters.ChoiceFilter(choices=PaymentStatus.choices)
    placed_at = DateTimeFromToRangeFilter()
    ordering = django_filters.OrderingFilter(fields=("placed_at", "number", "total", "created_at"))

    class Meta:
        model = Order
        fields = ["q", "owner", "customer", "status", "payment_status", "placed_at"]
