"""Incremental lifetime values equal a full recalculation after any sequence of commerce and CRM writes:
orders placed, paid, refunded, cancelled, edited, deleted and moved; customers created, re-parented and
moved between accounts; won deals naming commerce customers; the strategy switched and its job run."""

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from accounts.models import Account
from accounts.services import lifetime_recalculate, opportunity_save
from backoffice.models import CurrencyRate
from commerce.models import CommerceCustomer, Order
from commerce.services import (
    LineInput,
    account_strategy_update,
    customer_create,
    customer_move_account,
    customer_update,
    order_cancel,
    order_delete,
    order_move_customer,
    order_pay,
    order_place,
    order_refund,
    order_update,
)
from tests.commerce.conftest import lifetime_snapshot
from tests.commerce.strategy_support import run_relation_jobs
from tests.factories import AccountFactory, OrganizationFactory, UserFactory
from tests.factories.commerce import ProductFactory

pytestmark = pytest.mark.django_db

CENTS = st.integers(min_value=1, max_value=50_000).map(lambda cents: Decimal(cents) / 100)
INDEX = st.integers(0, 40)
STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("customer"), st.integers(-1, 40)),
        st.tuples(st.just("place"), INDEX, st.integers(0, 3), st.integers(1, 5)),
        st.tuples(st.just("pay"), INDEX, st.booleans()),
        st.tuples(st.just("refund"), INDEX, st.integers(1, 100)),
        st.tuples(st.just("cancel"), INDEX),
        st.tuples(st.just("edit"), INDEX, st.integers(0, 3), st.integers(1, 5), st.integers(0, 50)),
        st.tuples(st.just("delete"), INDEX),
        st.tuples(st.just("move_order"), INDEX, INDEX),
        st.tuples(st.just("move_customer"), INDEX, st.integers(0, 2)),
        st.tuples(st.just("parent"), INDEX, st.integers(-1, 40)),
        st.tuples(st.just("deal"), INDEX, CENTS),
        st.tuples(st.just("strategy"), st.sampled_from(["root", "each"])),
    ),
    min_size=5,
    max_size=30,
)
examples = itertools.count()
ORDER_STEPS = {"pay", "refund", "cancel", "edit", "delete", "move_order"}


def pick(items, index):
    return items[index % len(items)] if items else None


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(steps=STEPS)
def test_incremental_values_equal_recalculation(django_db_blocker, steps):
    organization = OrganizationFactory(name=f"Property commerce {next(examples)}")
    admin = UserFactory(organization=organization, role="admin", username=f"prop-admin-{organization.pk}")
    CurrencyRate.objects.create(
        organization=organization, currency="EUR", rate=Decimal("1.13"), valid_from=dt.date(2000, 1, 1)
    )
    products = [
        ProductFactory(organization=organization, unit_price=price, currency=currency)
        for price, currency in [("9.99", "USD"), ("120.00", "USD"), ("0.35", "USD"), ("45.50", "EUR")]
    ]
    accounts = [AccountFactory(owner=admin) for _ in range(3)]
    # A starting point every operation has something to work on: a small hierarchy, a lone customer,
    # and orders pending, partly paid and paid in both currencies.
    root = customer_create(actor=admin, name="Seed root")
    customers = [
        root,
        customer_create(actor=admin, name="Seed child", parent=root),
        customer_create(actor=admin, name="Seed lone"),
    ]
    orders: list[int] = []
    for index, (product, paid) in enumerate([(0, None), (1, Decimal("50.00")), (3, "all"), (1, "all")]):
        seeded = order_place(
            actor=admin,
            customer=customers[index % 3],
            lines=[LineInput(product=products[product], quantity=2)],
            currency=products[product].currency,
        )
        if paid is not None:
            order_pay(actor=admin, order=seeded, amount=seeded.total if paid == "all" else paid)
        orders.append(seeded.pk)
    for step in steps:
        kind = step[0]
        order = None
        if kind in ORDER_STEPS:
            order = Order.objects.filter(pk=pick(orders, step[1])).first()
            if order is None:
                continue
        try:
            if kind == "customer":
                parent = None if step[1] < 0 else CommerceCustomer.objects.get(pk=pick(customers, step[1]).pk)
                customers.append(customer_create(actor=admin, name=f"Customer {len(customers)}", parent=parent))
            elif kind == "place":
                product = products[step[2]]
                placed = order_place(
                    actor=admin,
                    customer=pick(customers, step[1]),
                    lines=[LineInput(product=product, quantity=step[3])],
                    currency=product.currency,
                )
                orders.append(placed.pk)
            elif kind == "pay":
                open_amount = order.total - order.paid_amount
                amount = open_amount if step[2] else (open_amount / 2).quantize(Decimal("0.01"))
                order_pay(actor=admin, order=order, amount=amount)
            elif kind == "refund":
                amount = (order.paid_amount * step[2] / 100).quantize(Decimal("0.01"))
                order_refund(actor=admin, order=order, amount=amount)
            elif kind == "cancel":
                order_cancel(actor=admin, order=order)
            elif kind == "edit":
                product = products[step[2]]
                order_update(
                    actor=admin,
                    order=order,
                    data={"discount": Decimal(step[4])},
                    lines=[LineInput(product=product, quantity=step[3], unit_price=product.unit_price)],
                )
            elif kind == "delete":
                order_delete(actor=admin, order=order)
                orders.remove(order.pk)
            elif kind == "move_order":
                order_move_customer(actor=admin, order=order, customer=pick(customers, step[2]))
            elif kind == "move_customer":
                customer = CommerceCustomer.objects.get(pk=pick(customers, step[1]).pk)
                customer_move_account(actor=admin, customer=customer, account=accounts[step[2]])
            elif kind == "parent":
                customer = CommerceCustomer.objects.get(pk=pick(customers, step[1]).pk)
                parent = None if step[2] < 0 else CommerceCustomer.objects.get(pk=pick(customers, step[2]).pk)
                customer_update(actor=admin, customer=customer, data={"parent": parent})
            elif kind == "deal":
                customer = CommerceCustomer.objects.get(pk=pick(customers, step[1]).pk)
                opportunity_save(
                    actor=admin,
                    data={"name": "Deal", "customer": customer, "status": "won", "close_revenue": step[2]},
                )
            elif kind == "strategy":
                account_strategy_update(actor=admin, strategy=step[1])
                run_relation_jobs(organization)
            event(f"done: {kind}")
        except ValidationError:
            event(
                f"refused: {kind}"
            )  # refused by a rule (a cycle, an amount over what is open, ...): nothing was written
    incremental = lifetime_snapshot(organization)
    assert lifetime_recalculate(organization=organization) == 0
    assert lifetime_snapshot(organization) == incremental
    # Each account's Commerce channel value is the sum of its commerce customers' order values.
    for account in Account.objects.filter(organization=organization):
        customers_total = sum(
            (c.lifetime_value for c in CommerceCustomer.objects.filter(account=account)), Decimal("0")
        )
        assert account.lifetime_value >= 0
        assert account.lifetime_value == sum((row.amount for row in account.channel_values.all()), Decimal("0"))
        channel = account.channel_values.filter(channel__channel_type="commerce").first()
        assert (channel.amount if channel else Decimal("0")) == customers_total
