"""Writes of activities: tasks, calendar events and notes attached to any record."""

import datetime as dt
import zoneinfo

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.choices import TaskStatus
from accounts.date_range import check_fields_in_range
from accounts.models import CalendarEvent, Note, Task
from accounts.recurrence import rule_first_occurrence, rule_parse
from accounts.services.records import record_delete, record_save
from backoffice.db import service_atomic
from backoffice.models import User


def _apply_related(data: dict) -> dict:
    if "related" not in data:
        return data
    data = dict(data)
    related = data.pop("related")
    if related is None:
        data["related_type"], data["related_id"] = None, None
    else:
        data["related_type"] = ContentType.objects.get_for_model(type(related))
        data["related_id"] = related.pk
        data["_related"] = related
    return data


def _save_activity(*, actor: User, instance, data: dict, m2m=()):
    data = _apply_related(data)
    related = data.pop("_related", None)
    if related is not None:
        from backoffice.access import check_same_organization

        check_same_organization(actor, related)
    return record_save(actor=actor, instance=instance, data=data, m2m=m2m)


@service_atomic
def task_save(*, actor: User, data: dict, task: Task | None = None) -> Task:
    """Create or update a task; completing it stamps completed_at, reopening clears it."""
    task = task or Task()
    return _save_activity(actor=actor, instance=task, data=task_prepare(data=data, task=task))


def task_prepare(*, data: dict, task: Task) -> dict:
    """The values `task_save` writes on `task` (a new one when unsaved), checked; no query."""
    check_fields_in_range(data, ("start_at", "due_at", "reminder_at", "completed_at"))
    status = data.get("status", task.status)
    if status == TaskStatus.COMPLETED and (task.status != TaskStatus.COMPLETED or task.completed_at is None):
        data = {**data, "completed_at": data.get("completed_at") or timezone.now()}
    elif status != TaskStatus.COMPLETED:
        data = {**data, "completed_at": None}
    start, due = data.get("start_at", task.start_at), data.get("due_at", task.due_at)
    if start and due and due < start:
        raise ValidationError({"due_at": "The due date cannot be before the start date."})
    return data


def _normalize_all_day(data: dict, time_zone: str) -> dict:
    """All-day events span whole local dates: from midnight of the first to midnight after the last."""
    zone = zoneinfo.ZoneInfo(time_zone)
    start, end = data["start"], data["end"]
    first = start.astimezone(zone).date() if isinstance(start, dt.datetime) else start
    last = end.astimezone(zone).date() if isinstance(end, dt.datetime) else end
    if isinstance(end, dt.datetime) and end.astimezone(zone).time() == dt.time(0) and last > first:
        last -= dt.timedelta(days=1)  # an exclusive midnight end is the day before
    last = max(last, first)
    return {
        **data,
        "start": dt.datetime.combine(first, dt.time(0), zone),
        "end": dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), zone),
    }


@service_atomic
def event_save(*, actor: User, data: dict, event: CalendarEvent | None = None) -> CalendarEvent:
    """Create or update a calendar event (a series when it has a recurrence rule)."""
    event = event or CalendarEvent()
    data = event_prepare(actor=actor, data=data, event=event)
    return _save_activity(actor=actor, instance=event, data=data, m2m=["attendees"])


def event_prepare(*, actor: User, data: dict, event: CalendarEvent) -> dict:
    """The values `event_save` writes on `event` (a new one when unsaved), checked and normalized (all-day
    spans, the rule's text); no query."""
    check_fields_in_range(data, ("start", "end", "original_start"))
    merged = {
        "start": data.get("start", event.start if event.pk else None),
        "end": data.get("end", event.end if event.pk else None),
        "all_day": data.get("all_day", event.all_day),
    }
    time_zone = data.get("time_zone") or (event.time_zone if event.pk else (data.get("owner") or actor).time_zone)
    data = {**data, "time_zone": time_zone}
    if merged["start"] is None:
        raise ValidationError({"start": "An event needs a start."})
    if merged["end"] is None:
        merged["end"] = merged["start"] + dt.timedelta(hours=1)
        data["end"] = merged["end"]
    if merged["all_day"]:
        data = {**data, **_normalize_all_day({"start": merged["start"], "end": merged["end"]}, time_zone)}
    elif merged["end"] < merged["start"]:
        raise ValidationError({"end": "The event cannot end before it starts."})
    rule_text = data.get("recurrence_rule", event.recurrence_rule)
    if rule_text and rule_text.strip():
        rule = rule_parse(rule_text)
        zone = zoneinfo.ZoneInfo(time_zone)
        local_start = data.get("start", event.start).astimezone(zone).replace(tzinfo=None)
        if rule_first_occurrence(rule, local_start, zone) is None:
            raise ValidationError(
                {"recurrence_rule": "This rule gives no occurrence on or after the start; check its BY… parts."}
            )
        data = {**data, "recurrence_rule": rule.text()}
    elif "recurrence_rule" in data:
        data = {**data, "recurrence_rule": ""}
    return data


@service_atomic
def note_save(*, actor: User, data: dict, note: Note | None = None) -> Note:
    """Create or update a note attached to a record."""
    return _save_activity(actor=actor, instance=note or Note(), data=data)


def activity_delete(*, actor: User, activity) -> None:
    """Delete a task, event or note the actor may write."""
    record_delete(actor=actor, instance=activity)
