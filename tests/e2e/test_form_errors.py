"""A form sent with mistakes lists them all at once, outlines each field and puts the cursor on the first."""

import pytest

from tests.factories import AccountFactory
from tests.factories.core import DEFAULT_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_opportunity_form_errors_come_in_one_round_with_focus_on_the_first(page, login, rep):
    AccountFactory(owner=rep, name="Baldwin Museum")
    login("rep1", DEFAULT_PASSWORD)
    page.goto("/crm/opportunities/new/")
    page.fill("#id_budget_amount", "-100")
    page.click("#record-form button[type=submit]")

    page.wait_for_selector("#form-errors")
    summary = page.locator("#form-errors").inner_text()
    assert "Name" in summary and "Account" in summary and "An amount cannot be negative." in summary
    assert page.evaluate("document.activeElement.id") == "id_name"
    for field in ("#id_name", "#id_budget_amount"):
        assert "is-invalid" in page.locator(field).get_attribute("class")
    # The account picker is outlined too, and its link in the summary leads to it.
    assert page.locator("[data-field=account] .ts-wrapper.is-invalid").count() == 1


def test_task_form_puts_the_cursor_on_the_field_of_a_cross_field_mistake(page, login, rep):
    login("rep1", DEFAULT_PASSWORD)
    page.goto("/crm/tasks/new/")
    page.fill("#id_subject", "Call back")
    page.fill("#id_start_at", "2026-11-25T10:00")
    page.fill("#id_due_at", "2026-11-24T10:00")
    page.click("main form button[type=submit]")
    page.wait_for_selector("#form-errors")
    assert "The due date cannot be before the start date." in page.locator("#form-errors").inner_text()
    assert page.evaluate("document.activeElement.id") == "id_due_at"
