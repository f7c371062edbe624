"""Pages of orders: the list, an order's page (lines, totals, payments, refunds) with its pay, refund and
cancel actions and its links to ship and invoice it, and the order form with its lines.

The services enforce who may act and in which state; a refused action is shown on the order's page with
what was typed kept, and nothing is written.
"""

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from backoffice.access import can_write
from backoffice.forms import apply_service_errors
from commerce import services
from commerce.api import selectors
from commerce.choices import OrderStatus
from commerce.documents_queries import order_documents_possible, with_document_flags
from commerce.forms.filters import OrderPageFilter
from commerce.forms.orders import CrmReferenceForm, OrderForm, PayForm, RefundForm
from commerce.selector import SelectorError, SelectorUnavailable, customer_selector_for
from commerce.selector_crm import CRM, crm_customer_name
from commerce.services.crm_orders import order_crm_reference_set
from commerce.views.common import Column, ListPage, export_response, get_row, list_response, text


def order_rows(actor):
    return selectors.order_list(actor=actor).select_related("customer", "owner")


ORDERS = ListPage(
    key="order",
    label="order",
    label_plural="Orders",
    rows=order_rows,
    filterset=OrderPageFilter,
    columns=(
        Column("Number", "number"),
        Column("Customer"),
        Column("CRM reference"),
        Column("Placed", "placed_at"),
        Column("Status"),
        Column("Payment"),
        Column("Total", "total"),
        Column("Owner"),
    ),
    export_columns=(
        ("Number", lambda r: r.number),
        ("Customer", lambda r: r.customer.name),
        ("CRM reference", lambda r: r.crm_reference),
        ("Placed", lambda r: r.placed_at.isoformat()),
        ("Status", lambda r: r.get_status_display()),
        ("Payment", lambda r: r.get_payment_status_display()),
        ("Subtotal", lambda r: text(r.subtotal)),
        ("Discount", lambda r: text(r.discount)),
        ("Total", lambda r: text(r.total)),
        ("Currency", lambda r: r.currency),
        ("Base subtotal", lambda r: text(r.base_subtotal)),
        ("Owner", lambda r: r.owner.display_name),
    ),
    template="commerce/orders/list.html",
    search_placeholder="Order number or CRM reference",
    id_filters={"customer": lambda user: selectors.customer_list(actor=user)},
)


@login_required
@require_GET
def order_list(request):
    return list_response(request, ORDERS)


@login_required
@require_GET
def order_export(request):
    return export_response(request, ORDERS)


def _actions(order, user) -> dict:
    """Which actions the order's state allows (the services check again, and the rights)."""
    writable = can_write(user, order)
    open_amount = order.total - order.paid_amount
    refundable = order.paid_amount - order.refunded_amount
    return {
        "can_write": writable,
        "can_pay": writable and order.status != OrderStatus.CANCELLED and not order.refunded_amount and open_amount > 0,
        "can_refund": writable and order.total > 0 and order.paid_amount >= order.total and refundable > 0,
        "can_cancel": writable and order.status in (OrderStatus.OPEN, OrderStatus.SHIPPED),
        # Only with the CRM connector on: the selector that answers is then the CRM's.
        "can_set_crm_reference": writable
        and order.customer.is_anonymous
        and order.status != OrderStatus.CANCELLED
        and customer_selector_for(actor=user).key == CRM,
        "open_amount": open_amount,
        "refundable": refundable,
    }


def _document_links(order, user, lines) -> dict:
    """Links to the make-shipment and make-invoice forms with this order ticked, while the document services would
    take it (they check again, and the rights)."""
    shippable, invoiceable = order_documents_possible(order, lines) if can_write(user, order) else (False, False)
    query = urlencode({"customer": order.customer_id, "orders": order.pk})
    return {
        "ship_url": f"{reverse('commerce_documents:shipment-create')}?{query}" if shippable else None,
        "invoice_url": f"{reverse('commerce_documents:invoice-create')}?{query}" if invoiceable else None,
    }


def _detail(request, order, *, pay_form=None, refund_form=None, crm_form=None, refused=None, status=200):
    actions = _actions(order, request.user)
    lines = list(with_document_flags(order.lines.select_related("product")).order_by("id"))
    context = {
        "order": order,
        "object": order,
        "crm_customer_name": crm_customer_name(actor=request.user, reference=order.crm_reference),
        "crm_form": crm_form or CrmReferenceForm(initial={"reference": order.crm_reference}),
        "lines": lines,
        **_document_links(order, request.user, lines),
        "payments": list(order.payments.order_by("paid_at", "id")),
        "refunds": list(order.refunds.order_by("refunded_at", "id")),
        "base_currency": request.user.organization.base_currency if request.user.organization_id else "",
        "pay_form": pay_form or PayForm(initial={"amount": actions["open_amount"]}),
        "refund_form": refund_form or RefundForm(initial={"amount": actions["refundable"]}),
        "refused": refused,
        **actions,
    }
    return render(request, "commerce/orders/detail.html", context, status=status)


def _order(request, pk: int):
    return get_row(order_rows(request.user).select_related("customer_user"), pk)


@login_required
@require_GET
def order_detail(request, pk: int):
    return _detail(request, _order(request, pk))


def _refusal(error) -> str:
    if isinstance(error, PermissionDenied):
        return str(error) or "You may not change this order."
    return " ".join(error.messages)


def _run_action(request, order, run, *, form=None, form_key="", done: str):
    try:
        run()
    except (ValidationError, PermissionDenied) as error:
        if form is not None and isinstance(error, ValidationError) and hasattr(error, "error_dict"):
            apply_service_errors(form, error)
            refused = "; ".join(form.non_field_errors()) or "The order was not changed: see the message below."
        else:
            refused = _refusal(error)
        order.refresh_from_db()
        extra = {form_key: form} if form is not None else {}
        status = 403 if isinstance(error, PermissionDenied) else 400
        return _detail(request, order, refused=refused, status=status, **extra)
    messages.success(request, done)
    return redirect("commerce:order-detail", order.pk)


@login_required
@require_POST
def order_pay(request, pk: int):
    order = _order(request, pk)
    form = PayForm(request.POST)
    if not form.is_valid():
        return _detail(request, order, pay_form=form, refused="The payment was not recorded: see below.", status=400)
    data = form.cleaned_data
    return _run_action(
        request,
        order,
        lambda: services.order_pay(actor=request.user, order=order, amount=data["amount"], method=data["method"]),
        form=form,
        form_key="pay_form",
        done=f"A payment of {data['amount']} {order.currency} was recorded.",
    )


@login_required
@require_POST
def order_refund(request, pk: int):
    order = _order(request, pk)
    form = RefundForm(request.POST)
    if not form.is_valid():
        return _detail(request, order, refund_form=form, refused="The refund was not made: see below.", status=400)
    data = form.cleaned_data
    return _run_action(
        request,
        order,
        lambda: services.order_refund(actor=request.user, order=order, amount=data["amount"], reason=data["reason"]),
        form=form,
        form_key="refund_form",
        done=f"A refund of {data['amount']} {order.currency} was made.",
    )


@login_required
@require_POST
def order_cancel(request, pk: int):
    order = _order(request, pk)
    return _run_action(
        request,
        order,
        lambda: services.order_cancel(actor=request.user, order=order),
        done=f"The order {order} was cancelled.",
    )


@login_required
@require_POST
def order_crm_reference(request, pk: int):
    """Give an order of the anonymous customer its CRM reference (the customer is read from the CRM)."""
    order = _order(request, pk)
    form = CrmReferenceForm(request.POST)
    if not form.is_valid():
        return _detail(request, order, crm_form=form, refused="The CRM reference was not set: see below.", status=400)
    reference = form.cleaned_data["reference"]
    try:
        order_crm_reference_set(actor=request.user, order=order, reference=reference)
    except SelectorUnavailable as error:
        order.refresh_from_db()
        return _detail(request, order, crm_form=form, refused=f"{error} Try again shortly.", status=503)
    except (ValidationError, PermissionDenied) as error:
        if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
            apply_service_errors(form, error)
        order.refresh_from_db()
        status = 403 if isinstance(error, PermissionDenied) else 400
        return _detail(request, order, crm_form=form, refused=_refusal(error), status=status)
    messages.success(request, f"Order {order} now names the CRM customer {reference}.")
    return redirect("commerce:order-detail", order.pk)


def _place_for_crm_customer(actor, form, data: dict, discount, lines):
    """A new order for the customer the CRM reference names: on the anonymous customer, with the reference and
    category keys the CRM gives now; a CRM that cannot tell is a message on the reference field."""
    selector = customer_selector_for(actor=actor)
    try:
        chosen = selector.order_customer(actor=actor, reference=form.cleaned_data["crm_reference"])
    except SelectorError as error:
        messages_of = getattr(error, "errors", None)
        text = " ".join(m for items in messages_of.values() for m in items) if messages_of else str(error)
        raise ValidationError({"crm_reference": text}) from None
    return services.order_place(
        actor=actor,
        customer=chosen.customer,
        pricing_attributes=chosen.attributes,
        number=data.get("number") or None,
        currency=data.get("currency") or None,
        discount=discount,
        lines=lines,
    )


@login_required
@require_http_methods(["GET", "POST"])
def order_form(request, pk: int | None = None):
    """Place an order with its lines, or edit one (number, customer user, status, discount, lines)."""
    instance = None
    if pk is not None:
        instance = _order(request, pk)
        if not can_write(request.user, instance):
            raise PermissionDenied("You can change only the records you own or are assigned.")
    initial = {}
    customer = request.GET.get("customer", "")
    if instance is None and customer.isdecimal() and len(customer) <= 18:
        initial["customer"] = int(customer)
    posted = request.method == "POST"
    crm = instance is None and customer_selector_for(actor=request.user).key == CRM
    form = OrderForm(
        request.POST if posted else None,
        instance=instance,
        initial=initial,
        actor=request.user,
        lines_data=request.POST if posted else None,
        crm=crm,
    )
    if posted and form.is_valid():
        data = form.service_data()
        discount = data.pop("discount", None) or Decimal(0)
        lines = None if form.lines_locked else form.line_inputs()
        try:
            if instance is None and form.crm:
                saved = _place_for_crm_customer(request.user, form, data, discount, lines)
            elif instance is None:
                data.pop("version", None)
                data.pop("owner", None)
                saved = services.order_place(
                    actor=request.user,
                    customer=data["customer"],
                    customer_user=data.get("customer_user"),
                    number=data.get("number") or None,
                    currency=data.get("currency") or None,
                    discount=discount,
                    lines=lines,
                )
            else:
                data.pop("customer", None)
                if not form.lines_locked:
                    data["discount"] = discount
                saved = services.order_update(actor=request.user, order=instance, data=data, lines=lines)
        except (ValidationError, PermissionDenied) as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"The order “{saved}” was {'saved' if instance else 'placed'}.")
            return redirect("commerce:order-detail", saved.pk)
    return render(
        request,
        "commerce/orders/form.html",
        {
            "form": form,
            "object": instance,
            "list_url": ORDERS.url("list"),
            "label": "order",
            "selector_api": reverse("api-commerce-selector") if form.crm else "",
        },
    )
