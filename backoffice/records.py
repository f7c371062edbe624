"""The write path every business row takes: rights, stale versions, validation, honest change records.

`record_save` checks the actor's right against the row as stored and locked, refuses a stale
version, validates, and writes only what changed: the row's own fields, its many-to-many lists and
the child lists a service hands it (a contact's e-mails, phones, addresses), all in one change log
entry with one new version. Every app's services start their writes here.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models, transaction
from django.utils import timezone

from backoffice.access import check_owner_assignable, check_same_organization, check_write
from backoffice.changes import change_context, jsonable
from backoffice.db import service_atomic
from backoffice.models import User
from backoffice.models.tracking import _tracked_fields, m2m_lists, m2m_other_side, touch_rows


class StaleRecordError(ValidationError):
    """The row was changed by someone else after the caller read it (its version moved on)."""


@dataclass
class ChildList:
    """A list of child rows written with their parent (e-mails, phones, addresses).

    `current(parent)` reads the stored list as comparable values; `wanted` is the new list in the
    same form; `write(parent, wanted)` replaces the stored rows. Nothing is written when both are equal.
    """

    wanted: list
    current: Callable[[models.Model], list]
    write: Callable[[models.Model, list], None]


def _related_rows(data: dict) -> list:
    rows = []
    for value in data.values():
        if isinstance(value, models.Model) and hasattr(value, "organization_id") and not isinstance(value, User):
            rows.append(value)
        elif isinstance(value, Iterable) and not isinstance(value, str | bytes | dict):
            rows.extend(v for v in value if isinstance(v, models.Model) and hasattr(v, "organization_id"))
    return rows


def _lock_stored(instance: models.Model) -> dict:
    model = type(instance)
    names = [f.attname for f in _tracked_fields(model)] + [
        model._meta.get_field(n).attname for n in model.derived_fields
    ]
    stored = (
        model._base_manager.select_for_update()
        .filter(pk=instance.pk)
        .values(*names, "version", "organization_id")
        .first()
    )
    if stored is None:
        raise ValidationError(f"{model._meta.verbose_name.capitalize()} {instance.pk} no longer exists.")
    return stored


def _attname(model, name: str) -> str:
    try:
        return getattr(model._meta.get_field(name), "attname", name)
    except FieldDoesNotExist:
        return name


def _pks(values) -> list[int]:
    return sorted(value.pk if isinstance(value, models.Model) else int(value) for value in values)


@service_atomic
def record_save(
    *,
    actor: User,
    instance: models.Model,
    data: dict,
    m2m: Iterable[str] = (),
    children: dict[str, ChildList] | None = None,
    locked: bool = False,
) -> models.Model:
    """Create or update a business row from field values, after the access and validity checks.

    `locked` says the caller read `instance` with SELECT ... FOR UPDATE in this transaction, so its
    loaded values are the stored row and it is not read and locked a second time.

    New rows belong to the actor's organization and, unless an owner is given, to the actor. A
    `version` in data is the version the caller read: a row changed since then is refused
    (StaleRecordError) instead of silently overwriting the other person's change. A save that
    changes nothing writes nothing.
    """
    m2m = set(m2m)
    children = children or {}
    expected_version = data.get("version")
    data = {k: v for k, v in data.items() if k != "version"}
    if "owner" in data and data["owner"] is None:
        # No owner means "keep it" (a record always has one), not "remove it".
        data = {k: v for k, v in data.items() if k != "owner"}
    owner = data.get("owner")
    adding = instance.pk is None
    if adding:
        instance.organization_id = actor.organization_id
        if hasattr(instance, "owner_id"):
            owner = owner or actor
            check_owner_assignable(actor, owner)
            instance.owner = owner
    else:
        # Check the stored row, not the caller's copy, which may already carry the new owner.
        if locked:
            stored = {**instance._stored_state(), "organization_id": instance.organization_id}
        else:
            stored = _lock_stored(instance)
            instance.refresh_stored_state(stored)
            # The caller's copy may be older than the locked row: the values it does not set are the stored
            # ones, so a change of some fields never puts back what another request changed meanwhile.
            named = {_attname(type(instance), name) for name in data}
            for attname, value in stored.items():
                if attname not in named and attname not in ("version", "organization_id"):
                    setattr(instance, attname, value)
        for name in type(instance).derived_fields:
            # Derived values belong to their upkeep, not to the caller's (maybe older) copy.
            attname = type(instance)._meta.get_field(name).attname
            setattr(instance, attname, stored[attname])
        check_write(actor, _StoredRow(stored))
        if expected_version is not None and int(expected_version) != stored["version"]:
            raise StaleRecordError(
                {
                    "version": f"{instance} was changed by someone else after you opened it. "
                    "Reload it to see their change, then make yours again."
                }
            )
        if owner is not None and owner.pk != stored.get("owner_id"):
            check_owner_assignable(actor, owner)
    check_same_organization(actor, *_related_rows(data))
    for name, value in data.items():
        if name not in m2m:
            setattr(instance, name, value)
    instance.full_clean(exclude=["organization", "owner"])

    list_changes: dict[str, list] = {}
    m2m_wanted = {name: _pks(data[name]) for name in m2m if name in data}
    m2m_before: dict[str, list[int]] = {}
    for name, wanted in m2m_wanted.items():
        before = [] if adding else m2m_lists(type(instance), name, [instance.pk])[instance.pk]
        m2m_before[name] = before
        if before != wanted:
            list_changes[name] = [before, wanted]
    children_before = {}
    for name, child in children.items():
        before = [] if adding else child.current(instance)
        children_before[name] = before
        if before != child.wanted:
            list_changes[name] = [jsonable(before), jsonable(child.wanted)]

    with change_context(actor=actor):
        # Histories name who made the change, from commands and tasks as well as from web requests.
        instance._history_user = actor
        instance.save(extra_changes=list_changes)
        for name in m2m_wanted:
            if name in list_changes:
                getattr(instance, name).set(m2m_wanted[name])
                _record_other_side(type(instance), name, instance.pk, m2m_before[name], m2m_wanted[name])
        for name, child in children.items():
            if name in list_changes:
                child.write(instance, child.wanted)
    return instance


class _StoredRow:
    """The stored organization and owner of a row, as the access rules read them."""

    def __init__(self, stored: dict):
        self.organization_id = stored["organization_id"]
        if "owner_id" in stored:
            self.owner_id = stored["owner_id"]


def _record_other_side(model, name: str, pk: int, before: list[int], after: list[int]) -> None:
    """A list change seen from the other side too (a contact added to an account changes both)."""
    other = m2m_other_side(model, name)
    if other is None:
        return
    other_model, other_name = other
    affected = sorted(set(before) ^ set(after))
    if not affected:
        return
    now = m2m_lists(other_model, other_name, affected)
    changes = {}
    for other_pk, ids in now.items():
        old = sorted(set(ids) - {pk}) if other_pk in after else sorted({*ids, pk})
        changes[other_pk] = {other_name: [old, ids]}
    touch_rows(other_model, changes)


@service_atomic
def record_list_add(*, actor: User, instance: models.Model, name: str, rows: Iterable[models.Model]) -> None:
    """Add rows to a many-to-many list of `instance` as a change of it (the caller has checked the right)."""
    model = type(instance)
    before = m2m_lists(model, name, [instance.pk])[instance.pk]
    after = sorted({*before, *(row.pk for row in rows)})
    if after == before:
        return
    check_same_organization(actor, *rows)
    with change_context(actor=actor):
        getattr(instance, name).add(*rows)
        touch_rows(model, {instance.pk: {name: [before, after]}})
        _record_other_side(model, name, instance.pk, before, after)


def record_delete(*, actor: User, instance: models.Model) -> None:
    """Delete a business row the actor may write; a row others depend on is refused with a reason."""
    check_write(actor, instance)
    try:
        with transaction.atomic(), change_context(actor=actor):
            instance.delete()
    except models.ProtectedError as error:
        blocking = sorted({str(obj._meta.verbose_name_plural) for obj in error.protected_objects})
        raise ValidationError(f"{instance} cannot be deleted while it has {', '.join(blocking)}.")


@service_atomic
def record_archive(*, actor: User, instance: models.Model) -> models.Model:
    """Archive a row the actor may write: it leaves lists, pickers, calendars and boards until restored."""
    if instance.archived_at is not None:
        return instance
    return record_save(actor=actor, instance=instance, data={"archived_at": timezone.now()})


@service_atomic
def record_restore(*, actor: User, instance: models.Model) -> models.Model:
    """Bring an archived row back where it was."""
    if instance.archived_at is None:
        return instance
    return record_save(actor=actor, instance=instance, data={"archived_at": None})
