"""The shipments and invoices API: made from order ids, read with their lines, refused with 400s that name the
field, state changes refused with 409, rows of another organization never seen, lists at constant queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from commerce.models import Invoice, Shipment
from commerce.services import order_cancel
from commerce.services.documents import invoice_create, shipment_create
from tests.factories.commerce import make_customer, make_order

pytestmark = pytest.mark.django_db

API = "/api/commerce"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def errors(response) -> list[tuple[str, str]]:
    return [(error["attr"], error["detail"]) for error in response.json()["errors"]]


@pytest.fixture
def customer(manager):
    return make_customer(manager, "Initech")


def test_a_shipment_made_from_two_order_ids_shows_both_orders_lines(manager, customer):
    orders = [make_order(manager, customer, quantity=2), make_order(manager, customer, quantity=3)]
    response = client_for(manager).post(f"{API}/shipments/", {"orders": [o.pk for o in orders]}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"] == "SH-000001" and body["status"] == "pending" and body["customer_name"] == "Initech"
    assert body["orders"] == sorted(o.pk for o in orders)
    assert [(line["order_number"], line["quantity"]) for line in body["lines"]] == [
        (orders[0].number, 2),
        (orders[1].number, 3),
    ]
    detail = client_for(manager).get(f"{API}/shipments/{body['id']}/")
    assert detail.status_code == 200 and detail.json()["lines"] == body["lines"]


def test_a_shipment_of_chosen_lines_shipped_at_once(manager, customer):
    order = make_order(manager, customer)
    line = order.lines.get()
    response = client_for(manager).post(
        f"{API}/shipments/", {"orders": [order.pk], "lines": [line.pk], "shipped": True}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "shipped" and response.json()["shipped_at"]
    order.refresh_from_db()
    assert order.status == "shipped"


def test_bad_input_answers_400_naming_the_field(manager, customer, outsider):
    client = client_for(manager)
    other = make_customer(manager, "Globex")
    mixed = [make_order(manager, customer).pk, make_order(manager, other).pk]
    response = client.post(f"{API}/shipments/", {"orders": mixed}, format="json")
    assert response.status_code == 400
    assert errors(response) == [
        ("orders", "These orders belong to different customers: make one document per customer.")
    ]
    theirs = make_order(outsider, make_customer(outsider, "Theirs"))
    response = client.post(f"{API}/invoices/", {"orders": [theirs.pk]}, format="json")
    assert response.status_code == 400 and errors(response)[0][0] == "orders.0"
    for body in ({}, {"orders": []}, {"orders": ["1"]}, {"orders": list(range(1, 60))}, {"orders": "x"}):
        response = client.post(f"{API}/shipments/", body, format="json")
        assert response.status_code == 400, body
        assert errors(response)[0][0].startswith("orders"), body
    cancelled = order_cancel(actor=manager, order=make_order(manager, customer))
    response = client.post(f"{API}/invoices/", {"orders": [cancelled.pk]}, format="json")
    assert errors(response) == [
        ("orders", f"Order {cancelled.number} is cancelled: it is neither shipped nor invoiced.")
    ]
    response = client.post(f"{API}/shipments/", {"orders": [mixed[0]], "shipped": "yes"}, format="json")
    assert errors(response) == [("shipped", "Send true or false.")]
    response = client.post(f"{API}/invoices/", {"orders": [mixed[0]], "due_on": "2000-01-01"}, format="json")
    assert response.status_code == 400 and errors(response)[0][0] == "due_on"
    assert not Shipment.objects.exists() and not Invoice.objects.exists()


def test_a_line_shipped_twice_answers_400_naming_lines(manager, customer):
    order = make_order(manager, customer)
    line = order.lines.get()
    client = client_for(manager)
    assert (
        client.post(f"{API}/shipments/", {"orders": [order.pk], "lines": [line.pk]}, format="json").status_code == 201
    )
    response = client.post(f"{API}/shipments/", {"orders": [order.pk], "lines": [line.pk]}, format="json")
    assert response.status_code == 400
    assert errors(response) == [("lines", f"A line of order {order.pk} is on shipment SH-000001 already.")]


def test_ship_pay_and_void_move_documents_on_and_a_second_time_is_409(manager, customer):
    client = client_for(manager)
    shipment = shipment_create(actor=manager, orders=[make_order(manager, customer)])
    response = client.post(f"{API}/shipments/{shipment.pk}/ship/", {}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "shipped"
    response = client.post(f"{API}/shipments/{shipment.pk}/ship/", {}, format="json")
    assert response.status_code == 409
    assert client.delete(f"{API}/shipments/{shipment.pk}/").status_code == 409
    invoice = invoice_create(actor=manager, orders=[make_order(manager, customer)])
    assert client.post(f"{API}/invoices/{invoice.pk}/pay/").json()["status"] == "paid"
    assert client.post(f"{API}/invoices/{invoice.pk}/void/").status_code == 409
    pending = shipment_create(actor=manager, orders=[make_order(manager, customer)])
    assert client.delete(f"{API}/shipments/{pending.pk}/").status_code == 204
    assert not Shipment.objects.filter(pk=pending.pk).exists()


def test_invoices_bill_whole_orders_and_filter_by_order_and_status(manager, customer):
    client = client_for(manager)
    orders = [make_order(manager, customer, price="10.00"), make_order(manager, customer, price="2.50")]
    response = client.post(f"{API}/invoices/", {"orders": [o.pk for o in orders]}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert (body["subtotal"], body["total"], body["currency"]) == ("12.50", "12.50", "USD")
    other = invoice_create(actor=manager, orders=[make_order(manager, customer)])
    listed = client.get(f"{API}/invoices/", {"order": orders[1].pk}).json()["results"]
    assert [row["number"] for row in listed] == [body["number"]]
    client.post(f"{API}/invoices/{other.pk}/void/")
    assert [row["number"] for row in client.get(f"{API}/invoices/", {"status": "void"}).json()["results"]] == [
        other.number
    ]
    assert client.get(f"{API}/invoices/", {"q": body["number"]}).json()["count"] == 1
    assert client.get(f"{API}/invoices/", {"order": 2**70}).json()["count"] == 0
    assert client.get(f"{API}/invoices/", {"status": "nope"}).status_code == 400


def test_another_organization_sees_none_and_reps_only_change_their_own(manager, customer, outsider, rep):
    shipment = shipment_create(actor=manager, orders=[make_order(manager, customer)])
    invoice = invoice_create(actor=manager, orders=[make_order(manager, customer)])
    stranger = client_for(outsider)
    assert stranger.get(f"{API}/shipments/").json()["count"] == 0
    assert stranger.get(f"{API}/shipments/{shipment.pk}/").status_code == 404
    assert stranger.post(f"{API}/invoices/{invoice.pk}/pay/").status_code == 404
    # A rep reads the organization's documents but moves on only their own.
    assert client_for(rep).get(f"{API}/invoices/{invoice.pk}/").status_code == 200
    assert client_for(rep).post(f"{API}/invoices/{invoice.pk}/pay/").status_code == 403
    assert client_for(rep).post(f"{API}/shipments/{shipment.pk}/ship/", {}, format="json").status_code == 403
    assert APIClient().get(f"{API}/shipments/").status_code in (401, 403)


@pytest.mark.parametrize("kind", ["shipments", "invoices"])
def test_document_lists_run_the_same_queries_for_3_rows_as_for_12(manager, kind):
    client = client_for(manager)
    counts = []
    for size in (3, 12):
        customer = make_customer(manager, f"Buyer {size}")
        existing = (Shipment if kind == "shipments" else Invoice).objects.count()
        for _ in range(size - existing):
            orders = [make_order(manager, customer), make_order(manager, customer)]
            (shipment_create if kind == "shipments" else invoice_create)(actor=manager, orders=orders)
        client.get(f"{API}/{kind}/")  # warm what is cached for a while, which is not the list's doing
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"{API}/{kind}/")
        assert response.status_code == 200 and response.json()["count"] == size
        assert all(len(row["lines"]) == 2 for row in response.json()["results"])
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_documents_are_in_the_openapi_schema():
    schema = APIClient().get("/api/schema/", HTTP_ACCEPT="application/json")
    paths = schema.json()["paths"]
    for path, method in [
        ("/api/commerce/shipments/", "post"),
        ("/api/commerce/shipments/{id}/", "get"),
        ("/api/commerce/shipments/{id}/ship/", "post"),
        ("/api/commerce/invoices/", "post"),
        ("/api/commerce/invoices/{id}/pay/", "post"),
        ("/api/commerce/invoices/{id}/void/", "post"),
    ]:
        assert method in paths[path], path
    create = paths["/api/commerce/shipments/"]["post"]
    assert {"201", "400"} <= set(create["responses"])
    assert "ShipmentCreate" in create["requestBody"]["content"]["application/json"]["schema"]["$ref"]
