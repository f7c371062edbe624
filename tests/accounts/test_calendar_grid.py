"""The week and day views' hour grid (events at their hours, tasks at their due times, overlaps side by side),
the list shown on phones, and moving or resizing an event through the event service with its version."""

import datetime as dt
import re
import zoneinfo

import pytest
from django.urls import reverse

from accounts.models import CalendarEvent
from tests.factories import CalendarEventFactory, TaskFactory, UserFactory

pytestmark = pytest.mark.django_db

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def berlin(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BERLIN)


def calendar(client, **params) -> str:
    response = client.get(reverse("accounts:calendar"), params)
    assert response.status_code == 200
    return response.content.decode()


def grid_entry(html: str, attribute: str, pk: int) -> str:
    grid = html.split('id="calendar-grid"')[1]
    match = re.search(rf'<a class="calendar-entry[^"]*" {attribute}="{pk}".*?</a>', grid, re.S)
    assert match, f"no {attribute}={pk} on the grid"
    return match.group(0)


def test_week_grid_places_events_at_their_hours_and_tasks_at_their_due_times(rep, session_client):
    assert rep.time_zone == "Europe/Berlin"
    event = CalendarEventFactory(owner=rep, title="Demo", start=berlin(2025, 3, 12, 9), end=berlin(2025, 3, 12, 12))
    task = TaskFactory(owner=rep, subject="Call back Umbrella", due_at=berlin(2025, 3, 13, 15, 30))
    TaskFactory(owner=rep, subject="Next week", due_at=berlin(2025, 3, 20, 9))
    html = calendar(session_client(rep), view="week", date="2025-03-12")
    entry = grid_entry(html, "data-event", event.pk)
    # 9:00 is 37.5 % down the day, three hours are 12.5 % of it.
    assert "top: 37.500%; height: 12.500%" in entry and "09:00–12:00" in entry and 'draggable="true"' in entry
    task_entry = grid_entry(html, "data-task", task.pk)
    assert "Call back Umbrella" in task_entry and "15:30" in task_entry
    assert "top: 64.583%" in task_entry
    assert "Next week" not in html
    # Seven columns, Monday first, each a drop target with its date.
    assert re.findall(r'class="calendar-day-body" data-date="([\d-]+)"', html)[::6] == ["2025-03-10", "2025-03-16"]


def test_overlapping_events_share_the_column(rep, session_client):
    first = CalendarEventFactory(owner=rep, start=berlin(2025, 3, 12, 9), end=berlin(2025, 3, 12, 11))
    second = CalendarEventFactory(owner=rep, start=berlin(2025, 3, 12, 10), end=berlin(2025, 3, 12, 12))
    later = CalendarEventFactory(owner=rep, start=berlin(2025, 3, 12, 14), end=berlin(2025, 3, 12, 15))
    html = calendar(session_client(rep), view="day", date="2025-03-12")
    assert "left: 0.000%; width: 50.000%" in grid_entry(html, "data-event", first.pk)
    assert "left: 50.000%; width: 50.000%" in grid_entry(html, "data-event", second.pk)
    assert "left: 0.000%; width: 100.000%" in grid_entry(html, "data-event", later.pk)
    assert html.count('class="calendar-day-body"') == 1
    assert "date=2025-03-11" in html and "date=2025-03-13" in html  # previous and next day


def test_phones_get_a_list_of_the_days(rep, session_client):
    event = CalendarEventFactory(
        owner=rep, title="Phone demo", start=berlin(2025, 3, 12, 9), end=berlin(2025, 3, 12, 10)
    )
    task = TaskFactory(owner=rep, subject="Phone task", due_at=berlin(2025, 3, 12, 16))
    html = calendar(session_client(rep), view="week", date="2025-03-12")
    agenda = html.split('id="calendar-agenda"')[1]
    assert f'data-agenda-event="{event.pk}"' in agenda and f'data-agenda-task="{task.pk}"' in agenda
    assert agenda.index("Phone demo") < agenda.index("Phone task")
    month = calendar(session_client(rep), date="2025-03-12").split('id="calendar-agenda"')[1]
    assert "Phone demo" in month and "Wednesday 12 March" in month


def test_repeating_events_are_draggable_asking_which_and_others_events_are_not(rep, session_client, organization):
    series = CalendarEventFactory(
        owner=rep,
        start=berlin(2025, 3, 10, 9),
        end=berlin(2025, 3, 10, 10),
        time_zone="Europe/Berlin",
        recurrence_rule="FREQ=DAILY;COUNT=5",
    )
    colleague = UserFactory(organization=organization)
    theirs = CalendarEventFactory(owner=colleague, start=berlin(2025, 3, 12, 9), end=berlin(2025, 3, 12, 10))
    client = session_client(rep)
    entry = grid_entry(calendar(client, view="week", date="2025-03-12"), "data-event", series.pk)
    # Each occurrence says which one it is, so that the grid can move only it or every one.
    assert 'draggable="true"' in entry and 'data-occurrence="2025-03-10T09:00:00+01:00"' in entry
    html = calendar(client, view="week", date="2025-03-12", owner=colleague.pk)
    assert 'draggable="true"' not in grid_entry(html, "data-event", theirs.pk)


def test_week_grid_query_count_does_not_grow_with_events_and_tasks(rep, session_client, django_assert_max_num_queries):
    client = session_client(rep)
    CalendarEventFactory(owner=rep, start=berlin(2025, 3, 11, 9), end=berlin(2025, 3, 11, 10))
    TaskFactory(owner=rep, due_at=berlin(2025, 3, 11, 11))
    calendar(client, view="week", date="2025-03-12")
    with django_assert_max_num_queries(12) as few:
        calendar(client, view="week", date="2025-03-12")
    for hour in range(8, 18):
        CalendarEventFactory(owner=rep, start=berlin(2025, 3, 13, hour), end=berlin(2025, 3, 13, hour + 1))
        TaskFactory(owner=rep, due_at=berlin(2025, 3, 14, hour))
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = calendar(client, view="week", date="2025-03-12")
    assert html.split('id="calendar-grid"')[1].count("data-task=") == 11


# --- moving ---------------------------------------------------------------------------------------


def move(client, event, **data):
    return client.post(reverse("accounts:event-move", args=[event.pk]), {"version": event.version, **data})


def test_moving_an_event_goes_through_the_service_with_its_version(rep, session_client):
    event = CalendarEventFactory(
        owner=rep, start=berlin(2025, 3, 12, 9), end=berlin(2025, 3, 12, 10), time_zone="Europe/Berlin"
    )
    client = session_client(rep)
    response = move(client, event, start="2025-03-13T14:00", end="2025-03-13T15:30")
    assert response.status_code == 200, response.content
    stored = CalendarEvent.objects.get(pk=event.pk)
    assert (stored.start, stored.end) == (berlin(2025, 3, 13, 14), berlin(2025, 3, 13, 15, 30))
    assert stored.version == event.version + 1 and response.json()["version"] == stored.version
    # The page read before the move is stale now: its version is refused and nothing changes.
    response = move(client, event, start="2025-03-14T08:00", end="2025-03-14T09:00")
    assert response.status_code == 409 and "changed this event meanwhile" in response.json()["error"]
    assert CalendarEvent.objects.get(pk=event.pk).start == berlin(2025, 3, 13, 14)


def test_moves_that_are_not_allowed_are_refused(rep, session_client, organization, outsider):
    client = session_client(rep)
    theirs = CalendarEventFactory(owner=UserFactory(organization=organization), start=berlin(2025, 3, 12, 9))
    assert move(client, theirs, start="2025-03-12T10:00", end="2025-03-12T11:00").status_code == 403
    foreign = CalendarEventFactory(owner=outsider, start=berlin(2025, 3, 12, 9))
    assert move(client, foreign, start="2025-03-12T10:00", end="2025-03-12T11:00").status_code == 404
    series = CalendarEventFactory(owner=rep, start=berlin(2025, 3, 12, 9), recurrence_rule="FREQ=DAILY;COUNT=2")
    assert move(client, series, start="2025-03-12T10:00", end="2025-03-12T11:00").status_code == 400
    mine = CalendarEventFactory(owner=rep, start=berlin(2025, 3, 12, 9), end=berlin(2025, 3, 12, 10))
    response = move(client, mine, start="2025-03-12T10:00", end="2025-03-12T09:00")
    assert response.status_code == 400 and "cannot end before it starts" in response.json()["error"]
    assert move(client, mine, start="noon", end="2025-03-12T11:00").status_code == 400
    assert CalendarEvent.objects.get(pk=mine.pk).start == berlin(2025, 3, 12, 9)
