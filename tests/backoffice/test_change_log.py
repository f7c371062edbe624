"""The change log: honest versions, one entry per change on every write path, origins and the changes feed."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from accounts.models import Contact, Task
from accounts.services import (
    account_save,
    contact_save,
    opportunity_save,
    record_archive,
    record_delete,
    record_restore,
    task_save,
)
from backoffice.changelog import change_log_prune
from backoffice.changes import change_committed
from backoffice.models import ChangeLogEntry, Organization
from tests.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db


def entries_of(record):
    return list(
        ChangeLogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(type(record)), object_id=record.pk
        ).order_by("id")
    )


def test_a_save_that_changes_nothing_writes_nothing(rep):
    contact = contact_save(actor=rep, data={"first_name": "Ann", "last_name": "Lee"}, emails=["ann@example.com"])
    before = contact.updated_at
    contact_save(
        actor=rep,
        contact=contact,
        data={"first_name": "Ann", "last_name": "Lee"},
        emails=["ann@example.com", "Ann@Example.com"],
    )
    contact.refresh_from_db()
    assert contact.version == 1
    assert contact.updated_at == before
    assert [e.action for e in entries_of(contact)] == ["create"]


def test_an_edit_moves_the_version_once_and_names_the_fields(rep):
    contact = contact_save(actor=rep, data={"last_name": "Lee"}, emails=["a@example.com"], phones=[])
    email_row = contact.emails.get()
    contact_save(
        actor=rep,
        contact=contact,
        data={"last_name": "Lee", "job_title": "Buyer"},
        emails=["a@example.com", "b@example.com"],
    )
    contact.refresh_from_db()
    assert contact.version == 2
    last = entries_of(contact)[-1]
    assert last.action == "update" and last.version == 2
    assert set(last.changes) == {"job_title", "emails"}
    assert last.changes["emails"] == [["a@example.com"], ["a@example.com", "b@example.com"]]
    # The unchanged e-mail kept its row: child rows are no longer recreated on every save.
    assert contact.emails.filter(pk=email_row.pk, is_primary=True).exists()


def test_winning_a_deal_does_not_move_the_account_version(rep):
    account = account_save(actor=rep, data={"name": "Acme"})
    deal = opportunity_save(actor=rep, data={"name": "Deal", "account": account, "close_revenue": Decimal("5")})
    opportunity_save(actor=rep, opportunity=deal, data={"status": "won"})
    account.refresh_from_db()
    assert account.lifetime_value == Decimal("5.00")
    assert account.version == 1
    assert [e.action for e in entries_of(account)] == ["create"]


def test_bulk_updates_move_versions_and_are_logged_row_by_row(rep):
    first, second = ContactFactory(owner=rep, job_title="Buyer"), ContactFactory(owner=rep, job_title="CEO")
    updated = Contact.objects.filter(pk__in=[first.pk, second.pk]).update(job_title="CEO")
    assert updated == 2
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.version, second.version) == (2, 1)
    assert first.updated_at > second.updated_at
    assert entries_of(first)[-1].changes == {"job_title": ["Buyer", "CEO"]}
    assert [e.action for e in entries_of(second)] == ["create"]


def test_owner_changes_name_the_old_and_new_owner(rep, manager):
    contact = contact_save(actor=rep, data={"last_name": "Lee"})
    contact_save(actor=manager, contact=contact, data={"owner": manager})
    entry = entries_of(contact)[-1]
    assert (entry.old_owner_id, entry.new_owner_id, entry.actor_id) == (rep.pk, manager.pk, manager.pk)


def test_archive_restore_and_delete_are_recorded(rep):
    task = task_save(actor=rep, data={"subject": "Call"})
    record_archive(actor=rep, instance=task)
    record_archive(actor=rep, instance=task)  # twice is once
    record_restore(actor=rep, instance=task)
    task_id = task.pk
    record_delete(actor=rep, instance=Task.objects.get(pk=task_id))
    log = ChangeLogEntry.objects.filter(object_id=task_id, content_type=ContentType.objects.get_for_model(Task))
    assert [(e.action, e.version) for e in log.order_by("id")] == [
        ("create", 1),
        ("archive", 2),
        ("restore", 3),
        ("delete", 4),
    ]
    assert log.order_by("id").last().object_repr == "Call"


def test_a_deleted_contact_is_taken_off_deals_and_accounts_visibly(rep):
    contact = ContactFactory(owner=rep)
    account = account_save(actor=rep, data={"name": "Acme", "contacts": [contact]})
    deal = opportunity_save(actor=rep, data={"name": "Deal", "account": account, "contact": contact})
    contact_id = contact.pk
    record_delete(actor=rep, instance=contact)
    deal.refresh_from_db()
    account.refresh_from_db()
    assert deal.contact is None and deal.version == 2
    assert entries_of(deal)[-1].changes == {"contact": [contact_id, None]}
    assert account.version == 2
    assert entries_of(account)[-1].changes == {"contacts": [[contact_id], []]}


def test_adding_a_contact_to_an_account_changes_both(rep):
    contact = ContactFactory(owner=rep)
    account = account_save(actor=rep, data={"name": "Acme"})
    account_save(actor=rep, account=account, data={"contacts": [contact]})
    contact.refresh_from_db()
    assert contact.version == 2
    assert entries_of(contact)[-1].changes == {"accounts": [[], [account.pk]]}


def test_origin_follows_the_entry_point(rep, session_client, key_client):
    api = key_client(rep)
    created = api.post("/api/crm/contacts/", {"last_name": "Api"}, format="json")
    assert created.status_code == 201
    web = session_client(rep)
    response = web.post(
        "/crm/contacts/new/", {"last_name": "Web", "gender": "unspecified", "emails": "", "phones": "", "owner": rep.pk}
    )
    assert response.status_code == 302
    origins = dict(
        ChangeLogEntry.objects.filter(
            action="create", content_type=ContentType.objects.get_for_model(Contact)
        ).values_list("object_repr", "origin")
    )
    assert origins["Api"] == "api"
    assert origins.get("Web") == "web"


def test_an_integration_names_itself_as_the_origin(rep):
    from backoffice.changes import change_context

    with change_context(origin="outlook"):
        contact = contact_save(actor=rep, data={"last_name": "Synced"})
    entry = entries_of(contact)[-1]
    assert (entry.origin, entry.actor_id) == ("outlook", rep.pk)


def test_a_committed_change_is_announced_once_after_commit(rep, django_capture_on_commit_callbacks):
    received = []

    def receiver(sender, entry, **kwargs):
        received.append((entry.action, entry.object_id))

    change_committed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            contact = contact_save(actor=rep, data={"last_name": "Lee"})
            contact_save(actor=rep, contact=contact, data={"job_title": "Buyer"})
            assert received == []  # nothing before the commit
        for callback in callbacks:
            callback()
    finally:
        change_committed.disconnect(receiver)
    assert received == [("create", contact.pk), ("update", contact.pk)]


def test_an_update_and_its_entry_are_one_write(rep, django_assert_num_queries):
    contact = contact_save(actor=rep, data={"last_name": "Lee"})
    contact = Contact.objects.get(pk=contact.pk)
    contact.job_title = "Buyer"
    from django.db import connection

    # On PostgreSQL the UPDATE and the INSERT of its entry are one statement.
    with django_assert_num_queries(1 if connection.vendor == "postgresql" else 2):
        contact.save()
    entry = entries_of(contact)[-1]
    assert (entry.action, entry.version, entry.changes) == ("update", 2, {"job_title": ["", "Buyer"]})


def test_a_save_of_a_row_deleted_meanwhile_fails_and_logs_nothing(rep):
    from django.db import DatabaseError, transaction

    contact = contact_save(actor=rep, data={"last_name": "Lee"})
    stale = Contact.objects.get(pk=contact.pk)
    Contact.objects.filter(pk=contact.pk).delete()
    stale.job_title = "Buyer"
    with pytest.raises(DatabaseError), transaction.atomic():
        stale.save()
    assert [e.action for e in entries_of(contact)] == ["create", "delete"]


def feed(client, **params):
    response = client.get("/api/crm/changes/", params)
    assert response.status_code == 200, response.content
    return response.json()


def test_feed_pages_in_order_with_tombstones_and_skips_own_origin(rep, key_client, numbered_now, outsider):
    client = key_client(rep)
    contacts = [ContactFactory(owner=rep) for _ in range(5)]
    ids = [c.pk for c in contacts]
    record_delete(actor=rep, instance=contacts[0])
    task_save(actor=rep, data={"subject": "Call"})
    ContactFactory(owner=outsider)  # another organization: never in this feed

    seen, cursor = [], 0
    while True:
        page = feed(client, after=cursor, limit=2, types="contact")
        seen += page["results"]
        cursor = page["next_after"]
        if not page["has_more"]:
            break
    assert [(e["type"], e["id"], e["action"]) for e in seen] == [
        *[("contact", pk, "create") for pk in ids],
        ("contact", ids[0], "delete"),
    ]
    assert [e["sequence"] for e in seen] == sorted({e["sequence"] for e in seen})
    assert feed(client, after=cursor)["results"][0]["type"] == "task"
    assert feed(client, after=0, types="task", exclude_origin="system")["results"] == []


def test_feed_refuses_bad_input_and_a_pruned_cursor(rep, key_client, numbered_now):
    client = key_client(rep)
    assert client.get("/api/crm/changes/", {"types": "spaceship"}).status_code == 400
    assert client.get("/api/crm/changes/", {"after": "-1"}).status_code == 400
    assert client.get("/api/crm/changes/", {"limit": "100000"}).status_code == 400
    ContactFactory(owner=rep)
    ChangeLogEntry.objects.update(created_at=timezone.now() - dt.timedelta(days=100))
    assert change_log_prune(organization=Organization.objects.get(pk=rep.organization_id), keep_days=90) >= 1
    gone = client.get("/api/crm/changes/", {"after": 0})
    assert gone.status_code == 410
    assert gone.json()["errors"][0]["code"] == "cursor_expired"


def test_feed_reads_in_constant_queries_per_page(rep, key_client, numbered_now, django_assert_max_num_queries):
    client = key_client(rep)
    feed(client, after=0)  # first-use work (key stamp, content types cached per process) out of the way
    for size in (3, 30):
        ContactFactory.create_batch(size, owner=rep)
        with django_assert_max_num_queries(5):
            page = feed(client, after=0, limit=500)
        assert len(page["results"]) >= size


def test_entries_are_kept_for_the_organizations_retention(org_admin, rep, numbered_now):
    from backoffice.org_settings import CHANGE_LOG_SECTION, settings_update
    from backoffice.tasks import change_log_prune_task

    settings_update(actor=org_admin, section=CHANGE_LOG_SECTION, values={"retention_days": 10})
    old, recent = ContactFactory(owner=rep), ContactFactory(owner=rep)
    ChangeLogEntry.objects.filter(object_id=old.pk, content_type=ContentType.objects.get_for_model(Contact)).update(
        created_at=timezone.now() - dt.timedelta(days=11)
    )
    change_log_prune_task()
    assert not entries_of(old)
    assert entries_of(recent)


def test_queryset_delete_logs_every_row(rep):
    tasks = [task_save(actor=rep, data={"subject": f"T{i}"}) for i in range(3)]
    Task.objects.filter(pk__in=[t.pk for t in tasks]).delete()
    assert ChangeLogEntry.objects.filter(action="delete", object_id__in=[t.pk for t in tasks]).count() == 3


def test_a_rep_cannot_archive_what_they_cannot_edit(rep, manager):
    from django.core.exceptions import PermissionDenied

    account = AccountFactory(owner=manager)
    with pytest.raises(PermissionDenied):
        record_archive(actor=rep, instance=account)
    account.refresh_from_db()
    assert account.archived_at is None
