"""Writes cost the same number of statements whatever their size: an order of one line or of fifty, a
payment of any order, and a batch of the re-relation job of ten customers or of a hundred."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from commerce.models import CommerceCustomer
from commerce.services import LineInput, customer_create, order_pay, order_place
from commerce.services.strategy import customers_relate_batch
from tests.factories.commerce import ProductFactory

pytestmark = pytest.mark.django_db


def _count(run) -> int:
    with CaptureQueriesContext(connection) as queries:
        run()
    return len(queries)


def test_placing_and_paying_an_order_cost_the_same_whatever_its_lines(manager):
    customer = customer_create(actor=manager, name="Buyer")
    products = [ProductFactory(organization=manager.organization) for _ in range(50)]
    orders = {}

    def place(size):
        orders[size] = order_place(
            actor=manager, customer=customer, lines=[LineInput(product=p, quantity=2) for p in products[:size]]
        )

    small, large = _count(lambda: place(1)), _count(lambda: place(50))
    assert small == large
    assert _count(lambda: order_pay(actor=manager, order=orders[1], amount=orders[1].total)) == _count(
        lambda: order_pay(actor=manager, order=orders[50], amount=orders[50].total)
    )


def test_a_relation_batch_costs_the_same_for_ten_or_a_hundred_customers(manager):
    def hierarchy(size, name):
        root = customer_create(actor=manager, name=f"{name} root")
        for index in range(size - 1):
            customer_create(actor=manager, name=f"{name} {index}", parent=root)
        return list(CommerceCustomer.objects.filter(name__startswith=name).order_by("pk").values_list("pk", flat=True))

    small, large = hierarchy(10, "Small"), hierarchy(100, "Large")
    organization_id = manager.organization_id
    cost_small = _count(lambda: customers_relate_batch(organization_id=organization_id, ids=small, strategy="root"))
    cost_large = _count(lambda: customers_relate_batch(organization_id=organization_id, ids=large, strategy="root"))
    assert cost_small == cost_large
