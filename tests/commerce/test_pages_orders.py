"""The order pages: list (filters, paging, query counts), the page with totals and payments, the form with
lines, the pay, refund and cancel actions with the services' rights and state rules, and the ship and invoice
buttons leading to the make forms."""

import html as html_text
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from backoffice.models import CurrencyRate
from commerce.models import Invoice, Order, Shipment
from commerce.services import customer_create, customer_user_create, order_cancel, order_update
from commerce.services.documents import invoice_void, shipment_create
from tests.factories import UserFactory
from tests.factories.commerce import ProductFactory, make_order

pytestmark = pytest.mark.django_db


def url(name: str, *args) -> str:
    return reverse(f"commerce:{name}", args=args)


def lines(*rows) -> dict:
    """The line rows of the order form: (product, quantity, unit price or "")."""
    data = {"line-TOTAL_FORMS": str(len(rows)), "line-INITIAL_FORMS": "0"}
    for index, (product, quantity, price) in enumerate(rows):
        data[f"line-{index}-product"] = product.pk if product else ""
        data[f"line-{index}-quantity"] = quantity
        data[f"line-{index}-unit_price"] = price
    return data


@pytest.fixture
def shop(rep, organization):
    customer = customer_create(actor=rep, name="Order Buyer")
    return {
        "customer": customer,
        "bolt": ProductFactory(organization=organization, sku="BOLT", name="Bolt", unit_price=Decimal("2.50")),
        "nut": ProductFactory(organization=organization, sku="NUT", name="Nut", unit_price=Decimal("1.00")),
        "euro": ProductFactory(
            organization=organization, sku="EURO", name="Euro part", unit_price=Decimal("5.00"), currency="EUR"
        ),
    }


def test_place_an_order_with_two_lines(session_client, rep, shop):
    client = session_client(rep)
    form = client.get(url("order-create"), {"customer": shop["customer"].pk}).content.decode()
    assert "Order Buyer" in form and 'name="line-0-product"' in form
    response = client.post(
        url("order-create"),
        {"customer": shop["customer"].pk, "discount": "1.00", **lines((shop["bolt"], 4, ""), (shop["nut"], 3, "0.80"))},
    )
    order = Order.objects.get(customer=shop["customer"])
    assert response.status_code == 302 and response.url == url("order-detail", order.pk)
    assert (order.subtotal, order.discount, order.total, order.currency) == (
        Decimal("12.40"),
        Decimal("1.00"),
        Decimal("11.40"),
        "USD",
    )
    html = client.get(url("order-detail", order.pk)).content.decode()
    assert "Bolt" in html and "Nut" in html and "12.40" in html and "11.40" in html
    assert "Pending" in html and 'id="pay-form"' in html


def test_order_form_shows_every_error_at_once_and_writes_nothing(session_client, rep, shop):
    response = session_client(rep).post(
        url("order-create"),
        {
            "customer": "",
            "discount": "-3",
            **lines((shop["bolt"], 0, ""), (None, 2, ""), (shop["euro"], 1, "")),
        },
    )
    html = response.content.decode()
    assert response.status_code == 200 and 'id="form-errors"' in html
    assert "This field is required." in html  # the customer, and the product of line 2
    assert "Ensure this value is greater than or equal to 1." in html  # line 1's quantity
    assert "Ensure this value is greater than or equal to 0." in html  # the discount
    assert html.count("is-invalid") >= 3
    assert not Order.objects.exists()


def test_a_product_in_another_currency_needs_its_price_and_a_discount_stays_within_the_subtotal(
    session_client, rep, shop
):
    client = session_client(rep)
    html = client.post(
        url("order-create"), {"customer": shop["customer"].pk, **lines((shop["bolt"], 1, ""), (shop["euro"], 1, ""))}
    ).content.decode()
    assert "Euro part is priced in EUR, the order in USD: give its price." in html
    html = client.post(
        url("order-create"), {"customer": shop["customer"].pk, "discount": "50", **lines((shop["bolt"], 1, ""))}
    ).content.decode()
    assert "A discount cannot be more than the subtotal." in html
    assert not Order.objects.exists()


def test_base_currency_subtotal_is_shown(session_client, rep, shop, organization):
    CurrencyRate.objects.create(
        organization=organization, currency="EUR", rate=Decimal("1.10"), valid_from="2000-01-01"
    )
    client = session_client(rep)
    client.post(url("order-create"), {"customer": shop["customer"].pk, **lines((shop["euro"], 2, ""))})
    order = Order.objects.get()
    assert order.currency == "EUR" and order.base_subtotal == Decimal("11.00")
    html = client.get(url("order-detail", order.pk)).content.decode()
    assert "Subtotal in USD" in html and "11.00 USD" in html


def test_pay_in_two_parts_then_refund(session_client, rep, shop):
    order = make_order(rep, shop["customer"], price="100.00")
    client = session_client(rep)
    client.post(url("order-pay", order.pk), {"pay-amount": "40", "pay-method": "cash"})
    order.refresh_from_db()
    assert order.payment_status == "partially_paid"
    response = client.post(url("order-pay", order.pk), {"pay-amount": "60", "pay-method": "card"})
    assert response.status_code == 302
    html = client.get(url("order-detail", order.pk)).content.decode()
    assert '<dd class="col-6" id="payment-status">Paid in full</dd>' in html
    assert "Cash" in html and 'id="refund-form"' in html and 'id="pay-form"' not in html
    shop["customer"].refresh_from_db()
    assert shop["customer"].lifetime_value == Decimal("100.00")

    client.post(url("order-refund", order.pk), {"refund-amount": "30", "refund-reason": "Damaged"})
    order.refresh_from_db()
    assert order.payment_status == "partially_refunded" and order.refunded_amount == Decimal("30.00")
    assert "Damaged" in client.get(url("order-detail", order.pk)).content.decode()
    shop["customer"].refresh_from_db()
    assert shop["customer"].lifetime_value == Decimal("70.00")


def test_refused_actions_say_why_and_keep_what_was_typed(session_client, rep, shop):
    order = make_order(rep, shop["customer"], price="100.00")
    client = session_client(rep)
    response = client.post(url("order-pay", order.pk), {"pay-amount": "150", "pay-method": "card"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "Only 100.00 USD of this order is still open." in html and 'value="150"' in html
    response = client.post(url("order-refund", order.pk), {"refund-amount": "10"})
    assert response.status_code == 400 and "Only an order paid in full can be refunded." in response.content.decode()
    order_cancel(actor=rep, order=order)
    response = client.post(url("order-pay", order.pk), {"pay-amount": "10", "pay-method": "card"})
    assert "A cancelled order cannot be paid." in response.content.decode()
    response = client.post(url("order-cancel", order.pk))
    assert "A cancelled order cannot be cancelled." in response.content.decode()
    order.refresh_from_db()
    assert order.paid_amount == 0 and not order.payments.exists()


def test_cancel_an_open_order(session_client, rep, shop):
    order = make_order(rep, shop["customer"], price="20.00", paid=True)
    response = session_client(rep).post(url("order-cancel", order.pk))
    assert response.status_code == 302
    order.refresh_from_db()
    shop["customer"].refresh_from_db()
    assert order.status == "cancelled" and shop["customer"].lifetime_value == 0


def test_edit_lines_and_status(session_client, rep, shop):
    order = make_order(rep, shop["customer"], price="10.00", product=shop["bolt"], quantity=2)
    client = session_client(rep)
    form = client.get(url("order-update", order.pk)).content.decode()
    assert f'value="{shop["bolt"].pk}" selected' in form
    response = client.post(
        url("order-update", order.pk),
        {
            "number": order.number,
            "status": "shipped",
            "discount": "0",
            "version": order.version,
            **lines((shop["bolt"], 2, "2.50"), (shop["nut"], 5, "")),
        },
    )
    assert response.status_code == 302, response.content.decode()
    order.refresh_from_db()
    assert order.status == "shipped" and order.subtotal == Decimal("10.00") and order.lines.count() == 2


def test_reps_act_only_on_their_own_orders_and_other_organizations_get_404(
    session_client, rep, manager, outsider, organization, shop
):
    other_rep = UserFactory(organization=organization)
    theirs = make_order(other_rep, customer_create(actor=other_rep, name="Other's buyer"), price="10.00")
    client = session_client(rep)
    assert 'id="pay-form"' not in client.get(url("order-detail", theirs.pk)).content.decode()
    response = client.post(url("order-pay", theirs.pk), {"pay-amount": "10", "pay-method": "card"})
    assert response.status_code == 403 and "You can change only the records you own" in response.content.decode()
    assert client.get(url("order-update", theirs.pk)).status_code == 403
    theirs.refresh_from_db()
    assert theirs.paid_amount == 0

    assert (
        session_client(manager)
        .post(url("order-pay", theirs.pk), {"pay-amount": "10", "pay-method": "card"})
        .status_code
        == 302
    )

    client = session_client(outsider)
    for name in ("order-detail", "order-update"):
        assert client.get(url(name, theirs.pk)).status_code == 404
    for name in ("order-pay", "order-refund", "order-cancel"):
        assert client.post(url(name, theirs.pk), {"pay-amount": "1"}).status_code == 404
    assert theirs.number not in client.get(url("order-list")).content.decode()


def test_order_list_filters_sorting_paging_and_constant_queries(session_client, rep, shop):
    paid = make_order(rep, shop["customer"], price="500.00", paid=True)
    pending = make_order(rep, shop["customer"], price="5.00")
    other = customer_create(actor=rep, name="Second Buyer")
    elsewhere = make_order(rep, other, price="7.00")
    client = session_client(rep)

    def shown(**query) -> set[int]:
        html = client.get(url("order-list"), query).content.decode()
        return {o.pk for o in (paid, pending, elsewhere) if f'data-row-id="{o.pk}"' in html}

    assert shown(payment_status="paid") == {paid.pk}
    assert shown(customer=other.pk) == {elsewhere.pk}
    assert shown(q=pending.number) == {pending.pk}
    html = client.get(url("order-list"), {"ordering": "-total"}).content.decode()
    assert html.index(f'data-row-id="{paid.pk}"') < html.index(f'data-row-id="{elsewhere.pk}"')
    assert "Customer: Second Buyer" in client.get(url("order-list"), {"customer": other.pk}).content.decode()

    client.get(url("order-list"), {"page_size": 100})  # the caches warm, so both counts see the same
    with CaptureQueriesContext(connection) as few:
        client.get(url("order-list"), {"page_size": 100})
    for number in range(27):
        make_order(UserFactory(organization=rep.organization), customer_create(actor=rep, name=f"Buyer {number}"))
    client.get(url("order-list"), {"page_size": 100})  # the caches warm, so both counts see the same
    with CaptureQueriesContext(connection) as many:
        html = client.get(url("order-list"), {"page_size": 100}).content.decode()
    assert html.count("data-row-id=") == 30
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    first = client.get(url("order-list")).content.decode()
    assert first.count("data-row-id=") == 25 and "1–25 of 30" in first
    body = client.get(url("order-export"), {"payment_status": "paid"}).getvalue().decode()
    assert paid.number in body and pending.number not in body


def test_order_detail_queries_do_not_grow_with_lines_and_payments(session_client, rep, shop):
    client = session_client(rep)

    def detail_queries(count: int) -> int:
        order = make_order(rep, shop["customer"], price="10.00", quantity=count)
        for _ in range(count):
            client.post(url("order-pay", order.pk), {"pay-amount": "1", "pay-method": "card"})
        client.get(url("order-detail", order.pk))  # the caches warm, so both counts see the same
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url("order-detail", order.pk)).status_code == 200
        return len(queries)

    assert detail_queries(2) == detail_queries(9)


def buttons(client, order) -> dict[str, str]:
    """The ship and invoice buttons of the order's page, by id, with where they lead."""
    page = client.get(url("order-detail", order.pk)).content.decode()
    found = re.findall(r'<a class="btn btn-outline-primary" href="([^"]+)" id="(ship-order|invoice-order)">', page)
    return {key: html_text.unescape(href) for href, key in found}


def send_document_form(client, href: str, **extra):
    """Open a make form as the button leads to it and send it with what it ticked, as a browser would."""
    form = client.get(href).content.decode()
    customer = re.search(r'<input type="hidden" name="customer" value="(\d+)">', form).group(1)
    ticked = re.findall(r'type="checkbox" name="orders" value="(\d+)" id="order-\d+" checked', form)
    return client.post(href, {"customer": customer, "orders": ticked, **extra}), ticked


def test_ship_and_invoice_buttons_lead_to_a_made_shipment_and_invoice(session_client, rep, shop):
    order = make_order(rep, shop["customer"], price="30.00", quantity=3)
    other = make_order(rep, shop["customer"], price="5.00")  # the same customer's, left alone
    client = session_client(rep)
    assert set(buttons(client, order)) == {"ship-order", "invoice-order"}

    response, ticked = send_document_form(client, buttons(client, order)["ship-order"], shipped="on")
    assert ticked == [str(order.pk)]
    shipment = Shipment.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "commerce_documents:shipment-detail", args=[shipment.pk]
    )
    assert {line.order_id for line in shipment.lines.all()} == {order.pk} and shipment.quantity_total == 3
    order.refresh_from_db()
    assert order.status == "shipped"
    assert set(buttons(client, order)) == {"invoice-order"}  # every line is on a shipment now

    response, ticked = send_document_form(client, buttons(client, order)["invoice-order"])
    invoice = Invoice.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "commerce_documents:invoice-detail", args=[invoice.pk]
    )
    assert {line.order_id for line in invoice.lines.all()} == {order.pk} and invoice.total == Decimal("90.00")
    assert buttons(client, order) == {}
    invoice_void(actor=rep, invoice=invoice)  # a void invoice frees the order for a new one
    assert set(buttons(client, order)) == {"invoice-order"}
    assert set(buttons(client, other)) == {"ship-order", "invoice-order"}


def test_ship_and_invoice_show_only_when_the_services_would_take_the_order(session_client, rep, organization, shop):
    client = session_client(rep)
    pending = make_order(rep, shop["customer"], price="10.00")
    shipment_create(actor=rep, orders=[pending])  # on a shipment not sent yet: nothing left to ship
    assert set(buttons(client, pending)) == {"invoice-order"}
    closed = make_order(rep, shop["customer"], price="10.00")
    order_update(actor=rep, order=closed, data={"status": "closed"})
    assert set(buttons(client, closed)) == {"invoice-order"}
    cancelled = make_order(rep, shop["customer"], price="10.00")
    order_cancel(actor=rep, order=cancelled)
    assert buttons(client, cancelled) == {}
    other_rep = UserFactory(organization=organization)
    theirs = make_order(other_rep, customer_create(actor=other_rep, name="Other's buyer"), price="10.00")
    assert buttons(client, theirs) == {}  # a rep ships and bills only the orders they own


def test_the_services_rules_show_on_the_order_form(session_client, rep, shop):
    other = customer_create(actor=rep, name="Someone Else")
    stranger = customer_user_create(
        actor=rep, customer=other, first_name="Sid", last_name="Else", email="sid@else.example", password=None
    )
    client = session_client(rep)
    html = client.post(
        url("order-create"),
        {"customer": shop["customer"].pk, "customer_user": stranger.pk, **lines((shop["bolt"], 1, ""))},
    ).content.decode()
    assert 'href="#id_customer_user">Customer user</a>: Sid Else does not act for Order Buyer.' in html
    html = client.post(url("order-create"), {"customer": shop["customer"].pk, **lines()}).content.decode()
    assert 'id="form-errors"' in html and "An order needs at least one line." in html
    assert not Order.objects.exists()


def test_an_order_on_a_shipment_shows_its_lines_read_only_and_can_still_be_closed(session_client, rep, shop):
    order = make_order(rep, shop["customer"], price="10.00", quantity=2)
    shipment = shipment_create(actor=rep, orders=[order], shipped=True)
    order.refresh_from_db()
    client = session_client(rep)
    form = client.get(url("order-update", order.pk)).content.decode()
    assert f"Order {order} is on shipment {shipment}" in form and 'name="line-0-product"' not in form
    response = client.post(
        url("order-update", order.pk),
        {"number": order.number, "status": "closed", "discount": "5", "version": order.version},
    )
    assert response.status_code == 302, response.content.decode()
    order.refresh_from_db()
    assert (order.status, order.discount, order.lines.count()) == ("closed", Decimal("0.00"), 1)
    form = client.get(url("order-update", order.pk)).content.decode()
    assert "Only an order that is not closed, cancelled or refunded can be edited." in form
