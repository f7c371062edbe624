"""Reads of the CRM records: accounts, contacts, business customers, leads, opportunities, channels.

Every selector is scoped to the acting user's organization (reps read every record of it).
`<entity>_list` is what the actor may read; `<entity>_get` is one row of it by id, or a 404.
"""

from collections.abc import Callable

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import (
    Account,
    BusinessCustomer,
    BusinessCustomerEmail,
    BusinessCustomerPhone,
    Channel,
    Contact,
    ContactEmail,
    ContactPhone,
    Lead,
    Opportunity,
)
from backoffice.models import User
from backoffice.selectors import organization_scope

RecordSelector = Callable[..., QuerySet]


def account_list(*, actor: User) -> QuerySet[Account]:
    """Accounts of the actor's organization, with owner and default contact."""
    return organization_scope(Account.objects.select_related("owner", "default_contact"), actor=actor)


def account_get(*, actor: User, pk: int) -> Account:
    """The account with this id among those the actor may read; Http404 otherwise."""
    return get_object_or_404(account_list(actor=actor).filter(pk=pk))


def contact_list(*, actor: User) -> QuerySet[Contact]:
    """Contacts of the actor's organization, with their owner."""
    return organization_scope(Contact.objects.select_related("owner"), actor=actor)


def contact_row_list(*, actor: User) -> QuerySet[Contact]:
    """Contacts with their owner and the names of their accounts, for the list (one query for all accounts)."""
    return contact_list(actor=actor).prefetch_related(
        Prefetch("accounts", queryset=Account.objects.only("id", "name").order_by("name", "id"))
    )


def contact_detail_list(*, actor: User) -> QuerySet[Contact]:
    """Contacts with their e-mails, phones, addresses and accounts (two queries per relation, not per row)."""
    return contact_list(actor=actor).prefetch_related(
        Prefetch("emails", queryset=ContactEmail.objects.order_by("-is_primary", "id")),
        Prefetch("phones", queryset=ContactPhone.objects.order_by("-is_primary", "id")),
        "addresses",
        Prefetch("accounts", queryset=Account.objects.only("id", "name")),
    )


def contact_get(*, actor: User, pk: int) -> Contact:
    """The contact with this id among those the actor may read, with its e-mails, phones, addresses and accounts."""
    return get_object_or_404(contact_detail_list(actor=actor).filter(pk=pk))


def business_customer_list(*, actor: User) -> QuerySet[BusinessCustomer]:
    """Business customers of the actor's organization, with owner, account, contact and channel."""
    return organization_scope(
        BusinessCustomer.objects.select_related("owner", "account", "contact", "channel"), actor=actor
    )


def business_customer_detail_list(*, actor: User) -> QuerySet[BusinessCustomer]:
    """Business customers with their e-mails and phones (one query per relation, not per row)."""
    return business_customer_list(actor=actor).prefetch_related(
        Prefetch("emails", queryset=BusinessCustomerEmail.objects.order_by("-is_primary", "id")),
        Prefetch("phones", queryset=BusinessCustomerPhone.objects.order_by("-is_primary", "id")),
    )


def business_customer_get(*, actor: User, pk: int) -> BusinessCustomer:
    """The business customer with this id among those the actor may read, with its e-mails and phones."""
    return get_object_or_404(business_customer_detail_list(actor=actor).filter(pk=pk))


def lead_list(*, actor: User) -> QuerySet[Lead]:
    """Leads of the actor's organization, with owner, account and contact."""
    return organization_scope(Lead.objects.select_related("owner", "account", "contact"), actor=actor)


def lead_get(*, actor: User, pk: int) -> Lead:
    """The lead with this id among those the actor may read; Http404 otherwise."""
    return get_object_or_404(lead_list(actor=actor).filter(pk=pk))


def opportunity_list(*, actor: User) -> QuerySet[Opportunity]:
    """Opportunities of the actor's organization, with owner, account, contact, lead and customer type."""
    return organization_scope(
        Opportunity.objects.select_related("owner", "account", "contact", "lead", "customer_type"),
        actor=actor,
    )


def opportunity_get(*, actor: User, pk: int) -> Opportunity:
    """The opportunity with this id among those the actor may read; Http404 otherwise."""
    return get_object_or_404(opportunity_list(actor=actor).filter(pk=pk))


def channel_list(*, actor: User) -> QuerySet[Channel]:
    """Sales channels of the actor's organization."""
    return organization_scope(Channel.objects.all(), actor=actor)
