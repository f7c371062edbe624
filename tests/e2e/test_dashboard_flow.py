"""A rep signs in, lands on the dashboard, and opens an overdue task from it."""

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone

from tests.factories import TaskFactory
from tests.factories.core import DEFAULT_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_rep_lands_on_the_dashboard_and_opens_an_overdue_task(page, login, rep):
    zone = zoneinfo.ZoneInfo(rep.time_zone)
    today = timezone.now().astimezone(zone).date()
    overdue = TaskFactory(
        owner=rep,
        subject="Call Baldwin Museum back",
        due_at=dt.datetime.combine(today - dt.timedelta(days=2), dt.time(10), zone),
    )
    TaskFactory(owner=rep, subject="Prepare the demo", due_at=dt.datetime.combine(today, dt.time(23), zone))

    login("rep1", DEFAULT_PASSWORD)
    assert page.locator("h1").inner_text() == "My day"
    assert page.locator("#overdue-count").inner_text() == "1"
    assert "Prepare the demo" in page.locator("#today-tasks").inner_text()

    page.locator("#overdue-tasks").get_by_role("link", name="Call Baldwin Museum back").click()
    page.wait_for_url(f"**/crm/tasks/{overdue.pk}/")
    assert "Call Baldwin Museum back" in page.locator("h1").inner_text()

    # The block's own link opens the full list of the rep's tasks.
    page.go_back()
    page.locator("#dashboard-tasks").get_by_role("link", name="All tasks").click()
    page.wait_for_url("**/crm/tasks/mine/")
    assert "Call Baldwin Museum back" in page.locator("main").inner_text()
