"""Reads of the home page's dashboard: a rep's day (tasks, events, pipeline, deals closing, recently viewed),
or a manager's team, whole or one rep at a time.

Every block is one or two queries whatever the number of rows: lists are cut at a few rows (each block
links to its full page) and figures are aggregates, so the dashboard costs the same at any data size.
"""

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, Round

from accounts.calendar import Occurrence, events_for_window, expand_occurrences
from accounts.choices import CLOSED_STATUSES, OpportunityStatus, TaskStatus
from accounts.models import CalendarEvent, Opportunity, PipelineTotal, RecentlyViewedRecord, Task
from accounts.selectors.records import opportunity_list
from backoffice.models import User
from backoffice.selectors import organization_scope

ROWS = 8  # rows a list block shows; its link opens the full page
EVENT_DAYS = 14  # how far ahead "next events" looks
ZERO = Decimal("0.00")
MONEY = DecimalField(max_digits=30, decimal_places=2)
WEIGHTED = Round(
    ExpressionWrapper(F("budget_amount_base") * F("probability") / Value(100), output_field=MONEY),
    2,
    output_field=MONEY,
)
OPEN_STATUSES = [status for status in OpportunityStatus if status not in CLOSED_STATUSES]


@dataclass(frozen=True)
class StatusFigures:
    """One open status of the pipeline: how many deals, their amount and weighted amount (base currency)."""

    status: str
    label: str
    count: int
    total: Decimal
    weighted: Decimal


@dataclass
class Dashboard:
    """What the home page shows, for one person (`owner`) or the whole team (`owner` None)."""

    owner: User | None
    # A manager switches between the whole team and one of it (searched with the `team` people picker).
    team_switch: bool
    today: dt.date
    overdue_tasks: list[Task]
    overdue_count: int
    today_tasks: list[Task]
    today_count: int
    next_events: list[Occurrence]
    pipeline: list[StatusFigures]
    closing: list[Opportunity]
    closing_count: int
    closing_total: Decimal
    closing_weighted: Decimal
    month_start: dt.date
    month_end: dt.date
    recently_viewed: list[RecentlyViewedRecord] = field(default_factory=list)

    @property
    def pipeline_count(self) -> int:
        return sum(row.count for row in self.pipeline)

    @property
    def pipeline_total(self) -> Decimal:
        return sum((row.total for row in self.pipeline), ZERO)

    @property
    def pipeline_weighted(self) -> Decimal:
        return sum((row.weighted for row in self.pipeline), ZERO)


def team_members(*, actor: User) -> QuerySet[User]:
    """The people a manager can switch the dashboard to: the organization's active reps and managers
    (none for a rep). The dashboard's people picker searches these."""
    if not actor.can_manage_organization:
        return User.objects.none()
    return (
        organization_scope(User.objects.all(), actor=actor)
        .filter(is_active=True, role__in=["rep", "manager"])
        .order_by("first_name", "last_name", "username")
    )


def dashboard_owner(*, actor: User, owner_id: int | None) -> User | None:
    """Whose dashboard: a rep's own always; a manager's whole team (None) unless one of the team is chosen.

    One query at most, however large the team: only the chosen person is read.
    """
    if not actor.can_manage_organization:
        return actor
    if owner_id is None:
        return None
    return team_members(actor=actor).filter(pk=owner_id).first()


def _owned(queryset: QuerySet, owner: User | None) -> QuerySet:
    return queryset.filter(owner=owner) if owner is not None else queryset


def _tasks(*, actor: User, owner: User | None, day_start: dt.datetime, day_end: dt.datetime) -> dict:
    """Open tasks due before today (overdue) and today, in the user's day: a few of each and how many."""
    open_tasks = _owned(
        organization_scope(Task.objects.select_related("owner"), actor=actor).filter(archived_at__isnull=True),
        owner,
    ).exclude(status=TaskStatus.COMPLETED)
    counts = open_tasks.aggregate(
        overdue=Count("id", filter=Q(due_at__lt=day_start)),
        today=Count("id", filter=Q(due_at__gte=day_start, due_at__lt=day_end)),
    )
    return {
        "overdue_tasks": list(open_tasks.filter(due_at__lt=day_start).order_by("due_at", "id")[:ROWS]),
        "overdue_count": counts["overdue"],
        "today_tasks": list(
            open_tasks.filter(due_at__gte=day_start, due_at__lt=day_end).order_by("due_at", "id")[:ROWS]
        ),
        "today_count": counts["today"],
    }


def _next_events(*, actor: User, owner: User | None, now: dt.datetime) -> list[Occurrence]:
    """The next occurrences (recurring events expanded) from now on, within two weeks, earliest first."""
    window_end = now + dt.timedelta(days=EVENT_DAYS)
    # Archived events are left out by events_for_window, as on the calendar.
    events = _owned(organization_scope(CalendarEvent.objects.select_related("owner"), actor=actor), owner)
    occurrences = expand_occurrences(events_for_window(events, now, window_end), now, window_end)
    upcoming = [occurrence for occurrence in occurrences if occurrence.end > now]
    upcoming.sort(key=lambda occurrence: (occurrence.start, occurrence.event.pk))
    return upcoming[:ROWS]


def _pipeline(*, actor: User, owner: User | None) -> list[StatusFigures]:
    """Open deals per status. On PostgreSQL from the totals the database keeps per owner and status."""
    if connection.vendor == "postgresql":
        rows = organization_scope(PipelineTotal.objects.all(), actor=actor).filter(status__in=OPEN_STATUSES)
        rows = rows.filter(owner=owner) if owner is not None else rows
        summed = rows.values("status").annotate(
            deals=Coalesce(Sum("count"), 0),
            amount=Coalesce(Sum("total"), ZERO),
            weighted_amount=Coalesce(Sum("weighted"), ZERO),
        )
    else:
        rows = _owned(opportunity_list(actor=actor), owner).filter(archived_at__isnull=True, status__in=OPEN_STATUSES)
        summed = (
            rows.order_by()
            .values("status")
            .annotate(
                deals=Count("id"),
                amount=Coalesce(Sum("budget_amount_base"), ZERO, output_field=MONEY),
                weighted_amount=Coalesce(Sum(WEIGHTED), ZERO, output_field=MONEY),
            )
        )
    by_status = {row["status"]: row for row in summed}
    return [
        StatusFigures(
            status=status.value,
            label=status.label,
            count=by_status.get(status.value, {}).get("deals", 0),
            total=by_status.get(status.value, {}).get("amount", ZERO),
            weighted=by_status.get(status.value, {}).get("weighted_amount", ZERO),
        )
        for status in OPEN_STATUSES
    ]


def _closing(*, actor: User, owner: User | None, month_start: dt.date, month_end: dt.date) -> dict:
    """Open deals expected to close this month: the first few by close date, and the month's figures."""
    deals = _owned(opportunity_list(actor=actor), owner).filter(
        archived_at__isnull=True,
        status__in=OPEN_STATUSES,
        expected_close_date__gte=month_start,
        expected_close_date__lte=month_end,
    )
    figures = deals.order_by().aggregate(
        count=Count("id"),
        total=Coalesce(Sum("budget_amount_base"), ZERO, output_field=MONEY),
        weighted=Coalesce(Sum(WEIGHTED), ZERO, output_field=MONEY),
    )
    return {
        "closing": list(deals.annotate(weighted=WEIGHTED).order_by("expected_close_date", "id")[:ROWS]),
        "closing_count": figures["count"],
        "closing_total": figures["total"],
        "closing_weighted": figures["weighted"],
    }


def dashboard_get(*, actor: User, owner_id: int | None = None, now: dt.datetime | None = None) -> Dashboard:
    """The actor's dashboard: theirs for a rep; for a manager the team's, or one rep's when `owner_id` names one.

    Days (overdue, today, this month) are the actor's, in their time zone.
    """
    now = now or dt.datetime.now(dt.UTC)
    zone = zoneinfo.ZoneInfo(actor.time_zone or "UTC")
    today = now.astimezone(zone).date()
    day_start = dt.datetime.combine(today, dt.time(0), zone)
    day_end = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(0), zone)
    month_start = today.replace(day=1)
    month_end = (month_start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    owner = dashboard_owner(actor=actor, owner_id=owner_id)
    recently_viewed = list(
        RecentlyViewedRecord.objects.filter(user=actor, organization_id=actor.organization_id).order_by(
            "-viewed_at", "-id"
        )[:ROWS]
    )
    return Dashboard(
        owner=owner,
        team_switch=actor.can_manage_organization,
        today=today,
        **_tasks(actor=actor, owner=owner, day_start=day_start, day_end=day_end),
        next_events=_next_events(actor=actor, owner=owner, now=now),
        pipeline=_pipeline(actor=actor, owner=owner),
        **_closing(actor=actor, owner=owner, month_start=month_start, month_end=month_end),
        month_start=month_start,
        month_end=month_end,
        recently_viewed=recently_viewed,
    )
