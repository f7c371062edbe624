"""Reads of the CRM, scoped to the acting user's organization (reps read every record of it)."""

from collections.abc import Callable

from django.db import models
from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import (
    Account,
    AccountChannelValue,
    AccountValueChange,
    BusinessCustomer,
    BusinessCustomerEmail,
    BusinessCustomerPhone,
    CalendarEvent,
    Channel,
    Contact,
    ContactEmail,
    ContactPhone,
    Lead,
    Note,
    Opportunity,
    Task,
)
from accounts.registry import account_registry, customer_types
from backoffice.models import User
from backoffice.selectors import organization_scope

RecordSelector = Callable[..., QuerySet]


def account_list(*, actor: User) -> QuerySet[Account]:
    """Accounts of the actor's organization, with owner and default contact."""
    return organization_scope(Account.objects.select_related("owner", "default_contact"), actor=actor)


def contact_list(*, actor: User) -> QuerySet[Contact]:
    return organization_scope(Contact.objects.select_related("owner"), actor=actor)


def contact_detail_list(*, actor: User) -> QuerySet[Contact]:
    """Contacts with their e-mails, phones, addresses and accounts (two queries per relation, not per row)."""
    return contact_list(actor=actor).prefetch_related(
        Prefetch("emails", queryset=ContactEmail.objects.order_by("-is_primary", "id")),
        Prefetch("phones", queryset=ContactPhone.objects.order_by("-is_primary", "id")),
        "addresses",
        Prefetch("accounts", queryset=Account.objects.only("id", "name")),
    )


def business_customer_list(*, actor: User) -> QuerySet[BusinessCustomer]:
    return organization_scope(
        BusinessCustomer.objects.select_related("owner", "account", "contact", "channel"), actor=actor
    )


def business_customer_detail_list(*, actor: User) -> QuerySet[BusinessCustomer]:
    """Business customers with their e-mails and phones (one query per relation, not per row)."""
    return business_customer_list(actor=actor).prefetch_related(
        Prefetch("emails", queryset=BusinessCustomerEmail.objects.order_by("-is_primary", "id")),
        Prefetch("phones", queryset=BusinessCustomerPhone.objects.order_by("-is_primary", "id")),
    )


def lead_list(*, actor: User) -> QuerySet[Lead]:
    return organization_scope(Lead.objects.select_related("owner", "account", "contact"), actor=actor)


def opportunity_list(*, actor: User) -> QuerySet[Opportunity]:
    return organization_scope(
        Opportunity.objects.select_related("owner", "account", "contact", "lead", "customer_type"),
        actor=actor,
    )


def task_list(*, actor: User) -> QuerySet[Task]:
    return organization_scope(Task.objects.select_related("owner", "related_type"), actor=actor)


def event_list(*, actor: User) -> QuerySet[CalendarEvent]:
    return organization_scope(
        CalendarEvent.objects.select_related("owner", "related_type").prefetch_related(
            Prefetch("attendees", queryset=Contact.objects.only("id", "first_name", "last_name"))
        ),
        actor=actor,
    )


def note_list(*, actor: User) -> QuerySet[Note]:
    return organization_scope(Note.objects.select_related("owner", "related_type"), actor=actor)


def channel_list(*, actor: User) -> QuerySet[Channel]:
    return organization_scope(Channel.objects.all(), actor=actor)


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


def access_by_id(queryset: QuerySet, pk):
    """The row with this id among those the actor may read, or 404 (never another organization's)."""
    return get_object_or_404(queryset, pk=pk)


def account_lifetime_by_channel(*, account: Account) -> list[dict]:
    """The account's lifetime sales value per channel ("No channel" for won deals without customer)."""
    rows = AccountChannelValue.objects.filter(account=account).select_related("channel").order_by("channel__name")
    return [
        {
            "channel": row.channel.name if row.channel else "No channel",
            "channel_type": getattr(row.channel, "channel_type", ""),
            "amount": row.amount,
        }
        for row in rows
        if row.amount
    ]


def account_lifetime_history(*, account: Account) -> QuerySet[AccountValueChange]:
    """Every recorded change of the account's lifetime sales value, oldest first."""
    return AccountValueChange.objects.filter(account=account).order_by("changed_at", "id")
