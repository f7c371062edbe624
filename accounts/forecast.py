"""The sales forecast: open opportunities' count, total and weighted budget, now or as they stood on an earlier date.

Figures are in the organization's base currency (`budget_amount_base`). Opportunities with no expected
close date are "indeterminate": reported apart, and a close-date range never excludes them. Each snapshot
is one SQL query grouped by month of expected close; the totals are the sums of the months.
"""

import datetime as dt
import zoneinfo
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db.models import Count, DecimalField, ExpressionWrapper, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from accounts import selectors
from accounts.choices import CLOSED_STATUSES, OpportunityStatus
from accounts.models import Opportunity
from backoffice.access import can_write
from backoffice.models import User
from backoffice.selectors import organization_scope

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
FIGURE_KEYS = ("count", "total", "weighted")
# Wide enough for a sum of many budgets times a percentage, before rounding to cents.
_SUM_FIELD = DecimalField(max_digits=30, decimal_places=6)


def cents(value) -> Decimal:
    """A money value rounded to cents (half up), zero for None."""
    return Decimal(value or 0).quantize(CENT, rounding=ROUND_HALF_UP)


def empty_figures() -> dict:
    """Figures of an empty set of opportunities."""
    return {"count": 0, "total": ZERO, "weighted": ZERO}


def forecast_end_of_day(*, actor: User, day: dt.date) -> dt.datetime:
    """The instant a day ends in the actor's time zone (the next local midnight): "as it stood on that date"."""
    zone = zoneinfo.ZoneInfo(actor.time_zone)
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=zone)


def _owner_ids(owners: Iterable | None) -> list[int] | None:
    if owners is None:
        return None
    return [owner.pk if isinstance(owner, User) else int(owner) for owner in owners]


def _historical_as_of(*, actor: User, moment: dt.datetime) -> QuerySet:
    """The last historical row of each opportunity written before `moment`, unless that row is its deletion."""
    historical = Opportunity.history.model
    scoped = organization_scope(historical.objects.all(), actor=actor)
    latest = (
        historical.objects.filter(id=OuterRef("id"), history_date__lt=moment)
        .order_by("-history_date", "-history_id")
        .values("history_id")[:1]
    )
    return scoped.filter(history_date__lt=moment, history_id=Subquery(latest)).exclude(history_type="-")


def _figures(rows: QuerySet, *, owners, date_from, date_to) -> dict:
    """Count, total and weighted forecast of the open rows, apart for no close date, and per month (one query)."""
    rows = rows.exclude(status__in=CLOSED_STATUSES)
    owner_ids = _owner_ids(owners)
    if owner_ids is not None:
        rows = rows.filter(owner_id__in=owner_ids)
    in_range = Q()
    if date_from is not None:
        in_range &= Q(expected_close_date__gte=date_from)
    if date_to is not None:
        in_range &= Q(expected_close_date__lte=date_to)
    if in_range:
        rows = rows.filter(in_range | Q(expected_close_date__isnull=True))
    weighted = ExpressionWrapper(
        F("budget_amount_base") * F("probability") / Value(Decimal(100)), output_field=_SUM_FIELD
    )
    grouped = (
        rows.annotate(month=TruncMonth("expected_close_date"))
        .order_by()
        .values("month")
        .annotate(
            count=Count("id"),
            total=Coalesce(
                Sum("budget_amount_base", output_field=_SUM_FIELD), Value(Decimal(0)), output_field=_SUM_FIELD
            ),
            weighted=Coalesce(Sum(weighted), Value(Decimal(0)), output_field=_SUM_FIELD),
        )
        .order_by("month")
    )
    raw_total = {"count": 0, "total": Decimal(0), "weighted": Decimal(0)}
    indeterminate = empty_figures()
    months = []
    for group in grouped:
        figures = {"count": group["count"], "total": cents(group["total"]), "weighted": cents(group["weighted"])}
        if group["month"] is None:
            indeterminate = figures
            continue
        month = group["month"]
        month = month.date() if isinstance(month, dt.datetime) else month
        months.append({"month": month, **figures})
        # Sum unrounded values so the totals do not carry the months' rounding.
        raw_total["count"] += group["count"]
        raw_total["total"] += Decimal(group["total"] or 0)
        raw_total["weighted"] += Decimal(group["weighted"] or 0)
    return {
        "count": raw_total["count"],
        "total": cents(raw_total["total"]),
        "weighted": cents(raw_total["weighted"]),
        "indeterminate": indeterminate,
        "months": months,
    }


def forecast_get(
    *,
    actor: User,
    owners: Iterable | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    as_of: dt.date | dt.datetime | None = None,
) -> dict:
    """The forecast of the actor's organization's open opportunities (neither won nor lost).

    `owners` (users or ids) and the inclusive expected-close range filter it; `as_of` (a date: the end of
    that day in the actor's time zone, or an instant) computes it from the history as it stood then.
    Returns {count, total, weighted, indeterminate: {count, total, weighted}, months: [{month, ...}],
    currency, as_of}; `count`/`total`/`weighted` cover the opportunities that have a close date.
    """
    if date_from is not None and date_to is not None and date_from > date_to:
        raise ValidationError({"date_to": "The end of the close date range is before its start."})
    moment = None
    if as_of is not None:
        moment = as_of if isinstance(as_of, dt.datetime) else forecast_end_of_day(actor=actor, day=as_of)
        if timezone.is_naive(moment):
            raise ValidationError({"as_of": "Give the moment with its time zone."})
        rows = _historical_as_of(actor=actor, moment=moment)
    else:
        rows = organization_scope(Opportunity.objects.all(), actor=actor)
    figures = _figures(rows, owners=owners, date_from=date_from, date_to=date_to)
    figures["currency"] = actor.organization.base_currency if actor.organization_id else ""
    figures["as_of"] = moment
    return figures


def _difference(now: dict, then: dict) -> dict:
    return {key: now[key] - then[key] for key in FIGURE_KEYS}


def forecast_difference(*, current: dict, earlier: dict) -> dict:
    """How much each figure grew since the earlier forecast (negative when it shrank)."""
    return {
        **_difference(current, earlier),
        "indeterminate": _difference(current["indeterminate"], earlier["indeterminate"]),
    }


def forecast_compare(
    *,
    actor: User,
    owners: Iterable | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    compare_to: dt.date | None = None,
) -> dict:
    """The current forecast and, with `compare_to`, the one at the end of that date and the difference."""
    if compare_to is not None and compare_to > timezone.localdate(timezone=zoneinfo.ZoneInfo(actor.time_zone)):
        raise ValidationError({"compare_to": "Compare to today or an earlier date."})
    filters = {"owners": owners, "date_from": date_from, "date_to": date_to}
    current = forecast_get(actor=actor, **filters)
    result = {"current": current, "compare_to": compare_to, "earlier": None, "difference": None}
    if compare_to is not None:
        earlier = forecast_get(actor=actor, as_of=compare_to, **filters)
        result["earlier"] = earlier
        result["difference"] = forecast_difference(current=current, earlier=earlier)
    return result


def opportunity_weighted(opportunity: Opportunity) -> Decimal:
    """One opportunity's weighted budget in the base currency: budget times probability, in cents."""
    if opportunity.budget_amount_base is None:
        return ZERO
    return cents(opportunity.budget_amount_base * opportunity.probability / 100)


def pipeline_columns(
    *, actor: User, owners: Iterable | None = None, closed_since: dt.datetime | None = None
) -> list[dict]:
    """The pipeline board: one column per status in pipeline order, each with its cards and totals (one query).

    Won and lost columns hold the deals closed since `closed_since` (all of them when None), so the
    board does not fill up with years of closed deals. A card is {opportunity, weighted, can_write}.
    """
    rows = (
        selectors.opportunity_list(actor=actor)
        .filter(archived_at__isnull=True)
        .select_related(None)
        .select_related("owner", "account")
    )
    owner_ids = _owner_ids(owners)
    if owner_ids is not None:
        rows = rows.filter(owner_id__in=owner_ids)
    if closed_since is not None:
        rows = rows.exclude(status__in=CLOSED_STATUSES, closed_at__lt=closed_since)
    rows = rows.order_by(F("expected_close_date").asc(nulls_last=True), "name", "id")
    columns = {
        status.value: {"status": status.value, "label": status.label, "cards": [], **empty_figures()}
        for status in OpportunityStatus
    }
    for opportunity in rows:
        column = columns.get(opportunity.status)
        if column is None:
            continue
        card = {
            "opportunity": opportunity,
            "weighted": opportunity_weighted(opportunity),
            "can_write": can_write(actor, opportunity),
        }
        column["cards"].append(card)
        column["count"] += 1
        column["total"] += cents(opportunity.budget_amount_base)
        column["weighted"] += card["weighted"]
    return list(columns.values())
