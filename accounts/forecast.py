"""The sales forecast: open opportunities' count, total and weighted budget, now or as they stood on an earlier date.

Figures are in the organization's base currency (`budget_amount_base`). Opportunities with no expected
close date are "indeterminate": reported apart, and a close-date range never excludes them. Each snapshot
is grouped by month of expected close; the totals are the sums of the months.

"As it stood on a date" comes from the history (django-simple-history's rows), read set-based: an
opportunity's state then is its last history row before that moment. Most opportunities have not
changed since then, so their state then is their state now. The earlier forecast is therefore the
current one, corrected by one query over the opportunities that have a history row at or after the
moment: their current rows are taken out, and their last rows before the moment (deletions dropped)
are put in. That query reads the changed ids once through the (organization, history date) index,
then each changed opportunity's last row before the moment with one probe of the (id, history date,
history id) index (both from migration 0006), never the whole history; so its cost follows how much
changed since the date, not how many opportunities there are. This relies on every change of a
figure's field being saved through the model (so that it leaves a history row), which is how the
services write opportunities; no bulk UPDATE touches status, owner, close date, budget or probability.

PostgreSQL compiles a query with JIT once its estimated cost passes `jit_above_cost`; for a query
that runs in tens of milliseconds the compilation alone cost hundreds (a date long ago changes most
opportunities, and the estimate grows with them). The correction therefore runs in a transaction
with `SET LOCAL jit = off`, which holds for that query only (or until the end of the caller's
transaction, if there is one): no connection-wide setting changes for the rest of the application.
"""

import datetime as dt
import zoneinfo
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
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


def _filtered(rows: QuerySet, *, owners, date_from, date_to) -> QuerySet:
    """The open rows among `rows`, of these owners, closing in the range (or with no close date)."""
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
    return rows


def _grouped(rows: QuerySet) -> QuerySet:
    """Count, total and weighted budget of the rows per month of expected close (None: no close date)."""
    weighted = ExpressionWrapper(
        F("budget_amount_base") * F("probability") / Value(Decimal(100)), output_field=_SUM_FIELD
    )
    return (
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
    )


def _add_groups(raw: dict, groups: Iterable, *, sign: int = 1) -> dict:
    """Add (or with sign -1, take out) per-month groups to raw {month: [count, total, weighted]}, unrounded."""
    for group in groups:
        month = group["month"]
        month = month.date() if isinstance(month, dt.datetime) else month
        entry = raw.setdefault(month, [0, Decimal(0), Decimal(0)])
        entry[0] += sign * group["count"]
        entry[1] += sign * Decimal(group["total"] or 0)
        entry[2] += sign * Decimal(group["weighted"] or 0)
    return raw


def _assemble(raw: dict) -> dict:
    """The figures of raw per-month sums: totals of the dated months, the indeterminate apart, months in order."""
    total = [0, Decimal(0), Decimal(0)]
    indeterminate = empty_figures()
    months = []
    for month in sorted(raw, key=lambda m: (m is None, m)):
        count, amount, weighted = raw[month]
        if not count:
            continue  # every row of the month was taken out again
        figures = {"count": count, "total": cents(amount), "weighted": cents(weighted)}
        if month is None:
            indeterminate = figures
            continue
        months.append({"month": month, **figures})
        # Sum unrounded values so the totals do not carry the months' rounding.
        total = [total[0] + count, total[1] + amount, total[2] + weighted]
    return {
        "count": total[0],
        "total": cents(total[1]),
        "weighted": cents(total[2]),
        "indeterminate": indeterminate,
        "months": months,
    }


def _current_raw(*, actor: User, filters: dict) -> dict:
    """Raw per-month sums of the current opportunities (one query)."""
    rows = _filtered(organization_scope(Opportunity.objects.all(), actor=actor), **filters)
    return _add_groups({}, _grouped(rows))


# The changed opportunities (each once), then per changed opportunity its last history row before the moment
# and its current row, each found by one index probe: LIMIT 1 keeps PostgreSQL from turning either lateral
# read into a scan of the whole table joined afterwards.
_CORRECTION_SQL = """
WITH changed AS MATERIALIZED (
    SELECT DISTINCT h.id FROM {history} h WHERE h.history_date >= %(moment)s {history_scope}
)
SELECT r.sign, date_trunc('month', r.expected_close_date)::date AS month, count(*) AS count,
       coalesce(sum(r.budget_amount_base), 0) AS total,
       coalesce(sum(r.budget_amount_base * r.probability / 100), 0) AS weighted
FROM (
    SELECT 1 AS sign, t.status, t.owner_id, t.expected_close_date, t.budget_amount_base, t.probability
    FROM changed c CROSS JOIN LATERAL (
        SELECT h.history_type, h.status, h.owner_id, h.expected_close_date, h.budget_amount_base, h.probability
        FROM {history} h WHERE h.id = c.id AND h.history_date < %(moment)s
        ORDER BY h.history_date DESC, h.history_id DESC LIMIT 1
    ) t
    WHERE t.history_type <> '-'
    UNION ALL
    SELECT -1, n.status, n.owner_id, n.expected_close_date, n.budget_amount_base, n.probability
    FROM changed c CROSS JOIN LATERAL (
        SELECT o.status, o.owner_id, o.expected_close_date, o.budget_amount_base, o.probability
        FROM {current} o WHERE o.id = c.id {current_scope} LIMIT 1
    ) n
) r
WHERE {where}
GROUP BY 1, 2
"""


def _correction_postgresql(*, actor: User, moment: dt.datetime, filters: dict) -> list[dict]:
    """Per-month groups, signed: +1 for the changed opportunities as they stood, -1 for them as they are now."""
    params = {"moment": moment, "closed": list(CLOSED_STATUSES)}
    history_scope = current_scope = ""
    if not actor.is_superuser:
        params["organization"] = actor.organization_id
        history_scope = "AND h.organization_id = %(organization)s"
        current_scope = "AND o.organization_id = %(organization)s"
    where = ["r.status <> ALL(%(closed)s)"]
    owner_ids = _owner_ids(filters["owners"])
    if owner_ids is not None:
        where.append("r.owner_id = ANY(%(owners)s)")
        params["owners"] = owner_ids
    in_range = []
    if filters["date_from"] is not None:
        in_range.append("r.expected_close_date >= %(date_from)s")
        params["date_from"] = filters["date_from"]
    if filters["date_to"] is not None:
        in_range.append("r.expected_close_date <= %(date_to)s")
        params["date_to"] = filters["date_to"]
    if in_range:
        where.append(f"(({' AND '.join(in_range)}) OR r.expected_close_date IS NULL)")
    sql = _CORRECTION_SQL.format(
        history=connection.ops.quote_name(Opportunity.history.model._meta.db_table),
        current=connection.ops.quote_name(Opportunity._meta.db_table),
        history_scope=history_scope,
        current_scope=current_scope,
        where=" AND ".join(where),
    )
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(sql, params)
        names = [column.name for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _as_of_raw(*, actor: User, moment: dt.datetime, filters: dict, current: dict) -> dict:
    """Raw per-month sums as they stood at `moment`: the current ones, corrected for what changed since."""
    raw = {month: list(sums) for month, sums in current.items()}
    if not actor.is_superuser and not actor.organization_id:
        return raw  # sees no opportunities, now or then
    if connection.vendor == "postgresql":
        for group in _correction_postgresql(actor=actor, moment=moment, filters=filters):
            _add_groups(raw, [group], sign=group["sign"])
        return raw
    # Elsewhere (a development database): the same sets through the ORM, in two queries.
    historical = Opportunity.history.model
    scoped = organization_scope(historical.objects.all(), actor=actor)
    changed = scoped.filter(history_date__gte=moment).values("id")
    before = scoped.filter(id__in=changed, history_date__lt=moment)
    latest = (
        Opportunity.history.model.objects.filter(id=OuterRef("id"), history_date__lt=moment)
        .order_by("-history_date", "-history_id")
        .values("history_id")[:1]
    )
    then = before.filter(history_id=Subquery(latest)).exclude(history_type="-")
    now = organization_scope(Opportunity.objects.all(), actor=actor).filter(id__in=changed)
    _add_groups(raw, _grouped(_filtered(then, **filters)))
    return _add_groups(raw, _grouped(_filtered(now, **filters)), sign=-1)


def _as_of_moment(*, actor: User, as_of: dt.date | dt.datetime) -> dt.datetime:
    moment = as_of if isinstance(as_of, dt.datetime) else forecast_end_of_day(actor=actor, day=as_of)
    if timezone.is_naive(moment):
        raise ValidationError({"as_of": "Give the moment with its time zone."})
    return moment


def _with_currency(figures: dict, *, actor: User, moment: dt.datetime | None) -> dict:
    figures["currency"] = actor.organization.base_currency if actor.organization_id else ""
    figures["as_of"] = moment
    return figures


def _check_range(date_from: dt.date | None, date_to: dt.date | None) -> None:
    if date_from is not None and date_to is not None and date_from > date_to:
        raise ValidationError({"date_to": "The end of the close date range is before its start."})


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
    One query now; as it stood, that and the correction for what changed since (see the module).
    """
    _check_range(date_from, date_to)
    filters = {"owners": owners, "date_from": date_from, "date_to": date_to}
    moment = None if as_of is None else _as_of_moment(actor=actor, as_of=as_of)
    raw = _current_raw(actor=actor, filters=filters)
    if moment is not None:
        raw = _as_of_raw(actor=actor, moment=moment, filters=filters, current=raw)
    return _with_currency(_assemble(raw), actor=actor, moment=moment)


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
    _check_range(date_from, date_to)
    filters = {"owners": owners, "date_from": date_from, "date_to": date_to}
    raw = _current_raw(actor=actor, filters=filters)
    current = _with_currency(_assemble(raw), actor=actor, moment=None)
    result = {"current": current, "compare_to": compare_to, "earlier": None, "difference": None}
    if compare_to is not None:
        moment = _as_of_moment(actor=actor, as_of=compare_to)
        earlier_raw = _as_of_raw(actor=actor, moment=moment, filters=filters, current=raw)
        earlier = _with_currency(_assemble(earlier_raw), actor=actor, moment=moment)
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
