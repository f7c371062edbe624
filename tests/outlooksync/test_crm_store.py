"""The engine's CRM side over the real CRM: a rep's contacts, tasks and events read from PostgreSQL, changes
found through the change log, writes made through the CRM's services with origin "outlook".

The Outlook side here is the engine's in-memory mailbox (its reference behaviour); the Graph-backed one
is tested against the local Graph server elsewhere. Committed transactions: the change log numbers
entries at commit, which is what the CRM side reads.
"""

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from accounts.models import CalendarEvent, Contact, Task
from accounts.services.records import contact_save
from backoffice.models import ChangeLogEntry
from backoffice.records import record_archive
from outlooksync.engine.memory import MemoryOutlookStore
from outlooksync.engine.records import Entity
from outlooksync.engine.run import synchronize
from outlooksync.engine.settings import ConflictWinner, Direction, SyncSettings
from outlooksync.models import SyncLink
from outlooksync.stores.crm import DjangoCrmStore
from tests.factories import CalendarEventFactory, ContactFactory, TaskFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


class Mailbox:
    """A rep's sync as a run sees it: the CRM store keeps its cursors in `state` between runs."""

    def __init__(self, rep, **settings):
        self.rep = rep
        self.settings = SyncSettings(**settings)
        self.state: dict = {}
        self.outlook = MemoryOutlookStore()

    def run(self, **kwargs):
        crm = DjangoCrmStore(user=self.rep, settings=self.settings, state=self.state)
        report = synchronize(settings=self.settings, crm=crm, outlook=self.outlook, **kwargs)
        assert not report.errors, report.errors
        return report

    def items(self, entity=Entity.CONTACT):
        return self.outlook.all(entity)


def _outlook_log_entries():
    return ChangeLogEntry.objects.filter(origin="outlook").count()


def test_first_sync_sends_the_reps_available_contacts_and_links_them(rep, organization):
    mine = ContactFactory(owner=rep, organization=organization, first_name="Ada", last_name="Lovelace")
    contact_save(actor=rep, data={}, contact=mine, emails=["ada@example.com"], phones=[("+14155550100", "mobile")])
    archived = ContactFactory(owner=rep, organization=organization, last_name="Gone")
    record_archive(actor=rep, instance=archived)
    ContactFactory(owner=UserFactory(organization=organization), organization=organization, last_name="Theirs")
    ContactFactory(last_name="Stranger")  # another organization

    box = Mailbox(rep)
    box.run(entities=[Entity.CONTACT])
    [item] = box.items()
    assert item.crm_id == str(mine.pk)
    assert item.fields["last_name"] == "Lovelace" and item.fields["emails"] == ("ada@example.com",)
    assert item.fields["mobile_phone"] == "+14155550100"
    assert SyncLink.objects.filter(user=rep, entity="contact", crm_id=mine.pk).count() == 1

    # An idle run writes nothing on either side: no echo of the sync's own writes.
    before = ChangeLogEntry.objects.count()
    report = box.run(entities=[Entity.CONTACT])
    assert sum(report.counts.values()) == 0
    assert ChangeLogEntry.objects.count() == before


def test_an_outlook_contact_becomes_a_crm_contact_of_the_rep_written_with_origin_outlook(rep, organization):
    box = Mailbox(rep)
    box.run(entities=[Entity.CONTACT])
    box.outlook.add(
        Entity.CONTACT,
        {
            "first_name": "Grace",
            "last_name": "Hopper",
            "job_title": "Rear admiral",
            "emails": ("grace@example.com",),
            "business_phones": ("+14155550123",),
            "addresses": ({"label": "", "street": "1 Navy Way", "city": "Arlington", "country": "US"},),
        },
    )
    box.run(entities=[Entity.CONTACT])
    contact = Contact.objects.get(organization=organization, last_name="Hopper")
    assert contact.owner_id == rep.pk and contact.job_title == "Rear admiral"
    assert contact.email == "grace@example.com" and str(contact.phone) == "+14155550123"
    assert contact.addresses.get().city == "Arlington"
    [item] = box.items()
    assert item.crm_id == str(contact.pk)  # the new id is stamped on the item
    entry = ChangeLogEntry.objects.get(
        content_type=ContentType.objects.get_for_model(Contact), object_id=contact.pk, action="create"
    )
    assert entry.origin == "outlook" and entry.actor_id == rep.pk


def test_edits_flow_both_ways_field_by_field(rep, organization):
    contact = ContactFactory(owner=rep, organization=organization, first_name="Alan", last_name="Turing")
    box = Mailbox(rep)
    box.run(entities=[Entity.CONTACT])
    [item] = box.items()
    contact_save(actor=rep, data={"job_title": "Mathematician"}, contact=Contact.objects.get(pk=contact.pk))
    box.outlook.edit(Entity.CONTACT, item.id, mobile_phone="+14155550199")
    box.run(entities=[Entity.CONTACT])
    contact.refresh_from_db()
    assert str(contact.phones.get(phone_type="mobile").number) == "+14155550199"
    assert box.outlook.get(Entity.CONTACT, item.id).fields["job_title"] == "Mathematician"
    assert box.run(entities=[Entity.CONTACT]).counts.total() == 0


def test_a_conflict_follows_the_winner_and_both_sides_end_equal(rep, organization):
    contact = ContactFactory(owner=rep, organization=organization, last_name="Curie", job_title="Physicist")
    box = Mailbox(rep, conflict=ConflictWinner.OUTLOOK)
    box.run(entities=[Entity.CONTACT])
    [item] = box.items()
    contact_save(actor=rep, data={"job_title": "Chemist"}, contact=Contact.objects.get(pk=contact.pk))
    box.outlook.edit(Entity.CONTACT, item.id, job_title="Professor")
    box.run(entities=[Entity.CONTACT])
    contact.refresh_from_db()
    assert contact.job_title == "Professor"
    assert box.outlook.get(Entity.CONTACT, item.id).fields["job_title"] == "Professor"


def test_an_outlook_deletion_archives_with_outlook_wins_and_never_deletes(rep, organization):
    contact = ContactFactory(owner=rep, organization=organization, last_name="Noether")
    box = Mailbox(rep, conflict=ConflictWinner.OUTLOOK)
    box.run(entities=[Entity.CONTACT])
    [item] = box.items()
    box.outlook.remove(Entity.CONTACT, item.id)
    box.run(entities=[Entity.CONTACT])
    contact.refresh_from_db()
    assert contact.archived_at is not None  # archived, restorable, not deleted


def test_an_outlook_deletion_with_crm_wins_keeps_the_record_and_unlinks_it(rep, organization):
    contact = ContactFactory(owner=rep, organization=organization, last_name="Franklin")
    box = Mailbox(rep)
    box.run(entities=[Entity.CONTACT])
    [item] = box.items()
    box.outlook.remove(Entity.CONTACT, item.id)
    box.run(entities=[Entity.CONTACT])
    contact.refresh_from_db()
    assert contact.archived_at is None
    assert box.items() == []  # not created again while the record does not change
    # It goes back to Outlook the next time it changes in the CRM.
    contact_save(actor=rep, data={"job_title": "Chemist"}, contact=contact)
    box.run(entities=[Entity.CONTACT])
    [again] = box.items()
    assert again.crm_id == str(contact.pk) and again.fields["job_title"] == "Chemist"


def test_a_contact_reassigned_or_archived_in_the_crm_leaves_the_reps_outlook(rep, manager, organization):
    kept, moved, archived = (
        ContactFactory(owner=rep, organization=organization, last_name=name) for name in ("Kept", "Moved", "Archived")
    )
    box = Mailbox(rep)
    box.run(entities=[Entity.CONTACT])
    assert len(box.items()) == 3
    colleague = UserFactory(organization=organization)
    contact_save(actor=manager, data={"owner": colleague}, contact=Contact.objects.get(pk=moved.pk))
    record_archive(actor=rep, instance=Contact.objects.get(pk=archived.pk))
    box.run(entities=[Entity.CONTACT])
    assert [item.fields["last_name"] for item in box.items()] == ["Kept"]
    assert Contact.objects.filter(pk__in=[moved.pk, archived.pk]).count() == 2  # nothing deleted in the CRM


def test_one_way_crm_to_outlook_never_writes_the_crm(rep, organization):
    contact = ContactFactory(owner=rep, organization=organization, last_name="Lamarr", job_title="Inventor")
    box = Mailbox(rep, direction=Direction.CRM_TO_OUTLOOK)
    box.run(entities=[Entity.CONTACT])
    [item] = box.items()
    box.outlook.edit(Entity.CONTACT, item.id, job_title="Actress")
    box.outlook.add(Entity.CONTACT, {"last_name": "Outlook only"})
    box.run(entities=[Entity.CONTACT])
    contact.refresh_from_db()
    assert contact.job_title == "Inventor"
    assert not Contact.objects.filter(last_name="Outlook only").exists()
    assert _outlook_log_entries() == 0


def test_tasks_and_a_recurring_event_with_its_exceptions(rep, organization):
    due = timezone.now().replace(microsecond=0) + dt.timedelta(days=2)
    task = TaskFactory(owner=rep, organization=organization, subject="Call Ada", due_at=due, priority="high")
    start = timezone.now().replace(minute=0, second=0, microsecond=0) + dt.timedelta(days=1)
    series = CalendarEventFactory(
        owner=rep,
        organization=organization,
        title="Weekly review",
        start=start,
        end=start + dt.timedelta(hours=1),
        recurrence_rule="FREQ=WEEKLY;COUNT=5",
        cancelled_starts=[(start + dt.timedelta(weeks=1)).astimezone(dt.UTC).isoformat()],
    )
    moved = CalendarEventFactory(
        owner=rep,
        organization=organization,
        title="Weekly review (moved)",
        series=series,
        original_start=start + dt.timedelta(weeks=2),
        start=start + dt.timedelta(weeks=2, hours=3),
        end=start + dt.timedelta(weeks=2, hours=4),
    )
    box = Mailbox(rep)
    box.run()
    [task_item] = box.items(Entity.TASK)
    assert task_item.fields["subject"] == "Call Ada" and task_item.fields["importance"] == "high"
    assert task_item.fields["due_at"] == due
    [event_item] = box.items(Entity.EVENT)  # the series only: an occurrence is never its own event
    assert event_item.fields["recurrence_rule"] == "FREQ=WEEKLY;COUNT=5"
    assert event_item.fields["cancelled_starts"] == (start + dt.timedelta(weeks=1),)
    [exception] = event_item.fields["exceptions"]
    assert exception["title"] == "Weekly review (moved)" and exception["start"] == moved.start

    # Outlook moves another occurrence: the CRM gets a row for it, pointing at its series.
    third = start + dt.timedelta(weeks=3)
    exceptions = (
        *event_item.fields["exceptions"],
        {
            "original_start": third,
            "title": "Weekly review",
            "body": "",
            "location": "Room 2",
            "start": third,
            "end": third + dt.timedelta(hours=2),
        },
    )
    box.outlook.edit(Entity.EVENT, event_item.id, exceptions=exceptions)
    box.outlook.edit(Entity.TASK, task_item.id, status="completed")
    box.run()
    assert CalendarEvent.objects.get(series=series, original_start=third).location == "Room 2"
    task.refresh_from_db()
    assert task.status == "completed" and task.completed_at is not None
    assert Task.objects.filter(organization=organization).count() == 1
