"""The calendar's week view in a real browser: drag an event to another hour (and day), and drag its lower
edge to make it longer; the change is stored through the event service and shown after it."""

import datetime as dt
import zoneinfo

import pytest

from accounts.models import CalendarEvent
from tests.factories import CalendarEventFactory, TaskFactory
from tests.factories.core import DEFAULT_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def at_hour(page, date: str, hour: float) -> dict:
    """A point of a day's column at that hour (the column is 24 hours tall)."""
    box = page.locator(f".calendar-day-body[data-date='{date}']").bounding_box()
    return {"x": box["width"] / 2, "y": box["height"] * hour / 24}


def test_rep_drags_an_event_to_another_hour_in_the_week_view(page, login, rep):
    assert rep.time_zone == "Europe/Berlin"
    event = CalendarEventFactory(
        owner=rep,
        title="Design review",
        start=dt.datetime(2025, 3, 12, 9, tzinfo=BERLIN),
        end=dt.datetime(2025, 3, 12, 10, tzinfo=BERLIN),
        time_zone="Europe/Berlin",
    )
    TaskFactory(owner=rep, subject="Send the minutes", due_at=dt.datetime(2025, 3, 12, 16, tzinfo=BERLIN))
    login("rep1", DEFAULT_PASSWORD)
    page.set_viewport_size({"width": 1280, "height": 2000})
    page.goto("/crm/calendar/?view=week&date=2025-03-12")
    assert "Send the minutes" in page.inner_text(".calendar-day-body[data-date='2025-03-12']")
    entry = page.locator(f"#calendar-grid [data-event='{event.pk}']")
    assert "09:00–10:00" in entry.inner_text()

    # Taken by its middle (9:30) and let go at 14:30 on Thursday: it starts at 14:00 there, still an hour long.
    entry.drag_to(
        page.locator(".calendar-day-body[data-date='2025-03-13']"),
        target_position=at_hour(page, "2025-03-13", 14.5),
    )
    page.wait_for_selector("text=“Design review” moved to Thu 13 Mar 14:00–15:00.")
    event.refresh_from_db()
    assert event.start == dt.datetime(2025, 3, 13, 14, tzinfo=BERLIN)
    assert event.end == dt.datetime(2025, 3, 13, 15, tzinfo=BERLIN)
    moved = page.locator(f".calendar-day-body[data-date='2025-03-13'] [data-event='{event.pk}']")
    assert "14:00–15:00" in moved.inner_text()

    # Its lower edge dragged to 16:00 makes it end then.
    moved.locator("[data-resize]").drag_to(
        page.locator(".calendar-day-body[data-date='2025-03-13']"),
        target_position=at_hour(page, "2025-03-13", 16),
    )
    page.wait_for_selector(f".calendar-day-body[data-date='2025-03-13'] [data-event='{event.pk}'] >> text=14:00–16:00")
    assert CalendarEvent.objects.get(pk=event.pk).end == dt.datetime(2025, 3, 13, 16, tzinfo=BERLIN)


def test_calendar_on_a_phone_is_a_list_of_days(page, login, rep):
    CalendarEventFactory(
        owner=rep,
        title="Phone call with Umbrella",
        start=dt.datetime(2025, 3, 12, 9, tzinfo=BERLIN),
        end=dt.datetime(2025, 3, 12, 10, tzinfo=BERLIN),
    )
    login("rep1", DEFAULT_PASSWORD)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/crm/calendar/?view=week&date=2025-03-12")
    assert not page.is_visible("#calendar-grid")
    assert page.is_visible("#calendar-agenda >> text=Phone call with Umbrella")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
