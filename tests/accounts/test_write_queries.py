"""What a write costs in queries, counted as production runs it (the service's transaction is the outermost,
so only real statements count), at two data sizes: an opportunity created through the API, and one
moved to won. A refused write inside a caller's own transaction undoes only its own work."""

from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.models import Account, Opportunity
from accounts.services import opportunity_save
from tests.conftest import need_service
from tests.factories import AccountFactory, OpportunityFactory

CREATE_QUERIES = 8
WON_QUERIES = 12


def _grow(rep, account, deals: int) -> None:
    for index in range(deals):
        opportunity_save(
            actor=rep,
            data={"name": f"Old {index}", "account": account, "close_revenue": Decimal(10), "status": "won"},
        )


def _count(call):
    with CaptureQueriesContext(connection) as captured:
        response = call()
    return captured, response


@pytest.mark.parametrize("existing_deals", [0, 25])
@pytest.mark.django_db(transaction=True)
def test_create_and_win_cost_a_constant_small_number_of_queries(rep, key_client, existing_deals):
    need_service(connection.vendor == "postgresql", "PostgreSQL")  # the counts are PostgreSQL's
    account = AccountFactory(owner=rep)
    _grow(rep, account, existing_deals)
    client = key_client(rep)
    client.get(f"/api/crm/accounts/{account.pk}/")  # the key's first use is stamped once, not on every request
    ContentType.objects.get_for_model(Opportunity)  # a running server has its content types cached
    created, response = _count(
        lambda: client.post(
            "/api/crm/opportunities/",
            {"name": "New deal", "account": account.pk, "budget_amount": "250.00"},
            format="json",
        )
    )
    assert response.status_code == 201, response.content
    won_captured, won = _count(
        lambda: client.post(f"/api/crm/opportunities/{response.json()['id']}/status/", {"status": "won"}, format="json")
    )
    assert won.status_code == 200, won.content
    created_queries, won_queries = len(created), len(won_captured)
    assert created_queries <= CREATE_QUERIES, "\n".join(q["sql"][:100] for q in created.captured_queries)
    assert won_queries <= WON_QUERIES, "\n".join(q["sql"][:100] for q in won_captured.captured_queries)
    account.refresh_from_db()
    assert account.lifetime_value == Decimal(10) * existing_deals + Decimal("250.00")
    assert account.value_changes.order_by("-id").first().lifetime_value == account.lifetime_value


@pytest.mark.django_db
def test_a_refusal_inside_a_callers_transaction_undoes_only_its_own_work(rep):
    account = AccountFactory(owner=rep)
    deal = OpportunityFactory(owner=rep, account=account)
    with transaction.atomic():
        Account.objects.filter(pk=account.pk).update(description="kept")
        with pytest.raises(Exception):  # noqa: B017 (a validation error, whichever field reports it)
            opportunity_save(
                actor=rep, opportunity=deal, data={"name": "Changed", "customer": None, "probability": Decimal(500)}
            )
        # The caller's transaction goes on: its own write stays, the service's is gone.
        assert Account.objects.get(pk=account.pk).description == "kept"
    assert Opportunity.objects.get(pk=deal.pk).name != "Changed"


@pytest.mark.django_db
def test_a_check_constraint_read_without_the_database_still_refuses(rep):
    from django.core.exceptions import ValidationError

    deal = OpportunityFactory(owner=rep)
    deal.customer_type = ContentType.objects.get_for_model(Account)
    deal.customer_id = None
    with CaptureQueriesContext(connection) as captured, pytest.raises(ValidationError) as refused:
        deal.validate_constraints()
    assert "opportunity_customer_both_or_neither" in str(refused.value)
    assert len(captured) == 0
