"""FilterSets of the quote, RFQ and shopping list lists, shared by the back-office pages and the API."""

import django_filters

from accounts.filters import SearchFilterSet
from backoffice.filters import IdFilter
from commerce.models import Quote, QuoteStatus, RequestForQuote, RequestStatus, ShoppingList


class QuoteFilter(SearchFilterSet):
    search_fields = ("number", "customer__name")
    archived = None
    customer = IdFilter(field_name="customer")
    request = IdFilter(field_name="request")
    status = django_filters.ChoiceFilter(choices=QuoteStatus.choices)
    ordering = django_filters.OrderingFilter(fields=("created_at", "number", "valid_until", "subtotal"))

    class Meta:
        model = Quote
        fields = ["q", "owner", "customer", "request", "status"]


class RequestForQuoteFilter(SearchFilterSet):
    search_fields = ("number", "customer__name", "customer_user__email")
    owner = None
    archived = None
    customer = IdFilter(field_name="customer")
    status = django_filters.ChoiceFilter(choices=RequestStatus.choices)
    ordering = django_filters.OrderingFilter(fields=("created_at", "number"))

    class Meta:
        model = RequestForQuote
        fields = ["q", "customer", "status"]


class ShoppingListFilter(SearchFilterSet):
    search_fields = ("name", "customer__name", "customer_user__email")
    owner = None
    archived = None
    customer = IdFilter(field_name="customer")
    customer_user = IdFilter(field_name="customer_user")
    ordering = django_filters.OrderingFilter(fields=("updated_at", "name", "created_at"))

    class Meta:
        model = ShoppingList
        fields = ["q", "customer", "customer_user"]
