"""Lifetime values under real parallel transactions on PostgreSQL: mixed customer moves, status changes,
revenue edits, deletes and account edits answer no 5xx, and leave nothing for a recalculation to correct,
nor for one running beside them."""

import random
import threading
from decimal import Decimal

import pytest
from django.db import connection, connections
from rest_framework.test import APIClient

from accounts.services import lifetime_recalculate, opportunity_save
from tests.conftest import need_service
from tests.factories import AccountFactory, BusinessCustomerFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 4
STEPS = 25
STATUSES = ["in_progress", "negotiation", "won", "lost"]


def test_mixed_parallel_writes_keep_lifetime_values_exact():
    need_service(connection.vendor == "postgresql", "PostgreSQL")
    organization = OrganizationFactory(name="Concurrent Org")
    manager = UserFactory(organization=organization, role="manager")
    accounts = [AccountFactory(owner=manager) for _ in range(3)]
    customers = [BusinessCustomerFactory(owner=manager, account=accounts[i]) for i in range(2)]
    deals = []
    for i in range(12):
        customer = customers[i % 3] if i % 3 < 2 else None
        deal = opportunity_save(
            actor=manager,
            data={
                "name": f"Deal {i}",
                "account": customer.account if customer else accounts[2],
                "customer": customer,
                "close_revenue": Decimal(100 + i),
                "status": "won" if i % 2 else "in_progress",
            },
        )
        deals.append(deal.pk)
    answers: list[int] = []
    failures: list[BaseException] = []

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        client = APIClient()
        client.force_authenticate(manager)
        try:
            for _ in range(STEPS):
                kind = rng.choice(["status", "status", "revenue", "move", "delete", "account"])
                deal = rng.choice(deals)
                if kind == "status":
                    response = client.post(
                        f"/api/crm/opportunities/{deal}/status/", {"status": rng.choice(STATUSES)}, format="json"
                    )
                elif kind == "revenue":
                    response = client.patch(
                        f"/api/crm/opportunities/{deal}/", {"close_revenue": str(rng.randint(1, 999))}, format="json"
                    )
                elif kind == "move":
                    response = client.patch(
                        f"/api/crm/business-customers/{rng.choice(customers).pk}/",
                        {"account": rng.choice(accounts).pk},
                        format="json",
                    )
                elif kind == "delete":
                    response = client.delete(f"/api/crm/opportunities/{deal}/")
                else:
                    response = client.patch(
                        f"/api/crm/accounts/{rng.choice(accounts).pk}/",
                        {"description": f"v{rng.random()}"},
                        format="json",
                    )
                answers.append(response.status_code)
        except BaseException as error:  # surfaced below
            failures.append(error)
        finally:
            connections.close_all()

    writing = threading.Event()
    recalculations: list[int] = []

    def recalculator() -> None:
        # A recalculation beside the writers: every committed state it reads is consistent, so it has
        # nothing to correct, and it must neither deadlock with them nor undo their changes.
        try:
            while writing.is_set():
                recalculations.append(lifetime_recalculate(organization=organization))
        except BaseException as error:  # surfaced below
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(THREADS)]
    writing.set()
    recalculating = threading.Thread(target=recalculator)
    recalculating.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    writing.clear()
    recalculating.join(timeout=60)
    assert not failures, failures
    assert recalculations and set(recalculations) == {0}, recalculations
    assert len(answers) == THREADS * STEPS
    assert all(code < 500 for code in answers), sorted(set(answers))
    assert {200, 204} & set(answers)
    assert lifetime_recalculate(organization=organization) == 0, "incremental values drifted from a recalculation"
