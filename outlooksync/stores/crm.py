"""The engine's CRM side over Django: one rep's contacts, tasks and calendar events, and the stored links.

Changes are read from the change log (the same feed plug-ins follow): the cursor is its sequence, so a
change committed while a run reads is read by the next run, and nothing is missed or read twice.
Writes go through the CRM's services (validation, child lists, versions, the change log with origin
`outlook`) inside one transaction per unit of work, with the links they concern; a group of steps' writes
is made set-based with the same outcome (`outlooksync.stores.crm_writes.write_batch`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Max, Prefetch, Q
from django.utils import timezone

from accounts.models import CalendarEvent, Contact, ContactAddress, ContactEmail, ContactPhone, Task
from accounts.services.records import ADDRESS_FIELDS
from backoffice.changes import change_context
from backoffice.models import ChangeLogEntry, User
from backoffice.records import record_archive, record_restore
from outlooksync.engine.records import Availability, CrmRecord, Entity, FieldValues, Link, Side
from outlooksync.engine.settings import SyncSettings
from outlooksync.engine.stores import ChangedMeanwhile, CrmChanges, RecordWrite
from outlooksync.models import SyncLink
from outlooksync.stores.crm_writes import record_write, write_batch

ORIGIN = "outlook"
# Ids per query when reading records by id or key: bounded statements, a constant number per 500 items.
CHUNK = 500
# Change log entries read per run and entity; the rest is read by the next run (the cursor moves on).
CHANGES_PER_RUN = 20_000

MODELS = {Entity.CONTACT: Contact, Entity.TASK: Task, Entity.EVENT: CalendarEvent}
KEY_COLUMN = {Entity.CONTACT: "last_name", Entity.TASK: "subject", Entity.EVENT: "title"}


def _chunks(values: Sequence, size: int = CHUNK) -> Iterator[Sequence]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _instant(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and value:
        parsed = dt.datetime.fromisoformat(value)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    return None


# -- rows as the engine's values ------------------------------------------------------------------


def contact_values(contact: Contact) -> dict[str, Any]:
    phones = list(contact.phones.all())
    accounts = list(contact.accounts.all())
    return {
        "name_prefix": contact.name_prefix,
        "first_name": contact.first_name,
        "middle_name": contact.middle_name,
        "last_name": contact.last_name,
        "gender": contact.gender,
        "birthday": contact.birthday,
        "job_title": contact.job_title,
        "company_name": accounts[0].name if accounts else "",
        "emails": tuple(row.email for row in contact.emails.all()),
        "business_phones": tuple(str(row.number) for row in phones if row.phone_type == "business"),
        "home_phones": tuple(str(row.number) for row in phones if row.phone_type == "home"),
        "mobile_phone": next((str(row.number) for row in phones if row.phone_type == "mobile"), ""),
        "addresses": tuple(
            {name: getattr(row, name) or "" for name in ADDRESS_FIELDS} for row in contact.addresses.all()
        ),
        "notes": contact.description,
    }


def task_values(task: Task) -> dict[str, Any]:
    return {
        "subject": task.subject,
        "body": task.description,
        "start_at": task.start_at,
        "due_at": task.due_at,
        "status": task.status,
        "importance": task.priority,
        "reminder_at": task.reminder_at,
        "completed_at": task.completed_at,
    }


def event_values(event: CalendarEvent) -> dict[str, Any]:
    exceptions = sorted(
        (
            {
                "original_start": row.original_start,
                "title": row.title,
                "body": row.description,
                "location": row.location,
                "start": row.start,
                "end": row.end,
            }
            for row in event.exceptions.all()
            if row.original_start is not None
        ),
        key=lambda item: item["original_start"],
    )
    return {
        "title": event.title,
        "body": event.description,
        "location": event.location,
        "start": event.start,
        "end": event.end,
        "all_day": event.all_day,
        "time_zone": event.time_zone,
        "recurrence_rule": event.recurrence_rule,
        "cancelled_starts": tuple(sorted(filter(None, (_instant(value) for value in event.cancelled_starts or [])))),
        "exceptions": tuple(exceptions),
    }


VALUES = {Entity.CONTACT: contact_values, Entity.TASK: task_values, Entity.EVENT: event_values}


def _prefetched(entity: Entity, rows):
    if entity is Entity.CONTACT:
        return rows.prefetch_related(
            Prefetch("emails", ContactEmail.objects.order_by("-is_primary", "id")),
            Prefetch("phones", ContactPhone.objects.order_by("-is_primary", "id")),
            Prefetch("addresses", ContactAddress.objects.order_by("-is_primary", "id")),
            "accounts",
        )
    if entity is Entity.EVENT:
        return rows.filter(series__isnull=True).prefetch_related(
            Prefetch("exceptions", CalendarEvent.objects.order_by("original_start", "id"))
        )
    return rows


class DjangoCrmStore:
    """One rep's side of the CRM for the engine (`outlooksync.engine.stores.CrmStore`).

    `state` is the connection's per-entity state (a dict the caller persists after the run); the CRM
    cursor of an entity is kept there under "crm_cursor".
    """

    def __init__(
        self,
        *,
        user: User,
        settings: SyncSettings,
        state: dict,
        now: dt.datetime | None = None,
        batch_writes: bool = True,
    ):
        self.user = user
        # False: every record written on its own through its service (the reference the batches equal).
        self.batch_writes = batch_writes
        self.settings = settings
        self.state = state
        self.now = now or timezone.now()
        self.queries_reads = 0

    # -- availability ----------------------------------------------------------------------------

    def _window(self) -> tuple[dt.datetime, dt.datetime]:
        return (
            self.now - dt.timedelta(days=self.settings.calendar_days_back),
            self.now + dt.timedelta(days=self.settings.calendar_days_ahead),
        )

    def _availability(self, entity: Entity, row) -> Availability:
        if row.owner_id != self.user.pk:
            return Availability.REASSIGNED
        if row.archived_at is not None:
            return Availability.ARCHIVED
        start_date = self.settings.start_date
        if start_date is not None and row.updated_at.date() < start_date:
            return Availability.OUT_OF_RANGE
        if entity is Entity.EVENT:
            first, last = self._window()
            if row.start > last or (not row.recurrence_rule and row.end < first):
                return Availability.OUT_OF_RANGE
        return Availability.AVAILABLE

    def _record(self, entity: Entity, row) -> CrmRecord:
        return CrmRecord(
            entity=entity,
            id=str(row.pk),
            fields=VALUES[entity](row),
            version=row.version,
            created_at=row.created_at,
            availability=self._availability(entity, row),
            updated_at=row.updated_at,
        )

    def _rows(self, entity: Entity):
        return _prefetched(entity, MODELS[entity].objects.filter(organization_id=self.user.organization_id))

    def _available_rows(self, entity: Entity):
        rows = self._rows(entity).filter(owner=self.user, archived_at__isnull=True)
        if self.settings.start_date is not None:
            rows = rows.filter(updated_at__date__gte=self.settings.start_date)
        if entity is Entity.EVENT:
            first, last = self._window()
            rows = rows.filter(start__lte=last).filter(Q(end__gte=first) | ~Q(recurrence_rule=""))
        return rows

    # -- CrmStore --------------------------------------------------------------------------------

    def _entity_state(self, entity: Entity) -> dict:
        return self.state.setdefault(str(entity), {})

    def _head(self) -> int:
        return (
            ChangeLogEntry.objects.filter(organization_id=self.user.organization_id).aggregate(top=Max("sequence"))[
                "top"
            ]
            or 0
        )

    def read_changes(self, entity: Entity, *, full: bool) -> CrmChanges:
        cursor = self._entity_state(entity).get("crm_cursor")
        if full or cursor is None:
            # The head is read first: a change committed during the listing is read again next time.
            head = self._head()
            records = [self._record(entity, row) for row in self._available_rows(entity).order_by("id")]
            return CrmChanges(records=records, cursor=head, full=True)
        content_type = ContentType.objects.get_for_model(MODELS[entity])
        entries = list(
            ChangeLogEntry.objects.filter(
                organization_id=self.user.organization_id, content_type=content_type, sequence__gt=cursor
            )
            .order_by("sequence")
            .values_list("sequence", "object_id", "origin", "actor_id")[:CHANGES_PER_RUN]
        )
        if not entries:
            return CrmChanges(records=(), cursor=cursor)
        # What this rep's sync wrote itself is skipped (its links already hold it: no echo); the cursor still
        # moves past it.
        ids = list(
            dict.fromkeys(
                object_id
                for _, object_id, origin, actor_id in entries
                if not (origin == ORIGIN and actor_id == self.user.pk)
            )
        )
        if entity is Entity.EVENT:
            # A changed occurrence is part of its series: the series is what changed.
            series = dict(CalendarEvent.objects.filter(pk__in=ids, series__isnull=False).values_list("pk", "series_id"))
            ids = list(dict.fromkeys(series.get(pk, pk) for pk in ids))
        linked = set(
            SyncLink.objects.filter(user=self.user, entity=entity, crm_id__in=ids).values_list("crm_id", flat=True)
        )
        records, found = [], set()
        for chunk in _chunks(ids):
            for row in self._rows(entity).filter(pk__in=chunk):
                found.add(row.pk)
                if row.owner_id == self.user.pk or row.pk in linked:
                    records.append(self._record(entity, row))
        deleted = [str(pk) for pk in ids if pk not in found and pk in linked]
        return CrmChanges(records=records, deleted_ids=deleted, cursor=entries[-1][0])

    def get_records(self, entity: Entity, crm_ids: Collection[str]) -> Mapping[str, CrmRecord]:
        ids = sorted({int(value) for value in crm_ids if str(value).isdigit()})
        found: dict[str, CrmRecord] = {}
        for chunk in _chunks(ids):
            for row in self._rows(entity).filter(pk__in=chunk):
                found[str(row.pk)] = self._record(entity, row)
        return found

    def find_key_candidates(self, entity: Entity, probes: Sequence[FieldValues]) -> Iterable[CrmRecord]:
        column = KEY_COLUMN[entity]
        engine_name = {"last_name": "last_name", "subject": "subject", "title": "title"}[column]
        names = sorted({str(probe.get(engine_name) or "").strip().lower() for probe in probes})
        candidates = []
        for chunk in _chunks(names):
            condition = Q()
            for name in chunk:
                condition |= Q(**{f"{column}__iexact": name})
            rows = self._available_rows(entity).filter(condition)
            candidates.extend(self._record(entity, row) for row in rows)
        return candidates

    def links(self, entity: Entity) -> Sequence[Link]:
        return [
            Link(
                entity=entity,
                crm_id=str(row.crm_id),
                outlook_id=row.outlook_id,
                change_key=row.change_key,
                crm_version=row.crm_version,
                crm_field_hashes=row.crm_field_hashes,
                outlook_field_hashes=row.outlook_field_hashes,
            )
            for row in SyncLink.objects.filter(user=self.user, entity=entity).order_by("id")
        ]

    @contextmanager
    def unit_of_work(self) -> Iterator[DjangoUnitOfWork]:
        with transaction.atomic(), change_context(actor=self.user, origin=ORIGIN):
            unit = DjangoUnitOfWork(self) if self.batch_writes else OneByOneUnitOfWork(self)
            yield unit
            unit.flush_links()

    def commit_cursor(self, entity: Entity, cursor: Any) -> None:
        if cursor is not None:
            self._entity_state(entity)["crm_cursor"] = cursor


class DjangoUnitOfWork:
    """CRM writes and link writes of one step, in the transaction `DjangoCrmStore.unit_of_work` opened."""

    def __init__(self, store: DjangoCrmStore):
        self.store = store
        self.user = store.user
        self._saved: dict[tuple[str, str], Link] = {}
        self._deleted: set[tuple[str, str]] = set()

    def _locked(self, entity: Entity, crm_id: str, expected_version: int):
        row = (
            MODELS[entity]
            .objects.select_for_update()
            .filter(organization_id=self.user.organization_id, pk=int(crm_id))
            .first()
        )
        if row is None or row.version != expected_version:
            raise ChangedMeanwhile(side=Side.CRM, entity=entity, record_id=crm_id)
        return row

    def _reread(self, entity: Entity, pk: int) -> CrmRecord:
        row = self.store._rows(entity).get(pk=pk)
        return self.store._record(entity, row)

    def _write(self, entity: Entity, row, fields: FieldValues):
        return record_write(entity, self.user, row, fields)

    def write_batch(self, entity: Entity, writes: Sequence[RecordWrite]) -> list[CrmRecord]:
        """Several records' writes at once, with the same outcome as one by one (see `crm_writes`)."""
        return write_batch(self, entity, writes)

    def create_record(self, entity: Entity, fields: FieldValues) -> CrmRecord:
        row = self._write(entity, None, fields)
        return self._reread(entity, row.pk)

    def update_record(self, entity: Entity, crm_id: str, fields: FieldValues, *, expected_version: int) -> CrmRecord:
        row = self._locked(entity, crm_id, expected_version)
        self._write(entity, row, fields)
        return self._reread(entity, row.pk)

    def restore_record(self, entity: Entity, crm_id: str, fields: FieldValues, *, expected_version: int) -> CrmRecord:
        row = self._locked(entity, crm_id, expected_version)
        if row.archived_at is not None:
            row = record_restore(actor=self.user, instance=row)
        self._write(entity, row, fields)
        return self._reread(entity, row.pk)

    def archive_record(self, entity: Entity, crm_id: str, *, expected_version: int) -> CrmRecord:
        row = self._locked(entity, crm_id, expected_version)
        if row.archived_at is None:
            record_archive(actor=self.user, instance=row)
        return self._reread(entity, row.pk)

    def save_link(self, link: Link) -> None:
        """Kept until the unit of work ends, then written with the others in one statement."""
        self._saved[(str(link.entity), link.outlook_id)] = link
        self._deleted.discard((str(link.entity), link.outlook_id))

    def delete_link(self, entity: Entity, outlook_id: str) -> None:
        self._saved.pop((str(entity), outlook_id), None)
        self._deleted.add((str(entity), outlook_id))

    def flush_links(self) -> None:
        """The unit's link writes: one DELETE and one INSERT … ON CONFLICT DO UPDATE, however many links."""
        if self._deleted:
            condition = Q()
            for entity, outlook_id in self._deleted:
                condition |= Q(entity=entity, outlook_id=outlook_id)
            SyncLink.objects.filter(condition, user=self.user).delete()
            self._deleted.clear()
        if self._saved:
            now = timezone.now()
            SyncLink.objects.bulk_create(
                [
                    SyncLink(
                        organization_id=self.user.organization_id,
                        user=self.user,
                        entity=entity,
                        outlook_id=outlook_id,
                        crm_id=int(link.crm_id),
                        change_key=link.change_key,
                        crm_version=link.crm_version,
                        crm_field_hashes=dict(link.crm_field_hashes),
                        outlook_field_hashes=dict(link.outlook_field_hashes),
                        synced_at=now,
                    )
                    for (entity, outlook_id), link in self._saved.items()
                ],
                update_conflicts=True,
                unique_fields=["user", "entity", "outlook_id"],
                update_fields=[
                    "crm_id",
                    "change_key",
                    "crm_version",
                    "crm_field_hashes",
                    "outlook_field_hashes",
                    "synced_at",
                ],
            )
            self._saved.clear()


class OneByOneUnitOfWork(DjangoUnitOfWork):
    """A unit of work that writes records one at a time (no `write_batch`: the executor calls the
    one-record methods)."""

    write_batch = None  # type: ignore[assignment]
