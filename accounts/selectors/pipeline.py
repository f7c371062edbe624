"""The pipeline board: a column per status with its figures (one GROUP BY) and its first cards (one query).

The board costs the same few queries whatever the number of deals: the totals are summed by the
database, and only the first `BOARD_PAGE` cards of each column are read; the rest come a page at a
time by keyset (`pipeline_column_page`), after the last card shown.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, Round
from django.utils import timezone

from accounts.choices import CLOSED_STATUSES, OpportunityStatus
from accounts.models import Opportunity, PipelineClosedDay, PipelineTotal
from accounts.selectors.records import opportunity_list
from backoffice.access import can_write
from backoffice.models import User

# Cards per column on the board and per "load more" page.
BOARD_PAGE = 25
# Won and lost deals stay on the board this long after closing; older ones are in the opportunity list.
CLOSED_DAYS_ON_BOARD = 90

ORDER_CLOSE_DATE = "close_date"
ORDER_AMOUNT = "amount"
ORDERS = {ORDER_CLOSE_DATE: "Expected close date", ORDER_AMOUNT: "Amount, largest first"}
_ORDER_FIELD = {ORDER_CLOSE_DATE: "expected_close_date", ORDER_AMOUNT: "budget_amount_base"}

ZERO = Decimal("0.00")
MONEY = DecimalField(max_digits=30, decimal_places=2)
# A deal's weighted amount in cents, the same figure on its card and in its column's total.
WEIGHTED = Round(
    ExpressionWrapper(F("budget_amount_base") * F("probability") / Value(100), output_field=MONEY),
    2,
    output_field=MONEY,
)


def closed_since(now: dt.datetime | None = None) -> dt.datetime:
    """The start of the won and lost columns' window: midnight (UTC) CLOSED_DAYS_ON_BOARD days ago, a day's
    boundary so that the database-kept sums per day of closing (PipelineClosedDay) cover the same deals."""
    today = (now or timezone.now()).astimezone(dt.UTC).date()
    return dt.datetime.combine(today - dt.timedelta(days=CLOSED_DAYS_ON_BOARD), dt.time(), tzinfo=dt.UTC)


@dataclass(frozen=True)
class BoardFilters:
    """What the board shows. No owners means the actor's default: a manager's whole team, a rep's own deals."""

    owner_ids: tuple[int, ...] = ()
    everyone: bool = False
    close_from: dt.date | None = None
    close_to: dt.date | None = None
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    order: str = ORDER_CLOSE_DATE


@dataclass(frozen=True)
class Cursor:
    """The sort key of the last card shown (its close date or amount, None when it has none) and its id."""

    value: dt.date | Decimal | None
    pk: int


def board_owner_ids(*, actor: User, filters: BoardFilters) -> tuple[int, ...] | None:
    """The owners whose deals the board shows; None for the whole organization.

    Everyone in the organization may read its deals; the board starts with a manager's (or an admin's)
    whole team and with a rep's own deals, and either may choose owners or the whole team.
    """
    if filters.owner_ids:
        return filters.owner_ids
    if filters.everyone or actor.can_manage_organization:
        return None
    return (actor.pk,)


def pipeline_status_rows(*, actor: User, filters: BoardFilters, status: str) -> QuerySet[Opportunity]:
    """The deals of one column, in terms each index can use: a won or lost column's recently closed deals
    are a range of the (organization, status, closed_at) index rather than a filter over all its deals."""
    rows = _filtered(opportunity_list(actor=actor).filter(archived_at__isnull=True, status=status), actor, filters)
    if status in CLOSED_STATUSES:
        rows = rows.filter(Q(closed_at__gte=closed_since()) | Q(closed_at__isnull=True))
    return rows


def _filtered(rows: QuerySet, actor: User, filters: BoardFilters) -> QuerySet:
    owner_ids = board_owner_ids(actor=actor, filters=filters)
    if owner_ids is not None:
        rows = rows.filter(owner_id__in=owner_ids)
    if filters.close_from is not None:
        rows = rows.filter(expected_close_date__gte=filters.close_from)
    if filters.close_to is not None:
        rows = rows.filter(expected_close_date__lte=filters.close_to)
    if filters.amount_min is not None:
        rows = rows.filter(budget_amount_base__gte=filters.amount_min)
    if filters.amount_max is not None:
        rows = rows.filter(budget_amount_base__lte=filters.amount_max)
    return rows


def pipeline_board_rows(*, actor: User, filters: BoardFilters, now: dt.datetime | None = None) -> QuerySet[Opportunity]:
    """The deals on the board: the actor's readable, unarchived ones matching the filters, won and lost
    ones only when closed in the last CLOSED_DAYS_ON_BOARD days."""
    rows = (
        opportunity_list(actor=actor)
        .filter(archived_at__isnull=True)
        .exclude(status__in=CLOSED_STATUSES, closed_at__lt=closed_since(now))
    )
    return _filtered(rows, actor, filters)


# What a missing close date or amount sorts as (last, either way), where the order must not follow an index.
_ORDER_LAST = {ORDER_CLOSE_DATE: Value(dt.date.max), ORDER_AMOUNT: Value(Decimal(-1))}


def _ordering(order: str, status: str | None = None) -> list:
    """Close date first (or amount, largest first), missing values last, ties by id.

    A won or lost column sorts an expression rather than the column: its few recently closed deals are
    a range of a closed_at index, whereas walking the close-date index for them reads every deal of the
    status closed long ago first (deals closed lately are the ones with late close dates).
    """
    field = F(_ORDER_FIELD[order])
    if status in CLOSED_STATUSES:
        field = Coalesce(field, _ORDER_LAST[order])
    first = field.desc(nulls_last=True) if order == ORDER_AMOUNT else field.asc(nulls_last=True)
    return [first, F("id").asc()]


def _after(rows: QuerySet, order: str, cursor: Cursor) -> QuerySet:
    """The rows that sort after the cursor (nulls sort last, ties by id)."""
    field = _ORDER_FIELD[order]
    if cursor.value is None:
        return rows.filter(**{f"{field}__isnull": True, "id__gt": cursor.pk})
    beyond = "lt" if order == ORDER_AMOUNT else "gt"
    return rows.filter(
        Q(**{f"{field}__{beyond}": cursor.value})
        | Q(**{field: cursor.value, "id__gt": cursor.pk})
        | Q(**{f"{field}__isnull": True})
    )


# What a card shows and what deciding whether it may be moved needs: a card reads a few columns of three rows.
CARD_FIELDS = (
    "organization_id",
    "owner__username",
    "owner__first_name",
    "owner__last_name",
    "account__name",
    "name",
    "status",
    "probability",
    "budget_amount",
    "budget_currency",
    "budget_amount_base",
    "expected_close_date",
)


def _cards(rows: QuerySet) -> QuerySet:
    return (
        rows.select_related(None)
        .select_related("owner", "account")
        .only(*CARD_FIELDS)
        .annotate(weighted=Coalesce(WEIGHTED, ZERO))
    )


def _first_cards(rows: QuerySet, order: str, status: str, limit: int) -> QuerySet:
    """The first `limit` cards of a column in the board's order.

    A won or lost column sorts its recently closed deals (see _ordering): their ids are sorted and cut
    first, and only the cards kept are joined to their owner and account, rather than every deal of the
    window before the sort.
    """
    ordering = _ordering(order, status)
    if status not in CLOSED_STATUSES:
        return _cards(rows).order_by(*ordering)[:limit]
    first = rows.select_related(None).order_by(*ordering).values("pk")[:limit]
    return _cards(Opportunity.objects.filter(pk__in=first)).order_by(*ordering)[:limit]


def _card(actor: User, opportunity: Opportunity) -> dict:
    return {"opportunity": opportunity, "weighted": opportunity.weighted, "can_write": can_write(actor, opportunity)}


def cursor_of(order: str, opportunity: Opportunity) -> Cursor:
    """The cursor just after this card."""
    return Cursor(value=getattr(opportunity, _ORDER_FIELD[order]), pk=opportunity.pk)


def _sums(rows: QuerySet) -> QuerySet:
    return (
        rows.order_by()
        .values("status")
        .annotate(
            count=Count("id"),
            total=Coalesce(Sum("budget_amount_base"), ZERO, output_field=MONEY),
            weighted=Coalesce(Sum(WEIGHTED), ZERO, output_field=MONEY),
        )
    )


def _summed(rows: QuerySet) -> dict[str, dict]:
    return {row["status"]: row for row in _sums(rows)}


def _figures(*, actor: User, filters: BoardFilters, rows: QuerySet) -> dict[str, dict]:
    """Count, amount and weighted amount of each column.

    On PostgreSQL, with no close-date or amount filter, open columns read the database-kept totals per
    owner and status (PipelineTotal) and the won and lost ones those per owner, status and day of closing
    (PipelineClosedDay) of the window's days: the same cost at any number of deals. Otherwise the
    matching deals are summed.
    """
    filtered = any(
        value is not None for value in (filters.close_from, filters.close_to, filters.amount_min, filters.amount_max)
    )
    if connection.vendor != "postgresql" or filtered:
        return _summed(rows)
    owner_ids = board_owner_ids(actor=actor, filters=filters)
    open_totals = PipelineTotal.objects.filter(organization_id=actor.organization_id)
    closed_totals = PipelineClosedDay.objects.filter(
        Q(closed_on__gte=closed_since().date()) | Q(closed_on__isnull=True),
        organization_id=actor.organization_id,
        status__in=CLOSED_STATUSES,
    )
    if owner_ids is not None:
        open_totals = open_totals.filter(owner_id__in=owner_ids)
        closed_totals = closed_totals.filter(owner_id__in=owner_ids)
    open_sums, closed_sums = (
        totals.values("status").annotate(
            count=Coalesce(Sum("count"), 0),
            total=Coalesce(Sum("total"), ZERO),
            weighted=Coalesce(Sum("weighted"), ZERO),
        )
        for totals in (open_totals, closed_totals)
    )
    return {row["status"]: row for row in open_sums.union(closed_sums, all=True)}


def pipeline_board(*, actor: User, filters: BoardFilters, per_column: int = BOARD_PAGE) -> list[dict]:
    """The board's columns in pipeline order: {status, label, closed, count, total, weighted, cards, has_more}.

    The figures cover every deal on the board (for won and lost, those closed recently), not only the
    cards shown (see _figures). A constant number of queries: the figures, and the first `per_column`
    cards of each status.
    """
    rows = pipeline_board_rows(actor=actor, filters=filters)
    figures = _figures(actor=actor, filters=filters, rows=rows)
    # The first cards of each status, each read by its own LIMIT (an index scan for the close date order)
    # and all of them in one statement: a window over every row would sort the whole board first.
    per_status = [
        _first_cards(
            pipeline_status_rows(actor=actor, filters=filters, status=status), filters.order, status, per_column
        )
        for status in OpportunityStatus.values
    ]
    if connection.features.supports_slicing_ordering_in_compound:
        cards = per_status[0].union(*per_status[1:], all=True)
    else:  # SQLite cannot LIMIT the parts of a UNION: a query per status
        cards = [opportunity for query in per_status for opportunity in query]
    columns = {
        status.value: {
            "status": status.value,
            "label": status.label,
            "closed": status.value in CLOSED_STATUSES,
            "count": figures.get(status.value, {}).get("count", 0),
            "total": figures.get(status.value, {}).get("total", ZERO),
            "weighted": figures.get(status.value, {}).get("weighted", ZERO),
            "cards": [],
        }
        for status in OpportunityStatus
    }
    for opportunity in cards:
        column = columns.get(opportunity.status)
        if column is not None:
            column["cards"].append(_card(actor, opportunity))
    for column in columns.values():
        column["has_more"] = column["count"] > len(column["cards"])
        column["cursor"] = cursor_of(filters.order, column["cards"][-1]["opportunity"]) if column["cards"] else None
    return list(columns.values())


def pipeline_column_page(
    *, actor: User, filters: BoardFilters, status: str, after: Cursor | None, limit: int = BOARD_PAGE
) -> dict:
    """The next cards of one column after the cursor (one query): {cards, has_more, cursor}."""
    rows = pipeline_status_rows(actor=actor, filters=filters, status=status)
    if after is not None:
        rows = _after(rows, filters.order, after)
    page = list(_first_cards(rows, filters.order, status, limit + 1))
    cards = [_card(actor, opportunity) for opportunity in page[:limit]]
    return {
        "cards": cards,
        "has_more": len(page) > limit,
        "cursor": cursor_of(filters.order, cards[-1]["opportunity"]) if cards else after,
    }
