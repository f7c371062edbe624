"""A rep's day in the CRM, in a real browser: account, contact, opportunity, pipeline, LSV and forecast."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from accounts.models import Account, Contact, Opportunity
from tests.factories.core import DEFAULT_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def figure(page, selector: str) -> str:
    return page.inner_text(selector).split()[0]


def test_rep_wins_an_opportunity_and_sees_lsv_and_forecast_change(page, login, pick, rep):
    login("rep1", DEFAULT_PASSWORD)

    # The forecast before the deal exists.
    page.goto("/crm/forecast/")
    total_before = figure(page, "#current-figures [data-figure=total]")
    count_before = int(figure(page, "#current-figures [data-figure=count]"))

    # A new account through the Customers menu (shared by the CRM and commerce).
    page.click("[data-menu-section=customers] > a")
    page.click("[data-menu-section=customers] .dropdown-menu >> text=Accounts")
    page.click("text=New account")
    page.fill("#id_name", "Playwright Industries")
    page.click("#record-form button[type=submit]")
    page.wait_for_selector("#account-header")
    account = Account.objects.get(name="Playwright Industries")
    assert account.owner == rep

    # A contact added from the account page.
    page.click("#account-new-contact")
    page.fill("#id_first_name", "Grace")
    page.fill("#id_last_name", "Hopper")
    page.fill("#id_email-0-email", "grace@old.example")
    page.click("text=Add an e-mail address")
    page.fill("#id_email-1-email", "grace@playwright.example")
    page.check("#id_email-1-primary")
    page.fill("#id_phone-0-number", "+1 202 555 0143")
    page.select_option("#id_phone-0-phone_type", "mobile")
    page.click("#record-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/crm/contacts/\d+/$"))
    contact = Contact.objects.get(last_name="Hopper")
    assert list(contact.accounts.all()) == [account]
    assert contact.email == "grace@playwright.example"
    assert [e.email for e in contact.emails.all()] == ["grace@playwright.example", "grace@old.example"]
    assert [(str(p.number), p.phone_type) for p in contact.phones.all()] == [("+12025550143", "mobile")]

    # An opportunity opened from the account page.
    page.goto(f"/crm/accounts/{account.pk}/")
    assert "Grace Hopper" in page.inner_text("#account-contacts")
    page.click("#account-opportunities >> text=New")
    page.fill("#id_name", "Playwright rollout")
    pick("id_contact", "Hopp", "Grace Hopper")
    page.fill("#id_budget_amount", "5000")
    close = (timezone.localdate() + dt.timedelta(days=20)).isoformat()
    page.fill("#id_expected_close_date", close)
    page.click("#record-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/crm/opportunities/\d+/$"))
    opportunity = Opportunity.objects.get(name="Playwright rollout")
    assert opportunity.probability == 10

    page.goto("/crm/forecast/")
    assert int(figure(page, "#current-figures [data-figure=count]")) == count_before + 1
    assert figure(page, "#current-figures [data-figure=total]") != total_before

    # Drag the card to "won" on the pipeline board.
    page.goto("/crm/pipeline/")
    card = page.locator(f"[data-opportunity-id='{opportunity.pk}']")
    won = page.locator("[data-status=won]")
    card.drag_to(won)
    page.wait_for_selector(f"[data-status=won] [data-opportunity-id='{opportunity.pk}']")
    page.wait_for_function(
        f"() => !document.querySelector(\"[data-opportunity-id='{opportunity.pk}']\").classList.contains('opacity-50')"
    )
    for _ in range(50):
        opportunity.refresh_from_db()
        if opportunity.status == "won":
            break
        page.wait_for_timeout(100)
    assert opportunity.status == "won" and opportunity.probability == 100

    # The account's lifetime sales value and the forecast follow.
    page.goto(f"/crm/accounts/{account.pk}/")
    assert page.inner_text("#account-lifetime-value").startswith("5,000.00")
    page.goto("/crm/forecast/")
    assert int(figure(page, "#current-figures [data-figure=count]")) == count_before
    assert figure(page, "#current-figures [data-figure=total]") == total_before
