"""The commerce pickers' endpoint: customers, products, customer users and groups matching what is typed.

Answers like the CRM's picker endpoint ({"results": [{value, text, detail, group}]}), so the same
Tom Select widget drives it. Every kind reads through the acting user's organization-scoped selectors,
costs one query and is cut at PICKER_LIMIT options.
"""

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, JsonResponse
from django.views.decorators.http import require_GET

from accounts.selectors.pickers import PickerOption
from commerce.api import selectors

PICKER_LIMIT = 20
MAX_TYPED = 100
MAX_WORDS = 5


def _words(text: str) -> list[str]:
    return text[:MAX_TYPED].split()[:MAX_WORDS]


def _matching(rows, words, fields):
    for word in words:
        condition = Q()
        for name in fields:
            condition |= Q(**{f"{name}__icontains": word})
        rows = rows.filter(condition)
    return rows


def _customers(request, words):
    rows = selectors.customer_list(actor=request.user).select_related("parent").only("id", "name", "parent__name")
    rows = _matching(rows, words, ("name",))
    return [
        PickerOption(str(c.pk), c.name, f"in {c.parent.name}" if c.parent_id else "top level")
        for c in rows.order_by("name", "id")[:PICKER_LIMIT]
    ]


def _products(request, words):
    rows = _matching(selectors.product_list(actor=request.user).filter(active=True), words, ("sku", "name"))
    return [
        PickerOption(str(p.pk), f"{p.sku} {p.name}", f"{p.unit_price} {p.currency}")
        for p in rows.order_by("sku", "id")[:PICKER_LIMIT]
    ]


def _customer_users(request, words):
    rows = selectors.customer_user_list(actor=request.user)
    customer = request.GET.get("customer", "")
    if customer.isdecimal() and len(customer) <= 18:
        rows = rows.filter(customer_id=customer)
    rows = _matching(rows, words, ("first_name", "last_name", "email"))
    return [
        PickerOption(str(u.pk), str(u), u.email) for u in rows.order_by("last_name", "first_name", "id")[:PICKER_LIMIT]
    ]


def _groups(request, words):
    rows = _matching(selectors.customer_group_list(actor=request.user), words, ("name",))
    return [PickerOption(str(g.pk), g.name) for g in rows.order_by("name", "id")[:PICKER_LIMIT]]


KINDS = {"customer": _customers, "product": _products, "customeruser": _customer_users, "group": _groups}


@login_required
@require_GET
def picker(request, kind: str):
    """Options of `kind` matching ?q=; ?exclude= (repeatable) leaves out values the form refuses."""
    search = KINDS.get(kind)
    if search is None:
        raise Http404("No such picker.")
    exclude = frozenset(request.GET.getlist("exclude"))
    options = [option for option in search(request, _words(request.GET.get("q", ""))) if option.value not in exclude]
    return JsonResponse({"results": [option.as_dict() for option in options]})
