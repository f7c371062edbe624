"""The shipment and invoice pages: menu entries, lists (search, filters, sorting, paging, constant queries),
detail pages with every order's lines, the make form choosing orders of one customer, and the actions."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from commerce.models import Invoice, Shipment
from commerce.services.documents import invoice_create, shipment_create
from tests.factories.commerce import make_customer, make_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(manager):
    return make_customer(manager, "Initech")


@pytest.fixture
def web(client, manager):
    client.force_login(manager)
    return client


def numbers_on(page: str) -> list[str]:
    return re.findall(r">((?:SH|INV)-\d{6})</a>", page)


def test_the_sales_menu_has_shipments_and_invoices(web):
    page = web.get(reverse("home")).content.decode()
    section = page[page.index('data-menu-section="sales"') :]
    section = section[: section.index("</ul>")]
    assert ">Sales<" in section
    assert reverse("commerce_documents:shipment-list") in section
    assert reverse("commerce_documents:invoice-list") in section


def test_a_shipment_made_on_the_form_from_two_orders_shows_both_orders_lines(web, manager, customer):
    orders = [make_order(manager, customer, quantity=2), make_order(manager, customer, quantity=7)]
    url = reverse("commerce_documents:shipment-create")
    page = web.get(url, {"customer": customer.pk}).content.decode()
    assert f"Orders of {customer.name}" in page
    assert all(order.number in page for order in orders)
    response = web.post(url, {"customer": customer.pk, "orders": [o.pk for o in orders], "shipped": "on"})
    shipment = Shipment.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "commerce_documents:shipment-detail", args=[shipment.pk]
    )
    page = web.get(response.url).content.decode()
    assert "was made" in page and "Shipped" in page
    for order in orders:
        assert f'data-order="{order.number}"' in page
    assert re.search(r'class="text-end">2</td>', page) and re.search(r'class="text-end">7</td>', page)


def test_the_form_refuses_what_the_service_refuses_and_keeps_the_ticks(web, manager, customer):
    billed, free = make_order(manager, customer), make_order(manager, customer)
    invoice_create(actor=manager, orders=[billed])
    url = reverse("commerce_documents:invoice-create")
    page = web.get(url, {"customer": customer.pk}).content.decode()
    assert re.search(rf'value="{billed.pk}" id="order-{billed.pk}" disabled', page)  # on an invoice already
    response = web.post(url, {"customer": customer.pk, "orders": [billed.pk, free.pk]})
    page = response.content.decode()
    assert response.status_code == 200 and 'id="form-errors"' in page
    assert f"Order {billed.number} is on invoice INV-000001 already." in page
    assert re.search(rf'value="{free.pk}" id="order-{free.pk}" checked', page)
    response = web.post(url, {"customer": customer.pk})
    assert "Tick at least one order." in response.content.decode()
    # An order of another customer is not among this customer's orders.
    theirs = make_order(manager, make_customer(manager, "Globex"))
    response = web.post(url, {"customer": customer.pk, "orders": [free.pk, theirs.pk]})
    assert "Select a valid choice" in response.content.decode()
    assert Invoice.objects.count() == 1


def test_the_form_preticks_orders_named_in_the_link(web, manager, customer):
    order = make_order(manager, customer)
    page = web.get(
        reverse("commerce_documents:shipment-create"), {"customer": customer.pk, "orders": [order.pk]}
    ).content.decode()
    assert re.search(rf'value="{order.pk}" id="order-{order.pk}" checked', page)


def test_lists_search_filter_sort_and_page(web, manager, customer):
    other = make_customer(manager, "Globex")
    for _ in range(3):
        shipment_create(actor=manager, orders=[make_order(manager, customer)])
    shipped = shipment_create(actor=manager, orders=[make_order(manager, other)], shipped=True)
    url = reverse("commerce_documents:shipment-list")
    assert numbers_on(web.get(url).content.decode()) == ["SH-000004", "SH-000003", "SH-000002", "SH-000001"]
    assert numbers_on(web.get(url, {"q": "globex"}).content.decode()) == [shipped.number]
    assert numbers_on(web.get(url, {"status": "pending", "ordering": "number"}).content.decode()) == [
        "SH-000001",
        "SH-000002",
        "SH-000003",
    ]
    assert len(numbers_on(web.get(url, {"customer": customer.pk}).content.decode())) == 3
    page = web.get(url, {"customer": customer.pk}).content.decode()
    assert "Customer: Initech" in page
    assert "No shipments match these filters." in web.get(url, {"q": "nothing-like-it"}).content.decode()
    assert web.get(url, {"status": "nope"}).status_code == 200  # an invalid filter shows the list unfiltered


def test_lists_page_at_constant_queries(web, manager, customer):
    counts, statements = {}, {}
    for kind, make in (("shipment", shipment_create), ("invoice", invoice_create)):
        for size in (3, 30):
            while (Shipment if kind == "shipment" else Invoice).objects.count() < size:
                make(actor=manager, orders=[make_order(manager, customer)])
            # Warm first: what the pages cache for a while (the organization's display format) is not the list's.
            web.get(reverse(f"commerce_documents:{kind}-list"))
            with CaptureQueriesContext(connection) as queries:
                page = web.get(reverse(f"commerce_documents:{kind}-list"), {"page_size": 25}).content.decode()
            assert len(numbers_on(page)) == min(size, 25)
            # The session's own upkeep (saved again when it nears expiry) is not the list's doing.
            counted = [q["sql"][:120] for q in queries.captured_queries if "django_session" not in q["sql"]]
            counts[(kind, size)] = len(counted)
            statements[(kind, size)] = counted
        assert counts[(kind, 3)] == counts[(kind, 30)], statements
    page = web.get(reverse("commerce_documents:invoice-list"), {"page": 2}).content.decode()
    assert len(numbers_on(page)) == 5


def test_actions_ship_pay_void_and_delete(web, manager, customer):
    order = make_order(manager, customer)
    shipment = shipment_create(actor=manager, orders=[order])
    detail = reverse("commerce_documents:shipment-detail", args=[shipment.pk])
    response = web.post(reverse("commerce_documents:shipment-action", args=[shipment.pk, "ship"]), follow=True)
    assert f"The shipment {shipment.number} was shipped." in response.content.decode()
    order.refresh_from_db()
    assert order.status == "shipped"
    page = web.get(detail).content.decode()
    assert 'value="ship"' not in page and 'value="delete"' not in page  # nothing left to do
    response = web.post(reverse("commerce_documents:shipment-action", args=[shipment.pk, "delete"]), follow=True)
    assert "cannot be deleted" in response.content.decode()
    invoice = invoice_create(actor=manager, orders=[order])
    web.post(reverse("commerce_documents:invoice-action", args=[invoice.pk, "void"]))
    invoice.refresh_from_db()
    assert invoice.status == "void"
    assert web.post(reverse("commerce_documents:invoice-action", args=[invoice.pk, "nope"])).status_code == 404
    assert web.get(reverse("commerce_documents:invoice-action", args=[invoice.pk, "pay"])).status_code == 405


def test_another_organization_sees_nothing_and_a_rep_only_reads(client, manager, customer, outsider, rep):
    shipment = shipment_create(actor=manager, orders=[make_order(manager, customer)])
    client.force_login(outsider)
    assert client.get(reverse("commerce_documents:shipment-detail", args=[shipment.pk])).status_code == 404
    assert numbers_on(client.get(reverse("commerce_documents:shipment-list")).content.decode()) == []
    options = client.get(reverse("commerce_documents:customer-options"), {"q": "Init"}).json()
    assert options == {"results": []}
    client.force_login(rep)
    page = client.get(reverse("commerce_documents:shipment-detail", args=[shipment.pk])).content.decode()
    assert 'id="read-only-reason"' in page and 'value="ship"' not in page
    client.post(reverse("commerce_documents:shipment-action", args=[shipment.pk, "ship"]))
    shipment.refresh_from_db()
    assert shipment.status == "pending"
    client.logout()
    response = client.get(reverse("commerce_documents:shipment-list"))
    assert response.status_code == 302 and "/login/" in response.url


def test_customer_picker_finds_by_words_of_the_name(web, manager, customer):
    make_customer(manager, "Initrode Labs")
    results = web.get(reverse("commerce_documents:customer-options"), {"q": "init labs"}).json()["results"]
    assert [row["text"] for row in results] == ["Initrode Labs"]
