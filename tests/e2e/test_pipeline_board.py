"""The pipeline board in a real browser: a column's next cards load on scroll and on demand, and a card
moves through the board's one move form, its column totals following."""

import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import Opportunity
from accounts.selectors.pipeline import BOARD_PAGE
from tests.factories import AccountFactory
from tests.factories.core import DEFAULT_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DEALS = BOARD_PAGE * 2 + 5


@pytest.fixture
def errors(page):
    messages: list[str] = []
    page.on("pageerror", lambda error: messages.append(f"pageerror: {error}"))
    # Failed requests are reported with their address below; the console's own line about them (the
    # browser's favicon request included) is not.
    page.on(
        "console",
        lambda message: (
            message.type == "error"
            and not message.text.startswith("Failed to load resource")
            and messages.append(message.text)
        ),
    )
    page.on(
        "response", lambda response: response.status >= 400 and messages.append(f"{response.status} {response.url}")
    )
    return messages


@pytest.fixture
def many_deals(rep):
    account = AccountFactory(owner=rep, name="Scroll Co")
    today = timezone.localdate()
    return Opportunity.objects.bulk_create(
        Opportunity(
            organization=rep.organization,
            owner=rep,
            account=account,
            name=f"Deal {i:03d}",
            probability=10,
            budget_amount=100,
            budget_currency="USD",
            budget_amount_base=100,
            expected_close_date=today + dt.timedelta(days=i),
        )
        for i in range(DEALS)
    )


def column(page, status: str):
    return page.locator(f".pipeline-column[data-status={status}]")


def test_next_cards_load_on_scroll_and_on_demand_without_duplicates(page, login, many_deals, errors):
    login("rep1", DEFAULT_PASSWORD)
    page.goto("/crm/pipeline/")
    in_progress = column(page, "in_progress")
    cards = in_progress.locator(".pipeline-card")
    assert cards.count() == BOARD_PAGE
    assert in_progress.locator("[data-role=count]").inner_text() == str(DEALS)
    assert in_progress.locator("[data-role=total]").inner_text() == f"{DEALS * 100:,.2f}"

    # Scrolling to the end of the column (and of the page) brings the next page.
    in_progress.locator(".pipeline-cards").evaluate("(list) => { list.scrollTop = list.scrollHeight; }")
    page.evaluate("() => window.scrollTo(0, document.body.scrollHeight)")
    page.wait_for_function(
        f"() => document.querySelectorAll('.pipeline-column[data-status=in_progress] .pipeline-card').length"
        f" >= {2 * BOARD_PAGE}"
    )
    # The last page on demand: the button itself.
    more = in_progress.locator(".pipeline-more")
    if more.count():
        more.first.click()
    page.wait_for_function(
        f"() => document.querySelectorAll('.pipeline-column[data-status=in_progress] .pipeline-card').length"
        f" === {DEALS}"
    )
    assert in_progress.locator(".pipeline-more").count() == 0
    names = cards.evaluate_all("(cards) => cards.map((card) => card.getAttribute('aria-label'))")
    assert names == [f"Deal {i:03d}" for i in range(DEALS)]
    assert in_progress.locator("[data-role=count]").inner_text() == str(DEALS)  # figures cover every deal
    assert errors == []


def test_a_card_moves_with_the_boards_move_form_and_totals_follow(page, login, many_deals, errors):
    login("rep1", DEFAULT_PASSWORD)
    page.goto("/crm/pipeline/")
    deal = many_deals[0]
    card = page.locator(f"[data-opportunity-id='{deal.pk}']")
    card.locator(".pipeline-move-link").click()
    form = card.locator("#pipeline-move-form")
    form.locator("select[name=status]").select_option("negotiation")
    form.locator("button[type=submit]").click()
    page.wait_for_selector(f".pipeline-column[data-status=negotiation] [data-opportunity-id='{deal.pk}']")
    page.wait_for_selector("#pipeline-alert .alert-success")
    negotiation = column(page, "negotiation")
    assert negotiation.locator("[data-role=count]").inner_text() == "1"
    # 80 % of 100.00 once the server has set the stage's probability.
    page.wait_for_function(
        "() => document.querySelector('.pipeline-column[data-status=negotiation] [data-role=weighted]')"
        ".textContent === '80.00'"
    )
    assert column(page, "in_progress").locator("[data-role=count]").inner_text() == str(DEALS - 1)
    assert column(page, "in_progress").locator("[data-role=total]").inner_text() == f"{(DEALS - 1) * 100:,.2f}"
    deal.refresh_from_db()
    assert deal.status == "negotiation"
    assert errors == []


def test_without_scripts_the_move_link_is_a_plain_form(browser, live_server, many_deals):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto("/login/")
        page.fill("#id_username", "rep1")
        page.fill("#id_password", DEFAULT_PASSWORD)
        page.click("button[type=submit]")
        page.goto("/crm/pipeline/?order=amount")
        deal = many_deals[1]
        page.locator(f"[data-opportunity-id='{deal.pk}'] .pipeline-move-link").click()
        page.select_option("#move-status", "won")
        page.click("form[action$='/move/'] button[type=submit]")
        page.wait_for_url("**/crm/pipeline/?order=amount")
        assert "moved to Closed won" in page.content()
        deal.refresh_from_db()
        assert deal.status == "won"
    finally:
        context.close()
