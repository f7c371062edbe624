"""Orders of CRM customers: the CRM reference on the order, shipment and invoice pages with the customer's name
read from the CRM (through the cache), searchable on the list page and the API, given later to an order of the
anonymous customer (page and API), the order form's customer found in the CRM, and an edited order priced again
from the stored category keys without the CRM."""

import uuid

import pytest
from django.urls import reverse

from commerce.choices import OrderStatus
from commerce.models import Order
from commerce.services import LineInput, order_cancel, order_update
from commerce.services.crm_attributes import crm_category_keys_clean
from commerce.services.documents import invoice_create, shipment_create
from commerce.services.pos import BasketLine, pos_sale_complete
from crmconnector.services import activation_update
from tests.commerce.test_pages_orders import lines
from tests.factories.api import error_attrs
from tests.factories.commerce import make_customer, make_order

pytestmark = pytest.mark.django_db


def page(name: str, *args) -> str:
    return reverse(f"commerce:{name}", args=args)


def sale(actor, product, *, reference=None) -> Order:
    order, _ = pos_sale_complete(
        actor=actor,
        idempotency_key=uuid.uuid4(),
        reference=reference,
        lines=[BasketLine(product_id=product.pk, quantity=1)],
        method="card",
        anonymous=reference is None,
    )
    return order


def test_the_order_page_shows_the_reference_and_the_name_read_from_the_crm_through_the_cache(
    session_client, rep, rest_crm, crm_on, people, pen
):
    order = sale(rep, pen, reference=people["alice"]["id"])
    client = session_client(rep)
    html = client.get(page("order-detail", order.pk)).content.decode()
    assert f'id="crm-reference">{people["alice"]["id"]}<' in html
    assert '<span id="crm-customer-name">Alice Martin</span>' in html
    requests = rest_crm.state.requests
    rest_crm.state.fail_status = 500  # the name comes from the cache a while, not from the database
    html = client.get(page("order-detail", order.pk)).content.decode()
    assert "Alice Martin" in html and rest_crm.state.requests == requests
    assert "Alice" not in str(Order.objects.filter(pk=order.pk).values().get())


def test_shipments_and_invoices_of_a_crm_order_show_its_reference_and_name(
    session_client, manager, rest_crm, crm_on, people, pen
):
    order = sale(manager, pen, reference=people["carol"]["id"])
    shipment = shipment_create(actor=manager, orders=[order])
    invoice = invoice_create(actor=manager, orders=[order])
    assert shipment.crm_reference == invoice.crm_reference == people["carol"]["id"]
    client = session_client(manager)
    for kind, document in (("shipment", shipment), ("invoice", invoice)):
        html = client.get(reverse(f"commerce_documents:{kind}-detail", args=[document.pk])).content.decode()
        assert "CRM reference" in html and people["carol"]["id"] in html and "Carol Kingsley" in html, kind


def test_orders_are_found_by_their_crm_reference_on_the_page_and_in_the_api(
    session_client, key_client, rep, crm_on, people, pen
):
    alice = sale(rep, pen, reference=people["alice"]["id"])
    bob = sale(rep, pen, reference=people["bob"]["id"])
    html = session_client(rep).get(page("order-list"), {"q": people["bob"]["id"]}).content.decode()
    assert bob.number in html and alice.number not in html
    body = key_client(rep).get("/api/commerce/orders/", {"q": people["alice"]["id"]}).json()
    assert [row["number"] for row in body["results"]] == [alice.number]
    assert body["results"][0]["crm_reference"] == people["alice"]["id"]


def test_an_edited_order_is_priced_again_from_its_stored_keys_without_the_crm(rep, rest_crm, crm_on, people, pen):
    order = sale(rep, pen, reference=people["alice"]["id"])
    rest_crm.state.fail_status = 500
    requests = rest_crm.state.requests
    order_update(actor=rep, order=order, data={}, lines=[LineInput(product=pen, quantity=3)])
    order.refresh_from_db()
    assert order.subtotal == 30 and rest_crm.state.requests == requests
    assert order.crm_reference == people["alice"]["id"] and order.crm_category_keys == {"category": "VIP"}


def test_an_anonymous_sale_gets_its_crm_reference_later_through_the_api(
    key_client, rep, outsider, org_admin, rest_crm, crm_on, people, pen
):
    order = sale(rep, pen)
    api = key_client(rep)
    url = f"/api/commerce/orders/{order.pk}/crm-reference/"
    unknown = api.post(url, {"reference": "C99999"}, format="json")
    assert unknown.status_code == 400 and error_attrs(unknown) == {"reference"}
    assert api.post(url, {"reference": ""}, format="json").status_code == 400
    assert key_client(outsider).post(url, {"reference": people["bob"]["id"]}, format="json").status_code == 404

    rest_crm.state.fail_status = 503
    down = api.post(url, {"reference": people["alice"]["id"]}, format="json")
    assert down.status_code == 503 and down.json()["errors"][0]["code"] == "unavailable"
    rest_crm.state.reset_faults()

    done = api.post(url, {"reference": people["alice"]["id"]}, format="json")
    assert done.status_code == 200, done.content
    assert done.json()["crm_reference"] == people["alice"]["id"]
    order.refresh_from_db()
    assert order.crm_category_keys == {"category": "VIP"} and order.version == 3  # placed, paid, named

    other = make_order(rep, make_customer(rep, "Regular"), product=pen)
    refused = api.post(f"/api/commerce/orders/{other.pk}/crm-reference/", {"reference": "C00001"}, format="json")
    assert refused.status_code == 400 and "anonymous customer" in refused.content.decode()

    cancelled = sale(rep, pen)
    order_cancel(actor=rep, order=cancelled)
    refused = api.post(f"/api/commerce/orders/{cancelled.pk}/crm-reference/", {"reference": "C00001"}, format="json")
    assert refused.status_code == 400 and "cancelled" in refused.content.decode()

    activation_update(actor=org_admin, enabled=False, configuration=crm_on)
    off = api.post(url, {"reference": people["bob"]["id"]}, format="json")
    assert off.status_code == 400 and "switched off" in off.content.decode()


def test_the_order_page_sets_the_crm_reference_of_an_anonymous_sale(session_client, manager, crm_on, people, pen):
    order = sale(manager, pen)
    client = session_client(manager)
    html = client.get(page("order-detail", order.pk)).content.decode()
    assert "Set CRM reference" in html and 'name="crm-reference"' in html
    refused = client.post(page("order-crm-reference", order.pk), {"crm-reference": "C99999"})
    assert refused.status_code == 400 and "The CRM has no customer with this reference." in refused.content.decode()
    response = client.post(page("order-crm-reference", order.pk), {"crm-reference": people["bob"]["id"]})
    assert response.status_code == 302
    html = client.get(page("order-detail", order.pk)).content.decode()
    assert people["bob"]["id"] in html and "Bob Martinez" in html
    shipment_create(actor=manager, orders=[order])
    refused = client.post(page("order-crm-reference", order.pk), {"crm-reference": people["alice"]["id"]})
    assert refused.status_code == 400 and "keeps the CRM reference it had" in refused.content.decode()
    order.refresh_from_db()
    assert order.crm_reference == people["bob"]["id"]


def test_the_order_form_finds_its_customer_in_the_crm(session_client, manager, crm_on, people, pen):
    client = session_client(manager)
    form = client.get(page("order-create")).content.decode()
    assert "data-customer-selector" in form and 'name="crm_reference"' in form and 'name="customer"' not in form
    refused = client.post(page("order-create"), {"crm_reference": "C99999", **lines((pen, 2, ""))})
    assert refused.status_code == 200 and "The CRM has no customer with this reference." in refused.content.decode()
    assert not Order.objects.exists()
    response = client.post(page("order-create"), {"crm_reference": people["alice"]["id"], **lines((pen, 2, ""))})
    order = Order.objects.get()
    assert response.status_code == 302 and response.url == page("order-detail", order.pk)
    assert order.customer.is_anonymous and order.crm_reference == people["alice"]["id"]
    assert order.crm_category_keys == {"category": "VIP"} and order.total == 20 and order.status == OrderStatus.OPEN


def test_category_values_no_column_could_hold_are_kept_as_none_and_tags_as_a_list(rep, rest_crm, crm_on, pen):
    odd = rest_crm.state.add(last_name="Odd", category=float("inf"))
    assert sale(rep, pen, reference=odd["id"]).crm_category_keys == {"category": None}
    # A connector of another make may give lists (tags): kept, as plain values, as conditions read them.
    kept = crm_category_keys_clean({"tags": ["VIP", {"nested": 1}, "x" * 5000, float("nan")]})
    assert kept == {"tags": ["VIP", None, "x" * 1000, None]}
