"""Accessibility of the main pages, checked by axe-core in Chromium: no serious or critical violation, a skip
link that moves to the content, the page's landmarks, and a focus outline a keyboard user can see."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.services import opportunity_save
from commerce.services import customer_create, customer_user_create
from commerce.services.promotions import promotion_save
from tests.factories import AccountFactory, CalendarEventFactory, ContactFactory, OpportunityFactory, TaskFactory
from tests.factories.commerce import make_order
from tests.factories.core import DEFAULT_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

BLOCKING = {"serious", "critical"}


def blocking_violations(page) -> list[str]:
    """axe-core's serious and critical violations of the page as it stands, one line per rule."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} at "
        + ", ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
        for violation in results.response["violations"]
        if violation["impact"] in BLOCKING
    ]


@pytest.fixture
def crm(rep, manager):
    """Records on every page: lists with rows, an account with a won deal (its chart), open deals."""
    account = AccountFactory(owner=rep, name="Accessible Industries")
    contact = ContactFactory(owner=rep, first_name="Ada", last_name="Lovelace")
    contact.accounts.add(account)
    won = opportunity_save(actor=rep, data={"name": "Won deal", "account": account, "budget_amount": Decimal("800")})
    opportunity_save(actor=rep, opportunity=won, data={"status": "won"})
    OpportunityFactory(owner=rep, account=account, name="Open deal", expected_close_date=timezone.localdate())
    TaskFactory(owner=rep, subject="Overdue call", due_at=timezone.now() - dt.timedelta(days=2))
    CalendarEventFactory(owner=rep, title="Demo", start=timezone.now() + dt.timedelta(days=1))
    root = customer_create(actor=rep, name="Accessible Holdings")
    customer = customer_create(actor=rep, name="Accessible Division", parent=root)
    customer_user_create(
        actor=rep, customer=customer, first_name="Ada", last_name="Byron", email="ada@example.com", password="x" * 12
    )
    order = make_order(rep, customer, price="30.00")
    promotion = promotion_save(
        actor=manager,
        data={
            "name": "Accessible VIP",
            "value": "10",
            "condition_match": "any",
            "conditions": [
                {"kind": "customer", "params": {"ids": [customer.pk]}},
                {"kind": "crm_property", "params": {"field": "category", "operator": "equals", "value": "VIP"}},
            ],
        },
    )
    make_order(rep, customer, price="40.00")  # discounted: a row in the promotion's orders
    return {"account": account, "customer": customer, "order": order, "promotion": promotion}


PAGES = [
    ("dashboard", "/", "#dashboard-pipeline"),
    ("contact list", "/crm/contacts/", "table"),
    ("account list", "/crm/accounts/", "table"),
    ("opportunity list", "/crm/opportunities/", "table"),
    ("account page", "/crm/accounts/{account}/", "#lifetime-chart canvas"),
    ("contact form", "/crm/contacts/new/", "main form"),
    ("task form", "/crm/tasks/new/", "main form"),
    ("event form", "/crm/events/new/", "main form"),
    ("forecast", "/crm/forecast/", "#forecast-chart svg.main-svg"),
    ("calendar", "/crm/calendar/", "main"),
    ("calendar week", "/crm/calendar/?view=week", "main"),
    ("calendar day", "/crm/calendar/?view=day", "main"),
    ("pipeline", "/crm/pipeline/", "main"),
    ("search results", "/crm/search/?q=accessible", "[data-search-group]"),
    ("my tasks", "/crm/tasks/mine/", "main"),
    ("task list", "/crm/tasks/", "main"),
    ("outlook synchronization", "/outlook/", "#status-title"),
    ("commerce customer list", "/commerce/customers/", "table"),
    ("commerce customer tree", "/commerce/customers/tree/", "#customer-tree"),
    ("commerce customer page", "/commerce/customers/{customer}/", "#customer-header"),
    ("commerce customer form", "/commerce/customers/new/", "main form"),
    ("commerce customer users", "/commerce/customer-users/", "table"),
    ("commerce products", "/commerce/products/", "table"),
    ("commerce orders", "/commerce/orders/", "table"),
    ("commerce order page", "/commerce/orders/{order}/", "#order-header"),
    ("commerce order form", "/commerce/orders/new/", "main form"),
    ("promotion list", "/sales/promotions/", "table"),
    ("promotion page", "/sales/promotions/{promotion}/", "#promotion-header"),
    ("point of sale", "/pos/", "#pos [data-customer-selector] input"),
]


@pytest.mark.parametrize(("name", "path", "ready"), PAGES, ids=[name for name, _, _ in PAGES])
def test_main_pages_have_no_serious_accessibility_violation(page, login, crm, name, path, ready):
    login("rep1", DEFAULT_PASSWORD)
    response = page.goto(path.format(**{key: row.pk for key, row in crm.items()}))
    assert response is not None and response.ok, path
    page.wait_for_selector(ready)
    page.wait_for_load_state("networkidle")
    assert blocking_violations(page) == [], name


def test_keyboard_user_skips_to_the_content_and_sees_where_focus_is(page, login, crm):
    login("rep1", DEFAULT_PASSWORD)
    page.goto("/crm/contacts/")
    for landmark in ("header", "nav", "main", "footer"):
        assert page.locator(landmark).count() >= 1, landmark

    # The first Tab reaches the skip link, which shows itself and, followed, puts focus on the content.
    page.keyboard.press("Tab")
    skip = page.locator("a.skip-link")
    assert skip.evaluate("element => element === document.activeElement")
    assert skip.is_visible() and skip.bounding_box()["height"] > 10
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "content"

    # Tabbing on from there lands on a link of the page, with an outline to see it by.
    page.keyboard.press("Tab")
    outline = page.evaluate(
        """() => {
            const style = getComputedStyle(document.activeElement);
            return {width: parseFloat(style.outlineWidth), style: style.outlineStyle, shadow: style.boxShadow};
        }"""
    )
    assert (outline["width"] >= 2 and outline["style"] != "none") or outline["shadow"] != "none", outline


def test_calendar_move_dialog_and_list_filter_pickers_have_no_serious_violation(page, login, rep):
    """The keyboard's Move dialog of a repeating event, open, and a list's filters with statuses picked."""
    start = timezone.now().replace(hour=9, minute=0, second=0, microsecond=0)
    series = CalendarEventFactory(
        owner=rep, title="Weekly sync", start=start, end=start + dt.timedelta(hours=1), recurrence_rule="FREQ=DAILY"
    )
    login("rep1", DEFAULT_PASSWORD)
    page.goto("/crm/calendar/?view=week")
    page.locator(f"#calendar-grid [data-event='{series.pk}']").first.focus()
    page.keyboard.press("m")
    page.wait_for_selector("#calendar-move-dialog[open]")
    assert page.is_visible("#calendar-move-scope")
    assert blocking_violations(page) == []

    page.goto("/crm/opportunities/?status=negotiation&status=in_progress")
    page.wait_for_selector("#id_status + .ts-wrapper .item")
    assert blocking_violations(page) == []
