"""Every CRM list endpoint runs the same number of queries for 3 rows as for 30 (no query per row)."""

import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import (
    BusinessCustomerEmail,
    BusinessCustomerPhone,
    ContactAddress,
    ContactEmail,
    ContactPhone,
)
from tests.factories import (
    AccountFactory,
    BusinessCustomerFactory,
    CalendarEventFactory,
    ChannelFactory,
    ContactFactory,
    LeadFactory,
    NoteFactory,
    OpportunityFactory,
    TaskFactory,
)
from tests.factories.api import CRM_API

pytestmark = pytest.mark.django_db

# Beyond this a list has started doing something per row or per relation it should not.
MAX_LIST_QUERIES = 12


def _accounts(rep, n):
    # The description gives every account an "a" for the search of the filtered-list test.
    referrer = AccountFactory(owner=rep, description="Partner agency")
    for _ in range(n - 1):
        account = AccountFactory(owner=rep, referred_by=referrer, description="Customer account")
        contacts = ContactFactory.create_batch(2, owner=rep)
        account.contacts.set(contacts)
        account.default_contact = contacts[0]
        account.save()


def _contacts(rep, n):
    account = AccountFactory(owner=rep)
    for i in range(n):
        contact = ContactFactory(owner=rep)
        ContactEmail.objects.create(contact=contact, email=f"a{i}@example.com", is_primary=True)
        ContactEmail.objects.create(contact=contact, email=f"b{i}@example.com")
        ContactPhone.objects.create(contact=contact, number="+16502530000", phone_type="business", is_primary=True)
        ContactPhone.objects.create(contact=contact, number="+4930901820", phone_type="mobile")
        ContactAddress.objects.create(contact=contact, city="Austin", is_primary=True)
        account.contacts.add(contact)


def _business_customers(rep, n):
    for i in range(n):
        customer = BusinessCustomerFactory(
            owner=rep, contact=ContactFactory(owner=rep), email=f"a{i}@example.com", phone="+16502530000"
        )
        BusinessCustomerEmail.objects.create(customer=customer, email=f"a{i}@example.com", is_primary=True)
        BusinessCustomerEmail.objects.create(customer=customer, email=f"b{i}@example.com")
        BusinessCustomerPhone.objects.create(customer=customer, number="+16502530000", is_primary=True)
        BusinessCustomerPhone.objects.create(customer=customer, number="+4930901820", phone_type="mobile")


def _leads(rep, n):
    account = AccountFactory(owner=rep)
    for _ in range(n):
        LeadFactory(owner=rep, account=account, contact=ContactFactory(owner=rep))


def _opportunities(rep, n):
    for _ in range(n):
        customer = BusinessCustomerFactory(owner=rep)
        OpportunityFactory(
            owner=rep,
            account=customer.account,
            customer=customer,
            contact=ContactFactory(owner=rep),
            lead=LeadFactory(owner=rep),
        )


def _related_records(rep):
    """Records of three types, in turn: the same set of types whatever the row count."""
    makers = itertools.cycle(
        [
            lambda: AccountFactory(owner=rep),
            lambda: ContactFactory(owner=rep),
            lambda: OpportunityFactory(owner=rep),
        ]
    )
    while True:
        yield next(makers)()


def _tasks(rep, n):
    records = _related_records(rep)
    for _ in range(n):
        TaskFactory(owner=rep, related=next(records))


def _events(rep, n):
    records = _related_records(rep)
    for _ in range(n):
        event = CalendarEventFactory(owner=rep, related=next(records))
        event.attendees.set(ContactFactory.create_batch(2, owner=rep))


def _notes(rep, n):
    records = _related_records(rep)
    for _ in range(n):
        NoteFactory(owner=rep, related=next(records))


def _channels(rep, n):
    for i in range(n):
        ChannelFactory(organization=rep.organization, name=f"Store {i}", channel_type="web_store")


LISTS = {
    "accounts": _accounts,
    "contacts": _contacts,
    "business-customers": _business_customers,
    "leads": _leads,
    "opportunities": _opportunities,
    "tasks": _tasks,
    "events": _events,
    "notes": _notes,
    "channels": _channels,
}


def _count(api, url, params) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = api.get(url, params)
    assert response.status_code == 200
    return len(queries), response.json()["count"]


@pytest.mark.parametrize("path", list(LISTS))
def test_list_queries_do_not_grow_with_rows(key_client, rep, path):
    api = key_client(rep)
    url, params = f"{CRM_API}/{path}/", {"page_size": 100}
    api.get(url, params)  # first use: the API key's last-use stamp and content-type cache are filled here
    make = LISTS[path]

    make(rep, 3)
    few, rows_few = _count(api, url, params)
    make(rep, 27)
    many, rows_many = _count(api, url, params)

    assert rows_many > rows_few >= 3
    assert many == few, f"{path}: {few} queries for {rows_few} rows, {many} for {rows_many}"
    assert many <= MAX_LIST_QUERIES


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("accounts", {"q": "a", "ordering": "-name"}),
        ("contacts", {"q": "a", "ordering": "last_name"}),
        ("business-customers", {"q": "a", "ordering": "-lifetime_value"}),
        ("opportunities", {"status": ["in_progress", "won"], "ordering": "-expected_close_date"}),
        ("tasks", {"ordering": "-due_at", "priority": "normal"}),
        ("events", {"ordering": "start", "start_after": "2000-01-01T00:00:00Z"}),
    ],
)
def test_filtered_lists_stay_constant_too(key_client, rep, path, params):
    api = key_client(rep)
    url = f"{CRM_API}/{path}/"
    params = {**params, "owner": rep.pk, "page_size": 100}
    api.get(url, params)
    LISTS[path](rep, 3)
    few, rows_few = _count(api, url, params)
    LISTS[path](rep, 27)
    many, rows_many = _count(api, url, params)
    # The filters must let rows through: an empty list runs no per-row query at all.
    assert rows_many > rows_few >= 3
    assert many == few


def test_business_customer_list_returns_every_email_and_phone(key_client, rep):
    api = key_client(rep)
    _business_customers(rep, 3)
    rows = api.get(f"{CRM_API}/business-customers/", {"page_size": 100}).json()["results"]
    assert len(rows) == 3
    for row in rows:
        assert len(row["emails"]) == 2 and row["email"] == row["emails"][0]
        assert row["phones"] == [
            {"number": "+16502530000", "type": "business"},
            {"number": "+4930901820", "type": "mobile"},
        ]
