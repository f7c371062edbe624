"""The account page's Commerce channel section: the account's commerce customers with their users, orders and
opportunities and the channel's lifetime value; no section for an account without commerce customers; the
same number of queries whatever the number of customers."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.services import opportunity_save
from commerce.services import customer_update, customer_user_create
from tests.factories import AccountFactory
from tests.factories.commerce import make_customer, make_order

pytestmark = pytest.mark.django_db


def _page(client, account) -> str:
    return client.get(reverse("accounts:account-detail", args=[account.pk])).content.decode()


def test_the_section_shows_the_hierarchy_users_orders_and_the_channel_value(session_client, manager):
    root = make_customer(manager, name="Northwind Holding")
    branch = make_customer(manager, name="Northwind Retail")
    customer_update(actor=manager, customer=branch, data={"parent": root})
    customer_user_create(
        actor=manager,
        customer=root,
        first_name="Nan",
        last_name="Davolio",
        email="nan@example.com",
        password="a long enough password",
    )
    make_order(manager, root, price="250.00", paid=True)
    root.refresh_from_db()
    account = root.account
    opportunity_save(actor=manager, data={"name": "Northwind renewal", "account": account, "customer": root})
    page = _page(session_client(manager), account)
    assert 'data-section="commerce"' in page and "Northwind Holding" in page and "Nan Davolio" in page
    assert "Northwind renewal" in page and "Paid in full" in page
    assert 'data-role="commerce-lsv">250.00' in page


def test_no_section_for_an_account_without_commerce_customers(session_client, rep):
    account = AccountFactory(owner=rep)
    assert 'data-section="commerce"' not in _page(session_client(rep), account)


def test_the_sections_queries_do_not_grow_with_its_customers(session_client, manager):
    first = make_customer(manager, name="Alpha")
    account = first.account
    client = session_client(manager)
    _page(client, account)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            _page(client, account)
        return len(captured)

    few = count()
    for number in range(5):
        child = make_customer(manager, name=f"Alpha {number}")
        customer_update(actor=manager, customer=child, data={"account": account})
        make_order(manager, child, paid=True)
    assert count() == few
