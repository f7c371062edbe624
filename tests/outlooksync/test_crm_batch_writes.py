"""The CRM side's set-based writes (`crm_writes.write_batch`) against the one-by-one writes through the services.

Two reps of one organization live through the same story, one synced with batched CRM writes and one
with every record written on its own: their records, child rows and change log entries end equal. The
batched writes also cost the same number of statements for three records as for thirty.
"""

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import CalendarEvent, Contact, ContactAddress, ContactEmail, ContactPhone, Task
from accounts.services.records import contact_save
from backoffice.changes import jsonable
from backoffice.choices import Role
from backoffice.models import ChangeLogEntry
from backoffice.models.tracking import _tracked_fields
from backoffice.records import record_archive
from outlooksync.engine.memory import MemoryOutlookStore
from outlooksync.engine.records import Entity, Side
from outlooksync.engine.run import synchronize
from outlooksync.engine.settings import ConflictWinner, SyncSettings
from outlooksync.engine.stores import ChangedMeanwhile, RecordWrite
from outlooksync.stores.crm import DjangoCrmStore
from tests.factories import CalendarEventFactory, ContactFactory, TaskFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

CONTACT, TASK, EVENT = Entity.CONTACT, Entity.TASK, Entity.EVENT
BASE = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0) + dt.timedelta(days=2)
ADDRESS = {"label": "Home", "street": "2 Elm St", "city": "Boston", "region": "MA", "postal_code": "02101"}


class Mailbox:
    def __init__(self, rep, *, batch_writes: bool):
        self.rep = rep
        self.batch_writes = batch_writes
        self.settings = SyncSettings(conflict=ConflictWinner.OUTLOOK)
        self.state: dict = {}
        self.outlook = MemoryOutlookStore()

    def run(self):
        crm = DjangoCrmStore(user=self.rep, settings=self.settings, state=self.state, batch_writes=self.batch_writes)
        report = synchronize(settings=self.settings, crm=crm, outlook=self.outlook)
        assert not report.errors, report.errors
        return report

    def item(self, entity: Entity, name: str):
        field = {CONTACT: "last_name", TASK: "subject", EVENT: "title"}[entity]
        [item] = [item for item in self.outlook.all(entity) if item.fields[field] == name]
        return item


def live_the_story(rep, organization, *, batch_writes: bool) -> Mailbox:
    """Records in the CRM, a first sync, then the rep's edits in Outlook (and one archive in the CRM) synced."""
    alpha = ContactFactory(owner=rep, organization=organization, first_name="Al", last_name="Alpha", job_title="Buyer")
    contact_save(actor=rep, data={}, contact=alpha, emails=["al@example.com"], phones=[("+14155550100", "mobile")])
    for name in ("Bravo", "Charlie", "Delta", "Echo"):
        ContactFactory(owner=rep, organization=organization, first_name=name[0], last_name=name, job_title="Buyer")
    TaskFactory(owner=rep, organization=organization, subject="Call Ada", due_at=BASE, priority="high")
    TaskFactory(owner=rep, organization=organization, subject="Send deck", due_at=BASE)
    CalendarEventFactory(
        owner=rep, organization=organization, title="Lunch", start=BASE, end=BASE + dt.timedelta(hours=1)
    )
    series = CalendarEventFactory(
        owner=rep,
        organization=organization,
        title="Weekly review",
        start=BASE,
        end=BASE + dt.timedelta(hours=1),
        recurrence_rule="FREQ=WEEKLY;COUNT=5",
    )
    CalendarEventFactory(
        owner=rep,
        organization=organization,
        title="Weekly review (moved)",
        series=series,
        original_start=BASE + dt.timedelta(weeks=1),
        start=BASE + dt.timedelta(weeks=1, hours=2),
        end=BASE + dt.timedelta(weeks=1, hours=3),
    )
    box = Mailbox(rep, batch_writes=batch_writes)
    box.run()

    record_archive(actor=rep, instance=Contact.objects.get(owner=rep, last_name="Delta"))
    edit = box.outlook.edit
    alpha_item = box.item(CONTACT, "Alpha")
    edit(
        CONTACT,
        alpha_item.id,
        job_title="Partner",
        emails=("al@example.com", "alpha@example.com"),
        business_phones=("+14155550111",),
    )
    edit(CONTACT, box.item(CONTACT, "Bravo").id, addresses=(ADDRESS,), notes="Met at the fair")
    box.outlook.remove(CONTACT, box.item(CONTACT, "Charlie").id)  # Outlook wins: archived
    edit(CONTACT, box.item(CONTACT, "Delta").id, job_title="Back again")  # Outlook wins: restored
    edit(CONTACT, box.item(CONTACT, "Echo").id, job_title="Buyer")  # touched, nothing changed
    box.outlook.add(CONTACT, {"first_name": "Fox", "last_name": "Foxtrot", "emails": ("fox@example.com",)})
    box.outlook.add(TASK, {"subject": "From Outlook", "due_at": BASE + dt.timedelta(days=1), "importance": "high"})
    meeting = BASE + dt.timedelta(hours=5)
    plain = {"body": "", "location": "", "all_day": False, "time_zone": "UTC", "recurrence_rule": ""}
    plain |= {"cancelled_starts": (), "exceptions": ()}
    box.outlook.add(
        EVENT, {**plain, "title": "Outlook meeting", "start": meeting, "end": meeting + dt.timedelta(hours=1)}
    )
    fair = {**plain, "title": "Trade fair", "all_day": True, "time_zone": "Europe/Berlin"}
    box.outlook.add(EVENT, {**fair, "start": BASE, "end": BASE + dt.timedelta(days=2)})
    edit(TASK, box.item(TASK, "Call Ada").id, status="completed", importance="low", completed_at=BASE)
    edit(TASK, box.item(TASK, "Send deck").id, due_at=BASE + dt.timedelta(days=3))
    edit(EVENT, box.item(EVENT, "Lunch").id, location="Room 4", body="Bring the deck")
    weekly = box.item(EVENT, "Weekly review")
    third = BASE + dt.timedelta(weeks=3)
    moved = {"original_start": third, "title": "Weekly review", "body": "", "location": "Room 2"}
    edit(EVENT, weekly.id, exceptions=(*weekly.fields["exceptions"], {**moved, "start": third, "end": third}))
    box.run()
    return box


def snapshot(rep) -> dict:
    """Everything a person could see of the rep's records, with ids replaced by names."""
    contacts = list(Contact.objects.filter(owner=rep))
    tasks = list(Task.objects.filter(owner=rep))
    events = list(CalendarEvent.objects.filter(owner=rep))
    names = {("contact", row.pk): row.last_name for row in contacts}
    names |= {("task", row.pk): row.subject for row in tasks}
    names |= {("event", row.pk): f"{row.title} {row.original_start}" for row in events}
    rows = {}
    for kind, model, records in (
        ("contact", Contact, contacts),
        ("task", Task, tasks),
        ("event", CalendarEvent, events),
    ):
        for row in records:
            values = {
                field.name: jsonable(getattr(row, field.attname))
                for field in _tracked_fields(model)
                if field.name not in ("owner", "series", "archived_at")
            }
            values["archived"] = row.archived_at is not None
            values["version"] = row.version
            if kind == "event":
                values["series"] = names.get(("event", row.series_id))
            if kind == "contact":
                values["emails"] = list(
                    ContactEmail.objects.filter(contact=row)
                    .order_by("-is_primary", "id")
                    .values_list("email", "is_primary")
                )
                values["phones"] = [
                    (str(number), kind_, primary)
                    for number, kind_, primary in ContactPhone.objects.filter(contact=row)
                    .order_by("-is_primary", "id")
                    .values_list("number", "phone_type", "is_primary")
                ]
                values["addresses"] = list(
                    ContactAddress.objects.filter(contact=row)
                    .order_by("-is_primary", "id")
                    .values("label", "street", "city", "postal_code", "is_primary")
                )
            entries = []
            for entry in ChangeLogEntry.objects.filter(
                content_type__model=model._meta.model_name, object_id=row.pk
            ).order_by("id"):
                changes = dict(entry.changes)
                if "archived_at" in changes:
                    changes["archived_at"] = [value is not None for value in changes["archived_at"]]
                if "owner" in changes:
                    changes["owner"] = [value == rep.pk if value else value for value in changes["owner"]]
                if "series" in changes:
                    changes["series"] = [names.get(("event", value)) for value in changes["series"]]
                entries.append(
                    (entry.action, entry.version, changes, entry.origin, entry.actor_id == rep.pk, entry.object_repr)
                )
            values["log"] = entries
            rows[names[(kind, row.pk)]] = values
    return rows


def test_batched_crm_writes_end_as_the_services_one_by_one(organization):
    one_by_one = UserFactory(organization=organization, role=Role.REP)
    batched = UserFactory(organization=organization, role=Role.REP)
    live_the_story(one_by_one, organization, batch_writes=False)
    live_the_story(batched, organization, batch_writes=True)

    expected, got = snapshot(one_by_one), snapshot(batched)
    assert got.keys() == expected.keys()
    for name in expected:
        assert got[name] == expected[name], name
    # What the story did, so that equal is not equally nothing.
    alpha = got["Alpha"]
    assert alpha["job_title"] == "Partner"
    assert [email for email, _ in alpha["emails"]] == ["al@example.com", "alpha@example.com"]
    assert {(number, kind) for number, kind, _ in alpha["phones"]} == {
        ("+14155550100", "mobile"),
        ("+14155550111", "business"),
    }
    assert got["Bravo"]["addresses"][0]["street"] == "2 Elm St" and got["Bravo"]["description"] == "Met at the fair"
    assert got["Charlie"]["archived"] and not got["Delta"]["archived"] and got["Delta"]["job_title"] == "Back again"
    assert [entry[0] for entry in got["Delta"]["log"]][-3:] == ["archive", "restore", "update"]
    assert got["Echo"]["version"] == 1 and len(got["Echo"]["log"]) == 1
    assert got["Foxtrot"]["log"][0][0] == "create" and got["Foxtrot"]["emails"] == [("fox@example.com", True)]
    assert got["Call Ada"]["status"] == "completed" and got["Call Ada"]["priority"] == "low"
    assert got["Lunch None"]["location"] == "Room 4"
    assert got["From Outlook"]["priority"] == "high" and got["From Outlook"]["log"][0][0] == "create"
    assert got["Outlook meeting None"]["version"] == 1
    assert got["Trade fair None"]["all_day"] and got["Trade fair None"]["time_zone"] == "Europe/Berlin"
    assert any(key.startswith("Weekly review") and got[key]["location"] == "Room 2" for key in got)
    synced = [entry for row in got.values() for entry in row["log"] if entry[3] == "outlook"]
    assert synced and all(entry[4] for entry in synced)  # the rep is the actor of every sync write


def _outlook_edits_run(rep, organization, count: int) -> int:
    """The statements of a run that writes `count` contacts' Outlook edits (their job titles and phones) and
    `count` new Outlook contacts (with e-mails and an address) into the CRM."""
    for number in range(count):
        ContactFactory(
            owner=rep, organization=organization, first_name="P", last_name=f"Person{number:02d}", job_title="Buyer"
        )
    box = Mailbox(rep, batch_writes=True)
    box.run()
    for item in box.outlook.all(CONTACT):
        box.outlook.edit(CONTACT, item.id, job_title="Partner", mobile_phone="+14155550123")
    for number in range(count):
        box.outlook.add(
            CONTACT,
            {
                "first_name": "New",
                "last_name": f"Newcomer{number:02d}",
                "job_title": "Partner",
                "emails": (f"new{number}@example.com", f"other{number}@example.com"),
                "addresses": (ADDRESS,),
            },
        )
    ContentType.objects.clear_cache()  # both runs look their content types up once
    with CaptureQueriesContext(connection) as queries:
        report = box.run()
    assert report.count(Side.CRM, CONTACT, "updated") == count
    assert report.count(Side.CRM, CONTACT, "created") == count
    assert set(Contact.objects.filter(owner=rep).values_list("job_title", flat=True)) == {"Partner"}
    assert ContactPhone.objects.filter(contact__owner=rep, phone_type="mobile").count() == count
    assert ContactEmail.objects.filter(contact__owner=rep).count() == 2 * count
    assert ContactAddress.objects.filter(contact__owner=rep, is_primary=True).count() == count
    return len(queries)


def test_batched_crm_writes_take_as_many_statements_for_thirty_records_as_for_three(organization):
    few = _outlook_edits_run(UserFactory(organization=organization, role=Role.REP), organization, 3)
    many = _outlook_edits_run(UserFactory(organization=organization, role=Role.REP), organization, 30)
    assert many == few


def test_a_batch_refuses_what_the_service_refuses_and_checks_rows_without_asking_the_database(rep, organization):
    event = CalendarEventFactory(
        owner=rep, organization=organization, title="Lunch", start=BASE, end=BASE + dt.timedelta(hours=1)
    )
    contact = ContactFactory(owner=rep, organization=organization, first_name="Al", last_name="Alpha")
    store = DjangoCrmStore(user=rep, settings=SyncSettings(), state={})
    later = {"start": BASE + dt.timedelta(hours=2), "end": BASE + dt.timedelta(hours=3)}
    with CaptureQueriesContext(connection) as queries, store.unit_of_work() as unit:
        [written] = unit.write_batch(EVENT, [RecordWrite("update", str(event.pk), later, 1)])
    assert written.version == 2 and written.fields["start"] == later["start"]
    # The row's check constraint (end after start) is evaluated on the row, not by a query.
    assert not any("_check" in query["sql"] for query in queries.captured_queries)

    backwards = {"start": BASE, "end": BASE - dt.timedelta(hours=1)}
    with pytest.raises(ValidationError, match="cannot end before it starts"), store.unit_of_work() as unit:
        unit.write_batch(EVENT, [RecordWrite("update", str(event.pk), backwards, 2)])
    with pytest.raises(ValidationError, match="valid email"), store.unit_of_work() as unit:
        unit.write_batch(CONTACT, [RecordWrite("update", str(contact.pk), {"emails": ("not an address",)}, 1)])
    with pytest.raises(ChangedMeanwhile), store.unit_of_work() as unit:
        unit.write_batch(CONTACT, [RecordWrite("update", str(contact.pk), {"job_title": "Partner"}, 7)])
    event.refresh_from_db()
    contact.refresh_from_db()
    assert (event.version, contact.version) == (2, 1)
    assert not ContactEmail.objects.filter(contact=contact, email="not an address").exists()
