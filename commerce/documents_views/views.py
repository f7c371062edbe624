"""Web pages of shipments and invoices: lists (search, filters, sorting, paging), detail pages with their actions,
and the "make a shipment / make an invoice" form choosing orders of one customer.

Thin like every page: reads through commerce.documents_queries, writes through commerce.services.documents,
whose refusals show on the form or as a message.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.forms import HiddenInput
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST
from django_filters.widgets import DateRangeWidget

from accounts.views.common import PAGE_SIZES, filtered_page, query_without_page
from backoffice.access import can_write
from backoffice.forms import apply_service_errors, style_form
from commerce import documents_queries as queries
from commerce.choices import OrderStatus
from commerce.documents_views.forms import ORDERS_OFFERED, CustomerChoiceForm, InvoiceForm, ShipmentForm
from commerce.models import InvoiceStatus, ShipmentStatus
from commerce.selector_crm import crm_customer_name
from commerce.services import documents as services

PICKER_LIMIT = 20
HIDDEN_FILTERS = ("customer", "order")


@dataclass(frozen=True)
class DocumentKind:
    """What the shared views need to know about one kind of document."""

    key: str
    label: str
    label_plural: str
    list_selector: object
    get_selector: object
    filterset: type
    columns: tuple[tuple[str, str], ...]  # (label, ordering field or "")
    search_placeholder: str

    def url(self, name: str, *args) -> str:
        return reverse(f"commerce_documents:{self.key}-{name}", args=args)


SHIPMENT = DocumentKind(
    key="shipment",
    label="shipment",
    label_plural="Shipments",
    list_selector=queries.shipment_list,
    get_selector=queries.shipment_get,
    filterset=queries.ShipmentFilter,
    columns=(
        ("Number", "number"),
        ("Customer", ""),
        ("Status", ""),
        ("Lines", ""),
        ("Quantity", "quantity_total"),
        ("Shipped", "shipped_at"),
        ("Made", "created_at"),
    ),
    search_placeholder="Number, customer or CRM reference",
)
INVOICE = DocumentKind(
    key="invoice",
    label="invoice",
    label_plural="Invoices",
    list_selector=queries.invoice_list,
    get_selector=queries.invoice_get,
    filterset=queries.InvoiceFilter,
    columns=(
        ("Number", "number"),
        ("Customer", ""),
        ("Status", ""),
        ("Issued", "issued_on"),
        ("Due", "due_on"),
        ("Total", "total"),
    ),
    search_placeholder="Number, customer or CRM reference",
)
KINDS = {SHIPMENT.key: SHIPMENT, INVOICE.key: INVOICE}


def _headers(request, kind: DocumentKind) -> list[dict]:
    """Column headers: a link that sorts by the column, descending when it is already ascending."""
    current = request.GET.get("ordering", "")
    headers = []
    for label, ordering in kind.columns:
        header = {"label": label, "url": None, "direction": ""}
        if ordering:
            params = request.GET.copy()
            params.pop("page", None)
            if current == ordering:
                params["ordering"], header["direction"] = f"-{ordering}", "asc"
            else:
                params["ordering"] = ordering
                header["direction"] = "desc" if current == f"-{ordering}" else ""
            header["url"] = f"?{params.urlencode()}"
        headers.append(header)
    return headers


def _style_filters(form) -> None:
    for name, field in form.fields.items():
        if name in HIDDEN_FILTERS:
            field.widget = HiddenInput()
        if isinstance(field.widget, DateRangeWidget):
            for sub in field.widget.widgets:
                sub.input_type = "date"
        if name == "owner":
            field.label_from_instance = lambda user: user.display_name
    style_form(form)


def _scope(request) -> dict | None:
    """A list narrowed to one customer or order (a link from its page) names it, with a link to undo."""
    for name in HIDDEN_FILTERS:
        value = request.GET.get(name, "")
        if value.isdecimal():
            params = request.GET.copy()
            params.pop(name)
            params.pop("page", None)
            label = f"{name.capitalize()}: {value}"
            if name == "customer":
                customer = queries.customer_choices(actor=request.user).filter(pk=value).first()
                label = f"Customer: {customer.name if customer else 'unknown'}"
            return {"label": label, "url": None, "clear_url": f"?{params.urlencode()}"}
    return None


def _kind(key: str) -> DocumentKind:
    try:
        return KINDS[key]
    except KeyError:
        raise Http404("No such document.") from None


@login_required
@require_http_methods(["GET"])
def document_list(request, kind: str):
    """A searchable, filterable, sortable, paginated list; one query for the page and one for its count."""
    kind = _kind(kind)
    filterset, page = filtered_page(request, kind.filterset, kind.list_selector(actor=request.user))
    _style_filters(filterset.form)
    params = request.GET.copy()
    params.pop("page", None)
    sizes = []
    for size in PAGE_SIZES:
        params["page_size"] = str(size)
        sizes.append({"size": size, "url": f"?{params.urlencode()}", "active": page.paginator.per_page == size})
    return render(
        request,
        f"commerce/documents/{kind.key}_list.html",
        {
            "kind": kind,
            "filter": filterset,
            "page": page,
            "rows": page.object_list,
            "query": query_without_page(request),
            "headers": _headers(request, kind),
            "page_sizes": sizes,
            "scope": _scope(request),
            "filtered": any(k not in ("page", "page_size", "ordering") and v for k, v in request.GET.items()),
        },
    )


def _lines_by_order(document) -> list[dict]:
    """The document's lines grouped under their orders, in order number order (from the prefetched lines)."""
    groups: dict[int, dict] = {}
    for line in document.lines.all():
        group = groups.setdefault(line.order_id, {"order": line.order, "lines": []})
        group["lines"].append(line)
    return sorted(groups.values(), key=lambda group: (group["order"].number, group["order"].pk))


@login_required
@require_http_methods(["GET"])
def document_detail(request, kind: str, pk: int):
    """One document: its header, its lines under their orders, and the actions its state allows."""
    kind = _kind(kind)
    document = kind.get_selector(actor=request.user, pk=pk)
    writable = can_write(request.user, document)
    if kind is SHIPMENT:
        pending = document.status == ShipmentStatus.PENDING
        actions = [("ship", "Mark shipped", "primary"), ("delete", "Delete", "outline-danger")] if pending else []
    else:
        actions = (
            [("pay", "Mark paid", "primary"), ("void", "Void", "outline-danger")]
            if document.status == InvoiceStatus.OPEN
            else []
        )
    return render(
        request,
        f"commerce/documents/{kind.key}_detail.html",
        {
            "kind": kind,
            "object": document,
            "crm_customer_name": crm_customer_name(actor=request.user, reference=document.crm_reference),
            "groups": _lines_by_order(document),
            "actions": actions if writable else [],
            "read_only_reason": None if writable else "You can change only the documents you own or are assigned.",
        },
    )


ACTIONS = {
    ("shipment", "ship"): (lambda actor, row: services.shipment_ship(actor=actor, shipment=row), "shipped"),
    ("shipment", "delete"): (lambda actor, row: services.shipment_delete(actor=actor, shipment=row), "deleted"),
    ("invoice", "pay"): (lambda actor, row: services.invoice_pay(actor=actor, invoice=row), "marked paid"),
    ("invoice", "void"): (lambda actor, row: services.invoice_void(actor=actor, invoice=row), "voided"),
}


@login_required
@require_POST
def document_action(request, kind: str, pk: int, action: str):
    """Move a document on (ship, pay, void) or delete a pending shipment; a refusal is shown as a message."""
    kind = _kind(kind)
    if (kind.key, action) not in ACTIONS:
        raise Http404("No such action.")
    document = kind.get_selector(actor=request.user, pk=pk)
    run, done = ACTIONS[(kind.key, action)]
    try:
        run(request.user, document)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, " ".join(getattr(error, "messages", None) or [str(error)]))
        return redirect(kind.url("detail", document.pk))
    messages.success(request, f"The {kind.label} {document.number} was {done}.")
    if action == "delete":
        return redirect(kind.url("list"))
    return redirect(kind.url("detail", document.pk))


def _offered_orders(request, kind: DocumentKind, customer) -> list:
    """The customer's orders the form offers, each with its lines and whether it can still go on this kind."""
    orders = queries.documentable_orders(actor=request.user, customer=customer)
    offered = []
    for order in orders[:ORDERS_OFFERED]:
        lines = list(order.lines.all())
        if kind is SHIPMENT:
            open_lines = [line for line in lines if not line.is_shipped]
            reason = "closed" if order.status == OrderStatus.CLOSED else ("" if open_lines else "every line shipped")
        else:
            reason = "on an invoice" if any(line.is_invoiced for line in lines) else ""
        offered.append({"order": order, "lines": lines, "reason": reason})
    return offered


@login_required
@require_http_methods(["GET", "POST"])
def document_create(request, kind: str):
    """Choose a customer, tick some of its orders, make the document (the service refuses mixes and repeats)."""
    kind = _kind(kind)
    source = request.POST if request.method == "POST" else request.GET
    chooser = CustomerChoiceForm(source if "customer" in source else None, actor=request.user)
    customer = chooser.cleaned_data["customer"] if chooser.is_bound and chooser.is_valid() else None
    form, offered = None, []
    if customer is not None:
        form_class = ShipmentForm if kind is SHIPMENT else InvoiceForm
        orders = queries.documentable_orders(actor=request.user, customer=customer)
        if request.method == "POST":
            form = form_class(request.POST, orders=orders)
            if form.is_valid():
                made = _make(request, kind, form)
                if made is not None:
                    messages.success(request, f"The {kind.label} {made.number} was made.")
                    return redirect(kind.url("detail", made.pk))
        else:
            ticked = [value for value in request.GET.getlist("orders") if value.isdecimal()]
            form = form_class(initial={"orders": ticked}, orders=orders)
        offered = _offered_orders(request, kind, customer)
    ticked = {str(value) for value in (form["orders"].value() or [])} if form is not None else set()
    return render(
        request,
        "commerce/documents/document_form.html",
        {"kind": kind, "chooser": chooser, "customer": customer, "form": form, "offered": offered, "ticked": ticked},
    )


def _make(request, kind: DocumentKind, form):
    data = form.cleaned_data
    try:
        if kind is SHIPMENT:
            return services.shipment_create(actor=request.user, orders=data["orders"], shipped=data["shipped"])
        return services.invoice_create(
            actor=request.user, orders=data["orders"], issued_on=data.get("issued_on"), due_on=data.get("due_on")
        )
    except (ValidationError, PermissionDenied) as error:
        apply_service_errors(form, error)
        return None


@login_required
@require_http_methods(["GET"])
def customer_options(request):
    """The customer picker's options: customers of the organization whose name holds every typed word."""
    rows = queries.customer_choices(actor=request.user)
    for word in request.GET.get("q", "")[:100].split()[:5]:
        rows = rows.filter(Q(name__icontains=word))
    results = [{"value": str(c.pk), "text": c.name} for c in rows.only("id", "name")[:PICKER_LIMIT]]
    return JsonResponse({"results": results})
