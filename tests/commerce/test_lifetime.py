"""The Commerce channel's lifetime sales value: every order event, in base currency, kept in the same
transaction and equal to a full recalculation."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import Account, AccountChannelValue, AccountValueChange
from accounts.services import lifetime_recalculate
from backoffice.models import CurrencyRate
from commerce.models import CommerceCustomer
from commerce.services import (
    LineInput,
    customer_create,
    customer_move_account,
    order_cancel,
    order_delete,
    order_move_customer,
    order_pay,
    order_refund,
    order_update,
)
from tests.commerce.conftest import lifetime_snapshot
from tests.factories import AccountFactory
from tests.factories.commerce import ProductFactory, make_order

pytestmark = pytest.mark.django_db


def values(customer):
    customer = CommerceCustomer.objects.get(pk=customer.pk)
    account = Account.objects.get(pk=customer.account_id)
    channel = AccountChannelValue.objects.filter(account=account, channel=customer.channel).first()
    return customer.lifetime_value, account.lifetime_value, channel.amount if channel else Decimal("0.00")


def assert_recalculation_agrees(organization):
    before = lifetime_snapshot(organization)
    assert lifetime_recalculate(organization=organization) == 0
    assert lifetime_snapshot(organization) == before


def test_payment_states_count_as_the_rule_says(manager):
    customer = customer_create(actor=manager, name="Buyer")
    order = make_order(manager, customer, price="100.00", quantity=2)
    assert values(customer) == (Decimal("0.00"),) * 3  # pending counts nothing
    order_pay(actor=manager, order=order, amount="150.00")
    assert values(customer)[0] == Decimal("0.00")  # partially paid counts nothing
    order_pay(actor=manager, order=order, amount="50.00")
    assert values(customer) == (Decimal("200.00"),) * 3  # paid in full: the subtotal
    order_refund(actor=manager, order=order, amount="30.00")
    assert values(customer) == (Decimal("170.00"),) * 3  # partially refunded: less the refund
    order_refund(actor=manager, order=order, amount="170.00")
    assert values(customer) == (Decimal("0.00"),) * 3  # fully refunded counts nothing
    history = list(
        AccountValueChange.objects.filter(account_id=customer.account_id).values_list("lifetime_value", flat=True)
    )
    assert history == [Decimal("200.00"), Decimal("170.00"), Decimal("0.00")]
    assert_recalculation_agrees(manager.organization)


def test_subtotal_counts_in_base_currency_at_the_rate_of_placing(manager):
    CurrencyRate.objects.create(
        organization=manager.organization, currency="EUR", rate=Decimal("1.25"), valid_from=dt.date(2000, 1, 1)
    )
    customer = customer_create(actor=manager, name="Euro buyer")
    order = make_order(manager, customer, price="80.00", currency="EUR", paid=True)
    assert order.base_subtotal == Decimal("100.00")
    # A later rate does not change what the order counts.
    CurrencyRate.objects.create(
        organization=manager.organization, currency="EUR", rate=Decimal("2"), valid_from=timezone.localdate()
    )
    order_refund(actor=manager, order=order, amount="8.00")
    assert values(customer)[0] == Decimal("90.00")
    usd = make_order(manager, customer, price="5.00", paid=True)
    assert usd.base_subtotal == Decimal("5.00")
    assert values(customer) == (Decimal("95.00"),) * 3
    assert_recalculation_agrees(manager.organization)


def test_unknown_currency_is_refused_naming_the_field(manager):
    customer = customer_create(actor=manager, name="Buyer")
    with pytest.raises(ValidationError) as error:
        make_order(manager, customer, currency="JPY")
    assert "currency" in error.value.message_dict


def test_cancel_edit_delete_and_move_change_the_values(manager):
    first = customer_create(actor=manager, name="First")
    second = customer_create(actor=manager, name="Second")
    order = make_order(manager, first, price="60.00", paid=True)
    order_cancel(actor=manager, order=order)
    assert values(first)[0] == Decimal("0.00")
    with pytest.raises(ValidationError):
        order_pay(actor=manager, order=order, amount="1.00")

    other = make_order(manager, first, price="40.00", quantity=1)
    product = ProductFactory(organization=manager.organization, unit_price=Decimal("25.00"))
    order_update(actor=manager, order=other, data={}, lines=[LineInput(product=product, quantity=2)])
    order_pay(actor=manager, order=other, amount="50.00")
    assert values(first) == (Decimal("50.00"),) * 3
    # A bigger order is no longer paid in full: it stops counting until paid.
    order_update(actor=manager, order=other, data={}, lines=[LineInput(product=product, quantity=3)])
    assert values(first)[0] == Decimal("0.00")
    order_pay(actor=manager, order=other, amount="25.00")
    assert values(first)[0] == Decimal("75.00")
    with pytest.raises(ValidationError) as error:
        order_update(actor=manager, order=other, data={"discount": Decimal("10.00")})
    assert "lines" in error.value.message_dict  # the total would drop below what was paid

    order_move_customer(actor=manager, order=other, customer=second)
    assert values(first) == (Decimal("0.00"),) * 3
    assert values(second) == (Decimal("75.00"),) * 3
    order_delete(actor=manager, order=other)
    assert values(second) == (Decimal("0.00"),) * 3
    assert_recalculation_agrees(manager.organization)


def test_customer_moved_to_another_account_takes_its_value(manager):
    customer = customer_create(actor=manager, name="Mover")
    old_account = customer.account
    make_order(manager, customer, price="120.00", paid=True)
    target = AccountFactory(owner=manager)
    customer_move_account(actor=manager, customer=customer, account=target)
    old_account.refresh_from_db()
    target.refresh_from_db()
    assert old_account.lifetime_value == Decimal("0.00")
    assert target.lifetime_value == Decimal("120.00")
    assert values(customer) == (Decimal("120.00"),) * 3
    assert AccountValueChange.objects.filter(account=old_account).last().lifetime_value == Decimal("0.00")
    assert AccountValueChange.objects.filter(account=target).last().lifetime_value == Decimal("120.00")
    assert_recalculation_agrees(manager.organization)


def test_amounts_are_bounded_and_never_negative(manager):
    customer = customer_create(actor=manager, name="Buyer")
    order = make_order(manager, customer, price="10.00")
    for amount in ["-1", "0", "10.01", "1e20", "nan"]:
        with pytest.raises(ValidationError):
            order_pay(actor=manager, order=order, amount=amount)
    with pytest.raises(ValidationError):
        order_refund(actor=manager, order=order, amount="1.00")  # not paid yet
    product = ProductFactory(organization=manager.organization)
    with pytest.raises(ValidationError) as error:
        order_update(actor=manager, order=order, data={}, lines=[LineInput(product=product, quantity=0)])
    assert "lines" in error.value.message_dict
