"""Web UI of activities: an account's activity list, tasks and "My tasks", and notes (calendar.py has events).

Views stay thin: they validate a form, call one service or selector and render. Dates and times are
shown and typed in the user's time zone.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from accounts import selectors, services
from accounts.activity_list import (
    ACTIVITY_KINDS,
    account_activity_list,
    activity_rows,
    record_url,
    tasks_group_by_due,
)
from accounts.choices import TaskStatus
from accounts.date_range import wall_clock
from accounts.filters import TaskFilter
from accounts.forms.activities import ActivityFilterForm, EventForm, NoteForm, TaskForm, related_key
from accounts.models import Task
from accounts.views.common import filtered_page, query_without_page
from backoffice.access import can_write
from backoffice.forms import apply_service_errors
from backoffice.http import safe_next_url

ACTIVITY_PAGE_SIZE = 20


# --- shared helpers ---------------------------------------------------------------------------


def check_may_write(request, obj) -> None:
    """PermissionDenied unless the user may change this activity."""
    if not can_write(request.user, obj):
        raise PermissionDenied("You can change only your own activities.")


def related_record_url(activity) -> str:
    """The page of the activity's related record, or "" when it has none."""
    return record_url(activity.related) if activity.related_id and activity.related is not None else ""


def activity_delete_page(request, *, activity, kind: str, default_next: str):
    """Confirm, then delete a task, event or note (shared by the three delete views)."""
    check_may_write(request, activity)
    if request.method == "POST":
        try:
            services.activity_delete(actor=request.user, activity=activity)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"{kind.capitalize()} deleted.")
            return redirect(safe_next_url(request, default_next))
    return render(
        request,
        "accounts/activities/confirm_delete.html",
        {"activity": activity, "kind": kind, "next": safe_next_url(request, "")},
    )


# --- account activity list ----------------------------------------------------------------------


@login_required
@require_http_methods(["GET"])
def account_activities(request, pk: int):
    """The account's activity list: an htmx fragment, or a page of its own when opened directly."""
    account = selectors.account_get(actor=request.user, pk=pk)
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
        initial[name] = wall_clock(value, zone) if value else None
    return initial


@login_required
@require_http_methods(["GET"])
def task_list(request):
    """Every task of the organization, filterable (TaskFilter) and paginated."""
    queryset = selectors.task_list(actor=request.user).prefetch_related("related")
    filterset, page = filtered_page(request, TaskFilter, queryset)
    return render(
        request,
        "accounts/activities/task_list.html",
        {
            "filter": filterset,
            "page": page,
            "query": query_without_page(request),
        },
    )


@login_required
@require_http_methods(["GET"])
def my_tasks(request):
    """The user's open tasks: overdue, due today, upcoming and with no due date."""
    tasks = (
        selectors.task_list(actor=request.user)
        .filter(owner=request.user, archived_at__isnull=True)
        .exclude(status=TaskStatus.COMPLETED)
        .prefetch_related("related")
        .order_by("due_at", "id")
    )
    groups = tasks_group_by_due(tasks, now=timezone.now(), time_zone=request.user.time_zone)
    return render(request, "accounts/activities/my_tasks.html", {"groups": groups})


@login_required
@require_http_methods(["GET"])
def task_detail(request, pk: int):
    task = selectors.task_get(actor=request.user, pk=pk)
    return render(
        request,
        "accounts/activities/task_detail.html",
        {"task": task, "may_write": can_write(request.user, task), "related_url": related_record_url(task)},
    )


def save_activity_form(request, form, *, save, detail_url_name: str, message):
    """Validate the posted form and write through `save(data_form)`; the redirect on success, else None.

    A service's ValidationError lands on the form's fields; `message(saved)` is the flash text.
    """
    if not form.is_valid():
        return None
    try:
        saved = save(form)
    except ValidationError as error:
        apply_service_errors(form, error)
        return None
    messages.success(request, message(saved))
    return redirect(safe_next_url(request, reverse(detail_url_name, args=[saved.pk])))


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
        check_may_write(request, task)
    if request.method == "POST":
        form = TaskForm(request.POST, actor=request.user)
        response = save_activity_form(
            request,
            form,
            save=lambda f: services.task_save(actor=request.user, data=_task_data(f), task=task),
            detail_url_name="accounts:task-detail",
            message=lambda saved: f"Task “{saved.subject}” saved.",
        )
        if response:
            return response
    elif task is not None:
        form = TaskForm(initial=_task_initial(task), actor=request.user)
    else:
        form = TaskForm(
            initial={"related": request.GET.get("related", ""), "owner": request.user.pk}, actor=request.user
        )
    return render(
        request,
        "accounts/activities/task_form.html",
        {"form": form, "task": task, "next": safe_next_url(request, "")},
    )


@login_required
@require_http_methods(["GET", "POST"])
def task_create(request):
    return _task_form_page(request, task=None)


@login_required
@require_http_methods(["GET", "POST"])
def task_update(request, pk: int):
    task = selectors.task_get(actor=request.user, pk=pk)
    return _task_form_page(request, task=task)


@login_required
@require_POST
def task_complete(request, pk: int):
    """Mark a task completed (the quick button of "My tasks")."""
    task = selectors.task_get(actor=request.user, pk=pk)
    try:
        services.task_save(actor=request.user, data={"status": TaskStatus.COMPLETED}, task=task)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Task “{task.subject}” completed.")
    return redirect(safe_next_url(request, reverse("accounts:my-tasks")))


@login_required
@require_http_methods(["GET", "POST"])
def task_delete(request, pk: int):
    task = selectors.task_get(actor=request.user, pk=pk)
    return activity_delete_page(request, activity=task, kind="task", default_next=reverse("accounts:task-list"))


# --- events: the repetition editor's words -------------------------------------------------------


@login_required
@require_http_methods(["GET"])
def event_repetition_words(request):
    """How the event form's repetition reads in words as it is being set (an htmx fragment)."""
    form = EventForm(request.GET, actor=request.user)
    form.is_valid()  # the other fields' errors do not matter here; the rule is built when its own are right
    return render(request, "accounts/activities/_repetition_words.html", {"form": form})


# --- notes --------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def note_create(request):
    """Add a note to a record (?related=accounts.account:<id>)."""
    if request.method == "POST":
        form = NoteForm(request.POST, actor=request.user)
        response = save_activity_form(
            request,
            form,
            save=lambda f: services.note_save(
                actor=request.user, data={"text": f.cleaned_data["text"], "related": f.cleaned_data["related"]}
            ),
            detail_url_name="accounts:note-detail",
            message=lambda saved: "Note added.",
        )
        if response:
            return response
    else:
        form = NoteForm(initial={"related": request.GET.get("related", "")}, actor=request.user)
    return render(request, "accounts/activities/note_form.html", {"form": form, "next": safe_next_url(request, "")})


@login_required
@require_http_methods(["GET"])
def note_detail(request, pk: int):
    note = selectors.note_get(actor=request.user, pk=pk)
    return render(
        request,
        "accounts/activities/note_detail.html",
        {"note": note, "may_write": can_write(request.user, note), "related_url": related_record_url(note)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def note_delete(request, pk: int):
    note = selectors.note_get(actor=request.user, pk=pk)
    default = related_record_url(note) or reverse("accounts:task-list")
    return activity_delete_page(request, activity=note, kind="note", default_next=default)
