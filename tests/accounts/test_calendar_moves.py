"""Moving an occurrence of a repeating event from the calendar grid: only it (it becomes a moved occurrence
of the series), or every occurrence (the series moves, keeping its rule, its cancelled and moved occurrences)."""

import datetime as dt
import threading
import zoneinfo

import pytest
from django.db import connection
from django.urls import reverse

from accounts.calendar import expand_occurrences, format_instant
from accounts.models import CalendarEvent
from tests.factories import AccountFactory, CalendarEventFactory, ContactFactory, UserFactory

pytestmark = pytest.mark.django_db

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def berlin(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BERLIN)


def weekly(rep, **fields) -> CalendarEvent:
    """Mondays 9:00-10:00 in Berlin from 3 March 2025 (across the switch to summer time on 30 March)."""
    values = {
        "owner": rep,
        "title": "Weekly sync",
        "start": berlin(2025, 3, 3, 9),
        "end": berlin(2025, 3, 3, 10),
        "time_zone": "Europe/Berlin",
        "recurrence_rule": "FREQ=WEEKLY;BYDAY=MO;COUNT=8",
        **fields,
    }
    return CalendarEventFactory(**values)


def move(client, event, **data):
    return client.post(reverse("accounts:event-move", args=[event.pk]), {"version": event.version, **data})


def shown(series: CalendarEvent) -> list[tuple[dt.datetime, dt.datetime, int]]:
    """What the calendar shows of the series: each occurrence's local start and end, and its row."""
    rows = [series, *CalendarEvent.objects.filter(series=series)]
    occurrences = expand_occurrences(rows, berlin(2025, 1, 1, 0), berlin(2026, 1, 1, 0))
    return [(o.start.astimezone(BERLIN), o.end.astimezone(BERLIN), o.event.pk) for o in occurrences]


def test_a_repeating_event_asks_which_occurrences_move(rep, session_client):
    series = weekly(rep)
    response = move(session_client(rep), series, start="2025-03-10T11:00", end="2025-03-10T12:00")
    assert response.status_code == 400 and "only this occurrence or every occurrence" in response.json()["error"]
    # Which occurrence must be a readable instant in the years the CRM accepts.
    for occurrence in ("noon", "0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59+00:00", "2025-03-10T09:00" * 20):
        response = move(
            session_client(rep),
            series,
            start="2025-03-10T11:00",
            end="2025-03-10T12:00",
            scope="series",
            occurrence=occurrence,
        )
        assert response.status_code == 400, occurrence
    assert CalendarEvent.objects.count() == 1


def test_only_this_occurrence_moves_and_the_series_stays(rep, session_client):
    account = AccountFactory(owner=rep)
    ada = ContactFactory(owner=rep)
    series = weekly(rep, related=account, location="Room 4")
    series.attendees.add(ada)
    client = session_client(rep)
    response = move(
        client,
        series,
        start="2025-03-11T14:00",
        end="2025-03-11T15:30",
        scope="occurrence",
        occurrence="2025-03-10T09:00:00+01:00",
    )
    assert response.status_code == 200, response.content
    moved = CalendarEvent.objects.get(series=series)
    assert response.json()["id"] == moved.pk and response.json()["focus"] == "2025-03-11T14:00"
    assert (moved.start, moved.end, moved.original_start) == (
        berlin(2025, 3, 11, 14),
        berlin(2025, 3, 11, 15, 30),
        berlin(2025, 3, 10, 9),
    )
    assert (moved.title, moved.location, moved.related, moved.owner) == ("Weekly sync", "Room 4", account, rep)
    assert list(moved.attendees.all()) == [ada]
    starts = [start for start, _, _ in shown(series)]
    assert berlin(2025, 3, 10, 9) not in starts and berlin(2025, 3, 11, 14) in starts
    assert len(starts) == 8 and berlin(2025, 3, 17, 9) in starts
    series.refresh_from_db()
    assert series.start == berlin(2025, 3, 3, 9) and series.recurrence_rule == "FREQ=WEEKLY;BYDAY=MO;COUNT=8"

    # That slot is taken now: moving it again from the series is refused (the moved row is moved instead).
    response = move(
        client,
        series,
        start="2025-03-12T14:00",
        end="2025-03-12T15:00",
        scope="occurrence",
        occurrence="2025-03-10T09:00:00+01:00",
    )
    assert response.status_code == 400 and "no longer in the series" in response.json()["error"]
    # A time that is no occurrence of the series is refused too.
    response = move(
        client,
        series,
        start="2025-03-12T14:00",
        end="2025-03-12T15:00",
        scope="occurrence",
        occurrence="2025-03-11T09:00:00+01:00",
    )
    assert response.status_code == 400
    assert CalendarEvent.objects.filter(series=series).count() == 1


def test_every_occurrence_moves_keeping_the_rule_the_cancelled_and_the_moved_ones(rep, session_client):
    series = weekly(rep, cancelled_starts=[format_instant(berlin(2025, 3, 24, 9))])
    exception = CalendarEventFactory(
        owner=rep,
        title="Weekly sync (moved)",
        series=series,
        original_start=berlin(2025, 3, 17, 9),
        start=berlin(2025, 3, 18, 16),
        end=berlin(2025, 3, 18, 17),
        time_zone="Europe/Berlin",
    )
    client = session_client(rep)
    # The occurrence of Monday 10 March 9:00 dragged to Tuesday 11 March 10:00 and made half an hour longer.
    response = move(
        client,
        series,
        start="2025-03-11T10:00",
        end="2025-03-11T11:30",
        scope="series",
        occurrence=format_instant(berlin(2025, 3, 10, 9)),
    )
    assert response.status_code == 200, response.content
    series.refresh_from_db()
    exception.refresh_from_db()
    assert series.recurrence_rule == "FREQ=WEEKLY;BYDAY=TU;COUNT=8"
    assert (series.start, series.end) == (berlin(2025, 3, 4, 10), berlin(2025, 3, 4, 11, 30))
    occurrences = shown(series)
    # Tuesdays at 10:00 on Berlin's clock, before and after the switch to summer time; 25 March stays
    # cancelled; the occurrence moved on its own still stands in for its slot (now 18 March), where it was.
    assert [start for start, _, pk in occurrences if pk == series.pk] == [
        berlin(2025, 3, 4, 10),
        berlin(2025, 3, 11, 10),
        berlin(2025, 4, 1, 10),
        berlin(2025, 4, 8, 10),
        berlin(2025, 4, 15, 10),
        berlin(2025, 4, 22, 10),
    ]
    assert all(end - start == dt.timedelta(minutes=90) for start, end, pk in occurrences if pk == series.pk)
    assert [(start, pk) for start, _, pk in occurrences if pk != series.pk] == [(berlin(2025, 3, 18, 16), exception.pk)]
    assert exception.original_start == berlin(2025, 3, 18, 10)
    assert series.cancelled_starts == [format_instant(berlin(2025, 3, 25, 10))]
    assert "Every occurrence of “Weekly sync” moved" in client.get(reverse("accounts:calendar")).content.decode()


def test_a_timed_until_moves_with_the_series_so_the_last_occurrence_stays(rep):
    from accounts.calendar_moves import event_series_move

    series = weekly(rep, recurrence_rule="FREQ=WEEKLY;UNTIL=20250324T080000Z")  # the last is 24 March 9:00
    event_series_move(
        actor=rep,
        series=series,
        version=series.version,
        original_start=berlin(2025, 3, 10, 9),
        start=berlin(2025, 3, 10, 15),
        end=berlin(2025, 3, 10, 16),
    )
    series.refresh_from_db()
    assert [start for start, _, _ in shown(series)] == [berlin(2025, 3, d, 15) for d in (3, 10, 17, 24)]


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=MONTHLY;BYMONTHDAY=3",  # set days of the month
        "FREQ=MONTHLY;BYDAY=1MO",  # the first Monday
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,SU",  # every other week: Sunday would cross into the next week
    ],
)
def test_a_move_to_another_day_that_would_not_move_every_occurrence_alike_is_refused(rep, session_client, rule):
    series = weekly(rep, recurrence_rule=rule)
    response = move(
        session_client(rep),
        series,
        start="2025-03-04T09:00",
        end="2025-03-04T10:00",
        scope="series",
        occurrence=format_instant(berlin(2025, 3, 3, 9)),
    )
    assert response.status_code == 400, response.content
    assert "open it" in response.json()["error"]
    stored = CalendarEvent.objects.get(pk=series.pk)
    assert (stored.start, stored.recurrence_rule, stored.version) == (series.start, rule, series.version)
    # Within the day the same rule moves every occurrence alike: only the hour changes.
    response = move(
        session_client(rep),
        series,
        start="2025-03-03T11:00",
        end="2025-03-03T12:00",
        scope="series",
        occurrence=format_instant(berlin(2025, 3, 3, 9)),
    )
    assert response.status_code == 200, response.content
    stored = CalendarEvent.objects.get(pk=series.pk)
    assert (stored.start, stored.recurrence_rule) == (berlin(2025, 3, 3, 11), rule)


def test_others_series_and_stale_pages_are_refused(rep, session_client, organization):
    client = session_client(rep)
    theirs = weekly(UserFactory(organization=organization))
    data = {"start": "2025-03-10T11:00", "end": "2025-03-10T12:00", "scope": "occurrence"}
    assert move(client, theirs, occurrence=format_instant(berlin(2025, 3, 10, 9)), **data).status_code == 403
    series = weekly(rep)
    stale = CalendarEvent.objects.get(pk=series.pk)
    CalendarEvent.objects.filter(pk=series.pk).update(version=series.version + 1)
    response = move(client, stale, occurrence=format_instant(berlin(2025, 3, 10, 9)), **data)
    assert response.status_code == 409
    assert not CalendarEvent.objects.filter(series__isnull=False).exists()


@pytest.mark.django_db(transaction=True)
def test_two_people_moving_the_same_occurrence_at_once_make_one_moved_occurrence(rep, organization):
    """Both read the same version; the series is locked, so the second is refused instead of adding a twin."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's")
    from accounts.calendar_moves import event_occurrence_move
    from backoffice.choices import Role

    manager = UserFactory(organization=organization, role=Role.MANAGER)
    series = weekly(rep)
    barrier = threading.Barrier(2)
    outcomes = []

    def run(actor, hour):
        try:
            barrier.wait(timeout=10)
            event_occurrence_move(
                actor=actor,
                series=series,
                version=series.version,
                original_start=berlin(2025, 3, 10, 9),
                start=berlin(2025, 3, 10, hour),
                end=berlin(2025, 3, 10, hour + 1),
            )
            outcomes.append("moved")
        except Exception as error:  # noqa: BLE001  (the refusal is what is counted)
            outcomes.append(type(error).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(actor, hour)) for actor, hour in ((rep, 11), (manager, 14))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["ValidationError", "moved"]
    assert CalendarEvent.objects.filter(series=series).count() == 1
