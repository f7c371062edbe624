"""Back-office pages: quotes, requests for quote and shopping lists (lists and details), a quote made from a
request with its validity date and prices, and a quote's accept and cancel actions."""

import datetime as dt
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from accounts.views.common import filtered_page, query_without_page
from backoffice.access import can_write
from commerce.backoffice_quotes import selectors
from commerce.backoffice_quotes.filters import QuoteFilter, RequestForQuoteFilter, ShoppingListFilter
from commerce.services import quotes as services
from commerce.services.orders import MAX_AMOUNT

# Id filters serve links and the API; on the page they ride along hidden instead of as number boxes.
HIDDEN_FILTERS = ("customer", "customer_user", "request", "owner")


def _list(request, *, template: str, filterset_class, queryset, ordering, title: str):
    filterset, page = filtered_page(request, filterset_class, queryset, default_ordering=ordering)
    for name, field in filterset.form.fields.items():
        if name in HIDDEN_FILTERS:
            field.widget = forms.HiddenInput()
        elif isinstance(field.widget, forms.Select):
            field.widget.attrs["class"] = "form-select"
        else:
            field.widget.attrs["class"] = "form-control"
    return render(
        request,
        template,
        {"filter": filterset, "page": page, "query": query_without_page(request), "title": title},
    )


@login_required
def quote_list(request):
    return _list(
        request,
        template="commerce/quotes/quote_list.html",
        filterset_class=QuoteFilter,
        queryset=selectors.quote_list(actor=request.user),
        ordering=("-created_at", "-id"),
        title="Quotes",
    )


@login_required
def quote_detail(request, pk: int):
    quote = selectors.quote_get(actor=request.user, pk=pk)
    return render(
        request,
        "commerce/quotes/quote_detail.html",
        {
            "quote": quote,
            "lines": list(quote.lines.all()),
            "expired": services.quote_is_expired(quote),
            "can_write": can_write(request.user, quote),
        },
    )


def _quote_action(request, pk: int, action):
    quote = selectors.quote_get(actor=request.user, pk=pk)
    try:
        result = action(actor=request.user, quote=quote)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return None
    except PermissionDenied as error:
        messages.error(request, str(error))
        return None
    return result


@login_required
@require_POST
def quote_accept(request, pk: int):
    order = _quote_action(request, pk, services.quote_accept)
    if order is not None:
        messages.success(request, f"The quote is accepted: order {order.number} is placed.")
    return redirect("commerce-quotes:quote-detail", pk=pk)


@login_required
@require_POST
def quote_cancel(request, pk: int):
    if _quote_action(request, pk, services.quote_cancel) is not None:
        messages.success(request, "The quote is cancelled.")
    return redirect("commerce-quotes:quote-detail", pk=pk)


@login_required
def rfq_list(request):
    return _list(
        request,
        template="commerce/quotes/rfq_list.html",
        filterset_class=RequestForQuoteFilter,
        queryset=selectors.request_for_quote_list(actor=request.user),
        ordering=("-created_at", "-id"),
        title="Requests for quote",
    )


@login_required
def rfq_detail(request, pk: int):
    rfq = selectors.request_for_quote_get(actor=request.user, pk=pk)
    return render(
        request,
        "commerce/quotes/rfq_detail.html",
        {"rfq": rfq, "lines": list(rfq.lines.all()), "quotes": list(rfq.quotes.all())},
    )


class QuoteFromRequestForm(forms.Form):
    """The validity date, and one price per requested line (the product's price to start with)."""

    valid_until = forms.DateField(
        label="Valid until", widget=forms.DateInput(attrs={"type": "date", "class": "form-control"})
    )

    def __init__(self, *args, lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = lines
        for line in lines:
            self.fields[f"price_{line.pk}"] = forms.DecimalField(
                label=f"Unit price of {line.product.sku} {line.product.name}",
                min_value=Decimal(0),
                max_value=MAX_AMOUNT,
                max_digits=18,
                decimal_places=2,
                initial=line.product.unit_price,
                widget=forms.NumberInput(attrs={"class": "form-control", "step": "0.01", "min": "0"}),
            )
        if self.is_bound:
            for name in self.errors:
                if name in self.fields:
                    self.fields[name].widget.attrs["class"] = "form-control is-invalid"

    def price_fields(self):
        return [(line, self[f"price_{line.pk}"]) for line in self.lines]


@login_required
@require_http_methods(["GET", "POST"])
def quote_create_from_rfq(request, pk: int):
    """Answer a request for quote: prices per line and a validity date (a fortnight to start with)."""
    rfq = selectors.request_for_quote_get(actor=request.user, pk=pk)
    lines = list(rfq.lines.all())
    initial = {"valid_until": timezone.localdate() + dt.timedelta(days=14)}
    form = QuoteFromRequestForm(request.POST or None, lines=lines, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                quote = services.quote_create(
                    actor=request.user,
                    request=rfq,
                    valid_until=form.cleaned_data["valid_until"],
                    lines=[
                        services.QuoteLineInput(
                            product=line.product,
                            quantity=line.quantity,
                            unit_price=form.cleaned_data[f"price_{line.pk}"],
                        )
                        for line in lines
                    ],
                )
            except ValidationError as error:
                for field, errors in getattr(error, "message_dict", {None: error.messages}).items():
                    form.add_error(field if field in form.fields else None, errors)
            except PermissionDenied as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, f"Quote {quote.number} is made for {rfq.customer.name}.")
                return redirect("commerce-quotes:quote-detail", pk=quote.pk)
        status = 400
    return render(request, "commerce/quotes/quote_form.html", {"rfq": rfq, "form": form}, status=status)


@login_required
def shopping_list_list(request):
    return _list(
        request,
        template="commerce/quotes/shopping_list_list.html",
        filterset_class=ShoppingListFilter,
        queryset=selectors.shopping_list_list(actor=request.user),
        ordering=("-updated_at", "-id"),
        title="Shopping lists",
    )


@login_required
def shopping_list_detail(request, pk: int):
    shopping_list = selectors.shopping_list_get(actor=request.user, pk=pk)
    return render(
        request,
        "commerce/quotes/shopping_list_detail.html",
        {"shopping_list": shopping_list, "lines": list(shopping_list.lines.all())},
    )
