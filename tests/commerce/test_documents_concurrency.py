"""Shipments and invoices under real parallel transactions on PostgreSQL: two documents of the same order made
at once (one wins, the other is refused), numbers never given twice, and a document racing a cancellation."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from commerce.choices import OrderStatus
from commerce.models import Invoice, InvoiceLine, Order, Shipment, ShipmentLine
from commerce.services import order_cancel
from commerce.services.documents import invoice_create, shipment_create
from tests.conftest import need_service
from tests.factories import OrganizationFactory, UserFactory
from tests.factories.commerce import make_customer, make_order

pytestmark = pytest.mark.django_db(transaction=True)


def race(*calls):
    """Run the calls at the same moment, each in its own thread and connection; return what each gave or raised."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=30)
            results[index] = call()
        except BaseException as error:  # compared below
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index, call)) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


@pytest.fixture
def setting():
    need_service(connection.vendor == "postgresql", "PostgreSQL")
    organization = OrganizationFactory(name="Docs race")
    admins = [UserFactory(organization=organization, role="admin", username=f"docs-race-{i}") for i in range(2)]
    return organization, admins


def test_two_shipments_of_the_same_orders_at_once_one_wins(setting):
    organization, admins = setting
    for round_number in range(4):
        customer = make_customer(admins[0], f"Race {round_number}")
        orders = [make_order(admins[0], customer, quantity=2) for _ in range(2)]
        results = race(
            lambda orders=orders: shipment_create(actor=admins[0], orders=orders, shipped=True),
            lambda orders=orders: shipment_create(actor=admins[1], orders=list(reversed(orders)), shipped=True),
        )
        made = [r for r in results if isinstance(r, Shipment)]
        refused = [r for r in results if isinstance(r, ValidationError)]
        assert len(made) == 1 and len(refused) == 1, results
        assert "on a shipment already" in " ".join(refused[0].messages)
        for order in orders:
            assert ShipmentLine.objects.filter(order=order).count() == 1
            assert Order.objects.get(pk=order.pk).status == OrderStatus.SHIPPED


def test_two_invoices_of_the_same_order_at_once_one_wins(setting):
    organization, admins = setting
    for round_number in range(4):
        customer = make_customer(admins[0], f"Bill {round_number}")
        shared = make_order(admins[0], customer)
        own = [make_order(admins[0], customer) for _ in range(2)]
        results = race(
            lambda shared=shared, own=own: invoice_create(actor=admins[0], orders=[shared, own[0]]),
            lambda shared=shared, own=own: invoice_create(actor=admins[1], orders=[own[1], shared]),
        )
        made = [r for r in results if isinstance(r, Invoice)]
        refused = [r for r in results if isinstance(r, ValidationError)]
        assert len(made) == 1 and len(refused) == 1, results
        assert f"Order {shared.number} is on invoice {made[0].number} already" in " ".join(refused[0].messages)
        assert InvoiceLine.objects.filter(order=shared).count() == 1


def test_numbers_made_at_once_are_never_given_twice(setting):
    organization, admins = setting
    customers = [make_customer(admins[0], f"Numbered {n}") for n in range(4)]
    orders = {customer.pk: [make_order(admins[0], customer) for _ in range(3)] for customer in customers}

    def make_all(customer):
        return [shipment_create(actor=admins[0], orders=[order]).number for order in orders[customer.pk]] + [
            invoice_create(actor=admins[1], orders=orders[customer.pk]).number
        ]

    results = race(*[lambda customer=customer: make_all(customer) for customer in customers])
    assert all(isinstance(r, list) for r in results), results
    numbers = sorted(number for numbers in results for number in numbers)
    assert numbers == sorted([f"SH-{n:06d}" for n in range(1, 13)] + [f"INV-{n:06d}" for n in range(1, 5)])
    assert Shipment.objects.filter(organization=organization).count() == 12


def test_a_shipment_racing_a_cancellation_never_carries_a_cancelled_order(setting):
    organization, admins = setting
    for round_number in range(4):
        customer = make_customer(admins[0], f"Cancel {round_number}")
        order = make_order(admins[0], customer)
        results = race(
            lambda order=order: shipment_create(actor=admins[0], orders=[order]),
            lambda order=order: order_cancel(actor=admins[1], order=Order.objects.get(pk=order.pk)),
        )
        assert sum(isinstance(r, ValidationError) for r in results) == 1, results
        stored = Order.objects.get(pk=order.pk)
        on_shipment = ShipmentLine.objects.filter(order=order).exists()
        assert on_shipment != (stored.status == OrderStatus.CANCELLED)
