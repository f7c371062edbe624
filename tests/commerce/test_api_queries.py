"""Every commerce list endpoint runs the same number of queries for 3 rows as for 12 (no query per row)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from commerce.models import CustomerUser
from tests.factories.commerce import CustomerGroupFactory, ProductFactory, make_customer, make_order

pytestmark = pytest.mark.django_db

API = "/api/commerce"


def _customers(actor, n):
    root = make_customer(actor, "Root")
    for i in range(n - 1):
        make_customer(actor, f"Child {i}", parent=root)


def _groups(actor, n):
    CustomerGroupFactory.create_batch(n, organization=actor.organization)


def _users(actor, n):
    from commerce.services import customer_user_create

    customer = make_customer(actor, "Shop")
    start = CustomerUser.objects.count()
    for i in range(start, start + n):
        customer_user_create(
            actor=actor,
            customer=customer,
            first_name="F",
            last_name=f"L{i}",
            email=f"u{i}@example.com",
            password="pw-12345678",
        )


def _products(actor, n):
    ProductFactory.create_batch(n, organization=actor.organization)


def _orders(actor, n):
    customer = make_customer(actor, "Buyer")
    product = ProductFactory(organization=actor.organization)
    for _ in range(n):
        make_order(actor, customer, product=product, paid=True)


LISTS = {
    "customers": _customers,
    "customer-groups": _groups,
    "customer-users": _users,
    "products": _products,
    "orders": _orders,
}


def _count(client, path) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"{API}/{path}/", {"page_size": 50})
    assert response.status_code == 200, response.content
    return len(queries), len(response.json()["results"])


@pytest.mark.parametrize("path", sorted(LISTS))
def test_list_queries_do_not_grow_with_rows(path, manager, django_assert_num_queries):
    client = APIClient()
    client.force_authenticate(manager)
    LISTS[path](manager, 3)
    small, rows_small = _count(client, path)
    LISTS[path](manager, 9)
    with django_assert_num_queries(small):
        response = client.get(f"{API}/{path}/", {"page_size": 50})
    assert len(response.json()["results"]) == rows_small + 9
    # count, page, and at most one prefetch: nothing per row
    assert small <= 4, small
