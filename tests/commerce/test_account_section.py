"""The account page's Commerce channel section: a tab per commerce customer of the account with its general
data, customer users, shopping lists, requests for quote, quotes, orders and opportunities (the latest few,
with a link to all of them) and the channel's lifetime value; no section for an account without commerce
customers; the same number of queries whatever the number of customers and rows."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.services import opportunity_save
from commerce.sections import ROWS_SHOWN
from commerce.services import customer_update, customer_user_create
from commerce.services import quotes as quote_services
from commerce.services.storefront import request_for_quote_create, shopping_list_add_product, shopping_list_create
from tests.factories import AccountFactory
from tests.factories.commerce import ProductFactory, make_customer, make_order

pytestmark = pytest.mark.django_db


def _page(client, account) -> str:
    return client.get(reverse("accounts:account-detail", args=[account.pk])).content.decode()


def test_the_section_shows_the_hierarchy_users_orders_and_the_channel_value(session_client, manager):
    root = make_customer(manager, name="Northwind Holding")
    branch = make_customer(manager, name="Northwind Retail")
    customer_update(actor=manager, customer=branch, data={"parent": root})
    customer_user_create(
        actor=manager,
        customer=root,
        first_name="Nan",
        last_name="Davolio",
        email="nan@example.com",
        password="a long enough password",
    )
    make_order(manager, root, price="250.00", paid=True)
    root.refresh_from_db()
    account = root.account
    opportunity_save(actor=manager, data={"name": "Northwind renewal", "account": account, "customer": root})
    customer_update(actor=manager, customer=branch, data={"account": account})
    page = _page(session_client(manager), account)
    assert 'data-section="commerce"' in page and "Northwind Holding" in page and "Nan Davolio" in page
    assert "Northwind renewal" in page and "Paid in full" in page
    assert 'data-role="commerce-lsv">250.00' in page
    # One tab per customer (the root first), each naming its panel, and a link to the customer's page.
    tabs = re.findall(r'role="tab"[^>]*data-customer="(\d+)"', page)
    assert tabs == [str(root.pk), str(branch.pk)]
    assert f'aria-controls="commerce-customer-{branch.pk}"' in page
    assert f'role="tabpanel" aria-labelledby="commerce-customer-{branch.pk}-tab"' in page
    assert f'href="{reverse("commerce:customer-detail", args=[branch.pk])}" data-role="customer-page"' in page


def _panel(page: str, customer) -> str:
    start = page.index(f'id="commerce-customer-{customer.pk}" role="tabpanel"')
    end = page.find('role="tabpanel"', start + 30)
    return page[start : end if end != -1 else len(page)]


def _buying_customer(actor, name: str, *, rows: int):
    """A customer with a user and `rows` shopping lists, requests for quote, quotes and orders."""
    customer = make_customer(actor, name=name)
    user = customer_user_create(
        actor=actor,
        customer=customer,
        first_name="Buyer",
        last_name=name,
        email=f"{name.lower().replace(' ', '.')}@example.com",
        password="a long enough password",
    )
    product = ProductFactory(organization=customer.organization, unit_price=Decimal("5.00"))
    for number in range(rows):
        shopping_list = shopping_list_create(customer_user=user, name=f"{name} list {number}")
        shopping_list_add_product(customer_user=user, shopping_list=shopping_list, product=product, quantity=2)
        request = request_for_quote_create(customer_user=user, shopping_list=shopping_list)
        quote_services.quote_create(
            actor=actor,
            request=request,
            valid_until=timezone.localdate(),
            lines=[quote_services.QuoteLineInput(product, 2)],
        )
        make_order(actor, customer, price="10.00")
    return customer, user


def test_each_tab_lists_shopping_lists_rfqs_and_quotes_with_links(session_client, manager, org_admin):
    customer, user = _buying_customer(manager, "Contoso", rows=2)
    page = _page(session_client(manager), customer.account)
    panel = _panel(page, customer)
    for heading in ("General", "Customer users", "Shopping lists", "Requests for quote", "Quotes", "Orders"):
        assert f">{heading} " in panel or f">{heading}<" in panel, heading
    assert "Contoso list 0" in panel and "Contoso list 1" in panel
    request = customer.requests_for_quote.order_by("id").first()
    quote = customer.quotes.order_by("id").first()
    shopping_list = customer.shopping_lists.order_by("id").first()
    assert f'href="{reverse("commerce-quotes:rfq-detail", args=[request.pk])}">{request.number}<' in panel
    assert f'href="{reverse("commerce-quotes:quote-detail", args=[quote.pk])}">{quote.number}<' in panel
    assert f'href="{reverse("commerce-quotes:shopping-list-detail", args=[shopping_list.pk])}"' in panel
    assert "10.00 USD" in panel  # the quote's subtotal
    for key in ("shopping-lists", "rfqs", "quotes", "orders"):
        assert re.search(rf'data-list="{key}">.*?data-role="count">\(2\)<', panel, re.S), key
    assert 'data-role="see-all"' not in panel  # everything is shown


def test_long_lists_show_the_latest_rows_and_link_to_the_filtered_list(session_client, manager, org_admin):
    customer, _user = _buying_customer(manager, "Fabrikam", rows=ROWS_SHOWN + 2)
    client = session_client(manager)
    panel = _panel(_page(client, customer.account), customer)
    total = ROWS_SHOWN + 2
    lists = {key: panel.split(f'data-list="{key}"')[1].split("data-list=")[0] for key in ("rfqs", "quotes", "orders")}
    for key, block in lists.items():
        assert len(re.findall(r"<tr><td>", block)) == ROWS_SHOWN, key
        assert f"({total})" in block, key
    assert f"Fabrikam list {total - 1}" in panel and "Fabrikam list 0<" not in panel  # the latest ones
    other, _other_user = _buying_customer(manager, "Other Buyer", rows=1)
    oldest = {
        "shopping-lists": ("Fabrikam list 0", "Other Buyer list 0"),
        "rfqs": tuple(c.requests_for_quote.order_by("id").first().number for c in (customer, other)),
        "quotes": tuple(c.quotes.order_by("id").first().number for c in (customer, other)),
        "orders": tuple(c.orders.order_by("id").first().number for c in (customer, other)),
    }
    for name, key in [
        ("commerce-quotes:shopping-list-list", "shopping-lists"),
        ("commerce-quotes:rfq-list", "rfqs"),
        ("commerce-quotes:quote-list", "quotes"),
        ("commerce:order-list", "orders"),
    ]:
        link = f"{reverse(name)}?customer={customer.pk}"
        assert f'href="{link}" data-role="see-all"' in panel, key
        # The link leads to the list filtered to this customer: its oldest row there, another's not.
        listed = client.get(link)
        assert listed.status_code == 200, link
        body = listed.content.decode()
        assert oldest[key][0] in body and oldest[key][1] not in body, key


def test_no_section_for_an_account_without_commerce_customers(session_client, rep):
    account = AccountFactory(owner=rep)
    assert 'data-section="commerce"' not in _page(session_client(rep), account)


def test_the_sections_queries_do_not_grow_with_its_customers_and_rows(session_client, manager, org_admin):
    first, _user = _buying_customer(manager, "Alpha", rows=1)
    account = first.account
    client = session_client(manager)
    _page(client, account)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            _page(client, account)
        return len(captured)

    few = count()
    for number in range(3):
        child, _user = _buying_customer(manager, f"Alpha {number}", rows=ROWS_SHOWN + 1)
        customer_update(actor=manager, customer=child, data={"account": account})
        child.refresh_from_db()
        opportunity_save(actor=manager, data={"name": f"Deal {number}", "account": account, "customer": child})
    page = _page(client, account)
    assert len(re.findall(r'role="tab"', page)) == 4
    assert count() == few
