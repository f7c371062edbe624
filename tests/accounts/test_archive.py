"""Archived records leave lists, pickers, the calendar, My tasks and the pipeline, and come back when restored."""

import datetime as dt

import pytest
from django.utils import timezone

from accounts.services import record_archive, record_restore
from tests.factories import (
    AccountFactory,
    CalendarEventFactory,
    ContactFactory,
    OpportunityFactory,
    TaskFactory,
)

pytestmark = pytest.mark.django_db


def test_lists_hide_archived_records_unless_asked(rep, session_client, key_client):
    kept, archived = ContactFactory(owner=rep, last_name="Kept"), ContactFactory(owner=rep, last_name="Gone")
    record_archive(actor=rep, instance=archived)
    web = session_client(rep)
    assert "Gone" not in web.get("/crm/contacts/").content.decode()
    assert "Gone" in web.get("/crm/contacts/?archived=archived").content.decode()
    assert "Kept" not in web.get("/crm/contacts/?archived=archived").content.decode()
    api = key_client(rep)
    assert [c["id"] for c in api.get("/api/crm/contacts/").json()["results"]] == [kept.pk]
    assert {c["id"] for c in api.get("/api/crm/contacts/", {"archived": "all"}).json()["results"]} == {
        kept.pk,
        archived.pk,
    }
    one = api.get(f"/api/crm/contacts/{archived.pk}/")  # found by id, archived or not
    assert one.status_code == 200 and one.json()["archived_at"] is not None
    record_restore(actor=rep, instance=archived)
    assert "Gone" in web.get("/crm/contacts/").content.decode()


def test_pickers_offer_active_records_and_keep_the_chosen_one(rep, session_client):
    AccountFactory(owner=rep, name="Active Co")
    archived = AccountFactory(owner=rep, name="Old Co")
    deal = OpportunityFactory(owner=rep, account=archived)
    record_archive(actor=rep, instance=archived)
    client = session_client(rep)
    offered = [option["text"] for option in client.get("/crm/pick/account/").json()["results"]]
    assert offered == ["Active Co"]
    edit_form = client.get(f"/crm/opportunities/{deal.pk}/edit/").content.decode()
    assert "Old Co" in edit_form  # the deal's own account stays chosen
    posted = client.post(
        f"/crm/opportunities/{deal.pk}/edit/",
        {"name": deal.name, "account": archived.pk, "status": deal.status, "owner": rep.pk, "version": deal.version},
    )
    assert posted.status_code == 302


def test_calendar_my_tasks_and_pipeline_leave_archived_out(rep, session_client):
    now = timezone.now()
    event = CalendarEventFactory(owner=rep, title="Archived meeting", start=now, end=now + dt.timedelta(hours=1))
    task = TaskFactory(owner=rep, subject="Archived task", due_at=now)
    deal = OpportunityFactory(owner=rep, name="Archived deal")
    for record in (event, task, deal):
        record_archive(actor=rep, instance=record)
    client = session_client(rep)
    day = timezone.localdate(now).isoformat()
    assert "Archived meeting" not in client.get(f"/crm/calendar/?view=week&date={day}").content.decode()
    assert "Archived task" not in client.get("/crm/my-tasks/").content.decode()
    assert "Archived deal" not in client.get("/crm/pipeline/").content.decode()
    record_restore(actor=rep, instance=event)
    assert "Archived meeting" in client.get(f"/crm/calendar/?view=week&date={day}").content.decode()


def test_archive_and_restore_through_the_api_need_the_right_to_edit(rep, manager, key_client):
    mine, theirs = ContactFactory(owner=rep), ContactFactory(owner=manager)
    api = key_client(rep)
    assert api.post(f"/api/crm/contacts/{mine.pk}/archive/").json()["archived_at"] is not None
    assert api.post(f"/api/crm/contacts/{mine.pk}/restore/").json()["archived_at"] is None
    assert api.post(f"/api/crm/contacts/{theirs.pk}/archive/").status_code == 403
