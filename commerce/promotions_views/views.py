"""Pages of promotions in Sales: the list, a promotion's page (what it gives, where, when, its conditions in
words, the orders it discounted), the form with its conditions editor, and activate / deactivate.

Everyone of the organization reads promotions; sales managers and admins change them (as in the API and
the admin), always through commerce.services.promotions.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from backoffice.access import can_write
from backoffice.forms import apply_service_errors
from backoffice.models import User
from commerce.api.selectors import customer_group_list
from commerce.promotions_views import selectors
from commerce.promotions_views.filters import PromotionPageFilter
from commerce.promotions_views.forms import PromotionForm
from commerce.promotions_views.words import conditions_in_words, promotion_gives
from commerce.services.promotions import promotion_save
from commerce.views.common import Column, ListPage, export_response, list_response, text

ORDERS_PER_PAGE = 25
PRODUCTS_SHOWN = 50


def may_manage(actor: User) -> bool:
    """Whether the actor makes and changes promotions (as commerce.services.promotions allows)."""
    return bool(actor.is_superuser or actor.can_manage_organization)


@dataclass(frozen=True)
class PromotionListPage(ListPage):
    """The promotion pages live under /sales/ in their own namespace."""

    def url(self, action: str, *args) -> str:
        return reverse(f"commerce-promotions:{self.key}-{action}", args=args)


PROMOTIONS = PromotionListPage(
    key="promotion",
    label="promotion",
    label_plural="Promotions",
    rows=lambda actor: selectors.promotion_list(actor=actor),
    filterset=PromotionPageFilter,
    columns=(
        Column("Name", "name"),
        Column("Gives"),
        Column("Valid from", "valid_from"),
        Column("Valid to", "valid_to"),
        Column("Priority", "priority"),
        Column("Active"),
        Column("In force now"),
    ),
    export_columns=(
        ("Name", lambda r: r.name),
        ("Kind", lambda r: r.get_kind_display()),
        ("Value", lambda r: str(r.value)),
        ("Currency", lambda r: r.currency),
        ("Applies to", lambda r: r.get_scope_display()),
        ("Products", lambda r: str(r.product_count)),
        ("Valid from", lambda r: text(r.valid_from)),
        ("Valid to", lambda r: text(r.valid_to)),
        ("Minimum subtotal", lambda r: text(r.minimum_subtotal)),
        ("Customer group", lambda r: text(r.customer_group)),
        ("Conditions", lambda r: str(len(r.conditions or []))),
        ("Priority", lambda r: str(r.priority)),
        ("Exclusive", lambda r: "yes" if r.exclusive else "no"),
        ("Active", lambda r: "yes" if r.active else "no"),
        ("In force now", lambda r: "yes" if r.in_force else "no"),
    ),
    template="commerce/promotions/list.html",
    search_placeholder="Name",
    id_filters={"customer_group": lambda actor: customer_group_list(actor=actor)},
    can_create=may_manage,
)


@login_required
@require_GET
def promotion_list(request):
    return list_response(request, PROMOTIONS)


@login_required
@require_GET
def promotion_export(request):
    return export_response(request, PROMOTIONS)


@login_required
@require_GET
def promotion_detail(request, pk: int):
    promotion = selectors.promotion_get(actor=request.user, pk=pk)
    products = list(promotion.products.all())
    orders = Paginator(selectors.promotion_orders(actor=request.user, promotion=promotion), ORDERS_PER_PAGE)
    given = selectors.promotion_given_totals(actor=request.user, promotion=promotion)
    return render(
        request,
        "commerce/promotions/detail.html",
        {
            "promotion": promotion,
            "object": promotion,
            "gives": promotion_gives(promotion),
            "products": products[:PRODUCTS_SHOWN],
            "more_products": max(len(products) - PRODUCTS_SHOWN, 0),
            "conditions": conditions_in_words(actor=request.user, conditions=promotion.conditions),
            "orders": orders.get_page(request.GET.get("page")),
            "given": given,
            "can_write": can_write(request.user, promotion) and may_manage(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def promotion_form(request, pk: int | None = None):
    instance = None
    if pk is not None:
        instance = selectors.promotion_get(actor=request.user, pk=pk)
    if not may_manage(request.user) or (instance is not None and not can_write(request.user, instance)):
        raise PermissionDenied("Only sales managers and admins change promotions.")
    form = PromotionForm(request.POST or None, instance=instance, actor=request.user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                saved = promotion_save(actor=request.user, data=form.service_data(), promotion=instance)
            except (ValidationError, PermissionDenied) as error:
                apply_service_errors(form, error)
            else:
                messages.success(request, f"The promotion “{saved}” was {'saved' if instance else 'created'}.")
                return redirect("commerce-promotions:promotion-detail", saved.pk)
        status = 400
    return render(
        request,
        "commerce/promotions/form.html",
        {
            "form": form,
            "object": instance,
            "list_url": PROMOTIONS.url("list"),
            "cancel_url": PROMOTIONS.url("detail", instance.pk) if instance else None,
            "label": "promotion",
        },
        status=status,
    )


def _set_active(request, pk: int, active: bool):
    promotion = selectors.promotion_get(actor=request.user, pk=pk)
    if not may_manage(request.user):
        raise PermissionDenied("Only sales managers and admins change promotions.")
    try:
        promotion_save(actor=request.user, promotion=promotion, data={"active": active})
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    else:
        state = "active: orders placed from now on get it" if active else "inactive: new orders no longer get it"
        messages.success(request, f"The promotion “{promotion.name}” is {state}.")
    return redirect("commerce-promotions:promotion-detail", pk)


@login_required
@require_POST
def promotion_activate(request, pk: int):
    return _set_active(request, pk, True)


@login_required
@require_POST
def promotion_deactivate(request, pk: int):
    return _set_active(request, pk, False)
