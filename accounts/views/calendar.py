"""Web UI of the calendar: the month and week views, and calendar events (series and their occurrences).

Views stay thin: they validate a form, call one service or selector and render. Dates and times are
shown in the user's time zone; an event's start and end are typed in the event's own zone.
"""

import calendar as calendar_module
import datetime as dt
import zoneinfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from accounts import calendar_moves, selectors, services
from accounts.calendar import Occurrence, events_for_window, expand_occurrences, format_instant, parse_instant
from accounts.calendar_grid import grid_days
from accounts.date_range import OUT_OF_RANGE, in_range, wall_clock
from accounts.forms.activities import EventForm, related_key, simple_repeat
from accounts.models import CalendarEvent
from accounts.views.activities import activity_delete_page, check_may_write, related_record_url, save_activity_form
from backoffice.access import can_write
from backoffice.http import safe_next_url
from backoffice.records import StaleRecordError
from backoffice.selectors import user_get

# --- calendar and events ------------------------------------------------------------------------


VIEWS = ("month", "week", "day")


def _calendar_window(view: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """First and last day shown: whole weeks (Monday to Sunday) around the month, the day's week, or the day."""
    if view == "day":
        return day, day
    if view == "week":
        first = day - dt.timedelta(days=day.weekday())
        return first, first + dt.timedelta(days=6)
    month_first = day.replace(day=1)
    month_last = day.replace(day=calendar_module.monthrange(day.year, day.month)[1])
    first = month_first - dt.timedelta(days=month_first.weekday())
    last = month_last + dt.timedelta(days=6 - month_last.weekday())
    return first, last


def _shift(view: str, day: dt.date, step: int) -> dt.date:
    if view == "day":
        return day + dt.timedelta(days=step)
    if view == "week":
        return day - dt.timedelta(days=day.weekday()) + dt.timedelta(weeks=step)
    month = day.month - 1 + step
    year = day.year + month // 12
    month = month % 12 + 1
    return dt.date(year, month, min(day.day, calendar_module.monthrange(year, month)[1]))


@login_required
@require_http_methods(["GET"])
def calendar_view(request):
    """The user's (or ?owner=) calendar by month, or by week or day on an hour grid with the tasks due, in the
    user's time zone; on a phone, a list of the days."""
    zone = zoneinfo.ZoneInfo(request.user.time_zone)
    today = timezone.now().astimezone(zone).date()
    view = request.GET.get("view") if request.GET.get("view") in VIEWS else "month"
    try:
        day = dt.date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        day = today
    if not in_range(day):
        messages.warning(request, f"date: {OUT_OF_RANGE} Showing today instead.")
        day = today
    owner = request.user
    owner_param = request.GET.get("owner", "")
    if owner_param:
        if not owner_param.isdecimal():
            raise Http404("No such user.")
        owner = user_get(actor=request.user, pk=int(owner_param))
    first, last = _calendar_window(view, day)
    window_start = dt.datetime.combine(first, dt.time(0), zone)
    window_end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), zone)
    events = events_for_window(selectors.event_list(actor=request.user).filter(owner=owner), window_start, window_end)
    occurrences = expand_occurrences(events, window_start, window_end)
    by_day: dict[dt.date, list] = {}
    for occurrence in occurrences:
        for date in occurrence.dates(zone):
            if first <= date <= last:
                by_day.setdefault(date, []).append(occurrence)
    tasks = []
    if view != "month":
        tasks = list(
            selectors.task_list(actor=request.user)
            .filter(owner=owner, archived_at__isnull=True, due_at__gte=window_start, due_at__lt=window_end)
            .order_by("due_at", "id")
        )
    tasks_by_day: dict[dt.date, list] = {}
    for task in tasks:
        tasks_by_day.setdefault(task.due_at.astimezone(zone).date(), []).append(task)
    days = []
    date = first
    while date <= last:
        days.append(
            {
                "date": date,
                "occurrences": by_day.get(date, []),
                "tasks": tasks_by_day.get(date, []),
                "in_month": date.month == day.month,
                "is_today": date == today,
            }
        )
        date += dt.timedelta(days=1)
    grid = None
    if view != "month":
        grid = grid_days(
            dates=[cell["date"] for cell in days], occurrences=occurrences, tasks=tasks, zone=zone, today=today
        )
        for column in grid:
            for entry in column.entries:
                entry.can_move = entry.movable and can_write(request.user, entry.occurrence.event)
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
            "agenda": [cell for cell in days if (cell["in_month"] or view != "month")],
            "grid": grid,
            "hours": [{"label": f"{hour:02d}:00", "top": f"{hour * 100 / 24:.3f}"} for hour in range(24)],
            "owner": owner,
            "prev_date": _shift(view, day, -1),
            "next_date": _shift(view, day, 1),
            "today": today,
            "owner_query": f"&owner={owner.pk}" if owner != request.user else "",
            "zone": zone,
        },
    )


def _event_initial(event: CalendarEvent) -> dict:
    zone = zoneinfo.ZoneInfo(event.time_zone)
    initial = {
        "title": event.title,
        "description": event.description,
        "location": event.location,
        "start": wall_clock(event.start, zone),
        "end": wall_clock(event.end, zone),
        "all_day": event.all_day,
        "time_zone": event.time_zone,
        "attendees": [c.pk for c in event.attendees.all()],
        "related": related_key(event.related) if event.related_id else "",
        "owner": event.owner_id,
    }
    simple = simple_repeat(event.recurrence_rule, zone) if event.recurrence_rule else None
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
        check_may_write(request, event)
    if request.method == "POST":
        form = EventForm(request.POST, actor=request.user)
        response = save_activity_form(
            request,
            form,
            save=lambda f: services.event_save(actor=request.user, data=_event_data(f), event=event),
            detail_url_name="accounts:event-detail",
            message=lambda saved: f"Event “{saved.title}” saved.",
        )
        if response:
            return response
    elif event is not None:
        form = EventForm(initial=_event_initial(event), actor=request.user)
    else:
        initial = {"time_zone": request.user.time_zone, "related": request.GET.get("related", "")}
        try:
            day = dt.date.fromisoformat(request.GET.get("date", ""))
        except ValueError:
            day = None
        if day and in_range(day):
            initial["start"] = dt.datetime.combine(day, dt.time(9))
            initial["end"] = dt.datetime.combine(day, dt.time(10))
        initial["owner"] = request.user.pk
        form = EventForm(initial=initial, actor=request.user)
    return render(
        request,
        "accounts/activities/event_form.html",
        {"form": form, "event": event, "next": safe_next_url(request, "")},
    )


@login_required
@require_http_methods(["GET"])
def event_detail(request, pk: int):
    """An event; for a series, its next occurrences with a button to cancel each."""
    event = selectors.event_get(actor=request.user, pk=pk)
    upcoming = []
    if event.recurrence_rule and event.series_id is None and in_range(event.start) and in_range(event.end):
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
            "related_url": related_record_url(event),
            "span": Occurrence(event, event.start, event.end, event.all_day),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def event_create(request):
    return _event_form_page(request, event=None)


@login_required
@require_http_methods(["GET", "POST"])
def event_update(request, pk: int):
    event = selectors.event_get(actor=request.user, pk=pk)
    return _event_form_page(request, event=event)


@login_required
@require_http_methods(["GET", "POST"])
def event_delete(request, pk: int):
    event = selectors.event_get(actor=request.user, pk=pk)
    return activity_delete_page(request, activity=event, kind="event", default_next=reverse("accounts:calendar"))


@login_required
@require_POST
def event_cancel_occurrence(request, pk: int):
    """Cancel one occurrence of a series (POST start=<ISO instant of the occurrence>)."""
    event = selectors.event_get(actor=request.user, pk=pk)
    check_may_write(request, event)
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
    return redirect(safe_next_url(request, reverse("accounts:event-detail", args=[event.pk])))


def _local_minute(value: str, zone: zoneinfo.ZoneInfo) -> dt.datetime | None:
    """A wall-clock time as the grid sends it (YYYY-MM-DDTHH:MM) in the calendar's zone, or None."""
    try:
        parsed = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    if parsed.tzinfo is not None or not in_range(parsed.date()):
        return None
    return parsed.replace(tzinfo=zone)


MOVE_SCOPES = ("occurrence", "series")


def _moved(request, event: CalendarEvent, start: dt.datetime, end: dt.datetime, version: int) -> CalendarEvent:
    """Move a single event, or an occurrence of a series as ?scope= says (only it, or every occurrence)."""
    if not event.recurrence_rule:
        return services.event_save(
            actor=request.user, event=event, data={"start": start, "end": end, "version": version}
        )
    scope = request.POST.get("scope", "")
    original_start = parse_instant(request.POST.get("occurrence", "")[:64])
    if scope not in MOVE_SCOPES or original_start is None or not in_range(original_start):
        raise ValidationError(
            {"scope": "Say whether to move only this occurrence or every occurrence, and which occurrence."}
        )
    move = calendar_moves.event_occurrence_move if scope == "occurrence" else calendar_moves.event_series_move
    return move(actor=request.user, series=event, version=version, original_start=original_start, start=start, end=end)


@login_required
@require_POST
def event_move(request, pk: int):
    """Move or resize an event dragged on the hour grid or moved with the keyboard (POST start, end, version),
    through the event service; for a repeating event also `scope` (occurrence or series) and `occurrence`
    (the start of the occurrence moved, as the grid gives it).

    Times are the grid's wall clock in the viewer's zone. A version other than the stored one (someone
    changed the event meanwhile) is refused with 409 and nothing is written.
    """
    event = selectors.event_get(actor=request.user, pk=pk)
    if not can_write(request.user, event):
        return JsonResponse({"error": "Only the event's owner and managers can move it."}, status=403)
    zone = zoneinfo.ZoneInfo(request.user.time_zone)
    start = _local_minute(request.POST.get("start", ""), zone)
    end = _local_minute(request.POST.get("end", ""), zone)
    version = request.POST.get("version", "")
    if start is None or end is None or not version.isdecimal() or len(version) > 12:
        return JsonResponse(
            {"error": "Give the new start and end (YYYY-MM-DDTHH:MM) and the version read."}, status=400
        )
    try:
        moved = _moved(request, event, start, end, int(version))
    except StaleRecordError:
        return JsonResponse(
            {"error": "Someone changed this event meanwhile: reload the calendar to see it as it is now."}, status=409
        )
    except ValidationError as error:
        return JsonResponse({"error": " ".join(error.messages)}, status=400)
    when = f"{start:%a %d %b %H:%M}–{end:%H:%M}"
    if moved.recurrence_rule:
        messages.success(request, f"Every occurrence of “{moved.title}” moved: this one to {when}.")
    else:
        messages.success(request, f"“{moved.title}” moved to {when}.")
    return JsonResponse(
        {
            "id": moved.pk,
            "start": moved.start.isoformat(),
            "end": moved.end.isoformat(),
            "version": moved.version,
            "focus": f"{start:%Y-%m-%dT%H:%M}",
        }
    )
