"""The storefront and the CRM in a real browser: a person signs up with a company, the account appears in
the CRM, an admin switches the account-creation strategy to one account per hierarchy and watches the job
finish on the Configuration page, and the root customer's account page shows the hierarchy with its lifetime
sales value. Then a
shopping list becomes a request for quote, a quote, and an order."""

import re
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import Account
from backoffice.jobs import job_run
from backoffice.models import Job
from commerce.models import CommerceCustomer, Order, Quote
from commerce.services import quotes as quote_services
from commerce.services.storefront import request_for_quote_create, shopping_list_add_product, shopping_list_create
from commerce.services.strategy import RELATION_JOB
from tests.factories.commerce import ProductFactory, make_customer, make_order
from tests.factories.core import DEFAULT_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-Long-enough-passphrase-42"


@pytest.fixture
def store(settings, organization, org_admin):
    settings.STOREFRONT_ORGANIZATION = organization.name
    return organization


def sign_up(page, *, email: str, company: str) -> None:
    page.goto("/store/sign-up/")
    page.get_by_label("First name").fill("Ada")
    page.get_by_label("Last name").fill("Lovelace")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Company name").fill(company)
    page.get_by_role("button", name="Create my account").click()
    page.wait_for_url("**/store/lists/")


def run_job_as_a_worker(job_id: int) -> threading.Thread:
    """What a Celery worker does with the queued job (in a thread of this process, on the test database)."""

    def work():
        try:
            job_run(job_id=job_id)
        finally:
            connection.close()

    thread = threading.Thread(target=work)
    thread.start()
    return thread


def test_sign_up_shows_in_crm_then_root_strategy_shows_the_hierarchy_and_lsv(page, login, store, org_admin):
    # A hierarchy with paid orders, seeded as the back office makes them (one account per customer for now).
    root = make_customer(org_admin, name="Root Holdings")
    branch = make_customer(org_admin, name="Root Branch", parent=root)
    depot = make_customer(org_admin, name="Root Depot", parent=branch)
    make_order(org_admin, root, price="100.00", paid=True)
    make_order(org_admin, depot, price="40.50", paid=True)
    make_order(org_admin, branch, price="999.00")  # pending: counts nothing
    assert len({root.account_id, branch.account_id, depot.account_id}) == 3

    # A person signs up in the storefront with a company name.
    sign_up(page, email="ada@engines.example", company="Analytical Engines")
    assert "Analytical Engines" in page.inner_text("[data-role=signed-in-as]")
    page.get_by_role("button", name="Sign out").click()

    # The admin finds the account of that name in the CRM.
    login(org_admin.username, DEFAULT_PASSWORD)
    page.goto("/crm/accounts/")
    page.fill("#id_q", "Analytical")
    page.click("#list-filters button[type=submit]")
    rows = page.locator("#record-list tbody tr")
    assert rows.count() == 1 and "Analytical Engines" in rows.first.inner_text()

    # The admin switches the strategy to one account per hierarchy on the Configuration page, which says
    # beforehand what saving it does: the two children of the hierarchy move, no account is needed.
    page.goto("/configuration/")
    section = page.locator("section", has=page.locator("h2", has_text="CRM and Commerce"))
    total = CommerceCustomer.objects.filter(organization=store).count()
    root_preview = section.locator("[data-role=strategy-preview] tr[data-strategy=root]")
    assert root_preview.locator("[data-role=customers-moving]").inner_text() == f"2 of {total}"
    assert root_preview.locator("[data-role=accounts-created]").inner_text() == "0"
    section.get_by_label("Account creation").select_option("root")
    use_default = section.get_by_label("Use default")
    if use_default.is_checked():
        use_default.uncheck()
    section.get_by_role("button", name=re.compile("Save")).click()
    page.wait_for_selector("text=CRM and Commerce settings saved.")
    job = Job.objects.get(organization=store, kind=RELATION_JOB)

    # Back on the Configuration page, under the setting, the job's progress follows it live while a worker
    # runs it (nobody reloads the page), then its result; a link leads to the job's own page.
    section = page.locator("section", has=page.locator("h2", has_text="CRM and Commerce"))
    progress = section.locator(f"#job-{job.pk}")
    assert progress.get_attribute("data-job-state") == "queued"
    worker = run_job_as_a_worker(job.pk)
    page.wait_for_selector(f"#job-{job.pk}[data-job-state=succeeded]", timeout=30_000)
    worker.join(timeout=30)
    assert page.url.endswith("/configuration/")
    assert progress.locator("[data-role=count]").inner_text() == f"{total} of {total}"
    assert progress.get_attribute("data-job-state") == "succeeded"
    result = progress.locator("[data-role=result]").inner_text()
    assert re.search(r"Moved\s+2", result) and re.search(r"Accounts created\s+0", result)
    assert section.locator("[data-role=job-link]").get_attribute("href") == f"/jobs/{job.pk}/"

    # The root customer's account page shows the whole hierarchy, a tab per customer, and the channel's LSV.
    page.goto(f"/crm/accounts/{root.account_id}/")
    commerce = page.locator("#account-section-commerce")
    assert commerce.locator("[data-role=commerce-lsv]").inner_text() == "140.50 USD"
    tabs = commerce.get_by_role("tab")
    names = tabs.all_inner_texts()
    assert [name.split(" in ")[0].strip() for name in names] == ["Root Holdings", "Root Branch", "Root Depot"]
    assert "in Root Holdings" in names[1] and "in Root Branch" in names[2]
    assert Account.objects.get(pk=root.account_id).lifetime_value == Decimal("140.50")
    # The depot's tab shows its order and leads to its customer page; the page has no serious a11y issue.
    # Tabs work from the keyboard too: the arrow keys move between customers.
    tabs.nth(0).focus()
    page.keyboard.press("ArrowDown")
    assert tabs.nth(1).get_attribute("aria-selected") == "true"
    assert commerce.locator(f"#commerce-customer-{branch.pk}").is_visible()
    tabs.nth(2).click()
    depot_panel = commerce.locator(f"#commerce-customer-{depot.pk}")
    depot_panel.wait_for(state="visible")
    assert tabs.nth(2).get_attribute("aria-selected") == "true"
    assert "40.50 USD" in depot_panel.locator("[data-list=orders]").inner_text()
    assert (
        depot_panel.get_by_role("link", name="Open the customer page of Root Depot").get_attribute("href")
        == f"/commerce/customers/{depot.pk}/"
    )
    from tests.e2e.test_accessibility import blocking_violations

    page.wait_for_load_state("networkidle")
    assert blocking_violations(page) == []


def test_shopping_list_to_quote_to_order(page, browser, login, store, rep):
    ProductFactory(organization=store, sku="BOLT-8", name="Hex bolt M8", unit_price=Decimal("0.50"))
    ProductFactory(organization=store, sku="GEAR-2", name="Spur gear", unit_price=Decimal("12.00"))
    sign_up(page, email="ada@engines.example", company="Analytical Engines")

    # A shopping list with two products, one found by SKU and one by name, one quantity changed.
    page.get_by_label("Name of the new list").fill("Difference engine")
    page.get_by_role("button", name="Create list").click()
    page.wait_for_url(re.compile(r".*/store/lists/\d+/$"))
    page.get_by_label("Product (SKU or name)").fill("bolt-8")
    page.get_by_label("Quantity", exact=True).fill("200")
    page.get_by_role("button", name="Add to list").click()
    page.wait_for_selector("text=Added 200 x Hex bolt M8.")
    page.get_by_label("Product (SKU or name)").fill("spur")
    page.get_by_label("Quantity", exact=True).fill("3")
    page.get_by_role("button", name="Add to list").click()
    page.wait_for_selector("text=Added 3 x Spur gear.")
    page.get_by_label("Quantity of Spur gear").fill("4")
    page.locator("tr[data-sku=GEAR-2]").get_by_role("button", name="Update").click()
    page.wait_for_selector("text=Spur gear: quantity changed to 4.")

    # "Request a quote".
    page.get_by_label("Note for our sales team").fill("Delivery to London, please.")
    page.get_by_role("button", name="Request a quote").click()
    page.wait_for_url("**/store/quotes/")
    assert "Waiting for a quote" in page.inner_text("[data-role=requests]")

    # A sales rep answers with prices and a validity date, in the back office.
    rep_context = browser.new_context(base_url=page.url.split("/store/")[0])
    rep_page = rep_context.new_page()
    rep_page.goto("/login/")
    rep_page.fill("#id_username", rep.username)
    rep_page.fill("#id_password", DEFAULT_PASSWORD)
    rep_page.click("button[type=submit]")
    rep_page.wait_for_url("**/")
    rep_page.goto("/sales/rfqs/")
    rep_page.fill("#id_q", "Analytical")
    rep_page.click("#list-filters button[type=submit]")
    rep_page.locator("#record-list tbody tr a").first.click()
    assert "Delivery to London" in rep_page.inner_text("main")
    rep_page.get_by_role("link", name="Make a quote").click()
    rep_page.get_by_label("Unit price of BOLT-8 Hex bolt M8").fill("0.45")
    rep_page.get_by_label("Unit price of GEAR-2 Spur gear").fill("11.00")
    rep_page.get_by_role("button", name="Make the quote").click()
    rep_page.wait_for_url(re.compile(r".*/sales/quotes/\d+/$"))
    quote = Quote.objects.get()
    assert quote.subtotal == Decimal("134.00")
    rep_context.close()

    # The customer user accepts it in the storefront: an order at the quoted prices.
    page.goto("/store/quotes/")
    page.get_by_role("link", name=quote.number).click()
    assert page.inner_text("[data-role=quote-subtotal]") == "134.00 USD"
    page.get_by_role("button", name="Accept this quote and order").click()
    page.wait_for_url(re.compile(r".*/store/orders/\d+/$"))
    order = Order.objects.get()
    assert page.inner_text("[data-role=order-total]") == "134.00 USD"
    assert f"order {order.number} is placed" in page.inner_text("main")
    assert order.customer.name == "Analytical Engines" and order.customer_user.email == "ada@engines.example"


def test_storefront_and_sales_pages_have_no_serious_accessibility_violation(page, login, store, rep):
    from tests.e2e.test_accessibility import blocking_violations

    product = ProductFactory(organization=store, sku="AX-1", name="Axle", unit_price=Decimal("5.00"))
    page.goto("/store/sign-up/")
    page.get_by_role("button", name="Create my account").click()  # every field wrong: the error summary
    page.wait_for_selector("#form-errors")
    assert page.evaluate("document.activeElement.id") == "id_first_name"
    checked = {"sign-up with errors": blocking_violations(page)}
    sign_up(page, email="ax@example.com", company="Accessible Buyers")
    user = CommerceCustomer.objects.get(name="Accessible Buyers").users.get()
    shopping_list = shopping_list_create(customer_user=user, name="Axles")
    shopping_list_add_product(customer_user=user, shopping_list=shopping_list, product=product, quantity=2)
    rfq = request_for_quote_create(customer_user=user, shopping_list=shopping_list)
    quote = quote_services.quote_create(
        actor=rep, request=rfq, valid_until=timezone.localdate(), lines=[quote_services.QuoteLineInput(product, 2)]
    )
    order = quote_services.quote_accept(
        actor=rep,
        quote=quote_services.quote_create(
            actor=rep, request=rfq, valid_until=timezone.localdate(), lines=[quote_services.QuoteLineInput(product, 1)]
        ),
    )
    for name, path in [
        ("store home", "/store/"),
        ("shopping lists", "/store/lists/"),
        ("shopping list", f"/store/lists/{shopping_list.pk}/"),
        ("quotes", "/store/quotes/"),
        ("quote", f"/store/quotes/{quote.pk}/"),
        ("orders", "/store/orders/"),
        ("order", f"/store/orders/{order.pk}/"),
    ]:
        assert page.goto(path).ok, path
        checked[name] = blocking_violations(page)
    page.get_by_role("button", name="Sign out").click()
    page.goto("/store/sign-in/")
    checked["sign-in"] = blocking_violations(page)

    login(rep.username, DEFAULT_PASSWORD)
    for name, path in [
        ("sales quotes", "/sales/quotes/"),
        ("sales quote", f"/sales/quotes/{quote.pk}/"),
        ("sales rfqs", "/sales/rfqs/"),
        ("sales rfq", f"/sales/rfqs/{rfq.pk}/"),
        ("sales quote form", f"/sales/rfqs/{rfq.pk}/quote/"),
        ("sales shopping lists", "/sales/shopping-lists/"),
        ("sales shopping list", f"/sales/shopping-lists/{shopping_list.pk}/"),
    ]:
        assert page.goto(path).ok, path
        page.wait_for_load_state("networkidle")
        checked[name] = blocking_violations(page)
    assert {name: found for name, found in checked.items() if found} == {}
