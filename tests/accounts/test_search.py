"""The global search: records of the organization by name, e-mail or phone, grouped by kind, in a constant
number of queries; other apps add their kinds through the registry."""

import re

import pytest
from django.db import connection
from django.utils import timezone

from accounts.search import SearchHit, SearchSource, search_sources
from tests.factories import (
    AccountFactory,
    BusinessCustomerFactory,
    ContactFactory,
    LeadFactory,
    OpportunityFactory,
)

pytestmark = pytest.mark.django_db


def groups(html: str) -> dict[str, list[str]]:
    """Each group's title and the names it lists, in page order."""
    found = {}
    for key, body in re.findall(r'data-search-group="([^"]+)"(.*?)</section>', html, re.S):
        found[key] = re.findall(r'<a href="[^"]+">([^<]+)</a>', body)
    return found


def search(client, text: str) -> dict[str, list[str]]:
    response = client.get("/crm/search/", {"q": text}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return groups(response.content.decode())


def test_finds_each_kind_by_name_email_or_phone(session_client, rep, outsider):
    ada = ContactFactory(owner=rep, first_name="Ada", last_name="Lovelace", email="ada@analytical.example")
    ada.phone = "+12025550147"
    ada.save(update_fields=["phone"])
    AccountFactory(owner=rep, name="Analytical Engines Ltd")
    BusinessCustomerFactory(owner=rep, name="Babbage Supplies", email="orders@analytical.example")
    LeadFactory(owner=rep, name="Difference engine rebuild", company_name="Analytical Society")
    OpportunityFactory(owner=rep, name="Analytical engine upgrade")
    ContactFactory(owner=outsider, first_name="Foreign", last_name="Analytical", email="x@analytical.example")
    ContactFactory(owner=rep, first_name="Charles", last_name="Babbage", email="charles@engines.example")
    client = session_client(rep)

    found = search(client, "analytical")
    assert list(found) == ["account", "contact", "businesscustomer", "lead", "opportunity"]
    assert found["contact"] == ["Ada Lovelace"]  # the other organization's never shows
    assert found["businesscustomer"] == ["Babbage Supplies"]
    assert found["lead"] == ["Difference engine rebuild"]
    # Part of an e-mail, a phone number as people type it, and words of a name in any order.
    assert search(client, "ada@anal") == {"contact": ["Ada Lovelace"]}
    assert search(client, "(202) 555-0147") == {"contact": ["Ada Lovelace"]}
    assert search(client, "lovelace ada") == {"contact": ["Ada Lovelace"]}
    assert search(client, "a") == {}

    nothing = client.get("/crm/search/", {"q": "zzzz"}, HTTP_HX_REQUEST="true").content.decode()
    assert "Nothing found for “zzzz”" in nothing
    # Sent as a form (Enter), the same results come as a page of their own.
    page = client.get("/crm/search/", {"q": "babbage"}).content.decode()
    assert "<h1" in page and groups(page) == {"contact": ["Charles Babbage"], "businesscustomer": ["Babbage Supplies"]}


def test_archived_records_are_not_found(session_client, rep):
    ContactFactory(owner=rep, first_name="", last_name="Gone", archived_at=timezone.now())
    ContactFactory(owner=rep, first_name="", last_name="Goneril")
    assert search(session_client(rep), "gone") == {"contact": ["Goneril"]}


def test_another_app_registers_its_own_kind(session_client, rep, monkeypatch):
    monkeypatch.setattr(search_sources, "items", dict(search_sources.items))

    def customers(*, actor, term, limit):
        return [SearchHit(f"Customer matching {term.text}", "", "/commerce/customers/1/")][:limit]

    search_sources.register("commerce.customer", SearchSource("commerce.customer", "Customers", customers, order=35))
    with pytest.raises(ValueError, match="registered already"):
        search_sources.register("commerce.customer", SearchSource("commerce.customer", "Customers", customers))
    ContactFactory(owner=rep, first_name="", last_name="Hopper")
    found = search(session_client(rep), "hopper")
    assert found == {"contact": ["Hopper"], "commerce.customer": ["Customer matching hopper"]}


# Session, user and organization (the user's time zone), then one query per kind of record.
SEARCH_QUERIES = 3 + 5


def test_search_queries_do_not_grow_with_the_records(session_client, rep, django_assert_num_queries):
    client = session_client(rep)
    for size in (2, 40):
        for number in range(size):
            ContactFactory(owner=rep, first_name="Grace", last_name=f"Hopper{number}", email=f"g{number}@navy.example")
            AccountFactory(owner=rep, name=f"Navy {number}")
            BusinessCustomerFactory(owner=rep, name=f"Navy yard {number}")
            LeadFactory(owner=rep, name=f"Navy lead {number}")
            OpportunityFactory(owner=rep, name=f"Navy deal {number}")
        with django_assert_num_queries(SEARCH_QUERIES):
            found = search(client, "navy")
        assert [len(hits) for hits in found.values()] == [min(size, 5)] * 5


@pytest.mark.skipif(connection.vendor != "postgresql", reason="trigram indexes are PostgreSQL's")
def test_postgresql_answers_a_fragment_from_the_trigram_index(rep):
    from accounts.models import Contact

    query = Contact.objects.filter(email__icontains="navy.exa").order_by()
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        # A handful of rows would be scanned whole; the plan asked for is the one a large table gets.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "accounts_contact_email_search" in plan, plan
