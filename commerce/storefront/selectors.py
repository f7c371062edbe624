"""Reads of the storefront: only what the signed-in customer user (or its customer) may see."""

from django.db.models import Count, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from commerce.models import (
    CustomerUser,
    Order,
    OrderLine,
    Product,
    Quote,
    QuoteLine,
    RequestForQuote,
    ShoppingList,
    ShoppingListLine,
)

PRODUCT_MATCHES_SHOWN = 10


def shopping_list_list(*, customer_user: CustomerUser) -> QuerySet[ShoppingList]:
    """The customer user's own shopping lists, with their number of products."""
    return (
        ShoppingList.objects.filter(customer_user=customer_user)
        .annotate(line_count=Count("lines"))
        .order_by("-updated_at", "-id")
    )


def shopping_list_get(*, customer_user: CustomerUser, pk: int) -> ShoppingList:
    """One of the customer user's lists with its lines and products; 404 for anyone else's."""
    return get_object_or_404(
        ShoppingList.objects.filter(customer_user=customer_user).prefetch_related(
            Prefetch("lines", queryset=ShoppingListLine.objects.select_related("product").order_by("id"))
        ),
        pk=pk,
    )


def shopping_list_line_get(*, customer_user: CustomerUser, list_pk: int, pk: int) -> ShoppingListLine:
    return get_object_or_404(
        ShoppingListLine.objects.filter(shopping_list__customer_user=customer_user, shopping_list_id=list_pk), pk=pk
    )


def product_find(*, organization_id: int, text: str) -> list[Product]:
    """The active product with this SKU, or else those whose name holds the text (a few at most)."""
    text = (text or "").strip()[:255]
    if not text:
        return []
    products = Product.objects.filter(organization_id=organization_id, active=True)
    exact = list(products.filter(sku__iexact=text)[:1])
    if exact:
        return exact
    return list(
        products.filter(Q(name__icontains=text) | Q(sku__icontains=text)).order_by("sku")[: PRODUCT_MATCHES_SHOWN + 1]
    )


def order_list(*, customer_user: CustomerUser) -> QuerySet[Order]:
    """Orders of the customer user's customer, newest first."""
    # Never the anonymous customer's orders (the sales of every CRM customer), whatever user it was given.
    return Order.objects.filter(customer_id=customer_user.customer_id, customer__is_anonymous=False).order_by(
        "-placed_at", "-id"
    )


def order_get(*, customer_user: CustomerUser, pk: int) -> Order:
    return get_object_or_404(
        order_list(customer_user=customer_user).prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.select_related("product").order_by("id"))
        ),
        pk=pk,
    )


def quote_list(*, customer_user: CustomerUser) -> QuerySet[Quote]:
    """Quotes made for the customer user's customer, newest first."""
    return (
        Quote.objects.filter(customer_id=customer_user.customer_id)
        .select_related("order")
        .order_by("-created_at", "-id")
    )


def quote_get(*, customer_user: CustomerUser, pk: int) -> Quote:
    return get_object_or_404(
        quote_list(customer_user=customer_user).prefetch_related(
            Prefetch("lines", queryset=QuoteLine.objects.select_related("product").order_by("id"))
        ),
        pk=pk,
    )


def request_for_quote_list(*, customer_user: CustomerUser) -> QuerySet[RequestForQuote]:
    """The customer user's requests for quote, newest first, with their number of lines."""
    return (
        RequestForQuote.objects.filter(customer_user=customer_user)
        .annotate(line_count=Count("lines"))
        .order_by("-created_at", "-id")
    )
