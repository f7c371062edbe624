"""Reads of the CRM, scoped to the acting user's organization (reps read every record of it)."""

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import (
    Account,
    AccountChannelValue,
    AccountValueChange,
    BusinessCustomer,
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
from backoffice.models import User
from backoffice.selectors import organization_scope


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
