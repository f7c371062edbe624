"""Every page works under the Content-Security-Policy: no refused script, style or handler in the console."""

import re
from decimal import Decimal

import pytest

from accounts.services import opportunity_save
from backoffice.choices import Role
from tests.factories import AccountFactory, OpportunityFactory
from tests.factories.core import DEFAULT_PASSWORD, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

VIOLATION = re.compile(r"Content Security Policy|Refused to", re.IGNORECASE)


@pytest.fixture
def console(page):
    messages: list[str] = []
    page.on("console", lambda message: messages.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: messages.append(f"pageerror: {error}"))
    # Chromium logs refusals itself; the page's own violation event is reported too, to be sure.
    page.add_init_script(
        """document.addEventListener("securitypolicyviolation", (event) => console.error(
            `Content Security Policy violation: ${event.violatedDirective} ${event.blockedURI}`));"""
    )
    return messages


def violations(messages: list[str]) -> list[str]:
    return [message for message in messages if VIOLATION.search(message) or message.startswith("pageerror")]


def visit(page, path: str) -> None:
    response = page.goto(path)
    assert response is not None and response.ok, path
    assert "script-src 'self'" in response.headers["content-security-policy"], path
    page.wait_for_load_state("networkidle")


def test_rep_pages_run_under_the_policy(page, login, rep, manager, console):
    account = AccountFactory(owner=rep, name="Policy Industries")
    won = opportunity_save(actor=rep, data={"name": "Strict deal", "account": account, "budget_amount": Decimal("800")})
    opportunity_save(actor=rep, opportunity=won, data={"status": "won"})
    OpportunityFactory(owner=rep, account=account, name="Open deal")

    login("rep1", DEFAULT_PASSWORD)
    assert page.locator("#user-menu").is_visible()

    for path in ("/crm/accounts/", "/crm/contacts/", "/crm/pipeline/", "/crm/accounts/new/", "/crm/events/new/"):
        visit(page, path)

    # The account page: the lifetime value chart is drawn by the static script, and htmx loads the history.
    visit(page, f"/crm/accounts/{account.pk}/")
    page.wait_for_selector("#lifetime-chart canvas")
    page.wait_for_selector("#record-history:not(:has-text('Loading history'))")

    # The forecast chart.
    visit(page, "/crm/forecast/")
    page.wait_for_selector("#forecast-chart svg.main-svg")
    assert page.locator("#forecast-chart .bars path").count() > 0

    # The calendar: choosing another person in the select submits the form (formerly an inline onchange).
    visit(page, "/crm/calendar/")
    page.locator("#calendar-owner + .ts-wrapper .ts-control").click()
    page.keyboard.type(manager.first_name[:4], delay=30)
    with page.expect_navigation():
        page.locator("#calendar-owner-ts-dropdown .option", has_text=manager.display_name).first.click()
    assert f"owner={manager.pk}" in page.url
    assert "Calendar of" in page.inner_text("h1")

    # The API documentation (Swagger UI) renders its operations.
    visit(page, "/api/docs/")
    page.wait_for_selector(".swagger-ui .opblock", timeout=30_000)

    assert violations(console) == [], console


def test_my_user_buttons_confirm_and_copy_under_the_policy(page, login, rep, console):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    login("rep1", DEFAULT_PASSWORD)
    visit(page, "/me/")
    page.click("button:has-text('Generate API key')")
    key = page.input_value("#new-api-key")

    # Copy puts the new key on the clipboard.
    page.click("button:has-text('Copy')")
    page.wait_for_function("async (key) => (await navigator.clipboard.readText()) === key", arg=key)

    # Regenerate asks first: dismissing keeps the key, accepting replaces it.
    asked: list[str] = []

    def dismiss(dialog):
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.click("button:has-text('Regenerate key')")
    page.wait_for_timeout(300)
    assert asked and asked[0].startswith("Regenerate?")
    assert page.input_value("#new-api-key") == key

    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.click("button:has-text('Regenerate key')")
    assert page.input_value("#new-api-key") != key

    # Revoke asks too.
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button:has-text('Revoke key')")
    page.wait_for_selector("text=You have no active API key")

    assert violations(console) == [], console


def test_admin_pages_run_under_the_policy(page, organization, console):
    UserFactory(username="root", organization=organization, role=Role.ADMIN, is_superuser=True)
    page.goto("/admin/login/")
    page.fill("#id_username", "root")
    page.fill("#id_password", DEFAULT_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")
    for path in ("/admin/", "/admin/accounts/account/", "/admin/accounts/account/add/"):
        visit(page, path)
    assert violations(console) == [], console
