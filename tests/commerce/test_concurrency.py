"""Commerce writes under real parallel transactions on PostgreSQL: strategy changes racing each other and
their jobs, beside order payments, refunds, cancellations, customer moves and parent changes. The last
setting wins, nothing deadlocks for good, and lifetime values stay what a recalculation finds."""

import random
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from accounts.services import lifetime_recalculate
from backoffice.jobs import job_run
from backoffice.models import Job, JobState
from commerce.models import CommerceCustomer, Order
from commerce.services import (
    account_strategy_get,
    account_strategy_update,
    customer_create,
    customer_move_account,
    customer_update,
    order_cancel,
    order_pay,
    order_refund,
)
from commerce.services.strategy import RELATION_JOB
from tests.conftest import need_service
from tests.factories import AccountFactory, OrganizationFactory, UserFactory
from tests.factories.commerce import make_order

pytestmark = pytest.mark.django_db(transaction=True)


def build(seed: int):
    rng = random.Random(seed)
    organization = OrganizationFactory(name=f"Race {seed}")
    admins = [UserFactory(organization=organization, role="admin", username=f"race{seed}-{i}") for i in range(2)]
    customers = []
    for index in range(30):
        parent = rng.choice(customers) if customers and rng.random() < 0.7 else None
        customers.append(customer_create(actor=admins[0], name=f"C{index}", parent=parent))
    orders = [make_order(admins[0], rng.choice(customers), price=f"{rng.randint(5, 300)}.00") for _ in range(20)]
    for order in orders[:10]:
        order_pay(actor=admins[0], order=order, amount=order.total)
    return organization, admins, customers, orders


def assert_strategy_holds(organization):
    strategy = account_strategy_get(organization_id=organization.pk)
    rows = {c.pk: c for c in CommerceCustomer.objects.filter(organization=organization)}
    for customer in rows.values():
        assert customer.account_id is not None
        if customer.root_id is None:
            continue
        root_account = rows[customer.root_id].account_id
        if strategy == "root":
            assert customer.account_id == root_account, customer
        else:
            assert customer.account_id != root_account, customer


def drain(organization, stop: threading.Event, failures: list) -> None:
    """A worker: run queued re-relation jobs as they come, until told to stop and none is left."""
    try:
        while True:
            job = Job.objects.filter(organization=organization, kind=RELATION_JOB, state=JobState.QUEUED).first()
            if job is not None:
                job_run(job_id=job.pk)
            elif stop.is_set():
                return
    except BaseException as error:  # surfaced below
        failures.append(error)
    finally:
        connections.close_all()


def test_racing_strategy_changes_end_with_the_last_setting_and_exact_values():
    need_service(connection.vendor == "postgresql", "PostgreSQL")
    organization, admins, customers, orders = build(1)
    failures: list[BaseException] = []
    for round_number in range(3):
        barrier = threading.Barrier(3)
        stop = threading.Event()
        choices = ["root", "each"] if round_number % 2 == 0 else ["each", "root"]

        def change(admin, strategy, barrier=barrier):
            try:
                barrier.wait(timeout=30)
                account_strategy_update(actor=admin, strategy=strategy)
            except BaseException as error:  # surfaced below
                failures.append(error)
            finally:
                connections.close_all()

        def write(seed, barrier=barrier):
            rng = random.Random(seed)
            try:
                barrier.wait(timeout=30)
                for _ in range(15):
                    order = Order.objects.get(pk=rng.choice(orders).pk)
                    action = rng.choice(["pay", "refund", "cancel", "customer"])
                    try:
                        if action == "pay":
                            order_pay(actor=admins[0], order=order, amount=order.total - order.paid_amount)
                        elif action == "refund":
                            order_refund(actor=admins[0], order=order, amount=Decimal("1.00"))
                        elif action == "cancel":
                            order_cancel(actor=admins[0], order=order)
                        else:
                            parent = CommerceCustomer.objects.get(pk=rng.choice(customers).pk)
                            customer_create(actor=admins[0], name=f"New {rng.random()}", parent=parent)
                    except ValidationError:
                        pass  # refused by a rule (nothing to pay, nothing to refund, ...)
            except BaseException as error:  # surfaced below
                failures.append(error)
            finally:
                connections.close_all()

        worker = threading.Thread(target=drain, args=(organization, stop, failures))
        worker.start()
        threads = [
            threading.Thread(target=change, args=(admins[0], choices[0])),
            threading.Thread(target=change, args=(admins[1], choices[1])),
            threading.Thread(target=write, args=(round_number,)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        stop.set()
        worker.join(timeout=120)
        assert not failures, failures
        assert not Job.objects.filter(organization=organization, state__in=["queued", "running"]).exists()
        assert not Job.objects.filter(organization=organization, state=JobState.FAILED).exists()
        assert_strategy_holds(organization)
        assert lifetime_recalculate(organization=organization) == 0


def test_parent_changes_racing_a_switch_to_root_end_under_their_roots_accounts():
    need_service(connection.vendor == "postgresql", "PostgreSQL")
    organization, admins, customers, orders = build(3)
    failures: list[BaseException] = []
    barrier = threading.Barrier(2)
    stop = threading.Event()

    def switch():
        try:
            barrier.wait(timeout=30)
            account_strategy_update(actor=admins[1], strategy="root")
        except BaseException as error:  # surfaced below
            failures.append(error)
        finally:
            connections.close_all()

    def reparent():
        rng = random.Random(3)
        try:
            barrier.wait(timeout=30)
            for _ in range(40):
                customer = CommerceCustomer.objects.get(pk=rng.choice(customers).pk)
                parent = rng.choice([None, CommerceCustomer.objects.get(pk=rng.choice(customers).pk)])
                try:
                    customer_update(actor=admins[0], customer=customer, data={"parent": parent})
                except ValidationError:
                    pass  # a cycle, refused
        except BaseException as error:  # surfaced below
            failures.append(error)
        finally:
            connections.close_all()

    worker = threading.Thread(target=drain, args=(organization, stop, failures))
    worker.start()
    threads = [threading.Thread(target=switch), threading.Thread(target=reparent)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    stop.set()
    worker.join(timeout=120)
    assert not failures, failures
    assert account_strategy_get(organization_id=organization.pk) == "root"
    assert_strategy_holds(organization)
    assert lifetime_recalculate(organization=organization) == 0


def test_parallel_order_and_customer_writes_keep_values_exact():
    need_service(connection.vendor == "postgresql", "PostgreSQL")
    organization, admins, customers, orders = build(2)
    accounts = [AccountFactory(owner=admins[0]) for _ in range(3)]
    failures: list[BaseException] = []
    recalculations: list[int] = []
    writing = threading.Event()
    writing.set()

    def worker(seed):
        rng = random.Random(seed)
        try:
            for _ in range(20):
                order = Order.objects.get(pk=rng.choice(orders).pk)
                action = rng.choice(["pay", "refund", "cancel", "move", "move"])
                try:
                    if action == "pay":
                        order_pay(actor=admins[seed % 2], order=order, amount=order.total - order.paid_amount)
                    elif action == "refund":
                        order_refund(actor=admins[seed % 2], order=order, amount=Decimal("2.50"))
                    elif action == "cancel":
                        order_cancel(actor=admins[seed % 2], order=order)
                    else:
                        customer = CommerceCustomer.objects.get(pk=rng.choice(customers).pk)
                        customer_move_account(actor=admins[seed % 2], customer=customer, account=rng.choice(accounts))
                except ValidationError:
                    pass
        except BaseException as error:  # surfaced below
            failures.append(error)
        finally:
            connections.close_all()

    def recalculator():
        try:
            while writing.is_set():
                recalculations.append(lifetime_recalculate(organization=organization))
        except BaseException as error:  # surfaced below
            failures.append(error)
        finally:
            connections.close_all()

    checker = threading.Thread(target=recalculator)
    checker.start()
    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    writing.clear()
    checker.join(timeout=60)
    assert not failures, failures
    assert recalculations and set(recalculations) == {0}, recalculations
    assert lifetime_recalculate(organization=organization) == 0
