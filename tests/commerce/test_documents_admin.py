"""The shipments and invoices admin writes through the services: a shipment made from two orders carries both,
orders of two customers are refused on the form, actions ship, pay and void, and other organizations never show."""

import pytest
from django.urls import reverse

from commerce.models import Invoice, Shipment
from commerce.services.documents import invoice_create, shipment_create
from tests.factories.commerce import make_customer, make_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, org_admin):
    org_admin.is_staff = True
    org_admin.save(update_fields=["is_staff"])
    client.force_login(org_admin)
    return client


def test_a_shipment_added_from_two_orders_carries_both(admin_client, org_admin):
    customer = make_customer(org_admin, "Initech")
    orders = [make_order(org_admin, customer), make_order(org_admin, customer)]
    response = admin_client.post(
        reverse("admin:commerce_shipment_add"), {"orders": [o.pk for o in orders], "shipped": "on"}
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    shipment = Shipment.objects.get()
    assert shipment.status == "shipped"
    assert sorted(shipment.lines.values_list("order_id", flat=True)) == sorted(o.pk for o in orders)
    page = admin_client.get(reverse("admin:commerce_shipment_change", args=[shipment.pk])).content.decode()
    assert orders[0].number in page and orders[1].number in page


def test_orders_of_two_customers_are_refused_on_the_form(admin_client, org_admin):
    orders = [
        make_order(org_admin, make_customer(org_admin, "A")),
        make_order(org_admin, make_customer(org_admin, "B")),
    ]
    response = admin_client.post(reverse("admin:commerce_invoice_add"), {"orders": [o.pk for o in orders]})
    assert response.status_code == 200
    assert "different customers" in response.content.decode()
    assert not Invoice.objects.exists()


def test_another_organizations_orders_are_not_offered(admin_client, org_admin, outsider):
    theirs = make_order(outsider, make_customer(outsider, "Theirs"))
    response = admin_client.post(reverse("admin:commerce_shipment_add"), {"orders": [theirs.pk]})
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    shipment_create(actor=outsider, orders=[theirs])
    assert "SH-000001" not in admin_client.get(reverse("admin:commerce_shipment_changelist")).content.decode()


def test_actions_ship_pay_and_void_through_the_services(admin_client, org_admin):
    customer = make_customer(org_admin, "Initech")
    order = make_order(org_admin, customer)
    shipment = shipment_create(actor=org_admin, orders=[order])
    response = admin_client.post(
        reverse("admin:commerce_shipment_changelist"),
        {"action": "ship_selected", "_selected_action": [shipment.pk]},
        follow=True,
    )
    assert "1 shipped." in response.content.decode()
    order.refresh_from_db()
    assert order.status == "shipped"
    paid, voided = (invoice_create(actor=org_admin, orders=[make_order(org_admin, customer)]) for _ in range(2))
    url = reverse("admin:commerce_invoice_changelist")
    admin_client.post(url, {"action": "pay_selected", "_selected_action": [paid.pk]})
    admin_client.post(url, {"action": "void_selected", "_selected_action": [voided.pk]})
    response = admin_client.post(url, {"action": "void_selected", "_selected_action": [paid.pk]}, follow=True)
    assert "Not voided" in response.content.decode()
    assert dict(Invoice.objects.values_list("pk", "status")) == {paid.pk: "paid", voided.pk: "void"}
