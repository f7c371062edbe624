"""The calendar's week view in a real browser: dragging an occurrence of a repeating event asks whether only
it or every occurrence moves, and does what was answered; an event moves with the keyboard too (M, then the
Move dialog), with focus back on it afterwards."""

import datetime as dt
import zoneinfo

import pytest

from accounts.models import CalendarEvent
from tests.factories import CalendarEventFactory
from tests.factories.core import DEFAULT_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def at_hour(page, date: str, hour: float) -> dict:
    """A point of a day's column at that hour (the column is 24 hours tall)."""
    box = page.locator(f".calendar-day-body[data-date='{date}']").bounding_box()
    return {"x": box["width"] / 2, "y": box["height"] * hour / 24}


def day_text(page, date: str) -> str:
    return page.inner_text(f".calendar-day-body[data-date='{date}']")


def focused_event(page) -> str | None:
    return page.evaluate("document.activeElement && document.activeElement.dataset.event || null")


@pytest.fixture
def weekly(rep):
    """Mondays 9:00-10:00 (Berlin) from 3 March 2025, eight times."""
    return CalendarEventFactory(
        owner=rep,
        title="Weekly sync",
        start=dt.datetime(2025, 3, 3, 9, tzinfo=BERLIN),
        end=dt.datetime(2025, 3, 3, 10, tzinfo=BERLIN),
        time_zone="Europe/Berlin",
        recurrence_rule="FREQ=WEEKLY;BYDAY=MO;COUNT=8",
    )


def test_dragging_an_occurrence_asks_and_moves_only_it_or_every_one(page, login, rep, weekly):
    login("rep1", DEFAULT_PASSWORD)
    page.set_viewport_size({"width": 1280, "height": 2000})
    page.goto("/crm/calendar/?view=week&date=2025-03-12")
    entry = page.locator(f".calendar-day-body[data-date='2025-03-10'] [data-event='{weekly.pk}']")
    assert "09:00–10:00" in entry.inner_text()

    # Dropped on Tuesday at 14:30 (taken by its middle): the dialog asks, with the new times filled in.
    entry.drag_to(
        page.locator(".calendar-day-body[data-date='2025-03-11']"), target_position=at_hour(page, "2025-03-11", 14.5)
    )
    dialog = page.locator("#calendar-move-dialog")
    dialog.wait_for(state="visible")
    assert "Move “Weekly sync”" in dialog.inner_text() and "This event repeats" in dialog.inner_text()
    assert page.input_value("#calendar-move-start") == "2025-03-11T14:00"
    assert page.input_value("#calendar-move-end") == "2025-03-11T15:00"
    assert page.is_checked("#calendar-move-occurrence")
    # Cancelling changes nothing and gives focus back to the event.
    page.click("#calendar-move-cancel")
    assert not dialog.is_visible() and focused_event(page) == str(weekly.pk)
    assert CalendarEvent.objects.count() == 1

    entry.drag_to(
        page.locator(".calendar-day-body[data-date='2025-03-11']"), target_position=at_hour(page, "2025-03-11", 14.5)
    )
    dialog.wait_for(state="visible")
    page.click("#calendar-move-submit")  # only this occurrence, the choice offered first
    page.wait_for_selector("text=“Weekly sync” moved to Tue 11 Mar 14:00–15:00.")
    moved = CalendarEvent.objects.get(series=weekly)
    assert moved.start == dt.datetime(2025, 3, 11, 14, tzinfo=BERLIN)
    assert moved.original_start == dt.datetime(2025, 3, 10, 9, tzinfo=BERLIN)
    assert "Weekly sync" not in day_text(page, "2025-03-10")
    assert "14:00–15:00 Weekly sync" in day_text(page, "2025-03-11")
    assert focused_event(page) == str(moved.pk)
    # The other Mondays are where they were.
    page.goto("/crm/calendar/?view=week&date=2025-03-17")
    assert "09:00–10:00 Weekly sync" in day_text(page, "2025-03-17")

    # Next week's Monday dragged to Wednesday 11:00, every occurrence: the series is on Wednesdays now.
    page.locator(f".calendar-day-body[data-date='2025-03-17'] [data-event='{weekly.pk}']").drag_to(
        page.locator(".calendar-day-body[data-date='2025-03-19']"), target_position=at_hour(page, "2025-03-19", 11.5)
    )
    dialog.wait_for(state="visible")
    page.check("#calendar-move-series")
    page.click("#calendar-move-submit")
    page.wait_for_selector("text=Every occurrence of “Weekly sync” moved: this one to Wed 19 Mar 11:00–12:00.")
    weekly.refresh_from_db()
    assert weekly.recurrence_rule == "FREQ=WEEKLY;BYDAY=WE;COUNT=8"
    assert "11:00–12:00 Weekly sync" in day_text(page, "2025-03-19")
    assert "Weekly sync" not in day_text(page, "2025-03-17")
    assert focused_event(page) == str(weekly.pk)
    # The occurrence moved on its own stays where it was put, in place of its (moved) slot.
    page.goto("/crm/calendar/?view=week&date=2025-03-12")
    assert "14:00–15:00 Weekly sync" in day_text(page, "2025-03-11")
    assert "Weekly sync" not in day_text(page, "2025-03-12")


def test_an_event_moves_with_the_keyboard_and_keeps_focus(page, login, rep, weekly):
    single = CalendarEventFactory(
        owner=rep,
        title="Design review",
        start=dt.datetime(2025, 3, 12, 9, tzinfo=BERLIN),
        end=dt.datetime(2025, 3, 12, 10, tzinfo=BERLIN),
        time_zone="Europe/Berlin",
    )
    login("rep1", DEFAULT_PASSWORD)
    page.goto("/crm/calendar/?view=week&date=2025-03-12")
    entry = page.locator(f"#calendar-grid [data-event='{single.pk}']")
    assert entry.get_attribute("aria-keyshortcuts") == "M"
    entry.focus()
    page.keyboard.press("m")
    dialog = page.locator("#calendar-move-dialog")
    dialog.wait_for(state="visible")
    # A single event has nothing to ask; the start has focus, filled with the event's times.
    assert not page.is_visible("#calendar-move-scope")
    assert page.evaluate("document.activeElement.id") == "calendar-move-start"
    assert page.input_value("#calendar-move-start") == "2025-03-12T09:00"
    # Escape closes it, and focus is back on the event.
    page.keyboard.press("Escape")
    assert not dialog.is_visible() and focused_event(page) == str(single.pk)

    page.keyboard.press("M")
    dialog.wait_for(state="visible")
    page.fill("#calendar-move-start", "2025-03-13T15:30")
    page.dispatch_event("#calendar-move-start", "change")
    assert page.input_value("#calendar-move-end") == "2025-03-13T16:30"  # the same length
    page.keyboard.press("Enter")
    page.wait_for_selector("text=“Design review” moved to Thu 13 Mar 15:30–16:30.")
    single.refresh_from_db()
    assert (single.start, single.end) == (
        dt.datetime(2025, 3, 13, 15, 30, tzinfo=BERLIN),
        dt.datetime(2025, 3, 13, 16, 30, tzinfo=BERLIN),
    )
    assert "15:30–16:30 Design review" in day_text(page, "2025-03-13")
    assert focused_event(page) == str(single.pk)

    # A repeating one asks in the same dialog; every occurrence moves an hour later.
    page.locator(f"#calendar-grid [data-event='{weekly.pk}']").focus()
    page.keyboard.press("m")
    dialog.wait_for(state="visible")
    assert page.is_visible("#calendar-move-scope")
    page.fill("#calendar-move-start", "2025-03-10T10:00")
    page.dispatch_event("#calendar-move-start", "change")
    page.check("#calendar-move-series")
    page.click("#calendar-move-submit")
    page.wait_for_selector("text=Every occurrence of “Weekly sync” moved: this one to Mon 10 Mar 10:00–11:00.")
    weekly.refresh_from_db()
    assert weekly.start == dt.datetime(2025, 3, 3, 10, tzinfo=BERLIN)
    assert focused_event(page) == str(weekly.pk)

    # A refused move says why, in the dialog's place, and leaves focus on the event.
    page.keyboard.press("m")
    dialog.wait_for(state="visible")
    page.fill("#calendar-move-start", "2025-03-11T10:00")
    page.dispatch_event("#calendar-move-start", "change")
    page.fill("#calendar-move-end", "2025-03-11T09:00")
    page.dispatch_event("#calendar-move-end", "change")
    page.click("#calendar-move-submit")
    assert "cannot end before it starts" in page.inner_text("#calendar-move-error")
