"""Lifetime sales value: incremental upkeep equals a full recalculation, whatever happens."""

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Account, AccountChannelValue, AccountValueChange, BusinessCustomer
from accounts.services import business_customer_save, lifetime_recalculate, opportunity_delete, opportunity_save
from tests.factories import AccountFactory, BusinessCustomerFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


def snapshot(organization):
    accounts = {a.pk: a.lifetime_value for a in Account.objects.filter(organization=organization)}
    channels = {
        (row.account_id, row.channel_id): row.amount
        for row in AccountChannelValue.objects.filter(account__organization=organization)
        if row.amount
    }
    customers = {c.pk: c.lifetime_value for c in BusinessCustomer.objects.filter(organization=organization)}
    return accounts, channels, customers


def test_account_value_by_channel_and_history(rep):
    account = AccountFactory(owner=rep)
    customer = BusinessCustomerFactory(owner=rep, account=account)
    with_customer = opportunity_save(
        actor=rep, data={"name": "A", "account": account, "customer": customer, "close_revenue": Decimal("300")}
    )
    opportunity_save(actor=rep, opportunity=with_customer, data={"status": "won"})
    without = opportunity_save(actor=rep, data={"name": "B", "account": account, "close_revenue": Decimal("50")})
    opportunity_save(actor=rep, opportunity=without, data={"status": "won"})
    account.refresh_from_db()
    customer.refresh_from_db()
    assert account.lifetime_value == Decimal("350.00")
    assert customer.lifetime_value == Decimal("300.00")
    by_channel = {row.channel.name if row.channel else None: row.amount for row in account.channel_values.all()}
    assert by_channel == {"Business customers": Decimal("300.00"), None: Decimal("50.00")}
    assert list(AccountValueChange.objects.filter(account=account).values_list("lifetime_value", flat=True)) == [
        Decimal("300.00"),
        Decimal("350.00"),
    ]


def test_recalculate_command_repairs_drift(rep):
    from django.core.management import call_command

    account = AccountFactory(owner=rep)
    opportunity = opportunity_save(actor=rep, data={"name": "A", "account": account, "budget_amount": Decimal("10")})
    opportunity_save(actor=rep, opportunity=opportunity, data={"status": "won"})
    Account.objects.filter(pk=account.pk).update(lifetime_value=Decimal("999"))
    call_command("recalculate_lifetime")
    account.refresh_from_db()
    assert account.lifetime_value == Decimal("10.00")


AMOUNTS = st.decimals(min_value=0, max_value=10000, places=2, allow_nan=False, allow_infinity=False)
STATUSES = st.sampled_from(["in_progress", "negotiation", "won", "lost"])
STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("create"), st.integers(0, 2), st.integers(-1, 2), STATUSES, AMOUNTS),
        st.tuples(st.just("status"), st.integers(0, 30), STATUSES),
        st.tuples(st.just("revenue"), st.integers(0, 30), AMOUNTS),
        st.tuples(st.just("account"), st.integers(0, 30), st.integers(0, 2)),
        st.tuples(st.just("delete"), st.integers(0, 30)),
        st.tuples(st.just("move_customer"), st.integers(0, 2), st.integers(0, 2)),
    ),
    min_size=1,
    max_size=15,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS)
def test_incremental_value_equals_full_recalculation(django_db_blocker, steps):
    organization = OrganizationFactory(name="Property Org")
    manager = UserFactory(organization=organization, role="manager")
    accounts = [AccountFactory(owner=manager) for _ in range(3)]
    customers = [BusinessCustomerFactory(owner=manager, account=accounts[i]) for i in range(3)]
    opportunities = []
    for step in steps:
        kind = step[0]
        if kind == "create":
            _, a, c, status, amount = step
            customer = customers[c] if c >= 0 else None
            account = customer.account if customer else accounts[a]
            opportunities.append(
                opportunity_save(
                    actor=manager,
                    data={
                        "name": "x",
                        "account": account,
                        "customer": customer,
                        "status": status,
                        "close_revenue": amount,
                    },
                )
            )
        elif not opportunities and kind != "move_customer":
            continue
        elif kind == "status":
            o = opportunities[step[1] % len(opportunities)]
            opportunities[opportunities.index(o)] = opportunity_save(
                actor=manager, opportunity=o, data={"status": step[2]}
            )
        elif kind == "revenue":
            o = opportunities[step[1] % len(opportunities)]
            opportunities[opportunities.index(o)] = opportunity_save(
                actor=manager, opportunity=o, data={"close_revenue": step[2]}
            )
        elif kind == "account":
            o = opportunities[step[1] % len(opportunities)]
            if o.customer_id is None:
                opportunities[opportunities.index(o)] = opportunity_save(
                    actor=manager, opportunity=o, data={"account": accounts[step[2]]}
                )
        elif kind == "delete":
            o = opportunities.pop(step[1] % len(opportunities))
            opportunity_delete(actor=manager, opportunity=o)
        elif kind == "move_customer":
            customer = customers[step[1]]
            customer.refresh_from_db()
            business_customer_save(actor=manager, customer=customer, data={"account": accounts[step[2]]})
    incremental = snapshot(organization)
    lifetime_recalculate(organization=organization)
    assert snapshot(organization) == incremental
    accounts_value, channels, customers_value = incremental
    for account in accounts:
        business = sum(
            (v for c, v in customers_value.items() if BusinessCustomer.objects.get(pk=c).account_id == account.pk),
            Decimal("0"),
        )
        channel = sum((v for (a, ch), v in channels.items() if a == account.pk and ch is not None), Decimal("0"))
        assert channel == business
    # Clean up so the next example starts from an empty organization (the test transaction spans examples).
    from accounts.models import Opportunity

    Opportunity.objects.filter(organization=organization).delete()
    BusinessCustomer.objects.filter(organization=organization).delete()
    Account.objects.filter(organization=organization).delete()
    organization.users.all().delete()
    organization.delete()
