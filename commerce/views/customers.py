"""Pages of commerce customers: the list, the hierarchy as a tree, a customer's page, create and edit.

Reads go through the organization-scoped selectors (another organization's customer is a 404); writes
through commerce.services (the account-creation strategy, cycles and depth are theirs to enforce).
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from accounts.selectors import account_list, opportunity_list
from backoffice.access import can_write
from backoffice.forms import apply_service_errors
from commerce import services
from commerce.api import selectors
from commerce.forms.customers import CustomerForm
from commerce.forms.filters import CustomerPageFilter
from commerce.models import MAX_HIERARCHY_DEPTH, CommerceCustomer
from commerce.services.pages_support import customer_update_from_page
from commerce.views.common import Column, ListPage, export_response, get_row, list_response, text

RELATED_LIMIT = 20
TREE_ROOTS_PER_PAGE = 25
# Customers drawn on one tree page at most, whatever the hierarchies hold (the list pages show the rest).
TREE_NODE_LIMIT = 2000


def customer_rows(actor):
    """Customers with what their list row shows, in one query."""
    return selectors.customer_list(actor=actor).select_related("parent", "group", "account", "owner")


CUSTOMERS = ListPage(
    key="customer",
    label="customer",
    label_plural="Customers",
    rows=customer_rows,
    filterset=CustomerPageFilter,
    columns=(
        Column("Name", "name"),
        Column("Parent"),
        Column("Group"),
        Column("Account"),
        Column("Owner"),
        Column("Lifetime sales value", "lifetime_value"),
    ),
    export_columns=(
        ("Name", lambda r: r.name),
        ("Parent", lambda r: text(r.parent)),
        ("Level", lambda r: str(r.depth + 1)),
        ("Group", lambda r: text(r.group)),
        ("Account", lambda r: text(r.account)),
        ("Owner", lambda r: r.owner.display_name),
        ("Lifetime sales value", lambda r: text(r.lifetime_value)),
    ),
    template="commerce/customers/list.html",
    search_placeholder="Customer name",
    id_filters={
        "parent": lambda user: selectors.customer_list(actor=user),
        "root": lambda user: selectors.customer_list(actor=user),
        "account": lambda user: account_list(actor=user),
    },
)


@login_required
@require_GET
def customer_list(request):
    return list_response(request, CUSTOMERS)


@login_required
@require_GET
def customer_export(request):
    return export_response(request, CUSTOMERS)


def _tree_items(roots, descendants) -> list[dict]:
    """Each root followed by its descendants depth-first (children by name), with the level to indent by."""
    children: dict[int, list] = {}
    for node in descendants:
        children.setdefault(node.parent_id, []).append(node)
    items = []
    for root in roots:
        stack = [(root, 0)]
        while stack:
            node, level = stack.pop()
            kids = children.get(node.pk, [])
            items.append({"customer": node, "level": min(level, MAX_HIERARCHY_DEPTH), "children": len(kids)})
            stack.extend((kid, level + 1) for kid in reversed(kids))
    return items


@login_required
@require_GET
def customer_tree(request):
    """The hierarchies: top-level customers a page at a time, each with its divisions indented below it."""
    roots = selectors.customer_list(actor=request.user).filter(parent__isnull=True)
    search = request.GET.get("q", "")[:100].strip()
    if search:
        roots = roots.filter(name__icontains=search)
    page = Paginator(roots.order_by("name", "id"), TREE_ROOTS_PER_PAGE).get_page(request.GET.get("page"))
    root_rows = list(page.object_list)
    descendants = list(
        selectors.customer_list(actor=request.user)
        .filter(root_id__in=[root.pk for root in root_rows])
        .only("id", "name", "parent_id", "root_id", "depth", "lifetime_value")
        .order_by("depth", "name", "id")[:TREE_NODE_LIMIT]
    )
    return render(
        request,
        "commerce/customers/tree.html",
        {
            "items": _tree_items(root_rows, descendants),
            "page": page,
            "query": urlencode({"q": search}) if search else "",
            "search": search,
            "truncated": len(descendants) >= TREE_NODE_LIMIT,
            "base_currency": request.user.organization.base_currency if request.user.organization_id else "",
        },
    )


def _opportunity_create_url(customer: CommerceCustomer) -> str:
    """The CRM's opportunity form with this customer (and its account) chosen, through the registered type."""
    key = CommerceCustomer._meta.label_lower
    params = {"customer_ref": f"{key}:{customer.pk}"}
    if customer.account_id:
        params["account"] = customer.account_id
    return f"{reverse('accounts:opportunity-create')}?{urlencode(params)}"


@login_required
@require_GET
def customer_detail(request, pk: int):
    customer = get_row(customer_rows(request.user).select_related("root", "channel"), pk)
    user = request.user
    content_type = ContentType.objects.get_for_model(CommerceCustomer)
    context = {
        "customer": customer,
        "object": customer,
        "can_write": can_write(user, customer),
        "children": list(
            selectors.customer_list(actor=user).filter(parent=customer).order_by("name", "id")[: RELATED_LIMIT + 1]
        ),
        "users": list(
            selectors.customer_user_list(actor=user)
            .filter(customer=customer)
            .order_by("last_name", "first_name", "id")[: RELATED_LIMIT + 1]
        ),
        "orders": list(
            selectors.order_list(actor=user)
            .filter(customer=customer)
            .order_by("-placed_at", "-id")[: RELATED_LIMIT + 1]
        ),
        "opportunities": list(
            opportunity_list(actor=user)
            .filter(customer_type=content_type, customer_id=customer.pk)
            .order_by("-created_at", "-id")[: RELATED_LIMIT + 1]
        ),
        "related_limit": RELATED_LIMIT,
        "opportunity_create_url": _opportunity_create_url(customer),
        "base_currency": user.organization.base_currency if user.organization_id else "",
    }
    return render(request, "commerce/customers/detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def customer_form(request, pk: int | None = None):
    """Create (the account optional: the strategy decides) or edit (the account required) a customer."""
    instance = None
    if pk is not None:
        instance = get_row(customer_rows(request.user), pk)
        if not can_write(request.user, instance):
            raise PermissionDenied("You can change only the records you own or are assigned.")
    initial = {}
    parent = request.GET.get("parent", "")
    if instance is None and parent.isdecimal() and len(parent) <= 18:
        initial["parent"] = int(parent)
    form = CustomerForm(request.POST or None, instance=instance, initial=initial, actor=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        try:
            if instance is None:
                data.pop("version", None)
                saved = services.customer_create(actor=request.user, **data)
            else:
                saved = customer_update_from_page(actor=request.user, customer=instance, data=data)
        except (ValidationError, PermissionDenied) as error:
            apply_service_errors(form, error)
        else:
            verb = "saved" if instance else "created"
            messages.success(request, f"The customer “{saved}” was {verb}.")
            return redirect("commerce:customer-detail", saved.pk)
    return render(
        request,
        "commerce/customers/form.html",
        {"form": form, "object": instance, "list_url": CUSTOMERS.url("list"), "label": "customer"},
    )
