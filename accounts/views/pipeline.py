"""Web UI of the pipeline board (move a card to change its status), the forecast page and an opportunity's history.

Views stay thin: they parse the filters with a form, call one selector or service and render.
"""

import datetime as dt
from html import escape as _escape_html
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods

from accounts import selectors, services
from accounts.choices import CLOSED_STATUSES, OpportunityStatus
from accounts.forecast import forecast_compare, opportunity_weighted
from accounts.forms.pipeline import ForecastFilterForm, PipelineColumnForm, PipelineFilterForm, cursor_text
from accounts.selectors.pipeline import BOARD_PAGE, CLOSED_DAYS_ON_BOARD
from backoffice.access import can_write
from backoffice.forms import apply_service_errors, mark_invalid_fields
from backoffice.http import safe_next_url


def money(value) -> str:
    """An amount as the board shows it (1,234.50); pipeline.js formats the same way."""
    return f"{value:,.2f}"


# --- the pipeline board ------------------------------------------------------------------------


# An id no card has, reversed into each link once and cut out again: the parts on either side of it.
_PLACEHOLDER = 2147483647


def _card_links(next_url: str) -> dict:
    """The parts of a card's links around its id, reversed once per page rather than once per card."""

    def around(name: str) -> tuple[str, str]:
        before, _, after = reverse(name, args=[_PLACEHOLDER]).rpartition(str(_PLACEHOLDER))
        return before, after

    return {
        "detail": around("accounts:opportunity-detail"),
        "move": around("accounts:pipeline-move"),
        "next": quote(next_url, safe="/"),
    }


def _percent(value) -> str:
    """A probability as cards show it: 10, 12.50."""
    return str(int(value)) if value == value.to_integral_value() else f"{value:.2f}"


def card_view(card: dict, *, today: dt.date, base_currency: str) -> dict:
    """What a card prints, formatted once here: the board prints a few hundred cards at a time, and text
    made in Python costs a fraction of the same formatting done by template filters.

    The budget is in the deal's own currency, with its base-currency value beside it when they differ;
    an open deal whose close date has passed is flagged overdue.
    """
    opp = card["opportunity"]
    budget = "No budget"
    base = ""
    if opp.budget_amount is not None:
        budget = f"{money(opp.budget_amount)} {opp.budget_currency}"
        if base_currency and opp.budget_currency and opp.budget_currency != base_currency:
            if opp.budget_amount_base is not None:
                base = f"≈ {money(opp.budget_amount_base)} {base_currency}"
    overdue = (
        opp.expected_close_date is not None and opp.expected_close_date < today and opp.status not in CLOSED_STATUSES
    )
    return {
        "id": opp.pk,
        "name": opp.name,
        "account": opp.account.name,
        "owner": opp.owner.display_name,
        "budget": budget,
        "base": base,
        "probability": _percent(opp.probability),
        "close": opp.expected_close_date.isoformat() if opp.expected_close_date else "no date",
        "overdue": overdue,
        "budget_base": str(opp.budget_amount_base if opp.budget_amount_base is not None else "0.00"),
        "weighted": str(card["weighted"]),
        "can_write": card["can_write"],
    }


# A card as the board prints it. The board prints a few hundred at a time: joined in Python, a card costs
# a tenth of what the template engine takes for the same markup. Every value goes through escape(): the
# standard library's, which escapes the same five characters as Django's without its lazy-string wrapper
# (a dozen calls a card).
_CARD = (
    '<article class="card pipeline-card shadow-sm mb-2{readonly}{overdue_class}" data-opportunity-id="{id}" '
    'data-budget="{budget_base}" data-weighted="{weighted}" draggable="{draggable}" aria-label="{name}">\n'
    '  <div class="card-body p-2">\n'
    '    <div class="fw-semibold pipeline-card-name"><a href="{detail}" draggable="false">{name}</a></div>\n'
    '    <div class="small text-body-secondary pipeline-wrap">{account}</div>\n'
    '    <div class="d-flex flex-wrap justify-content-between gap-1 small mt-1">\n'
    '      <span title="Budget">{budget}</span>\n'
    '      <span title="Probability">{probability} %</span>\n'
    "    </div>\n"
    "{base_line}"
    '    <div class="d-flex flex-wrap justify-content-between gap-1 small text-body-secondary">\n'
    '      <span class="pipeline-wrap" title="Owner">{owner}</span>\n'
    "      {close_html}\n"
    "    </div>\n"
    "  </div>\n"
    '  <div class="card-footer p-1 small">{footer}</div>\n'
    "</article>\n"
)
_BASE_LINE = '    <div class="small text-body-secondary" title="In the base currency">{base}</div>\n'
_CLOSE = '<span class="text-nowrap" title="Expected close">{close}</span>'
_CLOSE_OVERDUE = '<span class="text-nowrap text-danger fw-semibold" data-role="overdue">Overdue {close}</span>'
_MOVE_LINK = '<a class="pipeline-move-link" href="{move}">Move…</a>'
_VIEW_ONLY = (
    '<span class="text-body-secondary" title="Only its owner, a manager or an admin can move it">View only</span>'
)


def escape(value) -> str:
    return _escape_html(str(value), quote=True)


def cards_html(cards: list[dict], links: dict) -> str:
    """The cards (as card_view makes them) as the board's markup, each card's link built from `links`."""
    parts = []
    for card in cards:
        text = {name: escape(card[name]) for name in _CARD_TEXT}
        card_id = int(card["id"])
        footer = (
            _MOVE_LINK.format(move=escape(f"{links['move'][0]}{card_id}{links['move'][1]}?next={links['next']}"))
            if card["can_write"]
            else _VIEW_ONLY
        )
        close = (_CLOSE_OVERDUE if card["overdue"] else _CLOSE).format(close=text["close"])
        parts.append(
            _CARD.format(
                **text,
                id=card_id,
                overdue_class=" pipeline-card-overdue" if card["overdue"] else "",
                base_line=_BASE_LINE.format(base=text["base"]) if card["base"] else "",
                close_html=close,
                readonly="" if card["can_write"] else " pipeline-card-readonly",
                draggable="true" if card["can_write"] else "false",
                detail=escape(f"{links['detail'][0]}{card_id}{links['detail'][1]}"),
                footer=footer,
            )
        )
    return mark_safe("".join(parts))  # noqa: S308 (every value above is escaped)


_CARD_TEXT = ("name", "account", "owner", "budget", "base", "probability", "close", "budget_base", "weighted")


def _more_url(status: str, query: str, cursor) -> str:
    """The address of a column's next page, keeping the board's filters."""
    more = urlencode({"status": status, "after": cursor_text(cursor)})
    return f"{reverse('accounts:pipeline-column')}?{query + '&' if query else ''}{more}"


def _currency(request) -> str:
    return request.user.organization.base_currency if request.user.organization_id else ""


@login_required
@require_GET
def pipeline(request):
    """The board: a column per status with its totals and its first cards, for the chosen owners and ranges."""
    form = PipelineFilterForm(request.GET or None, actor=request.user)
    if form.is_bound and not form.is_valid():
        mark_invalid_fields(form)
    columns = selectors.pipeline_board(actor=request.user, filters=form.filters())
    query = form.query()
    today, currency = timezone.localdate(), _currency(request)
    for column in columns:
        column["total_display"] = money(column["total"])
        column["weighted_display"] = money(column["weighted"])
        column["more_url"] = _more_url(column["status"], query, column["cursor"]) if column["has_more"] else ""
        column["cards"] = [card_view(card, today=today, base_currency=currency) for card in column["cards"]]
    links = _card_links(request.get_full_path())
    for column in columns:
        column["cards_html"] = cards_html(column["cards"], links)
    return render(
        request,
        "accounts/pipeline/board.html",
        {
            "form": form,
            "columns": columns,
            "statuses": OpportunityStatus.choices,
            "closed_days": CLOSED_DAYS_ON_BOARD,
            "page_size": BOARD_PAGE,
            "next": request.get_full_path(),
            "currency": _currency(request),
        },
    )


@login_required
@require_GET
def pipeline_column(request):
    """A column's next cards after the last one shown: a fragment for "Load more", a page without scripts."""
    form = PipelineColumnForm(request.GET, actor=request.user)
    fragment = request.htmx and not request.htmx.boosted
    if not form.is_valid():
        mark_invalid_fields(form)
        template = "accounts/pipeline/_more_error.html" if fragment else "accounts/pipeline/column.html"
        return render(request, template, {"form": form, "page": None}, status=400)
    status = form.cleaned_data["status"]
    page = selectors.pipeline_column_page(
        actor=request.user, filters=form.filters(), status=status, after=form.cleaned_data["cursor"]
    )
    query = form.query()
    page["more_url"] = _more_url(status, query, page["cursor"]) if page["has_more"] else ""
    page["cards"] = [
        card_view(card, today=timezone.localdate(), base_currency=_currency(request)) for card in page["cards"]
    ]
    board_url = reverse("accounts:pipeline") + (f"?{query}" if query else "")
    page["cards_html"] = cards_html(page["cards"], _card_links(board_url))
    return render(
        request,
        "accounts/pipeline/_more.html" if fragment else "accounts/pipeline/column.html",
        {
            "form": form,
            "page": page,
            "status_label": OpportunityStatus(status).label,
            "board_url": board_url,
            "currency": _currency(request),
        },
    )


def _back_to_board(request) -> HttpResponseRedirect:
    return HttpResponseRedirect(safe_next_url(request, reverse("accounts:pipeline")))


@login_required
@require_http_methods(["GET", "POST"])
def pipeline_move(request, pk: int):
    """Move a card to another status: JSON for the board's script, a redirect with a message for the plain form.

    A GET shows that plain form, the board's way to move a card without scripts.
    """
    opportunity = selectors.opportunity_get(actor=request.user, pk=pk)
    if request.method == "GET":
        return render(
            request,
            "accounts/pipeline/move.html",
            {
                "opp": opportunity,
                "statuses": OpportunityStatus.choices,
                "can_write": can_write(request.user, opportunity),
                "next": safe_next_url(request, reverse("accounts:pipeline")),
            },
        )
    wants_json = "application/json" in request.headers.get("Accept", "")
    status = request.POST.get("status", "")
    error, error_status = None, 400
    try:
        services.opportunity_change_status(actor=request.user, opportunity=opportunity, status=status)
    except PermissionDenied as refused:
        error, error_status = str(refused) or "You may not move this opportunity.", 403
    except ValidationError as invalid:
        error = " ".join(invalid.messages)
    if error:
        if wants_json:
            return JsonResponse({"error": error, "status": opportunity.status}, status=error_status)
        messages.error(request, f"{opportunity}: {error}")
        return _back_to_board(request)
    # Read it back the way the board does, so the card shows what is stored.
    opportunity = (
        selectors.opportunity_list(actor=request.user)
        .select_related(None)
        .select_related("owner", "account")
        .get(pk=pk)
    )
    if not wants_json:
        messages.success(request, f"{opportunity} moved to {opportunity.get_status_display()}.")
        return _back_to_board(request)
    card = {
        "opportunity": opportunity,
        "weighted": opportunity_weighted(opportunity),
        "can_write": can_write(request.user, opportunity),
    }
    links = _card_links(safe_next_url(request, reverse("accounts:pipeline")))
    return JsonResponse(
        {
            "id": opportunity.pk,
            "status": opportunity.status,
            "status_label": opportunity.get_status_display(),
            "probability": str(opportunity.probability),
            "budget_base": str(opportunity.budget_amount_base or "0.00"),
            "weighted": str(card["weighted"]),
            "card_html": cards_html(
                [card_view(card, today=timezone.localdate(), base_currency=_currency(request))], links
            ),
        }
    )


# --- the forecast ------------------------------------------------------------------------------


def _chart_points(result: dict) -> dict:
    """Monthly figures of the current forecast (and of the earlier one) for the chart."""
    points = {"current": result["current"]["months"], "earlier": None, "earlier_label": ""}
    if result["earlier"] is not None:
        points["earlier"] = result["earlier"]["months"]
        points["earlier_label"] = result["compare_to"].isoformat()
    return points


@login_required
@require_GET
def forecast(request):
    """The forecast page: figures, the comparison with an earlier date, and the chart by month of close."""
    form = ForecastFilterForm(request.GET or None, actor=request.user)
    result = None
    if not form.is_bound or form.is_valid():
        data = form.cleaned_data if form.is_bound else {}
        try:
            result = forecast_compare(
                actor=request.user,
                owners=form.owners(),
                date_from=data.get("date_from"),
                date_to=data.get("date_to"),
                compare_to=data.get("compare_to"),
            )
        except ValidationError as invalid:
            apply_service_errors(form, invalid)
    mark_invalid_fields(form)
    return render(
        request,
        "accounts/pipeline/forecast.html",
        {
            "form": form,
            "result": result,
            "chart": _chart_points(result) if result else None,
            "currency": request.user.organization.base_currency if request.user.organization_id else "",
        },
    )


# --- an opportunity's history ------------------------------------------------------------------
