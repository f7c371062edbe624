"""Dates as a careless client sends them: years 1900 to 2200 only, and a stored odd date never breaks a page."""

import datetime as dt

import pytest
from django.urls import reverse

from accounts.models import CalendarEvent, Task
from tests.factories import CalendarEventFactory, TaskFactory
from tests.factories.api import CRM_API, error_attrs

YEAR_ONE = dt.datetime(1, 1, 1, tzinfo=dt.UTC)
LAST_INSTANT = dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.UTC)


def _lives_in(user, zone: str) -> None:
    # West of UTC year 1 would fall before year 1; east of it, 9999-12-31 after 9999.
    user.organization.time_zone = zone
    user.organization.save(update_fields=["time_zone"])


@pytest.fixture
def api(key_client, rep):
    return key_client(rep)


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["due_at", "start_at", "reminder_at"])
@pytest.mark.parametrize("value", ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "1899-12-31T23:00:00Z"])
def test_api_refuses_a_task_date_out_of_range_naming_the_field(api, field, value):
    response = api.post(f"{CRM_API}/tasks/", {"subject": "Call", field: value}, format="json")

    assert response.status_code == 400, response.content
    assert error_attrs(response) == {field}
    assert not Task.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2201-01-01T00:00:00Z"])
def test_api_refuses_an_event_start_out_of_range_naming_the_field(api, value):
    response = api.post(f"{CRM_API}/events/", {"title": "Party", "start": value}, format="json")

    assert response.status_code == 400, response.content
    assert error_attrs(response) == {"start"}
    assert not CalendarEvent.objects.exists()


@pytest.mark.django_db
def test_api_refuses_an_event_end_out_of_range(api):
    response = api.post(
        f"{CRM_API}/events/", {"title": "Party", "start": "2030-01-01T10:00:00Z", "end": "9999-12-31T23:59:59Z"}
    )

    assert response.status_code == 400, response.content
    assert error_attrs(response) == {"end"}


@pytest.mark.django_db
def test_api_accepts_the_edges_of_the_range(api):
    response = api.post(f"{CRM_API}/tasks/", {"subject": "Edge", "due_at": "2200-12-31T12:00:00Z"}, format="json")

    assert response.status_code == 201, response.content


@pytest.mark.django_db
def test_task_form_refuses_year_one(rep, session_client):
    response = session_client(rep).post(
        reverse("accounts:task-create"),
        {"subject": "Call", "status": "not_started", "priority": "normal", "due_at": "0001-01-01T00:00"},
    )

    assert response.status_code == 200
    assert "due_at" in response.context["form"].errors
    assert not Task.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["0001-01-01T00:00", "9999-12-31T23:59"])
def test_event_form_refuses_a_start_out_of_range(rep, session_client, value):
    response = session_client(rep).post(
        reverse("accounts:event-create"),
        {"title": "Party", "start": value, "end": "", "time_zone": "America/New_York"}
        | {"repeat": "", "repeat_until": "", "recurrence_rule": ""},
    )

    assert response.status_code == 200
    assert "start" in response.context["form"].errors
    assert not CalendarEvent.objects.exists()


@pytest.mark.django_db
def test_service_refuses_an_event_at_the_last_instant_instead_of_overflowing(rep):
    from django.core.exceptions import ValidationError

    from accounts.services.activities import event_save

    with pytest.raises(ValidationError) as error:
        event_save(actor=rep, data={"title": "End of time", "start": LAST_INSTANT})

    assert set(error.value.message_dict) == {"start"}


@pytest.mark.django_db
def test_task_pages_show_a_stored_task_due_in_year_one(rep, session_client):
    _lives_in(rep, "America/Los_Angeles")
    task = TaskFactory(owner=rep, subject="Ancient", due_at=YEAR_ONE, start_at=YEAR_ONE)
    client = session_client(rep)

    for url in (
        reverse("accounts:task-list"),
        reverse("accounts:my-tasks"),
        reverse("accounts:task-detail", args=[task.pk]),
        reverse("accounts:task-update", args=[task.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Ancient" in response.content.decode()


@pytest.mark.django_db
def test_event_pages_show_a_stored_event_in_year_one(rep, session_client):
    _lives_in(rep, "America/New_York")
    event = CalendarEventFactory(owner=rep, title="Ancient", start=YEAR_ONE, end=YEAR_ONE, time_zone="America/New_York")
    client = session_client(rep)

    assert client.get(reverse("accounts:event-detail", args=[event.pk])).status_code == 200
    assert client.get(reverse("accounts:event-update", args=[event.pk])).status_code == 200
    assert client.get(reverse("accounts:calendar")).status_code == 200
    assert client.get(reverse("accounts:task-list")).status_code == 200


@pytest.mark.django_db
def test_event_pages_show_a_stored_event_at_the_last_instant(rep, session_client):
    _lives_in(rep, "Asia/Tokyo")
    event = CalendarEventFactory(owner=rep, title="Last", start=LAST_INSTANT, end=LAST_INSTANT, time_zone="Asia/Tokyo")
    client = session_client(rep)

    assert client.get(reverse("accounts:event-detail", args=[event.pk])).status_code == 200
    assert client.get(reverse("accounts:event-update", args=[event.pk])).status_code == 200
    assert client.get(reverse("accounts:calendar"), {"date": "2200-12-31"}).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31", "1899-12-31"])
def test_calendar_date_parameter_out_of_range_shows_today_with_a_message(rep, session_client, value):
    response = session_client(rep).get(reverse("accounts:calendar"), {"date": value, "view": "week"})

    assert response.status_code == 200
    assert "date" in " ".join(str(m) for m in response.context["messages"]).lower()


@pytest.mark.django_db
def test_new_event_page_ignores_a_date_parameter_out_of_range(rep, session_client):
    response = session_client(rep).get(reverse("accounts:event-create"), {"date": "0001-01-01"})

    assert response.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "param"), [("tasks", "due_at_after"), ("tasks", "due_at_before"), ("events", "start_after")]
)
def test_api_list_filter_out_of_range_is_refused(api, path, param):
    response = api.get(f"{CRM_API}/{path}/", {param: "0001-01-01T00:00:00Z"})

    assert response.status_code == 400, response.content
    assert param.rsplit("_", 1)[0] in response.content.decode()


@pytest.mark.django_db
def test_web_task_list_filter_out_of_range_answers_with_the_page(rep, session_client):
    response = session_client(rep).get(reverse("accounts:task-list"), {"due_at_after": "0001-01-01T00:00"})

    assert response.status_code == 200


@pytest.mark.django_db
def test_api_lists_a_stored_task_due_in_year_one(rep, api):
    _lives_in(rep, "America/Los_Angeles")
    TaskFactory(owner=rep, subject="Ancient", due_at=YEAR_ONE)
    CalendarEventFactory(owner=rep, title="Last", start=LAST_INSTANT, end=LAST_INSTANT)

    assert api.get(f"{CRM_API}/tasks/").status_code == 200
    assert api.get(f"{CRM_API}/events/").status_code == 200
