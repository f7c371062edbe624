"""The POS endpoints: a basket priced with its promotions, a sale completed as an order paid in full, and the
same sale sent twice (one after the other, or at the same moment) making one order only."""

import threading
import uuid
from decimal import Decimal

import pytest
from django.db import connection, connections

from commerce.models import CommerceCustomer, Order, Payment, PosSale
from commerce.services.pos import BasketLine, pos_sale_complete
from commerce.services.promotions import promotion_save
from tests.conftest import need_service
from tests.factories import OrganizationFactory, UserFactory
from tests.factories.api import error_attrs
from tests.factories.commerce import CustomerGroupFactory, ProductFactory, make_customer

D = Decimal
POS = "/api/commerce/pos"


def _shop(manager):
    organization = manager.organization
    vip = CustomerGroupFactory(organization=organization, name="VIP")
    return {
        "pen": ProductFactory(organization=organization, sku="PEN", name="Pen", unit_price=D("10.00")),
        "bag": ProductFactory(organization=organization, sku="BAG", name="Bag", unit_price=D("25.00")),
        "customer": make_customer(manager, "Buyer", group=vip),
        "vip": vip,
    }


@pytest.fixture
def shop(manager):
    return _shop(manager)


def basket(shop, **extra):
    return {
        "customer": str(shop["customer"].pk),
        "lines": [{"product": shop["pen"].pk, "quantity": 2}, {"product": shop["bag"].pk, "quantity": 1}],
        **extra,
    }


@pytest.mark.django_db
def test_a_basket_is_priced_with_its_promotions_per_line_and_on_the_total(key_client, manager, rep, shop):
    promotion_save(actor=manager, data={"name": "VIP 10%", "value": "10", "customer_group": shop["vip"]})
    promotion_save(
        actor=manager,
        data={"name": "Bag 5 off", "kind": "fixed_amount", "value": "5", "currency": "USD", "scope": "products",
              "products": [shop["bag"]], "priority": 200},
    )  # fmt: skip
    api = key_client(rep)
    body = api.post(f"{POS}/price/", basket(shop)).json()
    assert (body["subtotal"], body["discount"], body["total"]) == ("45.00", "9.50", "35.50")
    pen, bag = body["lines"]
    assert (pen["amount"], pen["discount"], pen["net"]) == ("20.00", "2.00", "18.00")
    assert [p["name"] for p in bag["promotions"]] == ["VIP 10%", "Bag 5 off"] and bag["net"] == "17.50"
    assert [(p["name"], p["amount"]) for p in body["promotions"]] == [("VIP 10%", "4.50"), ("Bag 5 off", "5.00")]
    # Before a customer is chosen, only what needs no customer applies.
    body = api.post(f"{POS}/price/", basket(shop, customer="")).json()
    assert body["discount"] == "5.00"
    assert api.post(f"{POS}/price/", {"lines": []}).json()["total"] == "0.00"


@pytest.mark.django_db
def test_a_sale_is_an_order_paid_in_full_that_raises_the_customers_value(key_client, manager, rep, shop):
    promotion_save(actor=manager, data={"name": "VIP 10%", "value": "10", "customer_group": shop["vip"]})
    response = key_client(rep).post(
        f"{POS}/sales/", basket(shop, idempotency_key=str(uuid.uuid4()), payment_method="cash")
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["total"], body["paid_amount"], body["payment_status"], body["replayed"]) == (
        "40.50",
        "40.50",
        "paid",
        False,
    )
    order = Order.objects.get(pk=body["order"])
    assert order.owner == rep and order.customer == shop["customer"]
    assert list(order.payments.values_list("amount", "method")) == [(D("40.50"), "cash")]
    assert CommerceCustomer.objects.get(pk=shop["customer"].pk).lifetime_value == D("45.00")


@pytest.mark.django_db
def test_the_same_sale_sent_again_gives_back_the_first_order(key_client, rep, shop):
    api = key_client(rep)
    sale = basket(shop, idempotency_key=str(uuid.uuid4()), payment_method="card")
    first = api.post(f"{POS}/sales/", sale)
    second = api.post(f"{POS}/sales/", sale)
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["order"] == first.json()["order"] and second.json()["replayed"] is True
    assert Order.objects.filter(customer=shop["customer"]).count() == 1
    assert Payment.objects.filter(order_id=first.json()["order"]).count() == 1
    # A new key is a new sale.
    third = api.post(f"{POS}/sales/", {**sale, "idempotency_key": str(uuid.uuid4())})
    assert third.status_code == 201 and third.json()["order"] != first.json()["order"]


@pytest.mark.django_db
def test_a_refused_sale_writes_nothing_and_its_key_can_be_used_again(key_client, rep, outsider, shop):
    api = key_client(rep)
    key = str(uuid.uuid4())
    theirs = ProductFactory(organization=outsider.organization)
    euro = ProductFactory(organization=rep.organization, currency="EUR")
    other_customer = make_customer(outsider, "Theirs")
    cases = [
        (basket(shop, lines=[]), 400, {"lines.non_field_errors"}),
        (basket(shop, lines=[{"product": theirs.pk, "quantity": 1}]), 400, {"lines.0.product"}),
        (basket(shop, lines=[{"product": shop["pen"].pk, "quantity": 0}]), 400, {"lines.0.quantity"}),
        (basket(shop, lines=[{"product": shop["pen"].pk, "quantity": 1}, {"product": euro.pk, "quantity": 1}]), 400,
         {"lines"}),
        (basket(shop, customer=str(other_customer.pk)), 404, None),
        (basket(shop, customer=""), 400, {"customer"}),
    ]  # fmt: skip
    for body, status, attrs in cases:
        response = api.post(f"{POS}/sales/", {**body, "idempotency_key": key, "payment_method": "card"})
        assert response.status_code == status, (body, response.content)
        if attrs:
            assert error_attrs(response) == attrs
    response = api.post(f"{POS}/sales/", basket(shop, idempotency_key=key, payment_method="cheque"))
    assert response.status_code == 400 and error_attrs(response) == {"payment_method"}
    assert not Order.objects.exists() and not PosSale.objects.exists()
    assert api.post(f"{POS}/sales/", basket(shop, idempotency_key=key, payment_method="card")).status_code == 201


@pytest.mark.django_db
def test_a_sale_with_nothing_left_to_pay_is_refused(key_client, manager, rep, shop):
    promotion_save(actor=manager, data={"name": "Free", "value": "100"})
    response = key_client(rep).post(
        f"{POS}/sales/", basket(shop, idempotency_key=str(uuid.uuid4()), payment_method="card")
    )
    assert response.status_code == 400 and error_attrs(response) == {"lines"}
    assert not Order.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_presses_at_the_same_moment_make_one_order():
    need_service(connection.vendor == "postgresql", "PostgreSQL")
    organization = OrganizationFactory(name="Race shop")
    manager = UserFactory(organization=organization, role="manager", username="race-manager")
    shop = _shop(manager)
    key = uuid.uuid4()
    lines = [BasketLine(product_id=shop["pen"].pk, quantity=2), BasketLine(product_id=shop["bag"].pk, quantity=1)]
    barrier = threading.Barrier(4)
    results, errors = [], []

    def press():
        try:
            barrier.wait()
            results.append(
                pos_sale_complete(
                    actor=manager, idempotency_key=key, reference=str(shop["customer"].pk), lines=lines, method="card"
                )
            )
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=press) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len({order.pk for order, _ in results}) == 1
    assert sorted(created for _, created in results) == [False, False, False, True]
    assert Order.objects.filter(organization=organization).count() == 1
    assert Payment.objects.filter(organization=organization).count() == 1
    assert CommerceCustomer.objects.get(pk=shop["customer"].pk).lifetime_value == D("45.00")


@pytest.mark.django_db
def test_a_user_of_no_organization_cannot_sell(api_client, shop):
    superuser = UserFactory(username="root", organization=None, is_superuser=True, is_staff=True)
    api_client.force_authenticate(superuser)
    response = api_client.post(f"{POS}/sales/", basket(shop, idempotency_key=str(uuid.uuid4()), payment_method="card"))
    assert response.status_code == 403
    assert api_client.post(f"{POS}/price/", basket(shop)).status_code == 403
    assert not Order.objects.exists()
