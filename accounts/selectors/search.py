"""Reads of the global search: the CRM's own sources, and the search over every registered source.

Each source is one query, cut at a few rows, on the acting user's organization: a search costs the same
number of queries at any number of records. On PostgreSQL the columns searched have trigram indexes
(migration 0012), so a match anywhere in a name, an e-mail or a phone number is found without reading
every row; on SQLite the same lookups scan, which is enough for a development database.
"""

from dataclasses import dataclass
from functools import reduce
from operator import and_

from django.db.models import Q, QuerySet
from django.urls import reverse

from accounts.search import SearchHit, SearchSource, SearchTerm, search_sources
from accounts.selectors.records import (
    account_list,
    business_customer_list,
    contact_list,
    lead_list,
    opportunity_list,
)
from backoffice.models import User

PER_SOURCE = 5


@dataclass(frozen=True)
class SearchGroup:
    """The hits of one kind of record, under its title."""

    key: str
    label: str
    hits: list[SearchHit]


def _any_field(fields: tuple[str, ...], text: str) -> Q:
    return reduce(lambda left, right: left | right, (Q(**{f"{field}__icontains": text}) for field in fields))


def _every_word(fields: tuple[str, ...], term: SearchTerm) -> Q:
    """Each typed word in one of the fields: "ada love" finds Ada Lovelace."""
    return reduce(and_, (_any_field(fields, word) for word in term.words))


def _matching(rows: QuerySet, term: SearchTerm, *, names: tuple[str, ...], emails=(), phones=()) -> QuerySet:
    condition = _every_word(names, term)
    if emails:
        condition |= _any_field(emails, term.text)
    if phones and term.digits:
        condition |= _any_field(phones, term.digits)
    return rows.filter(condition)


def _active(rows: QuerySet) -> QuerySet:
    return rows.filter(archived_at__isnull=True) if hasattr(rows.model, "archived_at") else rows


def account_search(*, actor: User, term: SearchTerm, limit: int) -> list[SearchHit]:
    """Accounts by name."""
    rows = _matching(_active(account_list(actor=actor)), term, names=("name",)).order_by("name", "id")[:limit]
    return [
        SearchHit(
            account.name,
            "",
            reverse("accounts:account-detail", args=[account.pk]),
            key=f"accounts.account:{account.pk}",
        )
        for account in rows
    ]


def contact_search(*, actor: User, term: SearchTerm, limit: int) -> list[SearchHit]:
    """Contacts by first and last name, primary e-mail or phone."""
    rows = _matching(
        _active(contact_list(actor=actor)),
        term,
        names=("first_name", "last_name"),
        emails=("email",),
        phones=("phone",),
    ).order_by("last_name", "first_name", "id")[:limit]
    return [
        SearchHit(
            contact.full_name,
            contact.email or str(contact.phone or ""),
            reverse("accounts:contact-detail", args=[contact.pk]),
            key=f"accounts.contact:{contact.pk}",
        )
        for contact in rows
    ]


def business_customer_search(*, actor: User, term: SearchTerm, limit: int) -> list[SearchHit]:
    """Business customers by name, primary e-mail or phone."""
    rows = _matching(
        business_customer_list(actor=actor), term, names=("name",), emails=("email",), phones=("phone",)
    ).order_by("name", "id")[:limit]
    return [
        SearchHit(
            customer.name,
            customer.email or customer.account.name,
            reverse("accounts:businesscustomer-detail", args=[customer.pk]),
            key=f"accounts.businesscustomer:{customer.pk}",
        )
        for customer in rows
    ]


def lead_search(*, actor: User, term: SearchTerm, limit: int) -> list[SearchHit]:
    """Leads by their name, the person's name, the company, e-mail or phone."""
    rows = _matching(
        _active(lead_list(actor=actor)),
        term,
        names=("name", "first_name", "last_name", "company_name"),
        emails=("email",),
        phones=("phone",),
    ).order_by("name", "id")[:limit]
    return [
        SearchHit(
            lead.name,
            lead.company_name or lead.email,
            reverse("accounts:lead-detail", args=[lead.pk]),
            key=f"accounts.lead:{lead.pk}",
        )
        for lead in rows
    ]


def opportunity_search(*, actor: User, term: SearchTerm, limit: int) -> list[SearchHit]:
    """Opportunities by name."""
    rows = (
        _matching(_active(opportunity_list(actor=actor)), term, names=("name",))
        .select_related("account")
        .order_by("name", "id")[:limit]
    )
    return [
        SearchHit(
            deal.name,
            deal.account.name,
            reverse("accounts:opportunity-detail", args=[deal.pk]),
            key=f"accounts.opportunity:{deal.pk}",
        )
        for deal in rows
    ]


for source in (
    SearchSource("account", "Accounts", account_search, order=10),
    SearchSource("contact", "Contacts", contact_search, order=20),
    SearchSource("businesscustomer", "Business customers", business_customer_search, order=30),
    SearchSource("lead", "Leads", lead_search, order=40),
    SearchSource("opportunity", "Opportunities", opportunity_search, order=50),
):
    if source.key not in search_sources:
        search_sources.register(source.key, source)


def global_search(*, actor: User, text: str, per_source: int = PER_SOURCE) -> list[SearchGroup]:
    """Records of the actor's organization matching `text`, grouped by kind in the registry's order.

    Kinds with no hit are left out; fewer than two characters find nothing.
    """
    term = SearchTerm.parse(text)
    if term is None:
        return []
    groups = []
    for source in sorted(search_sources, key=lambda source: (source.order, source.key)):
        hits = source.search(actor=actor, term=term, limit=per_source)
        if hits:
            groups.append(SearchGroup(source.key, source.label, hits))
    return groups
