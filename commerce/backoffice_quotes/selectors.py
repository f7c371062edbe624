"""Reads of quotes, requests for quote and shopping lists for back-office users: their organization only."""

from django.db.models import Count, Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from backoffice.models import User
from backoffice.selectors import organization_scope
from commerce.models import (
    Quote,
    QuoteLine,
    RequestForQuote,
    RequestForQuoteLine,
    ShoppingList,
    ShoppingListLine,
)


def quote_list(*, actor: User) -> QuerySet[Quote]:
    """Quotes of the actor's organization with their customer, owner and order."""
    return organization_scope(Quote.objects.select_related("customer", "customer_user", "owner", "order"), actor=actor)


def quote_detail_list(*, actor: User) -> QuerySet[Quote]:
    """Quotes with their lines and products (one query more per page)."""
    return (
        quote_list(actor=actor)
        .select_related("request")
        .prefetch_related(Prefetch("lines", queryset=QuoteLine.objects.select_related("product").order_by("id")))
    )


def quote_get(*, actor: User, pk: int) -> Quote:
    return get_object_or_404(quote_detail_list(actor=actor), pk=pk)


def request_for_quote_list(*, actor: User) -> QuerySet[RequestForQuote]:
    """Requests for quote of the actor's organization with their customer and user, and their line counts."""
    return organization_scope(
        RequestForQuote.objects.select_related("customer", "customer_user").annotate(line_count=Count("lines")),
        actor=actor,
    )


def request_for_quote_detail_list(*, actor: User) -> QuerySet[RequestForQuote]:
    return organization_scope(
        RequestForQuote.objects.select_related("customer", "customer_user", "shopping_list").prefetch_related(
            Prefetch("lines", queryset=RequestForQuoteLine.objects.select_related("product").order_by("id")),
            Prefetch("quotes", queryset=Quote.objects.order_by("-created_at", "-id")),
        ),
        actor=actor,
    )


def request_for_quote_get(*, actor: User, pk: int) -> RequestForQuote:
    return get_object_or_404(request_for_quote_detail_list(actor=actor), pk=pk)


def shopping_list_list(*, actor: User) -> QuerySet[ShoppingList]:
    """Shopping lists of the actor's organization's customer users, with their line counts."""
    return organization_scope(
        ShoppingList.objects.select_related("customer", "customer_user").annotate(line_count=Count("lines")),
        actor=actor,
    )


def shopping_list_detail_list(*, actor: User) -> QuerySet[ShoppingList]:
    return organization_scope(
        ShoppingList.objects.select_related("customer", "customer_user").prefetch_related(
            Prefetch("lines", queryset=ShoppingListLine.objects.select_related("product").order_by("id"))
        ),
        actor=actor,
    )


def shopping_list_get(*, actor: User, pk: int) -> ShoppingList:
    return get_object_or_404(shopping_list_detail_list(actor=actor), pk=pk)
