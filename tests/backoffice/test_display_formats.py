"""One date and time format per organization, in pages and in form inputs; ISO-like by default."""

import datetime as dt
import zoneinfo

import pytest
from django.urls import reverse

from accounts.models import Task
from backoffice.display import DISPLAY_SECTION
from backoffice.org_settings import settings_update
from tests.factories import TaskFactory

pytestmark = pytest.mark.django_db

UTC = zoneinfo.ZoneInfo("UTC")


@pytest.fixture
def task(rep):
    rep.organization.time_zone = "UTC"
    rep.organization.save(update_fields=["time_zone"])
    return TaskFactory(owner=rep, subject="Call back", due_at=dt.datetime(2026, 11, 25, 14, 3, tzinfo=UTC))


def test_pages_and_inputs_are_iso_like_by_default(rep, task, session_client):
    client = session_client(rep)
    assert "2026-11-25 14:03" in client.get(reverse("accounts:task-detail", args=[task.pk])).content.decode()
    form = client.get(reverse("accounts:task-update", args=[task.pk])).content.decode()
    assert 'value="2026-11-25 14:03"' in form and 'placeholder="YYYY-MM-DD hh:mm"' in form


def test_an_organizations_format_is_used_in_pages_and_inputs_as_soon_as_it_is_chosen(
    rep, org_admin, task, session_client, django_capture_on_commit_callbacks
):
    settings_update(actor=org_admin, section=DISPLAY_SECTION, values={"datetime_format": "dmy"})
    client = session_client(rep)

    page = client.get(reverse("accounts:task-detail", args=[task.pk])).content.decode()
    assert "25/11/2026 14:03" in page and "2026-11-25" not in page
    form = client.get(reverse("accounts:task-update", args=[task.pk])).content.decode()
    assert 'value="25/11/2026 14:03"' in form and 'placeholder="DD/MM/YYYY hh:mm"' in form

    # Typed in that format, the date is read as the organization writes it.
    response = client.post(
        reverse("accounts:task-update", args=[task.pk]),
        {"subject": "Call back", "status": "not_started", "priority": "normal", "due_at": "03/12/2026 09:30"},
    )
    assert response.status_code == 302
    assert Task.objects.get(pk=task.pk).due_at == dt.datetime(2026, 12, 3, 9, 30, tzinfo=UTC)

    # A change shows on the next page (the cached choice is cleared once the change commits).
    with django_capture_on_commit_callbacks(execute=True):
        settings_update(actor=org_admin, section=DISPLAY_SECTION, values={"datetime_format": "mdy"})
    page = client.get(reverse("accounts:task-detail", args=[task.pk])).content.decode()
    assert "12/03/2026 9:30 AM" in page


def test_another_organizations_format_does_not_leak(rep, outsider, org_admin, task, session_client):
    settings_update(actor=outsider, section=DISPLAY_SECTION, values={"datetime_format": "long"})
    page = session_client(rep).get(reverse("accounts:task-detail", args=[task.pk])).content.decode()
    assert "2026-11-25 14:03" in page
