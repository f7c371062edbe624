"""Shopping list -> request for quote -> quote -> accepted -> order, through the storefront and the back
office; the quote rules (validity, one order per quote, rights) and the back-office lists."""

import datetime as dt
import re
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from backoffice.choices import Role
from backoffice.models import ChangeLogEntry
from commerce.models import Order, Quote, QuoteStatus, RequestForQuote, RequestStatus, ShoppingList
from commerce.services import quotes as quote_services
from commerce.services.storefront import (
    request_for_quote_create,
    shopping_list_add_product,
    shopping_list_create,
    storefront_sign_up,
)
from tests.factories import UserFactory
from tests.factories.commerce import ProductFactory, make_customer

PASSWORD = "a-Long-enough-passphrase-42"


@pytest.fixture
def store(settings, organization, org_admin):
    settings.STOREFRONT_ORGANIZATION = organization.name
    return organization


def signed_up(organization, email="buyer@example.com", company="Buyer Ltd"):
    return storefront_sign_up(
        organization=organization,
        first_name="Bea",
        last_name="Buyer",
        email=email,
        password=PASSWORD,
        company_name=company,
    )


def request_with_lines(organization, user, products):
    shopping_list = shopping_list_create(customer_user=user, name="Spring order")
    for product, quantity in products:
        shopping_list_add_product(customer_user=user, shopping_list=shopping_list, product=product, quantity=quantity)
    return shopping_list, request_for_quote_create(customer_user=user, shopping_list=shopping_list, note="By May")


@pytest.mark.django_db
def test_list_to_rfq_to_quote_to_order_through_the_pages(store, rep, client):
    bolt = ProductFactory(organization=store, sku="BOLT", name="Bolt", unit_price=Decimal("2.00"))
    gear = ProductFactory(organization=store, sku="GEAR", name="Gear", unit_price=Decimal("15.00"))
    buyer = Client()
    buyer.post(
        reverse("storefront:sign-up"),
        {
            "first_name": "Bea",
            "last_name": "Buyer",
            "email": "bea@example.com",
            "password": PASSWORD,
            "company_name": "Bea Co",
        },
    )
    buyer.post(reverse("storefront:lists"), {"name": "Spring"})
    shopping_list = ShoppingList.objects.get()
    detail = reverse("storefront:list-detail", args=[shopping_list.pk])
    buyer.post(detail, {"product": "BOLT", "quantity": 100})
    buyer.post(detail, {"product": "gear", "quantity": 4})
    response = buyer.post(reverse("storefront:request-quote", args=[shopping_list.pk]), {"note": "Delivery in May"})
    assert response.status_code == 302
    rfq = RequestForQuote.objects.get()
    assert (rfq.customer.name, rfq.note, rfq.status) == ("Bea Co", "Delivery in May", RequestStatus.OPEN)
    # The request keeps its lines when the list changes afterwards.
    buyer.post(detail, {"product": "BOLT", "quantity": 1})
    assert sorted(rfq.lines.values_list("product__sku", "quantity")) == [("BOLT", 100), ("GEAR", 4)]
    assert rfq.number in buyer.get(reverse("storefront:quotes")).content.decode()

    client.force_login(rep)
    listed = client.get(reverse("commerce-quotes:rfq-list"), {"q": "Bea"}).content.decode()
    assert rfq.number in listed
    assert rfq.number not in client.get(reverse("commerce-quotes:rfq-list"), {"q": "nobody"}).content.decode()
    form_url = reverse("commerce-quotes:rfq-quote", args=[rfq.pk])
    lines = {line.product.sku: line for line in rfq.lines.select_related("product")}
    assert 'value="2.00"' in client.get(form_url).content.decode()  # the product's price to start with
    valid_until = timezone.localdate() + dt.timedelta(days=10)
    bad = client.post(form_url, {"valid_until": "2001-01-01", f"price_{lines['BOLT'].pk}": "-1"})
    assert bad.status_code == 400 and not Quote.objects.exists()
    response = client.post(
        form_url,
        {
            "valid_until": valid_until.isoformat(),
            f"price_{lines['BOLT'].pk}": "1.80",
            f"price_{lines['GEAR'].pk}": "14.00",
        },
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    quote = Quote.objects.get()
    assert response["Location"] == reverse("commerce-quotes:quote-detail", args=[quote.pk])
    assert (quote.subtotal, quote.valid_until, quote.owner_id) == (Decimal("236.00"), valid_until, rep.pk)
    rfq.refresh_from_db()
    assert rfq.status == RequestStatus.QUOTED

    page = buyer.get(reverse("storefront:quote-detail", args=[quote.pk])).content.decode()
    assert "236.00 USD" in page and "Accept this quote" in page
    response = buyer.post(reverse("storefront:quote-accept", args=[quote.pk]))
    order = Order.objects.get()
    assert response["Location"] == reverse("storefront:order-detail", args=[order.pk])
    assert (order.customer_id, order.customer_user.email, order.subtotal, order.owner_id) == (
        rfq.customer_id,
        "bea@example.com",
        Decimal("236.00"),
        rep.pk,
    )
    assert sorted(order.lines.values_list("product__sku", "quantity", "unit_price")) == [
        ("BOLT", 100, Decimal("1.80")),
        ("GEAR", 4, Decimal("14.00")),
    ]
    quote.refresh_from_db()
    assert (quote.status, quote.order_id) == (QuoteStatus.ACCEPTED, order.pk)
    again = buyer.post(reverse("storefront:quote-accept", args=[quote.pk]), follow=True).content.decode()
    assert "accepted already" in again and Order.objects.count() == 1
    assert order.number in buyer.get(reverse("storefront:orders")).content.decode()
    assert gear.pk and bolt.pk


@pytest.mark.django_db
def test_another_customers_quote_cannot_be_seen_or_accepted(store, org_admin):
    product = ProductFactory(organization=store)
    mine = signed_up(store)
    _, rfq = request_with_lines(store, mine, [(product, 1)])
    quote = quote_services.quote_create(
        actor=org_admin,
        request=rfq,
        valid_until=timezone.localdate(),
        lines=[quote_services.QuoteLineInput(product, 1)],
    )
    signed_up(store, email="other@example.com", company="Other Co")
    other = Client()
    other.post(reverse("storefront:sign-in"), {"email": "other@example.com", "password": PASSWORD})
    assert other.get(reverse("storefront:quote-detail", args=[quote.pk])).status_code == 404
    assert other.post(reverse("storefront:quote-accept", args=[quote.pk])).status_code == 404
    assert not Order.objects.exists()


@pytest.mark.django_db
def test_a_cancelled_request_gets_no_quote_and_the_form_says_so(store, rep, client):
    product = ProductFactory(organization=store, sku="BOLT", unit_price=Decimal("2.00"))
    _, rfq = request_with_lines(store, signed_up(store), [(product, 3)])
    RequestForQuote.objects.filter(pk=rfq.pk).update(status=RequestStatus.CANCELLED)  # as an admin may set it
    client.force_login(rep)
    line = rfq.lines.get()
    valid_until = (timezone.localdate() + dt.timedelta(days=5)).isoformat()
    response = client.post(
        reverse("commerce-quotes:rfq-quote", args=[rfq.pk]), {"valid_until": valid_until, f"price_{line.pk}": "1.50"}
    )
    assert response.status_code == 400 and "That request for quote was cancelled." in response.content.decode()
    assert not Quote.objects.exists()


@pytest.mark.django_db
def test_validity_bounds_expired_quotes_and_quotes_made_earlier(store, org_admin):
    product = ProductFactory(organization=store)
    customer = make_customer(org_admin, name="Direct")
    line = [quote_services.QuoteLineInput(product, 2)]
    today = timezone.localdate()
    for wrong in (today - dt.timedelta(days=1), today + dt.timedelta(days=367)):
        with pytest.raises(Exception, match="valid"):
            quote_services.quote_create(actor=org_admin, customer=customer, valid_until=wrong, lines=line)
    quote = quote_services.quote_create(actor=org_admin, customer=customer, valid_until=today, lines=line)
    Quote.objects.filter(pk=quote.pk).update(valid_until=today - dt.timedelta(days=1))
    quote.refresh_from_db()
    assert quote_services.quote_is_expired(quote)
    with pytest.raises(Exception, match="valid until"):
        quote_services.quote_accept(actor=org_admin, quote=quote)
    assert not Order.objects.exists()
    with pytest.raises(Exception, match="at least one line"):
        quote_services.quote_create(actor=org_admin, customer=customer, valid_until=today, lines=[])
    # A quote recorded as made on an earlier day counts its validity from that day.
    month_ago = today - dt.timedelta(days=30)
    quote = quote_services.quote_create(
        actor=org_admin, customer=customer, made_on=month_ago, valid_until=month_ago + dt.timedelta(days=14), lines=line
    )
    assert quote_services.quote_is_expired(quote) and quote.number.startswith(f"QT-{month_ago:%Y%m%d}-")
    refusals = [
        (today + dt.timedelta(days=1), today + dt.timedelta(days=2), "made_on"),
        (today - dt.timedelta(days=400), today, "made_on"),
        (month_ago, month_ago - dt.timedelta(days=1), "valid_until"),
        (month_ago, month_ago + dt.timedelta(days=367), "valid_until"),
    ]
    for made_on, valid_until, field in refusals:
        with pytest.raises(ValidationError) as refused:
            quote_services.quote_create(
                actor=org_admin, customer=customer, made_on=made_on, valid_until=valid_until, lines=line
            )
        assert set(refused.value.message_dict) == {field}, (made_on, valid_until)
    assert Quote.objects.count() == 2


@pytest.mark.django_db
def test_a_rep_cannot_accept_or_cancel_another_reps_quote(store, org_admin, rep):
    product = ProductFactory(organization=store)
    customer = make_customer(org_admin, name="Direct")
    quote = quote_services.quote_create(
        actor=org_admin,
        customer=customer,
        valid_until=timezone.localdate(),
        lines=[quote_services.QuoteLineInput(product, 1)],
    )
    client = Client()
    client.force_login(rep)
    page = client.post(reverse("commerce-quotes:quote-accept", args=[quote.pk]), follow=True).content.decode()
    assert "only the records you own" in page
    client.post(reverse("commerce-quotes:quote-cancel", args=[quote.pk]))
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.OPEN and not Order.objects.exists()
    entries = ChangeLogEntry.objects.filter(object_id=quote.pk, content_type__model="quote")
    assert entries.count() == 1


@pytest.mark.django_db
def test_back_office_lists_page_with_constant_queries(store, org_admin, client, django_assert_max_num_queries):
    product = ProductFactory(organization=store)

    def add(count):
        for index in range(count):
            user = signed_up(store, email=f"b{index}-{count}@example.com", company=f"Firm {index}-{count}")
            _, rfq = request_with_lines(store, user, [(product, 1 + index)])
            quote_services.quote_create(
                actor=org_admin,
                request=rfq,
                valid_until=timezone.localdate(),
                lines=[quote_services.QuoteLineInput(product, 1)],
            )

    client.force_login(org_admin)
    urls = [reverse(f"commerce-quotes:{name}") for name in ("quote-list", "rfq-list", "shopping-list-list")]
    add(2)
    counts = {}
    for url in urls:
        client.get(url)  # per-process caches (content types, settings) filled before counting
        with django_assert_max_num_queries(30) as captured:
            assert client.get(url).status_code == 200
        counts[url] = len(captured)
    add(8)
    for url in urls:
        with django_assert_max_num_queries(counts[url]):
            page = client.get(url).content.decode()
        assert "Firm 7-8" in page
    # Paging: 25 rows a page.
    add(16)
    second = client.get(urls[0], {"page": 2}).content.decode()
    assert "2 / 2" in second and len(re.findall(r'href="/sales/quotes/\d+/"', second)) == 1


@pytest.mark.django_db(transaction=True)
def test_two_parallel_accepts_place_one_order(settings, organization):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    settings.STOREFRONT_ORGANIZATION = organization.name
    admin = UserFactory(organization=organization, role=Role.ADMIN)
    product = ProductFactory(organization=organization)
    customer = make_customer(admin, name="Racer")
    quote = quote_services.quote_create(
        actor=admin,
        customer=customer,
        valid_until=timezone.localdate(),
        lines=[quote_services.QuoteLineInput(product, 3)],
    )
    barrier = threading.Barrier(2)
    outcomes = []

    def accept():
        try:
            barrier.wait(timeout=10)
            quote_services.quote_accept(actor=admin, quote=quote)
            outcomes.append("accepted")
        except Exception as error:  # noqa: BLE001  (the refusal is the expected outcome of one)
            outcomes.append(type(error).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=accept) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["ValidationError", "accepted"]
    assert Order.objects.filter(customer=customer).count() == 1


@pytest.mark.django_db
def test_the_menu_lists_quotes_rfqs_and_shopping_lists(client, rep):
    client.force_login(rep)
    page = client.get(reverse("home")).content.decode()
    for label, url in (
        ("Quotes", "/sales/quotes/"),
        ("RFQs", "/sales/rfqs/"),
        ("Shopping lists", "/sales/shopping-lists/"),
    ):
        assert f'href="{url}">{label}</a>' in page


@pytest.mark.django_db
def test_an_accepted_quote_is_ordered_at_its_prices_whatever_promotion_is_running(store, org_admin):
    """The quote is what was agreed: a promotion in force when it is accepted takes nothing more off."""
    from commerce.services.promotions import promotion_save

    product = ProductFactory(organization=store, unit_price=Decimal("50.00"))
    customer = make_customer(org_admin, name="Direct")
    promotion_save(actor=org_admin, data={"name": "Quarter off", "value": "25"})
    quote = quote_services.quote_create(
        actor=org_admin,
        customer=customer,
        valid_until=timezone.localdate(),
        lines=[quote_services.QuoteLineInput(product, 2, Decimal("40.00"))],
    )
    order = quote_services.quote_accept(actor=org_admin, quote=quote)
    assert order.subtotal == Decimal("80.00") and order.discount == Decimal("0.00") and order.total == Decimal("80.00")
