"""Tasks, "My tasks" and notes in the web UI: grouping by due day, quick completion, forms and access."""

import datetime as dt
import zoneinfo

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from accounts.activity_list import tasks_group_by_due
from accounts.choices import TaskStatus
from accounts.models import Note, Task
from tests.factories import AccountFactory, NoteFactory, TaskFactory, UserFactory

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def attached(record) -> dict:
    return {"related_type": ContentType.objects.get_for_model(record), "related_id": record.pk}


def test_grouping_by_due_day_uses_the_users_time_zone():
    # 23:30 UTC on 10 March is already 00:30 on 11 March in Berlin.
    now = dt.datetime(2025, 3, 10, 23, 30, tzinfo=dt.UTC)
    tasks = [
        Task(subject="late", due_at=dt.datetime(2025, 3, 10, 22, 0, tzinfo=dt.UTC)),  # 23:00 on the 10th
        Task(subject="today early", due_at=dt.datetime(2025, 3, 10, 23, 15, tzinfo=dt.UTC)),  # 00:15 on the 11th
        Task(subject="today late", due_at=dt.datetime(2025, 3, 11, 21, 0, tzinfo=dt.UTC)),  # 22:00 on the 11th
        Task(subject="tomorrow", due_at=dt.datetime(2025, 3, 11, 23, 30, tzinfo=dt.UTC)),  # 00:30 on the 12th
        Task(subject="someday"),
    ]

    groups = tasks_group_by_due(tasks, now=now, time_zone="Europe/Berlin")

    assert [t.subject for t in groups.overdue] == ["late"]
    assert [t.subject for t in groups.today] == ["today early", "today late"]
    assert [t.subject for t in groups.upcoming] == ["tomorrow"]
    assert [t.subject for t in groups.no_due_date] == ["someday"]
    # The same tasks seen from UTC: "late" and "today early" are still on the 10th there.
    in_utc = tasks_group_by_due(tasks, now=now, time_zone="UTC")
    assert [t.subject for t in in_utc.today] == ["late", "today early"]


def section(html: str, key: str) -> str:
    start = html.find(f'id="tasks-{key}"')
    if start < 0:
        return ""
    return html[start : html.find("</section>", start)]


@pytest.mark.django_db
def test_my_tasks_page_groups_the_users_open_tasks(rep, session_client):
    today = timezone.now().astimezone(BERLIN).date()
    noon = lambda day: dt.datetime.combine(day, dt.time(12), BERLIN)  # noqa: E731
    TaskFactory(owner=rep, subject="Overdue call", due_at=noon(today - dt.timedelta(days=2)))
    TaskFactory(owner=rep, subject="Quote due today", due_at=noon(today))
    TaskFactory(owner=rep, subject="Visit next week", due_at=noon(today + dt.timedelta(days=7)))
    TaskFactory(owner=rep, subject="Some day", due_at=None)
    TaskFactory(owner=rep, subject="Already done", due_at=noon(today), status=TaskStatus.COMPLETED)
    TaskFactory(owner=UserFactory(organization=rep.organization), subject="Task of a colleague", due_at=noon(today))

    html = session_client(rep).get(reverse("accounts:my-tasks")).content.decode()

    assert "Overdue call" in section(html, "overdue")
    assert "Quote due today" in section(html, "today")
    assert "Visit next week" in section(html, "upcoming")
    assert "Some day" in section(html, "no-due-date")
    assert "Already done" not in html and "Task of a colleague" not in html


@pytest.mark.django_db
def test_quick_complete_button_completes_the_task(rep, session_client):
    task = TaskFactory(owner=rep, subject="Send brochure")
    client = session_client(rep)

    response = client.post(reverse("accounts:task-complete", args=[task.pk]), {"next": reverse("accounts:my-tasks")})

    task.refresh_from_db()
    assert response.status_code == 302 and response.url == reverse("accounts:my-tasks")
    assert task.status == TaskStatus.COMPLETED and task.completed_at is not None
    assert f'data-task="{task.pk}"' not in client.get(reverse("accounts:my-tasks")).content.decode()


@pytest.mark.django_db
def test_my_tasks_query_count_does_not_grow_with_tasks(rep, session_client, django_assert_max_num_queries):
    account = AccountFactory(owner=rep)
    client = session_client(rep)
    for _ in range(3):
        TaskFactory(owner=rep, **attached(account))
    client.get(reverse("accounts:my-tasks"))
    with django_assert_max_num_queries(10) as few:
        client.get(reverse("accounts:my-tasks"))
    for _ in range(27):
        TaskFactory(owner=rep, **attached(AccountFactory(owner=rep)))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("accounts:my-tasks"))
    assert response.content.decode().count("data-task=") == 30


@pytest.mark.django_db
def test_task_list_filters_and_keeps_queries_constant(rep, session_client, django_assert_max_num_queries):
    client = session_client(rep)
    for _ in range(3):
        TaskFactory(owner=rep, **attached(AccountFactory(owner=rep)))
    client.get(reverse("accounts:task-list"))
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("accounts:task-list"))
    for _ in range(22):
        TaskFactory(owner=rep, **attached(AccountFactory(owner=rep)))
    TaskFactory(owner=rep, subject="Finished", status=TaskStatus.COMPLETED)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("accounts:task-list"))

    completed = client.get(reverse("accounts:task-list"), {"status": "completed"}).content.decode()

    assert response.content.decode().count("data-task=") == 25
    assert completed.count("data-task=") == 1 and "Finished" in completed


def task_post(**overrides) -> dict:
    return {"subject": "Prepare offer", "status": "not_started", "priority": "normal", "related": "", **overrides}


@pytest.mark.django_db
def test_create_task_attached_to_an_account_from_its_page(rep, session_client):
    account = AccountFactory(owner=rep)
    client = session_client(rep)
    key = f"accounts.account:{account.pk}"

    form_page = client.get(reverse("accounts:task-create"), {"related": key, "next": "/crm/somewhere/"})
    response = client.post(
        reverse("accounts:task-create"),
        task_post(related=key, due_at="2025-03-10T17:00", next="/crm/somewhere/"),
    )

    task = Task.objects.get()
    assert account.name in form_page.content.decode()
    assert response.status_code == 302 and response.url == "/crm/somewhere/"
    assert task.related == account and task.owner == rep
    assert task.due_at == dt.datetime(2025, 3, 10, 17, tzinfo=BERLIN)  # typed in the user's time zone


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"start_at": "2025-03-10T10:00", "due_at": "2025-03-09T10:00"}, "due_at"),
        ({"subject": ""}, "subject"),
        ({"related": "accounts.account:999999"}, "related"),
        ({"related": "backoffice.user:1"}, "related"),
        ({"priority": "urgent"}, "priority"),
    ],
)
def test_bad_task_input_shows_a_field_error_and_writes_nothing(rep, session_client, overrides, field):
    response = session_client(rep).post(reverse("accounts:task-create"), task_post(**overrides))

    assert response.status_code == 200
    assert f'data-error-for="{field}"' in response.content.decode()
    assert not Task.objects.exists()


@pytest.mark.django_db
def test_cannot_attach_to_another_organizations_record(rep, outsider, session_client):
    foreign = AccountFactory(owner=outsider)

    response = session_client(rep).post(
        reverse("accounts:task-create"), task_post(related=f"accounts.account:{foreign.pk}")
    )

    assert 'data-error-for="related"' in response.content.decode()
    assert not Task.objects.exists()


@pytest.mark.django_db
def test_rep_cannot_edit_another_reps_task(rep, session_client):
    colleague = UserFactory(organization=rep.organization)
    task = TaskFactory(owner=colleague, subject="Theirs")
    client = session_client(rep)

    assert client.get(reverse("accounts:task-detail", args=[task.pk])).status_code == 200  # reading is fine
    assert client.get(reverse("accounts:task-update", args=[task.pk])).status_code == 403
    assert client.post(reverse("accounts:task-update", args=[task.pk]), task_post(subject="Mine")).status_code == 403
    assert client.post(reverse("accounts:task-complete", args=[task.pk])).status_code == 403
    assert client.post(reverse("accounts:task-delete", args=[task.pk])).status_code == 403
    task.refresh_from_db()
    assert task.subject == "Theirs" and task.status == TaskStatus.NOT_STARTED


@pytest.mark.django_db
def test_manager_edits_a_reps_task_and_reassigns_it(rep, manager, session_client):
    task = TaskFactory(owner=rep, subject="Theirs")

    response = session_client(manager).post(
        reverse("accounts:task-update", args=[task.pk]), task_post(subject="Reviewed", owner=manager.pk)
    )

    task.refresh_from_db()
    assert response.status_code == 302
    assert task.subject == "Reviewed" and task.owner == manager


@pytest.mark.django_db
def test_delete_task_after_confirmation(rep, session_client):
    task = TaskFactory(owner=rep, subject="Obsolete")
    client = session_client(rep)

    confirm = client.get(reverse("accounts:task-delete", args=[task.pk]))
    response = client.post(reverse("accounts:task-delete", args=[task.pk]))

    assert "Obsolete" in confirm.content.decode() and Task.objects.filter(pk=task.pk).exists() is False
    assert response.status_code == 302


@pytest.mark.django_db
def test_another_organizations_task_is_not_found(outsider, rep, session_client):
    task = TaskFactory(owner=rep)

    assert session_client(outsider).get(reverse("accounts:task-detail", args=[task.pk])).status_code == 404


@pytest.mark.django_db
def test_note_added_to_an_account_shows_in_its_activity_list_and_can_be_deleted(rep, session_client):
    account = AccountFactory(owner=rep)
    client = session_client(rep)
    activities = reverse("accounts:account-activities", args=[account.pk])

    response = client.post(
        reverse("accounts:note-create"), {"text": "Met at the fair", "related": f"accounts.account:{account.pk}"}
    )
    note = Note.objects.get()
    listed = client.get(activities, HTTP_HX_REQUEST="true").content.decode()
    deleted = client.post(reverse("accounts:note-delete", args=[note.pk]))

    assert response.status_code == 302 and note.related == account
    assert "Met at the fair" in listed
    assert deleted.status_code == 302 and not Note.objects.exists()


@pytest.mark.django_db
def test_note_needs_a_record(rep, session_client):
    response = session_client(rep).post(reverse("accounts:note-create"), {"text": "Floating", "related": ""})

    assert 'data-error-for="related"' in response.content.decode()
    assert not Note.objects.exists()


@pytest.mark.django_db
def test_rep_cannot_delete_another_reps_note(rep, session_client):
    note = NoteFactory(owner=UserFactory(organization=rep.organization), **attached(AccountFactory(owner=rep)))

    assert session_client(rep).post(reverse("accounts:note-delete", args=[note.pk])).status_code == 403
    assert Note.objects.filter(pk=note.pk).exists()
