"""Writes at 100,000 opportunities: the queries of an opportunity created through the API and of a status
change to won (targets: at most 8 and 12), and their time against a bare ORM create of the same row.

Inside the benchmark's transaction the services' transaction is a savepoint: SAVEPOINT and RELEASE
stand where production has BEGIN and COMMIT, so the counts are production's."""

import itertools

from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, reset_queries
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.models import Account, Opportunity

TARGET_CREATE, TARGET_WON = 8, 12


def test_create_and_win_through_the_api(large_crms, db, bench_timer):
    crm = large_crms[100_000]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=crm.rep_authorization)
    account = Account.objects.filter(organization=crm.organization, owner=crm.rep).order_by("pk").first()
    ContentType.objects.get_for_model(Opportunity)
    client.get(f"/api/crm/accounts/{account.pk}/")  # the key's first use of the run
    names = itertools.count()

    def create():
        response = client.post(
            "/api/crm/opportunities/",
            {"name": f"Bench deal {next(names)}", "account": account.pk, "budget_amount": "1200.00"},
            format="json",
        )
        assert response.status_code == 201, response.content
        return response.json()["id"]

    def win(pk):
        response = client.post(f"/api/crm/opportunities/{pk}/status/", {"status": "won"}, format="json")
        assert response.status_code == 200, response.content

    def bare():
        models.Model.save(
            Opportunity(
                organization=crm.organization,
                owner=crm.rep,
                account=account,
                name=f"Bare deal {next(names)}",
                probability=10,
                budget_amount=1200,
                budget_currency="USD",
                budget_amount_base=1200,
            )
        )

    # A request starts by emptying the query log: the capture must start from an empty one.
    reset_queries()
    with CaptureQueriesContext(connection) as created:
        pk = create()
    reset_queries()
    with CaptureQueriesContext(connection) as won:
        win(pk)
    counts = {"create": len(created), "status_won": len(won)}  # read now: the next request empties the log
    pending = []
    medians = bench_timer(
        {
            "create": lambda: pending.append(create()),
            "win": lambda: win(pending.pop()) if pending else win(create()),
            "bare": bare,
        },
        rounds=40,
        warmup=5,
    )
    for name, target in (("create", TARGET_CREATE), ("status_won", TARGET_WON)):
        count = counts[name]
        verdict = "PASS" if count <= target else "MISS"
        print(f"\nbench api_opportunity_{name}_queries queries={count} target<={target} {verdict}")
    print(
        f"\nbench api_opportunity_create median_ms={medians['create']:.2f} bare_orm_create_ms={medians['bare']:.2f} "
        f"ratio={medians['create'] / medians['bare']:.1f}"
    )
    print(
        f"\nbench api_opportunity_status_won median_ms={medians['win']:.2f} bare_orm_create_ms={medians['bare']:.2f} "
        f"ratio={medians['win'] / medians['bare']:.1f}"
    )
