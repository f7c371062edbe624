"""Web store ingestion: customers and orders upserted by external id in batches, idempotent, bounded, and their
lifetime sales values kept incrementally exactly as `recalculate_lifetime` computes them."""

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.models import Account, AccountChannelValue
from accounts.services import lifetime_recalculate
from backoffice.models import ChangeLogEntry, CurrencyRate, ExternalReference
from commerce.models import WebStoreCustomer, WebStoreOrder
from tests.factories import AccountFactory
from tests.factories.api import error_attrs

pytestmark = pytest.mark.django_db

URL = "/api/commerce/web-store/batch/"
PLACED = "2026-01-15T10:00:00Z"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def customer_record(n, **extra):
    return {"external_id": f"c-{n}", "name": f"Store customer {n}", "email": f"c{n}@example.com", **extra}


def order_record(n, customer, subtotal="100.00", discount="10.00", status="complete", **extra):
    return {
        "external_id": f"o-{n}",
        "customer_external_id": f"c-{customer}",
        "number": f"WS-{n}",
        "currency": "USD",
        "subtotal": subtotal,
        "discount": discount,
        "status": status,
        "placed_at": PLACED,
        **extra,
    }


def snapshot(organization):
    accounts = {a.pk: a.lifetime_value for a in Account.objects.filter(organization=organization)}
    channels = {
        (row.account_id, row.channel_id): row.amount
        for row in AccountChannelValue.objects.filter(account__organization=organization)
        if row.amount
    }
    customers = {c.pk: c.lifetime_value for c in WebStoreCustomer.objects.filter(organization=organization)}
    return accounts, channels, customers


def assert_recalculation_agrees(organization):
    before = snapshot(organization)
    assert lifetime_recalculate(organization=organization) == 0
    assert snapshot(organization) == before


def test_batch_creates_customers_with_accounts_and_orders_with_values(rep):
    body = {
        "customers": [customer_record(1), customer_record(2)],
        "orders": [order_record(1, 1), order_record(2, 1, status="cancelled"), order_record(3, 2, discount="0.00")],
    }
    response = client_for(rep).post(URL, body, format="json")
    assert response.status_code == 200, response.json()
    result = response.json()
    assert [row["result"] for row in result["customers"]] == ["created", "created"]
    assert [row["result"] for row in result["orders"]] == ["created"] * 3
    first = WebStoreCustomer.objects.get(pk=result["customers"][0]["id"])
    assert first.account.name == "Store customer 1" and first.lifetime_value == Decimal("90.00")
    assert WebStoreCustomer.objects.get(pk=result["customers"][1]["id"]).lifetime_value == Decimal("100.00")
    assert Account.objects.get(pk=first.account_id).lifetime_value == Decimal("90.00")
    assert ExternalReference.objects.filter(system="web_store").count() == 5
    assert ChangeLogEntry.objects.filter(object_id=first.pk, content_type__model="webstorecustomer").exists()
    assert_recalculation_agrees(rep.organization)


def test_same_batch_twice_changes_nothing(rep):
    body = {"customers": [customer_record(1)], "orders": [order_record(1, 1)]}
    client = client_for(rep)
    client.post(URL, body, format="json")
    before = snapshot(rep.organization)
    versions = list(WebStoreOrder.objects.values_list("version", flat=True))
    log = ChangeLogEntry.objects.count()
    again = client.post(URL, body, format="json").json()
    assert [row["result"] for row in again["customers"] + again["orders"]] == ["unchanged", "unchanged"]
    assert snapshot(rep.organization) == before
    assert list(WebStoreOrder.objects.values_list("version", flat=True)) == versions
    assert ChangeLogEntry.objects.count() == log
    assert WebStoreCustomer.objects.count() == 1 and Account.objects.count() == 1


def test_updates_move_values_between_customers_and_accounts(rep):
    client = client_for(rep)
    client.post(
        URL, {"customers": [customer_record(1), customer_record(2)], "orders": [order_record(1, 1)]}, format="json"
    )
    target = AccountFactory(owner=rep)
    response = client.post(
        URL,
        {
            "customers": [customer_record(1, name="Renamed", account=target.pk)],
            "orders": [order_record(1, 2, subtotal="200.00")],
        },
        format="json",
    ).json()
    assert response["customers"][0]["result"] == "updated"
    assert response["orders"][0]["result"] == "updated"
    one, two = WebStoreCustomer.objects.order_by("pk")
    assert (one.name, one.account_id, one.lifetime_value) == ("Renamed", target.pk, Decimal("0.00"))
    assert two.lifetime_value == Decimal("190.00")
    assert_recalculation_agrees(rep.organization)
    cancelled = client.post(URL, {"orders": [order_record(1, 2, subtotal="200.00", status="cancelled")]}, format="json")
    assert cancelled.json()["orders"][0]["result"] == "updated"
    two.refresh_from_db()
    assert two.lifetime_value == Decimal("0.00")
    assert_recalculation_agrees(rep.organization)


def test_refused_records_say_why_and_the_others_are_written(rep):
    body = {
        "customers": [customer_record(1), customer_record(1)],
        "orders": [
            order_record(1, 1),
            order_record(2, 99),
            order_record(3, 1, discount="101.00"),
            order_record(4, 1, currency="EUR"),
        ],
    }
    result = client_for(rep).post(URL, body, format="json").json()
    assert [row["result"] for row in result["customers"]] == ["created", "refused"]
    assert "external_id" in result["customers"][1]["errors"]
    assert [row["result"] for row in result["orders"]] == ["created", "refused", "refused", "refused"]
    assert list(result["orders"][1]["errors"]) == ["customer_external_id"]
    assert list(result["orders"][2]["errors"]) == ["discount"]
    assert list(result["orders"][3]["errors"]) == ["currency"]
    assert WebStoreOrder.objects.count() == 1


def test_orders_in_other_currencies_count_in_base_currency(rep):
    CurrencyRate.objects.create(
        organization=rep.organization, currency="EUR", rate=Decimal("1.25"), valid_from=dt.date(2000, 1, 1)
    )
    body = {"customers": [customer_record(1)], "orders": [order_record(1, 1, currency="eur", subtotal="80.00")]}
    client_for(rep).post(URL, body, format="json")
    assert WebStoreCustomer.objects.get().lifetime_value == Decimal("87.50")
    assert_recalculation_agrees(rep.organization)


def test_more_than_the_limit_is_refused_naming_it(rep):
    body = {"customers": [customer_record(n) for n in range(1001)]}
    response = client_for(rep).post(URL, body, format="json")
    assert response.status_code == 400
    assert error_attrs(response) == {"customers.non_field_errors"}
    assert "1000" in response.json()["errors"][0]["detail"]
    assert not WebStoreCustomer.objects.exists()


def test_malformed_record_refuses_the_batch_naming_the_field(rep):
    body = {"customers": [customer_record(1)], "orders": [order_record(1, 1, subtotal=100)]}
    response = client_for(rep).post(URL, body, format="json")
    assert response.status_code == 400 and error_attrs(response) == {"orders.0.subtotal"}
    assert not WebStoreCustomer.objects.exists()


def test_another_organizations_account_and_customers_stay_apart(rep, outsider):
    foreign = AccountFactory(owner=outsider)
    response = client_for(rep).post(URL, {"customers": [customer_record(1, account=foreign.pk)]}, format="json")
    assert response.status_code == 400 and error_attrs(response) == {"customers.0.account"}
    client_for(outsider).post(URL, {"customers": [customer_record(1)]}, format="json")
    # The same external id in another organization is another customer.
    mine = client_for(rep).post(URL, {"customers": [customer_record(1)], "orders": [order_record(1, 1)]}, format="json")
    assert mine.json()["customers"][0]["result"] == "created"
    assert WebStoreCustomer.objects.filter(organization=rep.organization).count() == 1
    assert WebStoreCustomer.objects.filter(organization=outsider.organization).get().lifetime_value == Decimal("0.00")


def test_batch_of_500_runs_bounded_queries_and_is_idempotent(rep):
    body = {
        "customers": [customer_record(n) for n in range(250)],
        "orders": [order_record(n, n % 250) for n in range(250)],
    }
    client = client_for(rep)
    with CaptureQueriesContext(connection) as first:
        response = client.post(URL, body, format="json")
    assert response.status_code == 200
    assert {row["result"] for row in response.json()["customers"] + response.json()["orders"]} == {"created"}
    before = snapshot(rep.organization)
    with CaptureQueriesContext(connection) as second:
        again = client.post(URL, body, format="json")
    assert {row["result"] for row in again.json()["customers"] + again.json()["orders"]} == {"unchanged"}
    assert snapshot(rep.organization) == before
    # A handful of set-based statements, not one per record.
    assert len(first) < 60, len(first)
    assert len(second) < 25, len(second)
    small = {
        "customers": [customer_record(n) for n in range(1000, 1005)],
        "orders": [order_record(n, n) for n in range(1000, 1005)],
    }
    with CaptureQueriesContext(connection) as few:
        assert client.post(URL, small, format="json").status_code == 200
    # Small batches update lifetime rows one by one (below the CRM's bulk threshold): still bounded.
    assert len(few) < 60, len(few)
    assert_recalculation_agrees(rep.organization)


def test_random_batches_keep_incremental_values_equal_to_recalculation(rep):
    randomizer = random.Random(7)
    client = client_for(rep)
    accounts = [AccountFactory(owner=rep).pk for _ in range(3)]
    for _ in range(8):
        customers = [
            customer_record(n, account=randomizer.choice([None, *accounts])) for n in randomizer.sample(range(6), 3)
        ]
        orders = [
            order_record(
                n,
                randomizer.randrange(6),
                subtotal=f"{randomizer.randint(1, 500)}.{randomizer.randint(0, 99):02d}",
                discount="1.00",
                status=randomizer.choice(["pending", "complete", "cancelled"]),
            )
            for n in randomizer.sample(range(12), 5)
        ]
        assert client.post(URL, {"customers": customers, "orders": orders}, format="json").status_code == 200
        assert_recalculation_agrees(rep.organization)
