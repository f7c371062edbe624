"""Recurring events expand on the wall clock of their zone; the calendar pages show the right occurrences."""

import datetime as dt
import zoneinfo

import pytest
from django.urls import reverse

from accounts.calendar import expand_occurrences, format_instant
from accounts.models import CalendarEvent
from tests.factories import CalendarEventFactory, UserFactory

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
UTC = dt.UTC


def berlin(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BERLIN)


def weekly_meeting(owner, **kwargs) -> CalendarEvent:
    """Mondays 9:00-10:00 in Berlin from 17 March 2025, across the 30 March DST change."""
    values = {
        "title": "Weekly sync",
        "start": berlin(2025, 3, 17, 9),
        "end": berlin(2025, 3, 17, 10),
        "time_zone": "Europe/Berlin",
        "recurrence_rule": "FREQ=WEEKLY;COUNT=4",
        **kwargs,
    }
    return CalendarEventFactory(owner=owner, **values)


WINDOW = (berlin(2025, 3, 1), berlin(2025, 5, 1))


@pytest.mark.django_db
def test_weekly_series_keeps_local_time_across_daylight_saving(rep):
    occurrences = expand_occurrences([weekly_meeting(rep)], *WINDOW)

    local = [o.start.astimezone(BERLIN) for o in occurrences]
    assert [d.date() for d in local] == [
        dt.date(2025, 3, 17),
        dt.date(2025, 3, 24),
        dt.date(2025, 3, 31),
        dt.date(2025, 4, 7),
    ]
    assert {(d.hour, d.minute) for d in local} == {(9, 0)}
    # Same wall clock, different instants: 8:00 UTC in winter, 7:00 UTC in summer.
    assert [o.start.astimezone(UTC).hour for o in occurrences] == [8, 8, 7, 7]
    assert all(o.end - o.start == dt.timedelta(hours=1) for o in occurrences)


@pytest.mark.django_db
def test_cancelled_occurrence_is_left_out(rep):
    series = weekly_meeting(rep, cancelled_starts=[format_instant(berlin(2025, 3, 31, 9))])

    days = [o.start.astimezone(BERLIN).date() for o in expand_occurrences([series], *WINDOW)]

    assert dt.date(2025, 3, 31) not in days
    assert len(days) == 3


@pytest.mark.django_db
def test_moved_exception_replaces_its_occurrence(rep):
    series = weekly_meeting(rep)
    moved = CalendarEventFactory(
        owner=rep,
        title="Weekly sync (moved)",
        series=series,
        original_start=berlin(2025, 3, 24, 9),
        start=berlin(2025, 3, 25, 14),
        end=berlin(2025, 3, 25, 15),
        time_zone="Europe/Berlin",
    )

    occurrences = expand_occurrences([series, moved], *WINDOW)

    starts = [o.start.astimezone(BERLIN) for o in occurrences]
    assert berlin(2025, 3, 24, 9) not in starts
    assert berlin(2025, 3, 25, 14) in starts
    replaced = next(o for o in occurrences if o.event == moved)
    assert replaced.original_start == berlin(2025, 3, 24, 9)
    assert len(occurrences) == 4


@pytest.mark.django_db
def test_exception_moved_out_of_the_window_leaves_no_occurrence_behind(rep):
    series = weekly_meeting(rep)
    moved = CalendarEventFactory(
        owner=rep,
        series=series,
        original_start=berlin(2025, 3, 24, 9),
        start=berlin(2025, 4, 20, 9),
        end=berlin(2025, 4, 20, 10),
        time_zone="Europe/Berlin",
    )

    week = (berlin(2025, 3, 24), berlin(2025, 3, 31))
    # Without its exception the series has its 24 March occurrence in that week; with it, nothing is left.
    assert [o.start for o in expand_occurrences([series], *week)] == [berlin(2025, 3, 24, 9)]
    assert expand_occurrences([series, moved], *week) == []


@pytest.mark.django_db
def test_all_day_events_stay_whole_dates_whatever_the_viewer_zone(rep):
    trip = CalendarEventFactory(
        owner=rep,
        title="Trade fair",
        all_day=True,
        start=berlin(2025, 3, 29),
        end=berlin(2025, 4, 1),  # midnight after the last day: 29, 30 and 31 March
        time_zone="Europe/Berlin",
    )

    (occurrence,) = expand_occurrences([trip], *WINDOW)

    expected = [dt.date(2025, 3, 29), dt.date(2025, 3, 30), dt.date(2025, 3, 31)]
    assert occurrence.all_day
    assert occurrence.dates(zoneinfo.ZoneInfo("America/Los_Angeles")) == expected
    assert occurrence.dates(zoneinfo.ZoneInfo("Asia/Tokyo")) == expected


@pytest.mark.django_db
def test_all_day_series_repeats_on_dates(rep):
    standup = CalendarEventFactory(
        owner=rep,
        all_day=True,
        start=berlin(2025, 3, 28),
        end=berlin(2025, 3, 29),
        time_zone="Europe/Berlin",
        recurrence_rule="FREQ=DAILY;COUNT=4",
    )

    occurrences = expand_occurrences([standup], *WINDOW)

    assert [o.first_date for o in occurrences] == [dt.date(2025, 3, 28 + i) for i in range(4)]
    assert all(o.first_date == o.last_date for o in occurrences)  # 30 March is one day though 23 hours long


@pytest.mark.django_db
def test_series_with_utc_until_stops_at_it(rep):
    series = weekly_meeting(rep, recurrence_rule="FREQ=WEEKLY;UNTIL=20250401T000000Z")

    assert len(expand_occurrences([series], *WINDOW)) == 3


# --- pages -------------------------------------------------------------------------------------


def calendar_url(**params) -> str:
    return reverse("accounts:calendar") + "?" + "&".join(f"{k}={v}" for k, v in params.items())


@pytest.mark.django_db
def test_month_view_shows_the_users_events_and_series_occurrences(rep, session_client):
    series = weekly_meeting(rep)
    CalendarEventFactory(owner=rep, title="Customer visit", start=berlin(2025, 3, 12, 15), end=berlin(2025, 3, 12, 16))
    colleague = UserFactory(organization=rep.organization)
    CalendarEventFactory(
        owner=colleague, title="Colleague dentist", start=berlin(2025, 3, 12, 9), end=berlin(2025, 3, 12, 10)
    )

    response = session_client(rep).get(calendar_url(view="month", date="2025-03-10"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Customer visit" in html
    assert "Colleague dentist" not in html
    assert (
        html.count(f'data-event="{series.pk}"') == 3
    )  # 17, 24 and 31 March; 7 April lies beyond the grid's last Sunday
    assert 'data-date="2025-02-24"' in html  # whole weeks, Monday first
    assert 'data-date="2025-03-30"' in html


@pytest.mark.django_db
def test_week_view_shows_local_times_and_moves_by_week(rep, session_client):
    series = weekly_meeting(rep)

    response = session_client(rep).get(calendar_url(view="week", date="2025-04-02"))

    html = response.content.decode()
    assert html.count(f'data-event="{series.pk}"') == 1
    assert "09:00" in html  # Berlin, the organization's zone, after the DST change
    assert "date=2025-04-07" in html and "date=2025-03-24" in html  # next and previous weeks


@pytest.mark.django_db
def test_calendar_of_a_colleague_and_never_of_another_organization(rep, outsider, session_client):
    colleague = UserFactory(organization=rep.organization)
    CalendarEventFactory(
        owner=colleague, title="Colleague demo", start=berlin(2025, 3, 12, 9), end=berlin(2025, 3, 12, 10)
    )
    client = session_client(rep)

    assert "Colleague demo" in client.get(calendar_url(date="2025-03-12", owner=colleague.pk)).content.decode()
    assert client.get(calendar_url(date="2025-03-12", owner=outsider.pk)).status_code == 404


@pytest.mark.django_db
def test_calendar_query_count_does_not_grow_with_events(rep, session_client, django_assert_max_num_queries):
    client = session_client(rep)
    for day in range(1, 4):
        CalendarEventFactory(owner=rep, start=berlin(2025, 3, day, 9), end=berlin(2025, 3, day, 10))
    client.get(calendar_url(date="2025-03-10"))
    with django_assert_max_num_queries(8) as few:
        client.get(calendar_url(date="2025-03-10"))
    for day in range(1, 28):
        CalendarEventFactory(owner=rep, start=berlin(2025, 3, day, 11), end=berlin(2025, 3, day, 12))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(calendar_url(date="2025-03-10"))
    assert response.content.decode().count('data-event="') == 30


# --- event forms ----------------------------------------------------------------------------------


def event_post(**overrides) -> dict:
    return {
        "title": "Quarterly review",
        "start": "2025-03-17T09:00",
        "end": "2025-03-17T10:00",
        "time_zone": "Europe/Berlin",
        "repeat": "",
        "repeat_until": "",
        "recurrence_rule": "",
        **overrides,
    }


@pytest.mark.django_db
def test_event_created_with_simple_repeat_builds_the_rule(rep, session_client):
    response = session_client(rep).post(
        reverse("accounts:event-create"), event_post(repeat="WEEKLY", repeat_until="2025-04-07")
    )

    event = CalendarEvent.objects.get()
    assert response.status_code == 302
    assert event.start == berlin(2025, 3, 17, 9)
    assert event.recurrence_rule == "FREQ=WEEKLY;UNTIL=20250407T215959Z"
    assert len(expand_occurrences([event], *WINDOW)) == 4  # the last one on the "until" day


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"end": "2025-03-17T08:00"}, "end"),
        ({"repeat": "KEEP", "recurrence_rule": "FREQ=FORTNIGHTLY"}, "repeat"),
        ({"repeat": "KEEP", "recurrence_rule": "BYDAY=XX"}, "repeat"),
        ({"repeat": "WEEKLY", "interval": "0"}, "interval"),
        ({"repeat": "WEEKLY", "ends": "count", "repeat_count": ""}, "repeat_count"),
        ({"repeat": "WEEKLY", "ends": "until", "repeat_until": ""}, "repeat_until"),
        ({"start": "not a date"}, "start"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"repeat": "DAILY", "repeat_until": "2025-03-01"}, "repeat_until"),
    ],
)
def test_bad_event_input_shows_a_field_error_and_writes_nothing(rep, session_client, overrides, field):
    response = session_client(rep).post(reverse("accounts:event-create"), event_post(**overrides))

    assert response.status_code == 200
    assert f'data-error-for="{field}"' in response.content.decode()
    assert not CalendarEvent.objects.exists()


@pytest.mark.django_db
def test_cancel_one_occurrence_of_a_series(rep, session_client):
    series = weekly_meeting(rep)
    client = session_client(rep)

    response = client.post(
        reverse("accounts:event-cancel-occurrence", args=[series.pk]), {"start": "2025-03-24T09:00:00+01:00"}
    )

    series.refresh_from_db()
    assert response.status_code == 302
    assert series.cancelled_starts == ["2025-03-24T08:00:00+00:00"]
    html = client.get(calendar_url(view="week", date="2025-03-24")).content.decode()
    assert f'data-event="{series.pk}"' not in html


@pytest.mark.django_db
def test_rep_cannot_change_another_reps_event(rep, session_client):
    colleague = UserFactory(organization=rep.organization)
    event = weekly_meeting(colleague)
    client = session_client(rep)

    assert client.get(reverse("accounts:event-update", args=[event.pk])).status_code == 403
    assert client.post(reverse("accounts:event-update", args=[event.pk]), event_post()).status_code == 403
    assert client.post(reverse("accounts:event-delete", args=[event.pk])).status_code == 403
    cancel = reverse("accounts:event-cancel-occurrence", args=[event.pk])
    assert client.post(cancel, {"start": "2025-03-24T08:00:00+00:00"}).status_code == 403
    event.refresh_from_db()
    assert event.title == "Weekly sync" and event.cancelled_starts == []


@pytest.mark.django_db
def test_edit_an_event_keeps_its_simple_repeat(rep, session_client):
    client = session_client(rep)
    client.post(reverse("accounts:event-create"), event_post(repeat="WEEKLY", repeat_until="2025-04-07"))
    event = CalendarEvent.objects.get()

    form = client.get(reverse("accounts:event-update", args=[event.pk])).context["form"]

    assert form.initial["repeat"] == "WEEKLY"
    assert form.initial["repeat_until"] == dt.date(2025, 4, 7)
    assert form.initial["start"] == dt.datetime(2025, 3, 17, 9)


@pytest.mark.django_db
def test_series_page_lists_next_occurrences_with_cancel_buttons(rep, session_client):
    now = dt.datetime.now(tz=BERLIN).replace(minute=0, second=0, microsecond=0)
    series = weekly_meeting(rep, start=now + dt.timedelta(days=1), end=now + dt.timedelta(days=1, hours=1))
    series.recurrence_rule = "FREQ=WEEKLY"
    series.save()
    client = session_client(rep)

    page = client.get(reverse("accounts:event-detail", args=[series.pk]))
    occurrence = client.get(
        reverse("accounts:event-detail", args=[series.pk]), {"occurrence": format_instant(series.start)}
    )

    assert page.status_code == 200
    assert page.content.decode().count("Cancel</button>") == 10
    assert "Cancel this occurrence" in occurrence.content.decode()


@pytest.mark.django_db
def test_event_form_pages_open(rep, session_client):
    series = weekly_meeting(rep)
    client = session_client(rep)

    assert client.get(reverse("accounts:event-create"), {"date": "2025-03-12"}).status_code == 200
    assert client.get(reverse("accounts:event-update", args=[series.pk])).status_code == 200
    assert client.get(reverse("accounts:event-delete", args=[series.pk])).status_code == 200
