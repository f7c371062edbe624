"""A rep creates a weekly event with the repetition editor and reads how it repeats in words."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import CalendarEvent
from tests.factories.core import DEFAULT_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_rep_creates_a_weekly_event_and_sees_its_repetition_in_words(page, login, rep):
    login("rep1", DEFAULT_PASSWORD)
    page.goto("/crm/events/new/")
    # Only "Repeats" shows until a repetition is chosen.
    assert page.locator("#id_interval").is_hidden()
    page.fill("#id_title", "Pipeline review")
    page.fill("#id_start", "2026-11-16T09:00")
    page.select_option("#id_repeat", "WEEKLY")
    page.get_by_label("Mon").check()
    page.get_by_label("Thu").check()
    assert page.locator("#id_repeat_until").is_hidden()
    page.get_by_label("On a date").check()
    page.fill("#id_repeat_until", "2027-02-01")
    page.keyboard.press("Tab")
    # The editor says in words what it will save, before it is saved.
    expect(page.locator("#repetition-words")).to_have_text("Every week on Monday and Thursday, until 1 February 2027")
    page.click("main form button[type=submit]")

    page.wait_for_url(re.compile(r".*/crm/events/\d+/$"))
    words = page.locator("#event-repeats").inner_text()
    assert words == "Every week on Monday and Thursday, until 1 February 2027"
    assert "FREQ" not in page.locator("main").inner_text()
    assert CalendarEvent.objects.get().recurrence_rule.startswith("FREQ=WEEKLY;BYDAY=MO,TH;UNTIL=")
