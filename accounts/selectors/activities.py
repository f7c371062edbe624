"""Reads of activities (tasks, calendar events, notes) and of the records they may be attached to.

Every selector is scoped to the acting user's organization. `<entity>_list` is what the actor may
read; `<entity>_get` is one row of it by id, or a 404.
"""

from django.db import models
from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import CalendarEvent, Contact, Note, Task
from accounts.registry import account_registry, customer_types
from accounts.selectors.records import (
    RecordSelector,
    account_list,
    business_customer_list,
    contact_list,
    lead_list,
    opportunity_list,
)
from backoffice.models import User
from backoffice.selectors import organization_scope


def task_list(*, actor: User) -> QuerySet[Task]:
    """Tasks of the actor's organization, with owner and the related record's type."""
    return organization_scope(Task.objects.select_related("owner", "related_type"), actor=actor)


def task_get(*, actor: User, pk: int) -> Task:
    """The task with this id among those the actor may read; Http404 otherwise."""
    return get_object_or_404(task_list(actor=actor).filter(pk=pk))


def event_list(*, actor: User) -> QuerySet[CalendarEvent]:
    """Calendar events of the actor's organization, with owner, related record's type and attendees."""
    return organization_scope(
        CalendarEvent.objects.select_related("owner", "related_type").prefetch_related(
            Prefetch("attendees", queryset=Contact.objects.only("id", "first_name", "last_name"))
        ),
        actor=actor,
    )


def event_get(*, actor: User, pk: int) -> CalendarEvent:
    """The calendar event with this id among those the actor may read; Http404 otherwise."""
    return get_object_or_404(event_list(actor=actor).filter(pk=pk))


def note_list(*, actor: User) -> QuerySet[Note]:
    """Notes of the actor's organization, with owner and the related record's type."""
    return organization_scope(Note.objects.select_related("owner", "related_type"), actor=actor)


def note_get(*, actor: User, pk: int) -> Note:
    """The note with this id among those the actor may read; Http404 otherwise."""
    return get_object_or_404(note_list(actor=actor).filter(pk=pk))


def organization_record_selector(model: type[models.Model]) -> RecordSelector:
    """A selector of the model's rows in the actor's organization (for record types other apps register)."""

    def select(*, actor: User) -> QuerySet:
        return organization_scope(model._default_manager.all(), actor=actor)

    return select


def related_record_types() -> dict[str, RecordSelector]:
    """Record types an activity may be attached to, by "app_label.model", each with its scoped selector.

    The CRM's own records, then every customer type and activity source other apps register.
    """
    types: dict[str, RecordSelector] = {
        "accounts.account": account_list,
        "accounts.contact": contact_list,
        "accounts.businesscustomer": business_customer_list,
        "accounts.lead": lead_list,
        "accounts.opportunity": opportunity_list,
    }
    extra = [c.model for c in customer_types] + [s.model for s in account_registry.activity]
    for model in extra:
        types.setdefault(model._meta.label_lower, organization_record_selector(model))
    return types


def related_record_get(*, actor: User, content_type_label: str, object_id: int) -> models.Model | None:
    """The record an activity may be attached to, by type label and id, in the actor's organization; else None."""
    selector = related_record_types().get(content_type_label)
    if selector is None:
        return None
    return selector(actor=actor).filter(pk=object_id).first()
