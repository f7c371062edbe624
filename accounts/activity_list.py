"""The activity list of an account: tasks, events and notes of every record linked to it, in one query.

Which records belong to an account is open-ended (commerce adds its customers, customer users and
orders), so the records come from `accounts.registry.account_registry.activity`; each source gives
a subquery of primary keys. The list is one UNION ALL ordered by moment, with one branch per activity
table and source: `related_type_id = <the source's content type> AND related_id IN (<its ids>)`, which
reads the (related_type, related_id) index, so an account's list costs what its own activities cost,
not what its organization's do. Content type ids come from Django's content-type cache, resolved once.
"""

import datetime as dt
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, DateTimeField, F, QuerySet, Value
from django.db.models.functions import Coalesce, Concat, Left, NullIf, Trim
from django.urls import NoReverseMatch, reverse

from accounts.choices import TaskStatus
from accounts.models import Account, BusinessCustomer, CalendarEvent, Contact, Lead, Note, Opportunity, Task
from accounts.registry import ActivitySource, account_registry
from backoffice.models import User
from backoffice.selectors import organization_scope

ACTIVITY_KINDS = ("task", "event", "note")
# Columns every part of the UNION selects, in this order (a UNION matches columns by position).
COLUMNS = ("kind", "activity_id", "heading", "moment", "owner_name", "related_ct", "related_pk", "state")


def register_default_sources() -> None:
    """Register the CRM's own records whose activities belong to an account's list."""
    sources = [
        ActivitySource(model=Account, ids=lambda account_id: Account.objects.filter(pk=account_id).values("pk")),
        ActivitySource(model=Contact, ids=lambda account_id: Contact.objects.filter(accounts=account_id).values("pk")),
        ActivitySource(
            model=BusinessCustomer,
            ids=lambda account_id: BusinessCustomer.objects.filter(account_id=account_id).values("pk"),
        ),
        ActivitySource(
            model=Opportunity, ids=lambda account_id: Opportunity.objects.filter(account_id=account_id).values("pk")
        ),
        ActivitySource(model=Lead, ids=lambda account_id: Lead.objects.filter(account_id=account_id).values("pk")),
    ]
    for source in sources:
        account_registry.add_activity_source(source)


def _sources() -> list[tuple[int, ActivitySource]]:
    """The registered sources, each with its content type id (from the content-type cache: no query once warm)."""
    sources = list(account_registry.activity)
    types = ContentType.objects.get_for_models(*(source.model for source in sources), for_concrete_models=False)
    return [(types[source.model].pk, source) for source in sources]


def _owner_name():
    full = Trim(Concat("owner__first_name", Value(" "), "owner__last_name", output_field=CharField()))
    return Coalesce(NullIf(full, Value("")), "owner__username", output_field=CharField())


def _part(queryset: QuerySet, *, kind: str, heading, moment, state) -> QuerySet:
    """One part of the UNION: the common columns, in the same order for every kind."""
    expressions = {
        "kind": Value(kind, output_field=CharField()),
        "activity_id": F("id"),
        "heading": heading,
        "moment": moment,
        "owner_name": _owner_name(),
        "related_ct": F("related_type_id"),
        "related_pk": F("related_id"),
        "state": state,
    }
    # No per-part ORDER BY (the models' default ordering): the UNION as a whole is ordered.
    return queryset.annotate(**expressions).values(*COLUMNS).order_by()


def _local_midnight(day: dt.date, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), zone)


def account_activity_list(
    *,
    actor: User,
    account: Account,
    types=None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet:
    """Tasks, events and notes attached to the account or any of its records, newest first.

    Each row is a dict of COLUMNS; `moment` is a task's due date (else its creation), an event's
    start and a note's creation. Dates are whole days in the actor's time zone, both inclusive.
    """
    kinds = [k for k in ACTIVITY_KINDS if types is None or k in types]
    sources = _sources()
    zone = zoneinfo.ZoneInfo(actor.time_zone)
    parts = []
    for kind in kinds:
        if kind == "task":
            queryset, heading = Task.objects.all(), Left("subject", 200)
            moment = Coalesce("due_at", "created_at", output_field=DateTimeField())
            state = F("status")
        elif kind == "event":
            queryset, heading, moment = CalendarEvent.objects.all(), Left("title", 200), F("start")
            state = Value("", output_field=CharField())
        else:
            queryset, heading, moment = Note.objects.all(), Left("text", 200), F("created_at")
            state = Value("", output_field=CharField())
        # Scoped by the account's organization too: a row of another organization never shows, even
        # if it pointed at this account.
        queryset = organization_scope(queryset, actor=actor).filter(organization_id=account.organization_id)
        queryset = queryset.annotate(moment_at=moment)
        if date_from:
            queryset = queryset.filter(moment_at__gte=_local_midnight(date_from, zone))
        if date_to:
            queryset = queryset.filter(moment_at__lt=_local_midnight(date_to + dt.timedelta(days=1), zone))
        # One branch per source, on (related_type, related_id): each reads its rows through that index.
        for type_id, source in sources:
            attached = queryset.filter(related_type_id=type_id, related_id__in=source.ids(account.pk))
            parts.append(_part(attached, kind=kind, heading=heading, moment=F("moment_at"), state=state))
    if not parts:
        return _part(Note.objects.none(), kind="note", heading=F("text"), moment=F("created_at"), state=Value(""))
    combined = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    return combined.order_by("-moment", "-activity_id")


@dataclass
class ActivityRow:
    """One row of an activity list, with the record it is attached to resolved for display."""

    kind: str
    activity_id: int
    heading: str
    moment: dt.datetime
    owner_name: str
    state: str
    related_label: str = ""
    related_kind: str = ""
    related_url: str = ""

    @property
    def url(self) -> str:
        return reverse(f"accounts:{self.kind}-detail", args=[self.activity_id])

    @property
    def state_label(self) -> str:
        return TaskStatus(self.state).label if self.state in TaskStatus.values else ""


def record_url(obj) -> str:
    """The detail page of a CRM (or plugged-in) record, or "" when that app routes none."""
    meta = obj._meta
    for name in (f"accounts:{meta.model_name}-detail", f"{meta.app_label}:{meta.model_name}-detail"):
        try:
            return reverse(name, args=[obj.pk])
        except NoReverseMatch:
            continue
    return ""


def related_records(pairs) -> dict:
    """{(content type id, id): record} for (content type id, id) pairs: one query per record type."""
    by_type = defaultdict(set)
    for ct_id, pk in pairs:
        if ct_id and pk:
            by_type[ct_id].add(pk)
    found = {}
    for ct_id, pks in by_type.items():
        model = ContentType.objects.get_for_id(ct_id).model_class()
        if model is None:
            continue
        for obj in model._default_manager.filter(pk__in=pks).order_by():
            found[(ct_id, obj.pk)] = obj
    return found


def activity_rows(rows) -> list[ActivityRow]:
    """Turn a page of `account_activity_list` dicts into rows naming the record each is attached to."""
    rows = list(rows)
    records = related_records((row["related_ct"], row["related_pk"]) for row in rows)
    result = []
    for row in rows:
        record = records.get((row["related_ct"], row["related_pk"]))
        result.append(
            ActivityRow(
                kind=row["kind"],
                activity_id=row["activity_id"],
                heading=row["heading"],
                moment=row["moment"],
                owner_name=row["owner_name"],
                state=row["state"] or "",
                related_label=str(record) if record is not None else "",
                related_kind=str(record._meta.verbose_name).capitalize() if record is not None else "",
                related_url=record_url(record) if record is not None else "",
            )
        )
    return result


@dataclass
class TaskGroups:
    """A user's open tasks by when they are due, in the user's time zone."""

    overdue: list
    today: list
    upcoming: list
    no_due_date: list

    @property
    def count(self) -> int:
        return len(self.overdue) + len(self.today) + len(self.upcoming) + len(self.no_due_date)


def tasks_group_by_due(tasks, *, now: dt.datetime, time_zone: str) -> TaskGroups:
    """Group tasks by their due day against today's date where the user is.

    Days, not instants: a task due today stays "due today" all day even once its hour has passed
    (Outlook tasks carry a due date, synced as local midnight).
    """
    zone = zoneinfo.ZoneInfo(time_zone)
    today = now.astimezone(zone).date()
    groups = TaskGroups([], [], [], [])
    for task in tasks:
        if task.due_at is None:
            groups.no_due_date.append(task)
            continue
        try:
            day = task.due_at.astimezone(zone).date()
        except OverflowError:  # a stored due time near year 1 or 9999 (before dates were checked)
            day = task.due_at.date()
        if day < today:
            groups.overdue.append(task)
        elif day == today:
            groups.today.append(task)
        else:
            groups.upcoming.append(task)
    return groups
