"""The POS in a real browser: a cashier sells two products to a customer found by e-mail, a promotion applies,
the payment completes the order, and the customer's account value rises by the subtotal in base currency.
And the selector's "New customer" and "Edit" forms, with their errors next to the fields, and a new customer's
contact person who becomes its first customer user, found by that e-mail at the next sale."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from accounts.models import Account
from backoffice.models import CurrencyRate
from commerce.models import CommerceCustomer, CustomerUser, Order
from commerce.services import customer_user_create
from commerce.services.promotions import promotion_save
from tests.e2e.test_accessibility import blocking_violations
from tests.factories.commerce import ProductFactory, make_customer
from tests.factories.core import DEFAULT_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
D = Decimal


@pytest.fixture
def shop(organization, manager, rep):
    """A shop whose base currency is the euro, selling in dollars (0.90 EUR to the dollar), with a 20% promotion."""
    organization.base_currency = "EUR"
    organization.save()
    CurrencyRate.objects.create(
        organization=organization, currency="USD", rate=D("0.9"), valid_from=dt.date(2000, 1, 1)
    )
    ProductFactory(organization=organization, sku="PEN-01", name="Fountain pen", unit_price=D("10.00"), currency="USD")
    ProductFactory(organization=organization, sku="BAG-02", name="Leather bag", unit_price=D("25.00"), currency="USD")
    customer = make_customer(manager, "Acme Retail")
    make_customer(manager, "Acme Wholesale")
    customer_user_create(
        actor=manager,
        customer=customer,
        first_name="Ada",
        last_name="Buyer",
        email="ada@acme.example",
        password="secret-pass-1",
    )
    promotion_save(actor=manager, data={"name": "Spring 20%", "value": "20"})
    return {"customer": customer}


def test_a_cashier_sells_two_products_with_a_promotion_and_the_account_value_rises(page, login, shop):
    customer = shop["customer"]
    account_before = Account.objects.get(pk=customer.account_id).lifetime_value
    login("rep1", DEFAULT_PASSWORD)
    page.goto("/")
    # The menu entry, in whichever menu section holds it.
    page.locator("li.nav-item.dropdown", has=page.locator("a.dropdown-item", has_text="POS")).locator(
        ".dropdown-toggle"
    ).click()
    page.get_by_role("link", name="POS", exact=True).click()
    page.wait_for_url("**/pos/")

    # A product by its exact SKU and Enter at once, as a scanner sends them; another by name from the results.
    search = page.locator("#pos-product-search")
    expect(search).to_be_focused()
    search.fill("PEN-01")
    search.press("Enter")
    expect(page.locator("#pos-lines tbody tr")).to_have_count(1)
    search.type("leather", delay=20)
    expect(page.locator("#pos-product-results [role=option]")).to_have_count(1)
    search.press("ArrowDown")
    search.press("Enter")
    expect(page.locator("#pos-lines tbody tr")).to_have_count(2)
    expect(page.locator("#pos-subtotal")).to_have_text("35.00 USD")
    quantity = page.get_by_label("Quantity of Fountain pen")
    quantity.fill("2")
    quantity.press("Tab")
    expect(page.locator("#pos-subtotal")).to_have_text("45.00 USD")

    # The customer, found by a customer user's e-mail, chosen with the keyboard.
    page.keyboard.press("F4")
    finder = page.get_by_label("Find a customer")
    expect(finder).to_be_focused()
    finder.type("ada@acme", delay=20)
    expect(page.locator("[data-customer-selector] [role=option]")).to_have_count(1)
    finder.press("Enter")
    expect(page.locator("#pos-customer-name")).to_have_text("Acme Retail")
    expect(page.locator("[data-customer-selector] dd[data-field=emails]")).to_have_text("ada@acme.example")

    # The promotion, per line and on the total.
    expect(page.locator("#pos-total")).to_have_text("36.00 USD")
    expect(page.locator("#pos-discount")).to_have_text("9.00 USD")
    expect(page.locator("#pos-lines tbody tr[data-sku='PEN-01'] .pos-line-discount")).to_have_text("4.00")
    expect(page.locator("#pos-lines tbody tr[data-sku='BAG-02'] .pos-line-discount")).to_have_text("5.00")
    expect(page.locator("#pos-promotions")).to_contain_text("Spring 20%: −9.00 USD")

    # Paid in cash: the change is shown; a double click on the button sells once.
    page.get_by_label("Cash", exact=True).check()
    page.get_by_label("Cash received").fill("50")
    expect(page.locator("#pos-change")).to_have_text("14.00")
    page.locator("#pos-complete").dblclick()
    expect(page.locator("#pos-done-text")).to_contain_text(
        re.compile(r"Sale completed: order SO-.*36\.00 USD paid by cash")
    )

    order = Order.objects.get(customer=customer)
    assert (order.total, order.paid_amount, order.payment_status, order.base_subtotal) == (
        D("36.00"),
        D("36.00"),
        "paid",
        D("40.50"),
    )
    assert list(order.payments.values_list("method", flat=True)) == ["cash"]
    # The account's value rises by the order's subtotal in the base currency (45.00 USD at 0.90: 40.50 EUR).
    assert Account.objects.get(pk=customer.account_id).lifetime_value == account_before + D("40.50")
    assert CommerceCustomer.objects.get(pk=customer.pk).lifetime_value == D("40.50")

    # The next sale starts empty, with a new key.
    page.locator("#pos-new-sale").click()
    expect(page.locator("#pos-product-search")).to_be_focused()
    expect(page.locator("#pos-lines tbody tr")).to_have_count(0)
    expect(page.locator("#pos-customer-name")).to_have_text("none chosen")
    assert Order.objects.count() == 1


def test_a_new_customer_is_made_and_edited_with_errors_next_to_the_fields(page, login, shop):
    login("rep1", DEFAULT_PASSWORD)
    page.goto("/pos/")
    page.get_by_role("button", name="New customer").click()
    name = page.get_by_label("Name (required)")
    expect(name).to_be_focused()
    page.get_by_role("button", name="Create customer").click()
    expect(name).to_have_attribute("aria-invalid", "true")
    expect(page.locator("[data-field=name] .invalid-feedback")).to_have_text("Enter a name.")
    expect(name).to_be_focused()

    name.fill("Walk-in Traders")
    phone = page.get_by_label("Phone")
    phone.fill("not a phone")
    page.get_by_role("button", name="Create customer").click()
    expect(phone).to_have_attribute("aria-invalid", "true")
    expect(phone).to_be_focused()
    expect(name).not_to_have_attribute("aria-invalid", "true")
    assert blocking_violations(page) == []  # the form with its errors, as a screen reader meets it

    phone.fill("+1 202 555 0188")
    page.get_by_role("button", name="Create customer").click()
    expect(page.locator("#pos-customer-name")).to_have_text("Walk-in Traders")
    created = CommerceCustomer.objects.get(name="Walk-in Traders")
    assert str(created.phone) == "+12025550188" and created.account.name == "Walk-in Traders"

    page.get_by_role("button", name="Edit").click()
    page.get_by_label("Name (required)").fill("Walk-in Traders Ltd")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#pos-customer-name")).to_have_text("Walk-in Traders Ltd")
    expect(page.locator("[data-customer-selector] dd[data-field=name]")).to_have_text("Walk-in Traders Ltd")
    assert CommerceCustomer.objects.get(pk=created.pk).name == "Walk-in Traders Ltd"

    # Found again by phone from a new search.
    page.get_by_role("button", name="Change customer").click()
    page.get_by_label("Find a customer").type("555 0188", delay=20)
    expect(page.locator("[data-customer-selector] [role=option]")).to_contain_text("Walk-in Traders Ltd")
    assert blocking_violations(page) == []  # the results open


def test_a_new_customers_contact_becomes_its_customer_user_and_finds_it_by_email(page, login, shop):
    login("rep1", DEFAULT_PASSWORD)
    page.goto("/pos/")
    page.get_by_role("button", name="New customer").click()
    page.get_by_label("Name (required)").fill("Walk-in Bakery")
    page.get_by_label("Contact first name").fill("Bea")
    page.get_by_label("Contact last name").fill("Baker")
    email = page.get_by_label("Contact e-mail")
    email.fill("ADA@acme.example")  # Acme Retail's user has it, whatever the case
    page.get_by_role("button", name="Create customer").click()
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(page.locator("[data-field=email] .invalid-feedback")).to_have_text(
        "A customer user with this e-mail exists already."
    )
    assert not CommerceCustomer.objects.filter(name="Walk-in Bakery").exists()

    email.fill("bea@bakery.example")
    page.get_by_role("button", name="Create customer").click()
    expect(page.locator("#pos-customer-name")).to_have_text("Walk-in Bakery")
    user = CustomerUser.objects.get(email="bea@bakery.example")
    assert (user.customer.name, user.first_name, user.last_name) == ("Walk-in Bakery", "Bea", "Baker")

    page.get_by_role("button", name="Change customer").click()
    page.get_by_label("Find a customer").type("bea@bakery", delay=20)
    expect(page.locator("[data-customer-selector] [role=option]")).to_have_count(1)
    expect(page.locator("[data-customer-selector] [role=option]")).to_contain_text("Walk-in Bakery")
