"""`recalculate_lifetime` on an account fed by every source at once (commerce orders, web store orders, deals
naming a business or a commerce customer, deals naming none): each kind of drift is found, reported once and
put back to the cent, and nothing right is rewritten."""

import datetime as dt
from decimal import Decimal

import pytest

from accounts.models import Account, AccountChannelValue, AccountValueChange, BusinessCustomer, Channel
from accounts.services import lifetime_recalculate, opportunity_save
from commerce.models import CommerceCustomer, WebStoreCustomer
from commerce.services import customer_create, order_refund, web_store_ingest
from tests.factories import AccountFactory, BusinessCustomerFactory
from tests.factories.commerce import make_order

pytestmark = pytest.mark.django_db


def _won(actor, account, amount, customer=None):
    data = {"name": f"Deal {amount}", "account": account, "close_revenue": Decimal(amount)}
    if customer is not None:
        data["customer"] = customer
    deal = opportunity_save(actor=actor, data=data)
    opportunity_save(actor=actor, opportunity=deal, data={"status": "won"})


def _figures(organization):
    """Every stored lifetime figure of the organization, by what holds it."""
    return {
        "accounts": {a.pk: a.lifetime_value for a in Account.objects.filter(organization=organization)},
        "channels": {
            (row.account_id, row.channel_id): row.amount
            for row in AccountChannelValue.objects.filter(account__organization=organization)
            if row.amount
        },
        "customers": {
            (model.__name__, row.pk): row.lifetime_value
            for model in (CommerceCustomer, WebStoreCustomer, BusinessCustomer)
            for row in model.objects.filter(organization=organization)
        },
    }


@pytest.fixture
def fed(manager):
    """One account with values in four channels (and in none), a second account with a commerce customer."""
    account = AccountFactory(owner=manager)
    buyer = customer_create(actor=manager, name="Buyer", account=account)
    make_order(manager, buyer, price="200.00", paid=True)
    refunded = make_order(manager, buyer, price="80.00", paid=True)
    order_refund(actor=manager, order=refunded, amount="30.00")
    _won(manager, account, "50.00", customer=buyer)
    web_store_ingest(
        actor=manager,
        customers=[{"external_id": "c-1", "name": "Store buyer", "account": account}],
        orders=[
            {
                "external_id": "o-1",
                "customer_external_id": "c-1",
                "number": "WS-1",
                "currency": "USD",
                "subtotal": Decimal("100.00"),
                "discount": Decimal("10.00"),
                "status": "complete",
                "placed_at": dt.datetime(2026, 1, 15, 10, tzinfo=dt.UTC),
            }
        ],
    )
    _won(manager, account, "40.00", customer=BusinessCustomerFactory(owner=manager, account=account))
    _won(manager, account, "25.00")
    other = customer_create(actor=manager, name="Other buyer")
    make_order(manager, other, price="12.34", paid=True)
    return account, buyer, other


def test_every_source_adds_up_and_nothing_is_corrected(manager, fed):
    account, buyer, _ = fed
    account.refresh_from_db()
    buyer.refresh_from_db()
    assert buyer.lifetime_value == Decimal("300.00")  # 200 + 80 - 30, and the deal naming it
    assert account.lifetime_value == Decimal("455.00")  # and 90 from the web store, 40 and 25 from deals
    history = AccountValueChange.objects.count()
    before = _figures(manager.organization)
    assert lifetime_recalculate(organization=manager.organization) == 0
    assert _figures(manager.organization) == before
    assert AccountValueChange.objects.count() == history


def _drift(kind, account, buyer):
    values = AccountChannelValue.objects.filter(account=account)
    if kind == "commerce customer":
        CommerceCustomer.objects.filter(pk=buyer.pk).update(lifetime_value=Decimal("299.99"))
    elif kind == "web store customer":
        WebStoreCustomer.objects.filter(account=account).update(lifetime_value=Decimal("0"))
    elif kind == "business customer":
        BusinessCustomer.objects.filter(account=account).update(lifetime_value=Decimal("40.01"))
    elif kind == "account total":
        Account.objects.filter(pk=account.pk).update(lifetime_value=Decimal("454.99"))
    elif kind == "channel value":
        values.filter(channel=buyer.channel).update(amount=Decimal("1.00"))
    elif kind == "missing channel value":
        values.filter(channel=buyer.channel).delete()
    elif kind == "value in no channel":
        values.filter(channel__isnull=True).update(amount=Decimal("25.10"))
    elif kind == "value left in a channel without customers":
        channel = Channel.objects.create(organization=account.organization, name="Catalogue")
        AccountChannelValue.objects.create(account=account, channel=channel, amount=Decimal("7.00"))


DRIFTS = [
    "commerce customer",
    "web store customer",
    "business customer",
    "account total",
    "channel value",
    "missing channel value",
    "value in no channel",
    "value left in a channel without customers",
]


@pytest.mark.parametrize("kind", DRIFTS)
def test_each_drift_is_found_and_put_back_to_the_cent(manager, fed, kind):
    account, buyer, other = fed
    right = _figures(manager.organization)
    _drift(kind, account, buyer)
    assert _figures(manager.organization) != right
    assert lifetime_recalculate(organization=manager.organization) == 1
    assert _figures(manager.organization) == right
    assert lifetime_recalculate(organization=manager.organization) == 0
    # The other account had nothing wrong: its chart has no new point.
    assert AccountValueChange.objects.filter(account_id=other.account_id).count() == 1


def test_values_in_a_channel_made_after_the_check_listed_channels_name_their_account(manager, fed):
    """The check names the organization's channels in its SQL; a channel made since is still looked at."""
    from django.db import connection

    from accounts.services.lifetime_recalculation import _check_sql

    account, buyer, other = fed
    listed = list(Channel.objects.filter(organization=manager.organization).values_list("pk", flat=True))
    params = {"org": manager.organization.pk, "first": account.pk, "last": other.account_id}
    made_since = Channel.objects.create(organization=manager.organization, name="Catalogue")
    AccountChannelValue.objects.create(account=account, channel=made_since, amount=Decimal("7.00"))
    with connection.cursor() as cursor:
        cursor.execute(_check_sql(connection, listed), params)
        assert [row[0] for row in cursor.fetchall()] == [account.pk]
