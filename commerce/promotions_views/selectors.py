"""Reads of promotions for the back-office pages: the actor's organization only, constant queries per page."""

from django.db.models import BooleanField, Count, ExpressionWrapper, Prefetch, QuerySet, Sum
from django.shortcuts import get_object_or_404
from django.utils import timezone

from backoffice.models import User
from backoffice.selectors import organization_scope
from commerce.models import Order, Product, Promotion
from commerce.services.pricing import in_force_at


def promotion_list(*, actor: User) -> QuerySet[Promotion]:
    """Promotions of the actor's organization with their group, product count and whether they are in force now."""
    return organization_scope(
        Promotion.objects.select_related("customer_group").annotate(
            product_count=Count("products", distinct=True),
            in_force=ExpressionWrapper(in_force_at(timezone.now()), output_field=BooleanField()),
        ),
        actor=actor,
    ).order_by("priority", "id")


def promotion_get(*, actor: User, pk: int) -> Promotion:
    """One promotion of the actor's organization with its products (at most MAX_PRODUCTS); 404 for any other."""
    rows = promotion_list(actor=actor).prefetch_related(
        Prefetch("products", queryset=Product.objects.order_by("sku", "id"))
    )
    return get_object_or_404(rows, pk=pk)


def promotion_orders(*, actor: User, promotion: Promotion) -> QuerySet[Order]:
    """The orders a promotion gave a discount to, newest first, each with what it took off (`given`)."""
    return (
        organization_scope(Order.objects.select_related("customer"), actor=actor)
        .filter(applied_promotions__promotion=promotion)
        .annotate(given=Sum("applied_promotions__amount"))
        .order_by("-placed_at", "-id")
    )


def promotion_given_totals(*, actor: User, promotion: Promotion) -> list[dict]:
    """What a promotion took off in all, per currency (never summed across currencies), with the order counts."""
    return list(
        organization_scope(Order.objects.all(), actor=actor)
        .filter(applied_promotions__promotion=promotion)
        .values("currency")
        .annotate(total=Sum("applied_promotions__amount"), orders=Count("id", distinct=True))
        .order_by("currency")
    )
