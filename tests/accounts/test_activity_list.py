"""An account's activity list gathers the activities of all its records, filters them, in constant queries."""

import datetime as dt
import zoneinfo

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.activity_list import account_activity_list, activity_rows
from tests.factories import (
    AccountFactory,
    BusinessCustomerFactory,
    CalendarEventFactory,
    ContactFactory,
    LeadFactory,
    NoteFactory,
    OpportunityFactory,
    TaskFactory,
)

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def attached(record) -> dict:
    return {"related_type": ContentType.objects.get_for_model(record), "related_id": record.pk}


def at(day: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(2025, 3, day, hour, tzinfo=BERLIN)


@pytest.fixture
def account_with_records(rep):
    """An account with a contact, a business customer, an opportunity and a lead, each with one activity."""
    account = AccountFactory(owner=rep, name="Initech")
    contact = ContactFactory(owner=rep, last_name="Lumbergh")
    account.contacts.add(contact)
    customer = BusinessCustomerFactory(owner=rep, account=account, name="Initech Europe")
    opportunity = OpportunityFactory(owner=rep, account=account, name="TPS licences")
    lead = LeadFactory(owner=rep, account=account, name="Printer upgrade")
    activities = {
        "account task": TaskFactory(owner=rep, subject="Call Initech", due_at=at(1), **attached(account)),
        "contact event": CalendarEventFactory(
            owner=rep, title="Lunch with Bill", start=at(2), end=at(2, 13), **attached(contact)
        ),
        "customer note": NoteFactory(owner=rep, text="Prefers invoices by post", **attached(customer)),
        "opportunity task": TaskFactory(owner=rep, subject="Send TPS quote", due_at=at(4), **attached(opportunity)),
        "lead event": CalendarEventFactory(
            owner=rep, title="Printer demo", start=at(5), end=at(5, 13), **attached(lead)
        ),
    }
    return account, activities


def titles(rows) -> set[str]:
    return {row["heading"] for row in rows}


@pytest.mark.django_db
def test_lists_activities_of_the_account_and_every_linked_record(rep, account_with_records):
    account, _ = account_with_records
    other_account = AccountFactory(owner=rep)
    TaskFactory(owner=rep, subject="Other account's task", **attached(other_account))
    TaskFactory(owner=rep, subject="Unattached task")

    rows = list(account_activity_list(actor=rep, account=account))

    assert titles(rows) == {
        "Call Initech",
        "Lunch with Bill",
        "Prefers invoices by post",
        "Send TPS quote",
        "Printer demo",
    }
    moments = [row["moment"] for row in rows]
    assert moments == sorted(moments, reverse=True)  # newest first


@pytest.mark.django_db
def test_never_lists_another_organizations_activities(rep, outsider, account_with_records):
    account, _ = account_with_records
    # A row of another organization pointing at this account (it should never happen, but must not leak).
    NoteFactory(owner=outsider, text="Foreign note", **attached(account))
    their_account = AccountFactory(owner=outsider)
    NoteFactory(owner=outsider, text="Note on their own account", **attached(their_account))

    listed = titles(account_activity_list(actor=rep, account=account))
    assert "Call Initech" in listed and "Foreign note" not in listed
    assert list(account_activity_list(actor=outsider, account=account)) == []
    assert titles(account_activity_list(actor=outsider, account=their_account)) == {"Note on their own account"}


@pytest.mark.django_db
def test_filters_by_type_and_date(rep, account_with_records):
    account, _ = account_with_records

    tasks = account_activity_list(actor=rep, account=account, types=["task"])
    early = account_activity_list(
        actor=rep, account=account, date_from=dt.date(2025, 3, 1), date_to=dt.date(2025, 3, 2)
    )
    events_late = account_activity_list(actor=rep, account=account, types=["event"], date_from=dt.date(2025, 3, 3))

    assert titles(tasks) == {"Call Initech", "Send TPS quote"}
    assert titles(early) == {"Call Initech", "Lunch with Bill"}
    assert titles(events_late) == {"Printer demo"}


@pytest.mark.django_db
def test_rows_name_the_record_they_are_attached_to(rep, account_with_records):
    account, _ = account_with_records

    rows = activity_rows(account_activity_list(actor=rep, account=account, types=["event"]))

    assert {(row.heading, row.related_kind, row.related_label) for row in rows} == {
        ("Lunch with Bill", "Contact", str(account.contacts.get())),
        ("Printer demo", "Lead", "Printer upgrade"),
    }
    assert all(row.owner_name == rep.get_full_name() for row in rows)


def add_records(rep, account, count: int) -> None:
    """`count` more contacts, customers, opportunities and leads of the account, each with activities."""
    for i in range(count):
        contact = ContactFactory(owner=rep)
        account.contacts.add(contact)
        # The same moment for every kind, so that each page mixes every kind of record.
        moment = at(10 + i % 10)
        TaskFactory(owner=rep, due_at=moment, **attached(contact))
        CalendarEventFactory(
            owner=rep, start=moment, end=moment, **attached(OpportunityFactory(owner=rep, account=account))
        )
        TaskFactory(owner=rep, due_at=moment, **attached(LeadFactory(owner=rep, account=account)))
        TaskFactory(owner=rep, due_at=moment, **attached(BusinessCustomerFactory(owner=rep, account=account)))


def page_queries(client, account) -> int:
    url = reverse("accounts:account-activities", args=[account.pk])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, {"page": 1}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return len(queries.captured_queries)


@pytest.mark.django_db
def test_query_count_is_constant_whatever_the_number_of_records_and_activities(rep, session_client):
    account = AccountFactory(owner=rep)
    client = session_client(rep)
    add_records(rep, account, 1)
    page_queries(client, account)  # warm caches (content types, session)
    few = page_queries(client, account)

    add_records(rep, account, 29)
    many = page_queries(client, account)

    assert many == few


@pytest.mark.django_db
def test_fragment_has_filters_pagination_and_add_buttons(rep, session_client, account_with_records):
    account, _ = account_with_records
    for i in range(25):
        NoteFactory(owner=rep, text=f"Note {i}", **attached(account))
    client = session_client(rep)
    url = reverse("accounts:account-activities", args=[account.pk])

    first = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    second = client.get(url, {"page": 2}, HTTP_HX_REQUEST="true").content.decode()
    notes_only = client.get(url, {"type": "note", "date_from": "2025-03-02"}, HTTP_HX_REQUEST="true").content.decode()

    assert 'id="account-activities"' in first
    assert "<html" not in first
    assert 'hx-target="#account-activities"' in first
    assert "page=2" in first
    assert first.count("data-activity=") == 20 and second.count("data-activity=") == 10
    assert f"?related=accounts.account%3A{account.pk}" in first
    assert notes_only.count('data-activity="note-') == 20
    assert 'data-activity="task-' not in notes_only and 'data-activity="event-' not in notes_only


@pytest.mark.django_db
def test_bad_date_filter_is_reported_not_a_500(rep, session_client, account_with_records):
    account, _ = account_with_records
    url = reverse("accounts:account-activities", args=[account.pk])

    response = session_client(rep).get(url, {"date_from": "2025-03-10", "date_to": "2025-03-01"})

    assert response.status_code == 200
    assert "cannot be before" in response.content.decode()


@pytest.mark.django_db
def test_other_organizations_account_is_not_found(outsider, session_client, account_with_records):
    account, _ = account_with_records

    response = session_client(outsider).get(reverse("accounts:account-activities", args=[account.pk]))

    assert response.status_code == 404
