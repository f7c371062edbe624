"""Web UI of activities: an account's activity list, tasks and "My tasks", the calendar, events and notes.

Views stay thin: they validate a form, call one service or selector and render. Dates and times are
shown and typed in the user's time zone; an event's start and end are typed in the event's own zone.
"""

import calendar as calendar_module
import datetime as dt
import functools
import zoneinfo

from dateutil.rrule import rrulestr
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from accounts import selectors, services
from accounts.activity_list import (
    ACTIVITY_KINDS,
    account_activity_list,
    activity_rows,
    record_url,
    tasks_group_by_due,
)
from accounts.calendar import Occurrence, events_for_window, expand_occurrences, format_instant, parse_instant
from accounts.choices import TaskPriority, TaskStatus
from accounts.filters import TaskFilter
from accounts.models import CalendarEvent, Task
from accounts.registry import account_registry, customer_types
from accounts.views.common import filtered_page, query_without_page
from backoffice.access import can_write
from backoffice.selectors import organization_scope, user_list

ACTIVITY_PAGE_SIZE = 20
REPEAT_CHOICES = [("", "Does not repeat"), ("DAILY", "Daily"), ("WEEKLY", "Weekly"), ("MONTHLY", "Monthly")]
REPEAT_CHOICES.append(("YEARLY", "Yearly"))
TIME_ZONES = sorted(zoneinfo.available_timezones())


# --- shared helpers ---------------------------------------------------------------------------


def in_user_time_zone(view):
    """Run the view (form parsing and rendering) in the signed-in user's time zone."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        with timezone.override(zoneinfo.ZoneInfo(request.user.time_zone)):
            return view(request, *args, **kwargs)

    return login_required(wrapper)


def _add_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form's fields, or on the form when no field matches."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _next_url(request, default: str) -> str:
    candidate = request.POST.get("next") or request.GET.get("next")
    if candidate and url_has_allowed_host_and_scheme(candidate, {request.get_host()}, request.is_secure()):
        return candidate
    return default


def _check_may_write(request, obj) -> None:
    if not can_write(request.user, obj):
        raise PermissionDenied("You can change only your own activities.")


def related_models() -> dict[str, type]:
    """Models an activity may be attached to, by "app_label.model" (the CRM's and those other apps add)."""
    found = {source.model._meta.label_lower: source.model for source in account_registry.activity}
    for customer_type in customer_types:
        found.setdefault(customer_type.model._meta.label_lower, customer_type.model)
    return found


def related_key(obj) -> str:
    """The "app_label.model:id" key naming a record in the ?related= parameter."""
    return f"{obj._meta.label_lower}:{obj.pk}" if obj is not None else ""


def related_record_get(*, actor, key: str):
    """The record a "app_label.model:id" key names, among those the actor may read; ValidationError if none."""
    label, _, pk = key.strip().partition(":")
    model = related_models().get(label.lower())
    if model is None or not pk.isdigit():
        raise ValidationError(
            "Choose an account, contact, customer, lead or opportunity (such as accounts.account:12)."
        )
    record = organization_scope(model._default_manager.all(), actor=actor).filter(pk=int(pk)).first()
    if record is None:
        raise ValidationError("No such record in your organization.")
    return record


class BootstrapForm(forms.Form):
    """Adds Bootstrap classes to every widget."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()


def _datetime_field(**kwargs) -> forms.DateTimeField:
    return forms.DateTimeField(
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"), **kwargs
    )


class RelatedFormMixin:
    """A "related record" field holding an "app_label.model:id" key, resolved for the actor."""

    def _setup_related(self, *, required: bool) -> None:
        self.fields["related"] = forms.CharField(
            required=required,
            label="Related record",
            help_text="Such as accounts.account:12; opening this form from a record fills it in.",
        )
        self.related_record = None
        key = self.data.get("related") if self.is_bound else self.initial.get("related")
        if key:
            try:
                self.related_record = related_record_get(actor=self.actor, key=key)
            except ValidationError:
                self.related_record = None

    def clean_related(self):
        key = self.cleaned_data.get("related", "")
        if not key:
            return None
        return related_record_get(actor=self.actor, key=key)


def _owner_field(actor) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(queryset=user_list(actor=actor), label="Owner", initial=actor.pk)


# --- account activity list ----------------------------------------------------------------------


class ActivityFilterForm(forms.Form):
    """The activity list's filters: type and a date range (inclusive, in the user's time zone)."""

    type = forms.ChoiceField(
        required=False, choices=[("", "All types"), ("task", "Tasks"), ("event", "Events"), ("note", "Notes")]
    )
    date_from = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", "The end date cannot be before the start date.")
        return data


@in_user_time_zone
@require_http_methods(["GET"])
def account_activities(request, pk: int):
    """The account's activity list: an htmx fragment, or a page of its own when opened directly."""
    account = selectors.access_by_id(selectors.account_list(actor=request.user), pk)
    filters = ActivityFilterForm(request.GET or None)
    kind, date_from, date_to = None, None, None
    if filters.is_bound and filters.is_valid():
        kind = filters.cleaned_data["type"] or None
        date_from, date_to = filters.cleaned_data["date_from"], filters.cleaned_data["date_to"]
    rows = account_activity_list(
        actor=request.user,
        account=account,
        types=[kind] if kind in ACTIVITY_KINDS else None,
        date_from=date_from,
        date_to=date_to,
    )
    page = Paginator(rows, ACTIVITY_PAGE_SIZE).get_page(request.GET.get("page"))
    account_key = related_key(account)
    context = {
        "account": account,
        "filters": filters,
        "page": page,
        "rows": activity_rows(page.object_list),
        "query": query_without_page(request),
        "related": account_key,
        "account_url": record_url(account) or request.path,
    }
    template = "accounts/activities/account_activities.html"
    if not request.htmx:
        template = "accounts/activities/account_activities_page.html"
    return render(request, template, context)


# --- tasks ----------------------------------------------------------------------------------------


class TaskForm(RelatedFormMixin, BootstrapForm):
    subject = forms.CharField(max_length=255)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    status = forms.ChoiceField(choices=TaskStatus.choices, initial=TaskStatus.NOT_STARTED)
    priority = forms.ChoiceField(choices=TaskPriority.choices, initial=TaskPriority.NORMAL)
    start_at = _datetime_field(required=False, label="Start")
    due_at = _datetime_field(required=False, label="Due")
    reminder_at = _datetime_field(required=False, label="Reminder")

    def __init__(self, *args, actor, **kwargs):
        self.actor = actor
        super().__init__(*args, **kwargs)
        if actor.can_manage_organization:
            self.fields["owner"] = _owner_field(actor)
            self.fields["owner"].widget.attrs["class"] = "form-select"
        self._setup_related(required=False)
        self.fields["related"].widget.attrs["class"] = "form-control"


def _task_initial(task: Task) -> dict:
    zone = timezone.get_current_timezone()
    initial = {
        "subject": task.subject,
        "description": task.description,
        "status": task.status,
        "priority": task.priority,
        "related": related_key(task.related) if task.related_id else "",
        "owner": task.owner_id,
    }
    for name in ("start_at", "due_at", "reminder_at"):
        value = getattr(task, name)
        initial[name] = value.astimezone(zone).replace(tzinfo=None) if value else None
    return initial


@in_user_time_zone
@require_http_methods(["GET"])
def task_list(request):
    """Every task of the organization, filterable (TaskFilter) and paginated."""
    queryset = selectors.task_list(actor=request.user).prefetch_related("related")
    filterset, page = filtered_page(request, TaskFilter, queryset)
    return render(
        request,
        "accounts/activities/task_list.html",
        {"filter": filterset, "page": page, "query": query_without_page(request)},
    )


@in_user_time_zone
@require_http_methods(["GET"])
def my_tasks(request):
    """The user's open tasks: overdue, due today, upcoming and with no due date."""
    tasks = (
        selectors.task_list(actor=request.user)
        .filter(owner=request.user)
        .exclude(status=TaskStatus.COMPLETED)
        .prefetch_related("related")
        .order_by("due_at", "id")
    )
    groups = tasks_group_by_due(tasks, now=timezone.now(), time_zone=request.user.time_zone)
    return render(request, "accounts/activities/my_tasks.html", {"groups": groups})


@in_user_time_zone
@require_http_methods(["GET"])
def task_detail(request, pk: int):
    task = selectors.access_by_id(selectors.task_list(actor=request.user), pk)
    return render(
        request,
        "accounts/activities/task_detail.html",
        {"task": task, "may_write": can_write(request.user, task), "related_url": _related_url(task)},
    )


def _related_url(activity) -> str:
    return record_url(activity.related) if activity.related_id and activity.related is not None else ""


def _task_data(form: TaskForm) -> dict:
    data = {
        name: form.cleaned_data[name]
        for name in ("subject", "description", "status", "priority", "start_at", "due_at", "reminder_at", "related")
    }
    if "owner" in form.cleaned_data:
        data["owner"] = form.cleaned_data["owner"]
    return data


def _task_form_page(request, *, task: Task | None):
    if task is not None:
        _check_may_write(request, task)
    if request.method == "POST":
        form = TaskForm(request.POST, actor=request.user)
        if form.is_valid():
            try:
                saved = services.task_save(actor=request.user, data=_task_data(form), task=task)
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, f"Task “{saved.subject}” saved.")
                return redirect(_next_url(request, reverse("accounts:task-detail", args=[saved.pk])))
    elif task is not None:
        form = TaskForm(initial=_task_initial(task), actor=request.user)
    else:
        form = TaskForm(
            initial={"related": request.GET.get("related", ""), "owner": request.user.pk}, actor=request.user
        )
    return render(
        request,
        "accounts/activities/task_form.html",
        {"form": form, "task": task, "next": _next_url(request, "")},
    )


@in_user_time_zone
@require_http_methods(["GET", "POST"])
def task_create(request):
    return _task_form_page(request, task=None)


@in_user_time_zone
@require_http_methods(["GET", "POST"])
def task_update(request, pk: int):
    task = selectors.access_by_id(selectors.task_list(actor=request.user), pk)
    return _task_form_page(request, task=task)


@in_user_time_zone
@require_POST
def task_complete(request, pk: int):
    """Mark a task completed (the quick button of "My tasks")."""
    task = selectors.access_by_id(selectors.task_list(actor=request.user), pk)
    try:
        services.task_save(actor=request.user, data={"status": TaskStatus.COMPLETED}, task=task)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Task “{task.subject}” completed.")
    return redirect(_next_url(request, reverse("accounts:my-tasks")))


def _delete_page(request, *, activity, kind: str, default_next: str):
    _check_may_write(request, activity)
    if request.method == "POST":
        try:
            services.activity_delete(actor=request.user, activity=activity)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"{kind.capitalize()} deleted.")
            return redirect(_next_url(request, default_next))
    return render(
        request,
        "accounts/activities/confirm_delete.html",
        {"activity": activity, "kind": kind, "next": _next_url(request, "")},
    )


@in_user_time_zone
@require_http_methods(["GET", "POST"])
def task_delete(request, pk: int):
    task = selectors.access_by_id(selectors.task_list(actor=request.user), pk)
    return _delete_page(request, activity=task, kind="task", default_next=reverse("accounts:task-list"))


# --- calendar and events ------------------------------------------------------------------------


def _calendar_window(view: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """First and last day shown: whole weeks (Monday to Sunday) around the month, or the day's week."""
    if view == "week":
        first = day - dt.timedelta(days=day.weekday())
        return first, first + dt.timedelta(days=6)
    month_first = day.replace(day=1)
    month_last = day.replace(day=calendar_module.monthrange(day.year, day.month)[1])
    first = month_first - dt.timedelta(days=month_first.weekday())
    last = month_last + dt.timedelta(days=6 - month_last.weekday())
    return first, last


def _shift(view: str, day: dt.date, step: int) -> dt.date:
    if view == "week":
        return day - dt.timedelta(days=day.weekday()) + dt.timedelta(weeks=step)
    month = day.month - 1 + step
    year = day.year + month // 12
    month = month % 12 + 1
    return dt.date(year, month, min(day.day, calendar_module.monthrange(year, month)[1]))


@in_user_time_zone
@require_http_methods(["GET"])
def calendar_view(request):
    """The user's (or ?owner=) calendar by month or week, in the user's time zone."""
    zone = zoneinfo.ZoneInfo(request.user.time_zone)
    today = timezone.now().astimezone(zone).date()
    view = request.GET.get("view") if request.GET.get("view") in ("month", "week") else "month"
    try:
        day = dt.date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        day = today
    owner = request.user
    owner_param = request.GET.get("owner", "")
    if owner_param:
        if not owner_param.isdigit():
            raise Http404("No such user.")
        owner = selectors.access_by_id(user_list(actor=request.user), int(owner_param))
    first, last = _calendar_window(view, day)
    window_start = dt.datetime.combine(first, dt.time(0), zone)
    window_end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), zone)
    events = events_for_window(selectors.event_list(actor=request.user).filter(owner=owner), window_start, window_end)
    by_day: dict[dt.date, list] = {}
    for occurrence in expand_occurrences(events, window_start, window_end):
        for date in occurrence.dates(zone):
            if first <= date <= last:
                by_day.setdefault(date, []).append(occurrence)
    days = []
    date = first
    while date <= last:
        days.append(
            {
                "date": date,
                "occurrences": by_day.get(date, []),
                "in_month": date.month == day.month,
                "is_today": date == today,
            }
        )
        date += dt.timedelta(days=1)
    return render(
        request,
        "accounts/activities/calendar.html",
        {
            "view": view,
            "day": day,
            "first": first,
            "last": last,
            "weeks": [days[i : i + 7] for i in range(0, len(days), 7)],
            "days": days,
            "owner": owner,
            "owners": user_list(actor=request.user),
            "prev_date": _shift(view, day, -1),
            "next_date": _shift(view, day, 1),
            "today": today,
            "owner_query": f"&owner={owner.pk}" if owner != request.user else "",
            "zone": zone,
        },
    )


class EventForm(RelatedFormMixin, BootstrapForm):
    title = forms.CharField(max_length=255)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    location = forms.CharField(required=False, max_length=255)
    start = _datetime_field()
    end = _datetime_field(required=False, help_text="Leave empty for one hour.")
    all_day = forms.BooleanField(required=False, label="All day")
    time_zone = forms.ChoiceField(choices=[(z, z) for z in TIME_ZONES], help_text="Start and end are in this zone.")
    repeat = forms.ChoiceField(choices=REPEAT_CHOICES, required=False, label="Repeats")
    repeat_until = forms.DateField(required=False, label="Until", widget=forms.DateInput(attrs={"type": "date"}))
    recurrence_rule = forms.CharField(
        required=False,
        label="Advanced recurrence (RRULE)",
        help_text="An RFC 5545 rule such as FREQ=WEEKLY;BYDAY=MO,WE; it takes precedence over “Repeats”.",
    )

    def __init__(self, *args, actor, **kwargs):
        self.actor = actor
        super().__init__(*args, **kwargs)
        self.fields["attendees"] = forms.ModelMultipleChoiceField(
            queryset=selectors.contact_list(actor=actor)
            .select_related(None)
            .only("id", "first_name", "last_name", "name_prefix"),
            required=False,
            widget=forms.SelectMultiple(attrs={"class": "form-select", "size": 6}),
        )
        if actor.can_manage_organization:
            self.fields["owner"] = _owner_field(actor)
            self.fields["owner"].widget.attrs["class"] = "form-select"
        self._setup_related(required=False)
        self.fields["related"].widget.attrs["class"] = "form-control"

    def _localize(self, value: dt.datetime | None, zone: zoneinfo.ZoneInfo) -> dt.datetime | None:
        """Read the typed wall-clock time in the event's zone rather than the user's."""
        if value is None:
            return None
        naive = timezone.make_naive(value, timezone.get_current_timezone())
        return naive.replace(tzinfo=zone)

    def clean(self):
        data = super().clean()
        zone_name = data.get("time_zone")
        if not zone_name:
            return data
        zone = zoneinfo.ZoneInfo(zone_name)
        data["start"] = self._localize(data.get("start"), zone)
        data["end"] = self._localize(data.get("end"), zone)
        start, end = data.get("start"), data.get("end")
        if start and end and end < start and not data.get("all_day"):
            self.add_error("end", "The event cannot end before it starts.")
        rule = (data.get("recurrence_rule") or "").strip()
        if rule.upper().startswith("RRULE:"):
            rule = rule[len("RRULE:") :]
        if not rule and data.get("repeat"):
            rule = f"FREQ={data['repeat']}"
            until = data.get("repeat_until")
            if until:
                if start and until < start.date():
                    self.add_error("repeat_until", "The series cannot end before its first occurrence.")
                last_instant = dt.datetime.combine(until, dt.time(23, 59, 59), zone).astimezone(dt.UTC)
                rule += f";UNTIL={last_instant:%Y%m%dT%H%M%SZ}"
        if rule:
            if "\n" in rule or "\r" in rule:
                self.add_error("recurrence_rule", "Give a single RRULE line.")
            elif start:
                try:
                    rrulestr(rule, dtstart=start)
                except Exception as error:  # noqa: BLE001  (dateutil raises several kinds for bad rules)
                    self.add_error("recurrence_rule", f"Not a valid RRULE: {error}")
        data["recurrence_rule"] = rule
        return data


def _simple_repeat(rule: str, zone: zoneinfo.ZoneInfo) -> tuple[str, dt.date | None] | None:
    """(frequency, last day) when the rule is what the "Repeats" control builds, else None."""
    parts = dict(p.split("=", 1) for p in rule.upper().split(";") if "=" in p)
    if set(parts) - {"FREQ", "UNTIL"} or parts.get("FREQ") not in dict(REPEAT_CHOICES):
        return None
    stamp = parts.get("UNTIL")
    if not stamp:
        return parts["FREQ"], None
    if len(stamp) == 8 and stamp.isdigit():  # a floating date
        return parts["FREQ"], dt.date(int(stamp[:4]), int(stamp[4:6]), int(stamp[6:8]))
    instant = parse_instant(f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:11]}:{stamp[11:13]}:{stamp[13:15]}+00:00")
    if instant is None or not stamp.endswith("Z"):
        return None
    # The UNTIL instant is the end of the chosen day in the event's zone.
    return parts["FREQ"], instant.astimezone(zone).date()


def _event_initial(event: CalendarEvent) -> dict:
    zone = zoneinfo.ZoneInfo(event.time_zone)
    initial = {
        "title": event.title,
        "description": event.description,
        "location": event.location,
        "start": event.start.astimezone(zone).replace(tzinfo=None),
        "end": event.end.astimezone(zone).replace(tzinfo=None),
        "all_day": event.all_day,
        "time_zone": event.time_zone,
        "attendees": [c.pk for c in event.attendees.all()],
        "related": related_key(event.related) if event.related_id else "",
        "owner": event.owner_id,
    }
    simple = _simple_repeat(event.recurrence_rule, zone) if event.recurrence_rule else None
    if simple:
        initial["repeat"], initial["repeat_until"] = simple
    else:
        initial["recurrence_rule"] = event.recurrence_rule
    return initial


def _event_data(form: EventForm) -> dict:
    names = ("title", "description", "location", "start", "end", "all_day", "time_zone", "recurrence_rule")
    data = {name: form.cleaned_data[name] for name in names}
    data["attendees"] = list(form.cleaned_data["attendees"])
    data["related"] = form.cleaned_data["related"]
    if data["end"] is None:
        del data["end"]
    if "owner" in form.cleaned_data:
        data["owner"] = form.cleaned_data["owner"]
    return data


def _event_form_page(request, *, event: CalendarEvent | None):
    if event is not None:
        _check_may_write(request, event)
    if request.method == "POST":
        form = EventForm(request.POST, actor=request.user)
        if form.is_valid():
            try:
                saved = services.event_save(actor=request.user, data=_event_data(form), event=event)
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, f"Event “{saved.title}” saved.")
                return redirect(_next_url(request, reverse("accounts:event-detail", args=[saved.pk])))
    elif event is not None:
        form = EventForm(initial=_event_initial(event), actor=request.user)
    else:
        initial = {"time_zone": request.user.time_zone, "related": request.GET.get("related", "")}
        try:
            day = dt.date.fromisoformat(request.GET.get("date", ""))
        except ValueError:
            day = None
        if day:
            initial["start"] = dt.datetime.combine(day, dt.time(9))
            initial["end"] = dt.datetime.combine(day, dt.time(10))
        initial["owner"] = request.user.pk
        form = EventForm(initial=initial, actor=request.user)
    return render(
        request,
        "accounts/activities/event_form.html",
        {"form": form, "event": event, "next": _next_url(request, "")},
    )


@in_user_time_zone
@require_http_methods(["GET"])
def event_detail(request, pk: int):
    """An event; for a series, its next occurrences with a button to cancel each."""
    event = selectors.access_by_id(selectors.event_list(actor=request.user), pk)
    upcoming = []
    if event.recurrence_rule and event.series_id is None:
        start = max(timezone.now(), event.start) - (event.end - event.start)
        series = [event, *event.exceptions.all()]
        upcoming = expand_occurrences(series, start, start + dt.timedelta(days=366))[:10]
    occurrence = parse_instant(request.GET["occurrence"]) if request.GET.get("occurrence") else None
    return render(
        request,
        "accounts/activities/event_detail.html",
        {
            "event": event,
            "may_write": can_write(request.user, event),
            "upcoming": upcoming,
            "occurrence": occurrence,
            "occurrence_key": format_instant(occurrence) if occurrence else "",
            "related_url": _related_url(event),
            "span": Occurrence(event, event.start, event.end, event.all_day),
        },
    )


@in_user_time_zone
@require_http_methods(["GET", "POST"])
def event_create(request):
    return _event_form_page(request, event=None)


@in_user_time_zone
@require_http_methods(["GET", "POST"])
def event_update(request, pk: int):
    event = selectors.access_by_id(selectors.event_list(actor=request.user), pk)
    return _event_form_page(request, event=event)


@in_user_time_zone
@require_http_methods(["GET", "POST"])
def event_delete(request, pk: int):
    event = selectors.access_by_id(selectors.event_list(actor=request.user), pk)
    return _delete_page(request, activity=event, kind="event", default_next=reverse("accounts:calendar"))


@in_user_time_zone
@require_POST
def event_cancel_occurrence(request, pk: int):
    """Cancel one occurrence of a series (POST start=<ISO instant of the occurrence>)."""
    event = selectors.access_by_id(selectors.event_list(actor=request.user), pk)
    _check_may_write(request, event)
    start = parse_instant(request.POST.get("start", ""))
    if not event.recurrence_rule or start is None:
        messages.error(request, "Choose an occurrence of a recurring event to cancel.")
        return redirect("accounts:event-detail", pk=event.pk)
    cancelled = list(event.cancelled_starts or [])
    if all(parse_instant(value) != start for value in cancelled):
        cancelled.append(format_instant(start))
    try:
        services.event_save(actor=request.user, data={"cancelled_starts": cancelled}, event=event)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        local = timezone.localtime(start)
        messages.success(request, f"The occurrence of {local:%Y-%m-%d %H:%M} is cancelled.")
    return redirect(_next_url(request, reverse("accounts:event-detail", args=[event.pk])))


# --- notes --------------------------------------------------------------------------------------


class NoteForm(RelatedFormMixin, BootstrapForm):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}))

    def __init__(self, *args, actor, **kwargs):
        self.actor = actor
        super().__init__(*args, **kwargs)
        self._setup_related(required=True)
        self.fields["related"].widget.attrs["class"] = "form-control"


@in_user_time_zone
@require_http_methods(["GET", "POST"])
def note_create(request):
    """Add a note to a record (?related=accounts.account:<id>)."""
    if request.method == "POST":
        form = NoteForm(request.POST, actor=request.user)
        if form.is_valid():
            try:
                note = services.note_save(
                    actor=request.user,
                    data={"text": form.cleaned_data["text"], "related": form.cleaned_data["related"]},
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, "Note added.")
                return redirect(_next_url(request, reverse("accounts:note-detail", args=[note.pk])))
    else:
        form = NoteForm(initial={"related": request.GET.get("related", "")}, actor=request.user)
    return render(request, "accounts/activities/note_form.html", {"form": form, "next": _next_url(request, "")})


@in_user_time_zone
@require_http_methods(["GET"])
def note_detail(request, pk: int):
    note = selectors.access_by_id(selectors.note_list(actor=request.user), pk)
    return render(
        request,
        "accounts/activities/note_detail.html",
        {"note": note, "may_write": can_write(request.user, note), "related_url": _related_url(note)},
    )


@in_user_time_zone
@require_http_methods(["GET", "POST"])
def note_delete(request, pk: int):
    note = selectors.access_by_id(selectors.note_list(actor=request.user), pk)
    default = _related_url(note) or reverse("accounts:task-list")
    return _delete_page(request, activity=note, kind="note", default_next=default)
