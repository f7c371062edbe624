"""The API of the storefront side: sign-up for a storefront that runs elsewhere, shopping lists and requests
for quote to read, quotes to make, accept and cancel; scoped to the caller's organization, in the schema."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Account
from commerce.models import CommerceCustomer, CustomerUser, Order, Quote
from commerce.services.storefront import (
    request_for_quote_create,
    shopping_list_add_product,
    shopping_list_create,
    storefront_sign_up,
)
from tests.factories.commerce import ProductFactory

pytestmark = pytest.mark.django_db
API = "/api/commerce"
PASSWORD = "a-Long-enough-passphrase-42"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def rfq(organization, org_admin):
    user = storefront_sign_up(
        organization=organization,
        first_name="Bea",
        last_name="Buyer",
        email="bea@example.com",
        password=PASSWORD,
        company_name="Bea Co",
    )
    product = ProductFactory(organization=organization, sku="BOLT", unit_price=Decimal("2.50"))
    shopping_list = shopping_list_create(customer_user=user, name="Spring")
    shopping_list_add_product(customer_user=user, shopping_list=shopping_list, product=product, quantity=8)
    return request_for_quote_create(customer_user=user, shopping_list=shopping_list)


def test_sign_up_makes_customer_user_and_account(org_admin, organization):
    response = client_for(org_admin).post(
        f"{API}/storefront/sign-up/",
        {
            "first_name": "Ann",
            "last_name": "Lee",
            "email": "ann@example.com",
            "password": PASSWORD,
            "company_name": "Lee & Co",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    customer = CommerceCustomer.objects.get(pk=body["customer"])
    assert customer.name == "Lee & Co" and Account.objects.get(pk=body["account"]).name == "Lee & Co"
    assert CustomerUser.objects.get(pk=body["customer_user"]).email == "ann@example.com"
    weak = client_for(org_admin).post(
        f"{API}/storefront/sign-up/",
        {"first_name": "B", "last_name": "C", "email": "b@example.com", "password": "password"},
        format="json",
    )
    assert weak.status_code == 400 and {e["attr"] for e in weak.json()["errors"]} == {"password"}
    assert APIClient().post(f"{API}/storefront/sign-up/", {}, format="json").status_code in (401, 403)


def test_lists_requests_and_quotes_are_read_make_accepted(org_admin, rfq, rep):
    client = client_for(org_admin)
    lists = client.get(f"{API}/shopping-lists/").json()
    assert lists["count"] == 1 and lists["results"][0]["lines"][0]["quantity"] == 8
    requests = client.get(f"{API}/rfqs/", {"q": "Bea"}).json()
    assert [row["number"] for row in requests["results"]] == [rfq.number]
    line = rfq.lines.get()
    valid_until = (timezone.localdate() + dt.timedelta(days=7)).isoformat()
    made = client.post(
        f"{API}/quotes/",
        {
            "request": rfq.pk,
            "valid_until": valid_until,
            "lines": [{"product": line.product_id, "quantity": 8, "unit_price": "2.00"}],
        },
        format="json",
    )
    assert made.status_code == 201, made.json()
    quote = made.json()
    assert (quote["customer"], quote["subtotal"], quote["status"]) == (rfq.customer_id, "16.00", "open")
    assert client_for(rep).post(f"{API}/quotes/{quote['id']}/accept/").status_code == 403
    accepted = client.post(f"{API}/quotes/{quote['id']}/accept/")
    assert accepted.status_code == 200, accepted.json()
    order = Order.objects.get()
    assert accepted.json()["number"] == order.number and order.subtotal == Decimal("16.00")
    again = client.post(f"{API}/quotes/{quote['id']}/accept/")
    assert again.status_code == 409 and Order.objects.count() == 1
    assert client.post(f"{API}/quotes/{quote['id']}/cancel/").status_code == 409


def test_bad_quotes_are_refused_naming_the_field(org_admin, rfq):
    client = client_for(org_admin)
    line = rfq.lines.get()
    past = client.post(
        f"{API}/quotes/",
        {"request": rfq.pk, "valid_until": "2000-01-01", "lines": [{"product": line.product_id, "quantity": 1}]},
        format="json",
    )
    assert past.status_code == 400 and {e["attr"] for e in past.json()["errors"]} == {"valid_until"}
    too_many = client.post(
        f"{API}/quotes/",
        {
            "request": rfq.pk,
            "valid_until": timezone.localdate().isoformat(),
            "lines": [{"product": line.product_id, "quantity": 100_001}],
        },
        format="json",
    )
    assert too_many.status_code == 400
    assert not Quote.objects.exists()


def test_another_organization_sees_nothing(outsider, rfq, org_admin):
    client = client_for(outsider)
    for path in ("shopping-lists", "rfqs", "quotes"):
        assert client.get(f"{API}/{path}/").json()["count"] == 0
    assert client.get(f"{API}/rfqs/{rfq.pk}/").status_code == 404
    line = rfq.lines.get()
    probe = client.post(
        f"{API}/quotes/",
        {
            "request": rfq.pk,
            "valid_until": timezone.localdate().isoformat(),
            "lines": [{"product": line.product_id, "quantity": 1}],
        },
        format="json",
    )
    assert probe.status_code == 400 and not Quote.objects.exists()


def test_the_endpoints_are_in_the_schema(org_admin):
    schema = client_for(org_admin).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    for path in (
        "/api/commerce/storefront/sign-up/",
        "/api/commerce/shopping-lists/",
        "/api/commerce/rfqs/{id}/",
        "/api/commerce/quotes/",
        "/api/commerce/quotes/{id}/accept/",
    ):
        assert path in schema["paths"], path
