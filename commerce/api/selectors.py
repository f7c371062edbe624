"""Reads of the commerce API: rows of the caller's organization only, with what the answers need."""

from django.db.models import Prefetch, QuerySet

from backoffice.models import User
from backoffice.selectors import organization_scope
from commerce.models import CommerceCustomer, CustomerGroup, CustomerUser, Order, OrderLine, Product


def customer_list(*, actor: User) -> QuerySet[CommerceCustomer]:
    """Commerce customers of the actor's organization."""
    return organization_scope(CommerceCustomer.objects.all(), actor=actor)


def customer_detail_list(*, actor: User) -> QuerySet[CommerceCustomer]:
    """Customers with their children's ids (one query more per page, whatever its size)."""
    return customer_list(actor=actor).prefetch_related(
        Prefetch("children", queryset=CommerceCustomer.objects.only("id", "parent_id").order_by("id"))
    )


def customer_group_list(*, actor: User) -> QuerySet[CustomerGroup]:
    """Customer groups of the actor's organization."""
    return organization_scope(CustomerGroup.objects.all(), actor=actor)


def customer_user_list(*, actor: User) -> QuerySet[CustomerUser]:
    """Storefront users of the actor's organization's customers."""
    return organization_scope(CustomerUser.objects.all(), actor=actor)


def product_list(*, actor: User) -> QuerySet[Product]:
    """Products of the actor's organization."""
    return organization_scope(Product.objects.all(), actor=actor)


def order_list(*, actor: User) -> QuerySet[Order]:
    """Orders of the actor's organization."""
    return organization_scope(Order.objects.all(), actor=actor)


def order_detail_list(*, actor: User) -> QuerySet[Order]:
    """Orders with their lines (one query more per page, whatever its size)."""
    return order_list(actor=actor).prefetch_related(Prefetch("lines", queryset=OrderLine.objects.order_by("id")))
