"""Pages of customer users (storefront people of a customer) and customer groups: lists, pages, forms."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from backoffice.access import can_write
from backoffice.forms import apply_service_errors
from commerce import services
from commerce.api import selectors
from commerce.forms.customers import CustomerGroupForm, CustomerUserForm
from commerce.forms.filters import CustomerGroupPageFilter, CustomerUserPageFilter
from commerce.views.common import Column, ListPage, export_response, get_row, list_response

RELATED_LIMIT = 20


def customer_user_rows(actor):
    return selectors.customer_user_list(actor=actor).select_related("customer")


CUSTOMER_USERS = ListPage(
    key="customeruser",
    label="customer user",
    label_plural="Customer users",
    rows=customer_user_rows,
    filterset=CustomerUserPageFilter,
    columns=(
        Column("Name", "last_name"),
        Column("E-mail", "email"),
        Column("Customer"),
        Column("Enabled"),
        Column("Confirmed"),
    ),
    export_columns=(
        ("First name", lambda r: r.first_name),
        ("Last name", lambda r: r.last_name),
        ("E-mail", lambda r: r.email),
        ("Customer", lambda r: r.customer.name),
        ("Enabled", lambda r: "yes" if r.enabled else "no"),
        ("Confirmed", lambda r: "yes" if r.confirmed else "no"),
    ),
    template="commerce/customer_users/list.html",
    search_placeholder="Name or e-mail",
    id_filters={"customer": lambda user: selectors.customer_list(actor=user)},
)

CUSTOMER_GROUPS = ListPage(
    key="customergroup",
    label="customer group",
    label_plural="Customer groups",
    rows=lambda actor: selectors.customer_group_list(actor=actor),
    filterset=CustomerGroupPageFilter,
    columns=(Column("Name", "name"), Column("Created", "created_at")),
    export_columns=(("Name", lambda r: r.name),),
    template="commerce/customer_groups/list.html",
    search_placeholder="Group name",
)


@login_required
@require_GET
def customer_user_list(request):
    return list_response(request, CUSTOMER_USERS)


@login_required
@require_GET
def customer_user_export(request):
    return export_response(request, CUSTOMER_USERS)


@login_required
@require_GET
def customer_user_detail(request, pk: int):
    person = get_row(customer_user_rows(request.user), pk)
    orders = list(
        selectors.order_list(actor=request.user)
        .filter(customer_user=person)
        .order_by("-placed_at", "-id")[: RELATED_LIMIT + 1]
    )
    return render(
        request,
        "commerce/customer_users/detail.html",
        {
            "person": person,
            "object": person,
            "can_write": can_write(request.user, person),
            "orders": orders,
            "related_limit": RELATED_LIMIT,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def customer_user_form(request, pk: int | None = None):
    """Create or edit a customer user; the e-mail is unique in the organization whatever its case."""
    instance = None
    if pk is not None:
        instance = get_row(customer_user_rows(request.user), pk)
        if not can_write(request.user, instance):
            raise PermissionDenied("Only managers and admins change customer users.")
    initial = {}
    customer = request.GET.get("customer", "")
    if instance is None and customer.isdecimal() and len(customer) <= 18:
        initial["customer"] = int(customer)
    form = CustomerUserForm(request.POST or None, instance=instance, initial=initial, actor=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        password = form.cleaned_data.get("password") or None
        try:
            if instance is None:
                data.pop("version", None)
                saved = services.customer_user_create(actor=request.user, password=password, **data)
            else:
                saved = services.customer_user_update(
                    actor=request.user, customer_user=instance, data=data, password=password
                )
        except (ValidationError, PermissionDenied) as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"The customer user “{saved}” was {'saved' if instance else 'created'}.")
            return redirect("commerce:customeruser-detail", saved.pk)
    return render(
        request,
        "commerce/customer_users/form.html",
        {"form": form, "object": instance, "list_url": CUSTOMER_USERS.url("list"), "label": "customer user"},
    )


@login_required
@require_GET
def customer_group_list(request):
    return list_response(request, CUSTOMER_GROUPS)


@login_required
@require_GET
def customer_group_export(request):
    return export_response(request, CUSTOMER_GROUPS)


@login_required
@require_http_methods(["GET", "POST"])
def customer_group_form(request, pk: int | None = None):
    """Create or rename a group (managers and admins rename); the group's page lists its customers."""
    group = get_row(selectors.customer_group_list(actor=request.user), pk) if pk is not None else None
    writable = group is None or can_write(request.user, group)
    if request.method == "POST" and not writable:
        raise PermissionDenied("Only managers and admins change customer groups.")
    form = CustomerGroupForm(request.POST or None, initial={"name": group.name} if group else None)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.customer_group_save(actor=request.user, data=form.cleaned_data, group=group)
        except (ValidationError, PermissionDenied) as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"The customer group “{saved}” was {'saved' if group else 'created'}.")
            return redirect("commerce:customergroup-update", saved.pk)
    customers = []
    if group is not None:
        customers = list(
            selectors.customer_list(actor=request.user).filter(group=group).order_by("name", "id")[: RELATED_LIMIT + 1]
        )
    return render(
        request,
        "commerce/customer_groups/form.html",
        {
            "form": form,
            "object": group,
            "writable": writable,
            "customers": customers,
            "related_limit": RELATED_LIMIT,
            "list_url": CUSTOMER_GROUPS.url("list"),
        },
    )
