"""A manager switches the dashboard between the whole team and one rep with the people picker: typing part
of a name finds the rep among many, choosing them shows their day, and the page stays accessible."""

import datetime as dt

import pytest
from django.utils import timezone

from backoffice.choices import Role
from tests.e2e.test_accessibility import blocking_violations
from tests.factories import TaskFactory
from tests.factories.core import DEFAULT_PASSWORD, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_manager_finds_a_rep_by_typing_and_sees_their_day(page, login, manager, organization):
    for number in range(30):
        UserFactory(organization=organization, role=Role.REP, first_name="Sam", last_name=f"Seller {number:02}")
    ursula = UserFactory(organization=organization, role=Role.REP, first_name="Ursula", last_name="Quillfeather")
    UserFactory(organization=organization, role=Role.ADMIN, first_name="Quentin", last_name="Quillfeather")
    TaskFactory(owner=ursula, subject="Ursula's overdue call", due_at=timezone.now() - dt.timedelta(days=2))

    login("manager1", DEFAULT_PASSWORD)
    assert page.locator("h1").inner_text() == "My team"
    # The page carries only the choice in force, not the whole team.
    assert page.locator("#dashboard-owner option").count() == 1
    assert page.locator("#dashboard-owner + .ts-wrapper .ts-control").inner_text().strip() == "Whole team"
    assert blocking_violations(page) == []

    page.locator("#dashboard-owner + .ts-wrapper .ts-control").click()
    page.keyboard.type("quill", delay=30)
    options = page.locator("#dashboard-owner-ts-dropdown .option")
    options.filter(has_text="Ursula Quillfeather").first.wait_for()
    # Only the team (reps and managers) is offered: an admin of the same name is not.
    assert "Quentin" not in page.locator("#dashboard-owner-ts-dropdown").inner_text()
    assert blocking_violations(page) == []
    with page.expect_navigation():
        options.filter(has_text="Ursula Quillfeather").first.click()
    assert f"owner={ursula.pk}" in page.url
    assert page.locator("h1").inner_text() == "Ursula Quillfeather's day"
    assert "Ursula's overdue call" in page.locator("#overdue-tasks").inner_text()
    assert "Ursula Quillfeather" in page.locator("#dashboard-owner + .ts-wrapper .ts-control").inner_text()
    assert blocking_violations(page) == []

    # Back to the whole team through the same picker.
    page.locator("#dashboard-owner + .ts-wrapper .ts-control").click()
    page.keyboard.type("whole", delay=30)
    with page.expect_navigation():
        page.locator("#dashboard-owner-ts-dropdown .option", has_text="Whole team").first.click()
    assert page.locator("h1").inner_text() == "My team"
