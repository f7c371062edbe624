"""The engine's values written on CRM rows: one record through the CRM's services, or many at once.

`record_write` writes one record through `contact_save`, `task_save` and `event_save` (validation,
child lists, versions, the change log). `write_batch` writes a group of records with the same
outcome, set-based: the rows locked in one statement, their values prepared and checked by the same
service functions (`contact_prepare`, `task_prepare`, `event_prepare`, `full_clean`), then written
with one UPDATE, one change log INSERT (`TrackedQuerySet.bulk_save`: one version and one entry per
record that changed, none for one that did not) and a constant number of statements per child list.
Creates go in one INSERT with their entries (`TrackedQuerySet.bulk_create`). What the batch cannot write
set-based goes through `record_write` in the same transaction: a series whose changed occurrences differ
from the stored ones, or created with some.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models import Prefetch
from django.utils import timezone

from accounts.models import CalendarEvent, Contact, ContactAddress, ContactEmail, ContactPhone, Task
from accounts.services.activities import activity_delete, event_prepare, event_save, task_prepare, task_save
from accounts.services.records import ADDRESS_FIELDS, contact_children_write_many, contact_prepare, contact_save
from backoffice.access import check_owner_assignable, check_same_organization, check_write
from backoffice.changes import jsonable
from backoffice.models import User
from backoffice.models.tracking import same_value
from outlooksync.engine.records import CrmRecord, Entity, FieldValues, Side
from outlooksync.engine.stores import ChangedMeanwhile, RecordWrite

if TYPE_CHECKING:
    from outlooksync.stores.crm import DjangoUnitOfWork

# Rows locked per statement.
CHUNK = 500
MODELS = {Entity.CONTACT: Contact, Entity.TASK: Task, Entity.EVENT: CalendarEvent}


def _instant(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and value:
        parsed = dt.datetime.fromisoformat(value)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    return None


def _text(value: Any) -> str:
    return "" if value is None else str(value)


# -- the engine's fields as the services' arguments ---------------------------------------------

CONTACT_COLUMNS = ("name_prefix", "first_name", "middle_name", "last_name", "gender", "birthday", "job_title")
PHONE_FIELDS = {"business_phones", "home_phones", "mobile_phone"}
# Engine fields written as a contact's child lists, by the list's name.
CONTACT_LISTS = {"emails": {"emails"}, "phones": PHONE_FIELDS, "addresses": {"addresses"}}


def contact_arguments(
    user: User, contact: Contact | None, fields: FieldValues, current_phones: list[tuple[str, str]]
) -> dict[str, Any]:
    """`contact_save`'s arguments (data, emails, phones, addresses) for the engine's fields; a partial phone
    write keeps the contact's other phones (`current_phones`: (number, type), primary first)."""
    data: dict[str, Any] = {}
    for name in CONTACT_COLUMNS:
        if name in fields:
            data[name] = fields[name] if name == "birthday" else _text(fields[name])
    if "gender" in data and not data["gender"]:
        data["gender"] = "unspecified"
    if "notes" in fields:
        data["description"] = _text(fields["notes"])
    if contact is None:
        data.setdefault("last_name", "")
        data["owner"] = user
    emails = list(fields["emails"] or ()) if "emails" in fields else None
    phones = None
    if PHONE_FIELDS & set(fields):
        kept = {
            "business": [number for number, kind in current_phones if kind == "business"],
            "home": [number for number, kind in current_phones if kind == "home"],
            "mobile": [number for number, kind in current_phones if kind == "mobile"][:1],
        }
        if "business_phones" in fields:
            kept["business"] = [str(number) for number in fields["business_phones"] or ()]
        if "home_phones" in fields:
            kept["home"] = [str(number) for number in fields["home_phones"] or ()]
        if "mobile_phone" in fields:
            kept["mobile"] = [str(fields["mobile_phone"])] if fields["mobile_phone"] else []
        phones = [(number, kind) for kind in ("business", "mobile", "home") for number in kept[kind]]
    addresses = None
    if "addresses" in fields:
        addresses = [{name: _text(item.get(name)) for name in ADDRESS_FIELDS} for item in fields["addresses"] or ()]
    # The company is the contact's account in the CRM: it is shown in Outlook, not written from there.
    return {"data": data, "emails": emails, "phones": phones, "addresses": addresses}


TASK_COLUMNS = {
    "subject": "subject",
    "body": "description",
    "start_at": "start_at",
    "due_at": "due_at",
    "status": "status",
    "importance": "priority",
    "reminder_at": "reminder_at",
    "completed_at": "completed_at",
}
EVENT_COLUMNS = {
    "title": "title",
    "body": "description",
    "location": "location",
    "start": "start",
    "end": "end",
    "all_day": "all_day",
    "time_zone": "time_zone",
    "recurrence_rule": "recurrence_rule",
}
CHOICE_COLUMNS = ("status", "priority", "time_zone")


def _columns(fields: FieldValues, columns: dict[str, str], text: tuple[str, ...]) -> dict[str, Any]:
    """The engine's fields as the model's columns; text columns never get None, and an empty choice
    (a status, a priority, a time zone) is left out so the record keeps its own."""
    data: dict[str, Any] = {}
    for name, column in columns.items():
        if name in fields:
            data[column] = _text(fields[name]) if column in text else fields[name]
    return {column: value for column, value in data.items() if not (column in CHOICE_COLUMNS and value == "")}


def task_data(user: User, task: Task | None, fields: FieldValues) -> dict[str, Any]:
    data = _columns(fields, TASK_COLUMNS, ("subject", "description", "status", "priority"))
    if task is None:
        data["owner"] = user
    return data


def event_data(user: User, event: CalendarEvent | None, fields: FieldValues) -> dict[str, Any]:
    data = _columns(fields, EVENT_COLUMNS, ("title", "description", "location", "recurrence_rule"))
    if "cancelled_starts" in fields:
        data["cancelled_starts"] = sorted(
            instant.astimezone(dt.UTC).isoformat()
            for instant in filter(None, (_instant(value) for value in fields["cancelled_starts"] or ()))
        )
    if event is None:
        data["owner"] = user
    return data


def _exception_rows(series: CalendarEvent, wanted: Sequence[Mapping[str, Any]]) -> dict[dt.datetime, dict]:
    """The series' changed occurrences as `event_save` data, by original start."""
    rows = {}
    for item in wanted:
        original = _instant(item.get("original_start"))
        if original is None:
            continue
        rows[original] = {
            "title": _text(item.get("title")) or series.title,
            "description": _text(item.get("body")),
            "location": _text(item.get("location")),
            "start": _instant(item.get("start")) or original,
            "end": _instant(item.get("end")) or original,
            "time_zone": series.time_zone,
            "series": series,
            "original_start": original,
        }
    return rows


# -- one record through the services -------------------------------------------------------------


def record_write(entity: Entity, user: User, row, fields: FieldValues):
    """Create (`row` None) or update one record through its service."""
    if entity is Entity.CONTACT:
        current = (
            [(str(each.number), each.phone_type) for each in row.phones.order_by("-is_primary", "id")]
            if row is not None and PHONE_FIELDS & set(fields)
            else []
        )
        return contact_save(actor=user, contact=row, **contact_arguments(user, row, fields, current))
    if entity is Entity.TASK:
        return task_save(actor=user, data=task_data(user, row, fields), task=row)
    event = event_save(actor=user, data=event_data(user, row, fields), event=row)
    if "exceptions" in fields:
        _exceptions_write(user, event, list(fields["exceptions"] or ()))
    return event


def _exceptions_write(user: User, series: CalendarEvent, wanted: list[Mapping[str, Any]]) -> None:
    """The series' changed occurrences made equal to `wanted`, matched by their original start."""
    current = {row.original_start: row for row in series.exceptions.all() if row.original_start is not None}
    wanted_by_start = _exception_rows(series, wanted)
    for original, row in current.items():
        if original not in wanted_by_start:
            activity_delete(actor=user, activity=row)
    for original, data in wanted_by_start.items():
        row = current.get(original)
        if row is None:
            data = {**data, "owner": series.owner}
        event_save(actor=user, data=data, event=row)


def _exceptions_unchanged(series: CalendarEvent, wanted: Sequence[Mapping[str, Any]]) -> bool:
    """Whether `_exceptions_write` would leave the series' stored occurrences as they are."""
    current = {row.original_start: row for row in series.exceptions.all() if row.original_start is not None}
    rows = _exception_rows(series, wanted)
    if set(current) != set(rows):
        return False
    for original, data in rows.items():
        row = current[original]
        for name, value in data.items():
            if name == "series":
                continue
            if not same_value(CalendarEvent._meta.get_field(name), getattr(row, name), value):
                return False
    return True


# -- many records at once -------------------------------------------------------------------------


def _locked_rows(unit: DjangoUnitOfWork, entity: Entity, writes: Sequence[RecordWrite]) -> dict[int, Any]:
    """The rows the writes update, locked in id order (the order every writer locks in), with the child
    rows their writes compare with."""
    ids = sorted({int(write.crm_id) for write in writes if write.kind != "create" and str(write.crm_id).isdigit()})
    names = {name for write in writes for name in (write.fields or {})}
    prefetch: list[Prefetch] = []
    if entity is Entity.CONTACT:
        for relation, model, engine_names in (
            ("emails", ContactEmail, CONTACT_LISTS["emails"]),
            ("phones", ContactPhone, CONTACT_LISTS["phones"]),
            ("addresses", ContactAddress, CONTACT_LISTS["addresses"]),
        ):
            if names & engine_names:
                prefetch.append(Prefetch(relation, model.objects.order_by("-is_primary", "id")))
    if entity is Entity.EVENT and "exceptions" in names:
        prefetch.append(Prefetch("exceptions", CalendarEvent.objects.order_by("original_start", "id")))
    rows: dict[int, Any] = {}
    model = MODELS[entity]
    for start in range(0, len(ids), CHUNK):
        locked = (
            model.objects.select_for_update(of=("self",))
            .filter(organization_id=unit.user.organization_id, pk__in=ids[start : start + CHUNK])
            .order_by("pk")
            .prefetch_related(*prefetch)
        )
        rows.update((row.pk, row) for row in locked)
    for write in writes:
        if write.kind == "create":
            continue
        row = rows.get(int(write.crm_id)) if str(write.crm_id).isdigit() else None
        if row is None or row.version != write.expected_version:
            raise ChangedMeanwhile(side=Side.CRM, entity=entity, record_id=str(write.crm_id))
    return rows


def _contact_lists_now(contact: Contact) -> dict[str, list]:
    """The contact's child lists as `contact_save` compares them (what its `ChildList.current` reads)."""
    lists: dict[str, list] = {}
    cache = getattr(contact, "_prefetched_objects_cache", {})
    if "emails" in cache:
        lists["emails"] = [row.email for row in cache["emails"]]
    if "phones" in cache:
        lists["phones"] = [[str(row.number), row.phone_type] for row in cache["phones"]]
    if "addresses" in cache:
        lists["addresses"] = [{name: getattr(row, name) for name in ADDRESS_FIELDS} for row in cache["addresses"]]
    return lists


def _prepared(user: User, entity: Entity, row, fields: FieldValues, lists: dict) -> tuple[dict, dict]:
    """The row's new values, checked as the service checks them, and its child lists that change."""
    if entity is Entity.TASK:
        return task_prepare(data=task_data(user, row, fields), task=row), {}
    if entity is Entity.EVENT:
        return event_prepare(actor=user, data=event_data(user, row, fields), event=row), {}
    current = lists.get("phones", [])
    arguments = contact_arguments(user, row, fields, [(number, kind) for number, kind in current])
    data, children = contact_prepare(**arguments)
    return data, children


def _create_batch(user: User, entity: Entity, creates: list[tuple[int, RecordWrite]]) -> dict[int, Any]:
    """New records owned by the rep, as `record_write` creates them one by one: the same checks, values,
    creation entries (with their child lists) and child rows. A series created with changed occurrences
    goes through the service."""
    model = MODELS[entity]
    new_rows, extras, places, one_by_one = [], [], [], []
    children_written: dict[str, list] = defaultdict(list)
    for index, write in creates:
        fields = dict(write.fields or {})
        if entity is Entity.EVENT and fields.get("exceptions"):
            one_by_one.append((index, fields))
            continue
        row = model()
        children: dict = {}
        if entity is Entity.TASK:
            data = task_prepare(data=task_data(user, None, fields), task=row)
        elif entity is Entity.EVENT:
            data = event_prepare(actor=user, data=event_data(user, None, fields), event=row)
        else:
            data, children = contact_prepare(**contact_arguments(user, None, fields, []))
        # As record_save adds a row: the actor's organization, an owner the actor may assign.
        owner = data.pop("owner")
        check_owner_assignable(user, owner)
        check_same_organization(user, *(value for value in data.values() if isinstance(value, models.Model)))
        row.organization_id = user.organization_id
        row.owner = owner
        for name, value in data.items():
            setattr(row, name, value)
        row.full_clean(exclude=["organization", "owner"])
        changes = {}
        for name, child in children.items():
            if child.wanted != []:
                changes[name] = [[], jsonable(child.wanted)]
                children_written[name].append((row, child))  # keyed once the row has its id
        new_rows.append(row)
        extras.append(changes)
        places.append(index)
    created = dict(zip(places, model.objects.bulk_create(new_rows, extra_changes=extras), strict=True))
    if children_written:
        contact_children_write_many({name: dict(pairs) for name, pairs in children_written.items()})
    for index, fields in one_by_one:
        created[index] = record_write(entity, user, None, fields)
    return created


def write_batch(unit: DjangoUnitOfWork, entity: Entity, writes: Sequence[RecordWrite]) -> list[CrmRecord]:
    """The writes of a group of steps, as `record_write` and the archive services would make them one by one:
    the same values, versions, change log entries (origin and actor from the unit's change context) and
    child rows. Answers each record as written, in the order of `writes`."""
    user = unit.user
    model = MODELS[entity]
    rows = _locked_rows(unit, entity, writes)
    # 1. Archiving and restoring: their own version and entry, before the values (as record_restore, then
    #    the service's save).
    toggled = []
    now = timezone.now()
    for write in writes:
        if write.kind not in ("archive", "restore"):
            continue
        row = rows[int(write.crm_id)]
        if (write.kind == "archive") == (row.archived_at is None):
            check_write(user, row)
            row.archived_at = now if write.kind == "archive" else None
            row.full_clean(exclude=["organization", "owner"])
            toggled.append(row)
    model.objects.bulk_save(toggled)
    # 2. Values.
    written, extra_changes, one_by_one = [], {}, []
    children_changed: dict[str, dict] = defaultdict(dict)
    for write in writes:
        if write.kind not in ("update", "restore"):
            continue
        row = rows[int(write.crm_id)]
        fields = dict(write.fields or {})
        check_write(user, row)
        lists = _contact_lists_now(row) if entity is Entity.CONTACT else {}
        data, children = _prepared(user, entity, row, fields, lists)
        for name, value in data.items():
            setattr(row, name, value)
        row.full_clean(exclude=["organization", "owner"])
        if entity is Entity.EVENT and "exceptions" in fields and not _exceptions_unchanged(row, fields["exceptions"]):
            one_by_one.append((row, fields))  # written through the service, after the others
            continue
        changes = {}
        for name, child in children.items():
            if lists[name] != child.wanted:
                changes[name] = [jsonable(lists[name]), jsonable(child.wanted)]
                children_changed[name][row] = child
        if changes:
            extra_changes[row.pk] = changes
        written.append(row)
    model.objects.bulk_save(written, extra_changes=extra_changes)
    if children_changed:
        contact_children_write_many(children_changed)
    for row, fields in one_by_one:
        row.refresh_from_db()
        record_write(entity, user, row, fields)
    # 3. Creates.
    created = _create_batch(
        user, entity, [(index, write) for index, write in enumerate(writes) if write.kind == "create"]
    )
    ids = [created[index].pk if index in created else int(write.crm_id) for index, write in enumerate(writes)]
    records = unit.store.get_records(entity, [str(pk) for pk in ids])
    return [records[str(pk)] for pk in ids]
