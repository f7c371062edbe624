"""Pages of products: the list, a product's page, create and edit (managers and admins change products)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from backoffice.access import can_write
from backoffice.forms import apply_service_errors
from commerce import services
from commerce.api import selectors
from commerce.forms.filters import ProductPageFilter
from commerce.forms.orders import ProductForm
from commerce.views.common import Column, ListPage, export_response, get_row, list_response

PRODUCTS = ListPage(
    key="product",
    label="product",
    label_plural="Products",
    rows=lambda actor: selectors.product_list(actor=actor),
    filterset=ProductPageFilter,
    columns=(Column("SKU", "sku"), Column("Name", "name"), Column("Unit price", "unit_price"), Column("Active")),
    export_columns=(
        ("SKU", lambda r: r.sku),
        ("Name", lambda r: r.name),
        ("Unit price", lambda r: str(r.unit_price)),
        ("Currency", lambda r: r.currency),
        ("Active", lambda r: "yes" if r.active else "no"),
    ),
    template="commerce/products/list.html",
    search_placeholder="SKU or name",
)


@login_required
@require_GET
def product_list(request):
    return list_response(request, PRODUCTS)


@login_required
@require_GET
def product_export(request):
    return export_response(request, PRODUCTS)


@login_required
@require_GET
def product_detail(request, pk: int):
    product = get_row(selectors.product_list(actor=request.user), pk)
    return render(
        request,
        "commerce/products/detail.html",
        {"product": product, "object": product, "can_write": can_write(request.user, product)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def product_form(request, pk: int | None = None):
    instance = None
    if pk is not None:
        instance = get_row(selectors.product_list(actor=request.user), pk)
        if not can_write(request.user, instance):
            raise PermissionDenied("Only managers and admins change products.")
    form = ProductForm(request.POST or None, instance=instance, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.product_save(actor=request.user, data=form.service_data(), product=instance)
        except (ValidationError, PermissionDenied) as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"The product “{saved}” was {'saved' if instance else 'created'}.")
            return redirect("commerce:product-detail", saved.pk)
    return render(
        request,
        "commerce/products/form.html",
        {"form": form, "object": instance, "list_url": PRODUCTS.url("list"), "label": "product"},
    )
