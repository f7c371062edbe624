"""A series' repetition in words, and the repetition editor that writes its rule."""

import datetime as dt
import zoneinfo

import pytest
from django.urls import reverse

from accounts.forms import EventForm
from accounts.models import CalendarEvent
from accounts.recurrence_words import rule_describe
from tests.factories import CalendarEventFactory

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ("FREQ=WEEKLY;UNTIL=20270201T045959Z", "Every week on Monday, until 31 January 2027"),
        ("FREQ=WEEKLY;BYDAY=MO;UNTIL=20270202T045959Z", "Every week on Monday, until 1 February 2027"),
        ("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE;COUNT=10", "Every 2 weeks on Monday and Wednesday, 10 times"),
        ("FREQ=DAILY", "Every day"),
        ("FREQ=MONTHLY", "Every month on day 16"),
        ("FREQ=MONTHLY;BYDAY=-1FR", "Every month on the last Friday"),
        ("FREQ=YEARLY;COUNT=1", "Every year on 16 November, once"),
        ("FREQ=MONTHLY;BYMONTHDAY=1,15", "Every month on days 1 and 15"),
    ],
)
def test_rules_read_as_people_say_them(rule, words):
    start = dt.datetime(2026, 11, 16, 9, tzinfo=NEW_YORK)  # a Monday
    assert rule_describe(rule, zone=NEW_YORK, start=start) == words


def event_post(**overrides) -> dict:
    return {
        "title": "Team sync",
        "start": "2026-11-16T09:00",
        "end": "2026-11-16T10:00",
        "time_zone": "America/New_York",
        "repeat": "WEEKLY",
        "interval": "1",
        "ends": "never",
        **overrides,
    }


@pytest.mark.django_db
def test_editor_writes_the_rule_of_every_other_week_on_two_days_until_a_date(rep, session_client):
    client = session_client(rep)
    response = client.post(
        reverse("accounts:event-create"),
        event_post(interval="2", weekdays=["WE", "MO"], ends="until", repeat_until="2027-02-01"),
    )
    assert response.status_code == 302
    event = CalendarEvent.objects.get()
    assert event.recurrence_rule == "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE;UNTIL=20270202T045959Z"

    page = client.get(reverse("accounts:event-detail", args=[event.pk])).content.decode()
    assert "Every 2 weeks on Monday and Wednesday, until 1 February 2027" in page
    assert "FREQ=" not in page

    # Opened again, the editor shows the same choices.
    form = client.get(reverse("accounts:event-update", args=[event.pk])).context["form"]
    assert form.initial["repeat"] == "WEEKLY" and form.initial["interval"] == 2
    assert form.initial["weekdays"] == ["MO", "WE"]
    assert form.initial["ends"] == "until" and form.initial["repeat_until"] == dt.date(2027, 2, 1)


@pytest.mark.django_db
def test_editor_writes_a_number_of_times(rep, session_client):
    session_client(rep).post(
        reverse("accounts:event-create"), event_post(repeat="MONTHLY", ends="count", repeat_count="6")
    )
    assert CalendarEvent.objects.get().recurrence_rule == "FREQ=MONTHLY;COUNT=6"


@pytest.mark.django_db
def test_a_rule_the_editor_cannot_show_is_kept_and_described_until_another_is_chosen(rep, session_client):
    event = CalendarEventFactory(
        owner=rep,
        start=dt.datetime(2026, 11, 27, 9, tzinfo=NEW_YORK),
        end=dt.datetime(2026, 11, 27, 10, tzinfo=NEW_YORK),
        time_zone="America/New_York",
        recurrence_rule="FREQ=MONTHLY;BYDAY=-1FR",
    )
    client = session_client(rep)
    page = client.get(reverse("accounts:event-update", args=[event.pk])).content.decode()
    assert "As it is: Every month on the last Friday" in page
    assert "FREQ=MONTHLY" not in page.replace('value="FREQ=MONTHLY;BYDAY=-1FR"', "")

    form = EventForm(initial={"recurrence_rule": event.recurrence_rule, "time_zone": event.time_zone}, actor=rep)
    data = {**event_post(title="Review"), "repeat": "KEEP", "recurrence_rule": event.recurrence_rule}
    assert form.initial["repeat"] == "KEEP"
    client.post(reverse("accounts:event-update", args=[event.pk]), data)
    event.refresh_from_db()
    assert event.title == "Review" and event.recurrence_rule == "FREQ=MONTHLY;BYDAY=-1FR"

    client.post(reverse("accounts:event-update", args=[event.pk]), {**data, "repeat": ""})
    event.refresh_from_db()
    assert event.recurrence_rule == ""


@pytest.mark.django_db
def test_editor_words_follow_the_choices_as_they_are_made(rep, session_client):
    client = session_client(rep)
    url = reverse("accounts:event-repetition-words")
    words = client.get(url, event_post(interval="3", weekdays=["FR"], ends="count", repeat_count="4"))
    assert words.content.decode().strip() == "Every 3 weeks on Friday, 4 times"
    assert client.get(url, event_post(repeat="")).content.decode().strip() == "Does not repeat"
    # Until the editor's own fields are right, nothing is claimed.
    unfinished = client.get(url, event_post(ends="until", repeat_until="")).content.decode().strip()
    assert unfinished == ""

    form_page = client.get(reverse("accounts:event-create")).content.decode()
    assert 'id="repetition-words"' in form_page
