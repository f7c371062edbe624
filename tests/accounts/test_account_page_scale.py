"""The account page, its chart and its activity list at two data sizes: a bounded chart with the full
history as CSV, and query counts that do not grow with the account's data."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccountValueChange
from accounts.selectors import account_lifetime_chart
from accounts.selectors.lifetime import CHART_POINTS
from tests.factories import AccountFactory, ContactFactory, NoteFactory, OpportunityFactory, TaskFactory

pytestmark = pytest.mark.django_db

# Pinned at two data sizes (the content-type cache warm, as in a running process); one of them notes the
# visit in the reader's recently viewed records, one asks whether the account has commerce customers.
ACCOUNT_PAGE_QUERIES = 11
ACTIVITY_LIST_QUERIES = 9


def add_value_changes(account, count: int) -> None:
    start = timezone.now() - dt.timedelta(days=count)
    AccountValueChange.objects.bulk_create(
        AccountValueChange(account=account, lifetime_value=Decimal(i), changed_at=start + dt.timedelta(days=i))
        for i in range(1, count + 1)
    )


def add_activities(account, owner, count: int) -> None:
    contact = ContactFactory(owner=owner)
    account.contacts.add(contact)
    deal = OpportunityFactory(owner=owner, account=account)
    for _ in range(count):  # interleaved, so that any page names records of all three types
        for related in (account, contact, deal):
            TaskFactory(owner=owner, related=related)
            NoteFactory(owner=owner, related=related)


def count_queries(client, url, **extra) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, **extra).status_code == 200
    return len(queries)


def test_chart_is_bounded_and_keeps_the_last_value(rep):
    account = AccountFactory(owner=rep)
    add_value_changes(account, 755)
    points = account_lifetime_chart(account=account)
    assert 100 < len(points) <= CHART_POINTS
    assert points[-1]["value"] == "755.00"
    assert [p["at"] for p in points] == sorted(p["at"] for p in points)
    few = AccountFactory(owner=rep)
    add_value_changes(few, 3)
    assert [p["value"] for p in account_lifetime_chart(account=few)] == ["1.00", "2.00", "3.00"]


def test_full_value_history_as_csv(session_client, rep, outsider):
    account = AccountFactory(owner=rep)
    add_value_changes(account, 450)
    url = reverse("accounts:account-value-history", args=[account.pk])
    response = session_client(rep).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "text/csv"
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0] == "changed_at,lifetime_value" and len(lines) == 451 and lines[-1].endswith(",450.00")
    assert session_client(outsider).get(url).status_code == 404
    page = session_client(rep).get(reverse("accounts:account-detail", args=[account.pk])).content.decode()
    assert url in page


def test_account_page_queries_do_not_grow(session_client, rep):
    client = session_client(rep)
    account = AccountFactory(owner=rep)
    add_value_changes(account, 3)
    add_activities(account, rep, 1)
    url = reverse("accounts:account-detail", args=[account.pk])
    client.get(url)
    assert count_queries(client, url) == ACCOUNT_PAGE_QUERIES
    add_value_changes(account, 400)
    add_activities(account, rep, 10)
    assert count_queries(client, url) == ACCOUNT_PAGE_QUERIES


def test_activity_list_queries_do_not_grow(session_client, rep):
    client = session_client(rep)
    account = AccountFactory(owner=rep)
    add_activities(account, rep, 1)
    url = reverse("accounts:account-activities", args=[account.pk])
    client.get(url, headers={"HX-Request": "true"})
    assert count_queries(client, url, headers={"HX-Request": "true"}) == ACTIVITY_LIST_QUERIES
    add_activities(account, rep, 15)
    assert count_queries(client, url, headers={"HX-Request": "true"}) == ACTIVITY_LIST_QUERIES
    assert count_queries(client, url) == ACTIVITY_LIST_QUERIES  # the page of its own: the same reads
