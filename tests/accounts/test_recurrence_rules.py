"""Recurrence rules as an attacker sends them: refused on every way in; a hostile stored rule is harmless."""

import datetime as dt
import time

import pytest
from django.urls import reverse

from accounts.models import CalendarEvent
from tests.factories import CalendarEventFactory
from tests.factories.api import CRM_API, error_attrs

HOSTILE_RULES = [
    "FREQ=SECONDLY",
    "FREQ=MINUTELY;INTERVAL=1",
    "FREQ=HOURLY",
    "FREQ=DAILY;INTERVAL=-1",
    "FREQ=DAILY;INTERVAL=0",
    "FREQ=DAILY;INTERVAL=100000",
    "FREQ=DAILY;COUNT=1000000",
    "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30",
    "FREQ=DAILY;BYMONTH=4;BYMONTHDAY=31",
    "FREQ=WEEKLY;BYHOUR=1,2,3",
    "FREQ=DAILY;BYSECOND=1",
    "FREQ=YEARLY;BYWEEKNO=20",
    "FREQ=WEEKLY;UNTIL=99991231T235959Z",
    "FREQ=WEEKLY;UNTIL=00010101",
    "DTSTART:19000101T000000\nRRULE:FREQ=DAILY",
    "FREQ=WEEKLY\nEXRULE:FREQ=DAILY",
    "DTSTART:20250101T090000\nFREQ=WEEKLY",
    "FREQ=WEEKLY;BYDAY=9MO",
    "FREQ=WEEKLY;BYDAY=1MO",
    "FREQ=MONTHLY;BYSETPOS=0;BYDAY=MO",
    "FREQ=WEEKLY;COUNT=3;UNTIL=20300101",
    "BYDAY=MO",
]


@pytest.fixture
def api(key_client, rep):
    return key_client(rep)


@pytest.mark.django_db
@pytest.mark.parametrize("rule", HOSTILE_RULES)
def test_api_refuses_each_hostile_rule_naming_the_field(api, rule):
    response = api.post(
        f"{CRM_API}/events/",
        {"title": "Flood", "start": "2030-01-07T09:00:00Z", "recurrence_rule": rule},
        format="json",
    )

    assert response.status_code == 400, response.content
    assert error_attrs(response) == {"recurrence_rule"}
    assert not CalendarEvent.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("rule", HOSTILE_RULES)
def test_web_form_refuses_each_hostile_rule(rep, session_client, rule):
    response = session_client(rep).post(
        reverse("accounts:event-create"),
        {"title": "Flood", "start": "2030-01-07T09:00", "end": "2030-01-07T10:00", "time_zone": "UTC"}
        | {"repeat": "KEEP", "repeat_until": "", "recurrence_rule": rule},
    )

    # A rule carried over by the form (one the repetition editor cannot show) is checked as strictly.
    assert response.status_code == 200
    assert response.context["form"].errors.get("repeat")
    assert not CalendarEvent.objects.exists()


@pytest.mark.django_db
def test_accepted_rule_is_stored_in_normal_form(api):
    response = api.post(
        f"{CRM_API}/events/",
        {"title": "Review", "start": "2030-01-07T09:00:00Z", "recurrence_rule": "rrule:freq=monthly;byday=-1fr,1mo"},
        format="json",
    )

    assert response.status_code == 201, response.content
    assert CalendarEvent.objects.get().recurrence_rule == "FREQ=MONTHLY;BYDAY=1MO,-1FR"


@pytest.mark.django_db
def test_admin_save_goes_through_the_same_rule_check(rep):
    from django.core.exceptions import ValidationError

    from accounts.services.activities import event_save

    with pytest.raises(ValidationError) as error:
        event_save(
            actor=rep,
            data={"title": "X", "start": dt.datetime(2030, 1, 7, 9, tzinfo=dt.UTC), "recurrence_rule": "FREQ=HOURLY"},
        )

    assert "HOURLY" in " ".join(error.value.message_dict["recurrence_rule"])


STORED_HOSTILE = [
    "FREQ=SECONDLY",
    "FREQ=DAILY;INTERVAL=-1",
    "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30",
    "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30;COUNT=1000",
    "DTSTART:19000101T000000\nRRULE:FREQ=SECONDLY",
    "DTSTART:20250101T000000\nRRULE:FREQ=DAILY",
    "FREQ=MONTHLY;BYDAY=5FR;BYMONTHDAY=1",
]


@pytest.mark.django_db
@pytest.mark.parametrize("rule", STORED_HOSTILE)
def test_calendar_with_a_stored_hostile_rule_answers_fast(rep, session_client, rule):
    # Inserted behind the checks' back, as rows written before them were.
    CalendarEventFactory(
        owner=rep,
        start=dt.datetime(1900, 1, 1, 9, tzinfo=dt.UTC),
        end=dt.datetime(1900, 1, 1, 10, tzinfo=dt.UTC),
        recurrence_rule=rule,
    )
    client = session_client(rep)

    began = time.perf_counter()
    response = client.get(reverse("accounts:calendar"), {"date": "2150-06-15"})
    elapsed = time.perf_counter() - began

    assert response.status_code == 200
    assert elapsed < 1.0


@pytest.mark.django_db
def test_rare_but_valid_rule_far_from_its_start_is_shown(rep, session_client):
    event = CalendarEventFactory(
        owner=rep,
        start=dt.datetime(1901, 2, 28, 9, tzinfo=dt.UTC),
        end=dt.datetime(1901, 2, 28, 10, tzinfo=dt.UTC),
        time_zone="UTC",
        recurrence_rule="FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29",
    )

    response = session_client(rep).get(reverse("accounts:calendar"), {"date": "2028-02-10"})

    days = [d for d in response.context["days"] if d["occurrences"]]
    assert [d["date"] for d in days] == [dt.date(2028, 2, 29)]
    assert days[0]["occurrences"][0].event == event
