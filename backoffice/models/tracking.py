"""Business rows with honest versions, archiving, and the change log every write of them lands in.

A business row's `version` and `updated_at` move when, and only when, a field a person can see
changes (its own columns, and the lists declared in `tracked_m2m` or written by services as
extra changes, such as a contact's e-mails). Derived values (`derived_fields`, such as lifetime
values) are written without moving them. Every create, update, archive, restore and delete,
through `save()`, `QuerySet.update()`, `bulk_create()`, `bulk_update()` or `delete()`, writes one
`ChangeLogEntry` in the same transaction.
"""

from typing import ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connections, models, router, transaction
from django.db.models import F, sql
from django.utils import timezone

from backoffice.changes import (
    ChangeAction,
    field_json,
)
from backoffice.models.changelog import (
    change_log_announce,
    change_log_entries,
    change_log_write,
    insert_with_entry_sql,
    update_with_entry_sql,
)
from backoffice.models.checks import check_constraints_in_python, known_foreign_keys
from backoffice.models.core import Organization

# Bookkeeping columns: never a change a person made.
BOOKKEEPING = frozenset({"id", "organization", "created_at", "updated_at", "version"})


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        abstract = True


def _tracked_fields(model) -> list[models.Field]:
    cached = model.__dict__.get("_tracked_fields_cache")
    if cached is None:
        derived = set(model.derived_fields)
        cached = [
            field
            for field in model._meta.concrete_fields
            if field.name not in BOOKKEEPING and field.name not in derived and not field.primary_key
        ]
        model._tracked_fields_cache = cached
    return cached


def _derived_fields(model) -> list[models.Field]:
    return [model._meta.get_field(name) for name in model.derived_fields]


def same_value(field: models.Field, old, new) -> bool:
    """Whether two values of a field mean the same thing (1.0 and 1.00, a phone and its text, ...)."""
    try:
        if old == new:
            return True
    except TypeError:
        pass
    try:
        return field.to_python(old) == field.to_python(new)
    except (ValidationError, TypeError, ValueError):
        return False


def m2m_lists(model, name: str, pks) -> dict[int, list[int]]:
    """The ids in the many-to-many list `name` (forward or reverse) of each row of `model`, sorted."""
    field = model._meta.get_field(name)
    if field.many_to_many and not field.auto_created:  # declared on this model
        through, source, target = field.remote_field.through, field.m2m_field_name(), field.m2m_reverse_field_name()
    else:  # the other side's field
        declared = field.field
        through, source, target = (
            declared.remote_field.through,
            declared.m2m_reverse_field_name(),
            declared.m2m_field_name(),
        )
    lists: dict[int, list[int]] = {pk: [] for pk in pks}
    for source_id, target_id in through.objects.filter(**{f"{source}_id__in": list(pks)}).values_list(
        f"{source}_id", f"{target}_id"
    ):
        lists[source_id].append(target_id)
    return {pk: sorted(ids) for pk, ids in lists.items()}


def m2m_other_side(model, name: str) -> tuple[type[models.Model], str] | None:
    """The model and list name on the other side of `model.name`, when that side tracks it too."""
    field = model._meta.get_field(name)
    if field.many_to_many and not field.auto_created:
        other_model, other_name = field.related_model, field.remote_field.get_accessor_name()
    else:
        other_model, other_name = field.related_model, field.field.name
    if issubclass(other_model, OrganizationModel) and other_name in other_model.tracked_m2m:
        return other_model, other_name
    return None


def touch_rows(model, changes_by_pk: dict[int, dict], action: str = ChangeAction.UPDATE) -> None:
    """Record changes made outside the row's own columns (lists): move versions, write entries."""
    changes_by_pk = {pk: changes for pk, changes in changes_by_pk.items() if changes}
    if not changes_by_pk:
        return
    model._base_manager.filter(pk__in=list(changes_by_pk)).update(version=F("version") + 1, updated_at=timezone.now())
    rows = model._base_manager.filter(pk__in=list(changes_by_pk)).values(
        "pk", "organization_id", "version", *(["owner_id"] if hasattr(model, "owner_id") else [])
    )
    change_log_write(
        model,
        [{**row, "action": action, "changes": changes_by_pk[row["pk"]]} for row in rows],
    )


class TrackedQuerySet(models.QuerySet):
    """Bulk writes that keep versions honest and write the change log, like `save()` does."""

    def update(self, **kwargs):
        model = self.model
        tracked = {field.name: field for field in _tracked_fields(model)}
        fields = {}
        for key in kwargs:
            field = model._meta.get_field(key)
            fields[key] = field
        if not any(field.name in tracked for field in fields.values()):
            return super().update(**kwargs)
        return self._tracked_update(kwargs, [f for f in fields.values() if f.name in tracked])

    def _tracked_update(self, kwargs: dict, tracked: list[models.Field]) -> int:
        model = self.model
        attnames = [field.attname for field in tracked]
        owner = ["owner_id"] if hasattr(model, "owner_id") else []
        with transaction.atomic(using=self.db):
            locked = self.order_by("pk").select_for_update()
            if connections[self.db].features.has_select_for_update_of:
                locked = self.order_by("pk").select_for_update(of=("self",))
            before = {row["pk"]: row for row in locked.values("pk", *attnames)}
            if not before:
                return 0
            count = model._base_manager.filter(pk__in=list(before)).update(**kwargs)
            after = model._base_manager.filter(pk__in=list(before)).values(
                "pk", "organization_id", "version", *attnames, *owner
            )
            changed: dict[int, dict] = {}
            rows = {}
            for row in after:
                changes = {
                    field.name: [
                        field_json(field, before[row["pk"]][field.attname]),
                        field_json(field, row[field.attname]),
                    ]
                    for field in tracked
                    if not same_value(field, before[row["pk"]][field.attname], row[field.attname])
                }
                if changes:
                    changed[row["pk"]] = changes
                    rows[row["pk"]] = row
            if changed:
                model._base_manager.filter(pk__in=list(changed)).update(
                    version=F("version") + 1, updated_at=timezone.now()
                )
                change_log_write(
                    model,
                    [
                        {
                            "pk": pk,
                            "organization_id": row["organization_id"],
                            "version": row["version"] + 1,
                            "owner_id": row.get("owner_id"),
                            "action": ChangeAction.UPDATE,
                            "changes": changed[pk],
                        }
                        for pk, row in rows.items()
                    ],
                )
            return count

    def bulk_save(self, objs, *, extra_changes: dict | None = None) -> list:
        """Write changed rows as `save()` does one at a time, in two statements whatever their number.

        Each row in `objs` was read from the database (locked by the caller) and given its new values; it
        is compared with its stored values, and when something changed (its own columns, or the lists in
        `extra_changes[pk]`, {name: [old, new]}) it gets one new version, a new `updated_at` and one change
        log entry (archive or restore when `archived_at` changed), as its `save()` would. Rows that changed
        nothing are not written. Returns the rows written.
        """
        model = self.model
        extra_changes = extra_changes or {}
        tracked = _tracked_fields(model)
        now = timezone.now()
        written, rows, columns = [], [], set()
        for obj in objs:
            stored = obj._stored_state()
            changes = {}
            for field in tracked:
                if field.attname in obj.__dict__ and not same_value(
                    field, stored.get(field.attname), obj.__dict__[field.attname]
                ):
                    changes[field.name] = [
                        field_json(field, stored.get(field.attname)),
                        field_json(field, obj.__dict__[field.attname]),
                    ]
                    columns.add(field.attname)
            derived = [
                field.attname
                for field in _derived_fields(model)
                if field.attname in obj.__dict__
                and not same_value(field, stored.get(field.attname), obj.__dict__[field.attname])
            ]
            changes.update(extra_changes.get(obj.pk) or {})
            if not changes:
                if derived:  # written without a new version, as save() does
                    model._base_manager.using(self.db).filter(pk=obj.pk).update(
                        **{name: obj.__dict__[name] for name in derived}
                    )
                    obj._remember_stored()
                continue
            columns.update(derived)
            obj.version = (stored.get("version") or obj.version or 0) + 1
            obj.updated_at = now
            written.append(obj)
            rows.append(
                {
                    "pk": obj.pk,
                    "organization_id": obj.organization_id,
                    "version": obj.version,
                    "owner_id": getattr(obj, "owner_id", None),
                    "repr": str(obj),
                    "action": ChangeAction.UPDATE,
                    "changes": changes,
                }
            )
        if not written:
            return []
        with transaction.atomic(using=self.db, savepoint=False):
            # The base manager's plain UPDATE: the entries below are this write's record.
            model._base_manager.using(self.db).bulk_update(written, [*sorted(columns), "version", "updated_at"])
            change_log_write(model, rows)
        for obj in written:
            obj._remember_stored()
        return written

    def bulk_create(self, objs, *args, extra_changes: list | None = None, **kwargs):
        """Insert rows with one creation entry each; `extra_changes`, in the order of `objs`, holds the
        changes of lists written with each row ({name: [old, new]}, such as its e-mails), which go into
        its creation entry as `save(extra_changes=...)` puts them."""
        objs = list(objs)
        extras = list(extra_changes) if extra_changes is not None else [None] * len(objs)
        if len(extras) != len(objs):
            raise ValueError("extra_changes holds one entry per row")
        with transaction.atomic(using=self.db):
            created = super().bulk_create(objs, *args, **kwargs)
            change_log_write(
                self.model,
                [
                    obj._creation_log_row(extra)
                    for obj, extra in zip(created, extras, strict=True)
                    if obj.pk is not None
                ],
            )
            for obj in created:
                obj._remember_stored()
        return created


class OrganizationModel(TimeStampedModel):
    """A business row: belongs to an organization, carries an honest version, every write is logged."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    version = models.PositiveIntegerField(default=1, editable=False)

    # Columns kept by services from other rows (lifetime values): written without a new version.
    derived_fields: ClassVar[tuple[str, ...]] = ()
    # Many-to-many lists that are part of the record as a person sees it (forward or reverse names).
    tracked_m2m: ClassVar[tuple[str, ...]] = ()

    objects = TrackedQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, extra_changes: dict | None = None, **kwargs):
        """Write only what changed; a save that changes nothing writes nothing.

        `extra_changes` names changes of lists kept outside the row ({name: [old, new]}), which
        move the version and go into the same change log entry.
        """
        if self._state.adding or self.pk is None:
            using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
            with transaction.atomic(using=using, savepoint=False):
                if connections[using].vendor == "postgresql" and self.pk is None:
                    # The INSERT and its entry go in one statement (see _do_insert).
                    [self._entry_with_insert] = change_log_entries(
                        type(self), [{**self._creation_log_row(extra_changes), "pk": None}]
                    )
                    try:
                        super().save(*args, **kwargs)
                        self._entry_with_insert.object_id = self.pk
                        change_log_announce([self._entry_with_insert])
                    finally:
                        del self._entry_with_insert
                else:
                    super().save(*args, **kwargs)
                    change_log_write(type(self), [self._creation_log_row(extra_changes)])
            self._remember_stored()
            return
        update_fields = kwargs.pop("update_fields", None)
        wanted = None if update_fields is None else set(update_fields)

        def candidate(field):
            if field.attname not in self.__dict__:
                return False  # deferred, so not touched
            return wanted is None or field.name in wanted or field.attname in wanted

        stored = self._stored_state()
        changes = {}
        for field in _tracked_fields(type(self)):
            if candidate(field) and not same_value(field, stored.get(field.attname), self.__dict__[field.attname]):
                changes[field.name] = [
                    field_json(field, stored.get(field.attname)),
                    field_json(field, self.__dict__[field.attname]),
                ]
        derived = [
            field.name
            for field in _derived_fields(type(self))
            if candidate(field) and not same_value(field, stored.get(field.attname), self.__dict__[field.attname])
        ]
        changes.update(extra_changes or {})
        if not changes:
            if derived:
                super().save(*args, update_fields=derived, **kwargs)
                self._remember_stored()
            return
        self.version = (stored.get("version") or self.version or 0) + 1
        names = [name for name in changes if name in {f.name for f in _tracked_fields(type(self))}]
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        log_row = {
            "pk": self.pk,
            "organization_id": self.organization_id,
            "version": self.version,
            "owner_id": getattr(self, "owner_id", None),
            "repr": str(self),
            "action": ChangeAction.UPDATE,
            "changes": changes,
        }
        with transaction.atomic(using=using, savepoint=False):
            if connections[using].vendor == "postgresql":
                # The UPDATE and its entry go in one statement (see _do_update).
                [self._entry_with_update] = change_log_entries(type(self), [log_row])
                try:
                    super().save(*args, update_fields=[*names, *derived, "version", "updated_at"], **kwargs)
                    change_log_announce([self._entry_with_update])
                finally:
                    del self._entry_with_update
            else:
                super().save(*args, update_fields=[*names, *derived, "version", "updated_at"], **kwargs)
                change_log_write(type(self), [log_row])
        self._remember_stored()

    def _do_insert(self, manager, using, fields, returning_fields, raw):
        entry = self.__dict__.get("_entry_with_insert")
        if entry is None or not returning_fields:
            return super()._do_insert(manager, using, fields, returning_fields, raw)
        query = sql.InsertQuery(type(self))
        query.insert_values(fields, [self], raw=raw)
        compiler = query.get_compiler(using=using)
        compiler.returning_fields = returning_fields
        [(insert_sql, insert_params)] = compiler.as_sql()
        connection = connections[using]
        statement, params = insert_with_entry_sql(insert_sql, insert_params, self._meta.pk.column, entry, connection)
        with connection.cursor() as cursor:
            cursor.execute(statement, params)
            row = cursor.fetchone()
        converters = compiler.get_converters(returning_fields)
        if converters:
            row = next(iter(compiler.apply_converters([row], converters)))
        return [tuple(row)]

    def _do_update(self, base_qs, using, pk_val, values, update_fields, forced_update):
        entry = self.__dict__.get("_entry_with_update")
        if entry is None or not values:
            return super()._do_update(base_qs, using, pk_val, values, update_fields, forced_update)
        query = base_qs.filter(pk=pk_val).query.chain(sql.UpdateQuery)
        query.add_update_fields(values)
        compiler = query.get_compiler(using)
        compiler.pre_sql_setup()
        update_sql, update_params = compiler.as_sql()
        statement, params = update_with_entry_sql(update_sql, update_params, entry, connections[using])
        with connections[using].cursor() as cursor:
            cursor.execute(statement, params)
            ids = [row[0] for row in cursor.fetchall()]
        if ids:
            entry.pk = ids[0]
            entry._state.adding = False
        return bool(ids)

    def clean_fields(self, exclude=None):
        # A related row loaded or stored already is not looked up again (the database's foreign key holds).
        stored = getattr(self, "_stored", None) or {}
        super().clean_fields(exclude={*(exclude or ()), *known_foreign_keys(self, stored)})

    def validate_constraints(self, exclude=None):
        evaluated, errors = check_constraints_in_python(self, set(exclude or ()))
        self._constraints_evaluated = evaluated
        try:
            super().validate_constraints(exclude=exclude)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        finally:
            del self._constraints_evaluated
        if errors:
            raise ValidationError(errors)

    def get_constraints(self):
        skip = self.__dict__.get("_constraints_evaluated", ())
        return [
            (model, [constraint for constraint in constraints if constraint.name not in skip])
            for model, constraints in super().get_constraints()
        ]

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._remember_stored()
        return instance

    def _remember_stored(self) -> None:
        names = [f.attname for f in (*_tracked_fields(type(self)), *_derived_fields(type(self)))]
        self._stored = {name: self.__dict__[name] for name in [*names, "version"] if name in self.__dict__}

    def refresh_stored_state(self, stored: dict) -> None:
        """Compare the next save against these stored values (a locked read) instead of the loaded ones."""
        self._stored = dict(stored)
        if "version" in stored:
            self.version = stored["version"]

    def _stored_state(self) -> dict:
        stored = getattr(self, "_stored", None)
        if stored is None:
            names = [f.attname for f in (*_tracked_fields(type(self)), *_derived_fields(type(self)))]
            stored = type(self)._base_manager.filter(pk=self.pk).values(*names, "version").first() or {}
        return stored

    def tracked_values(self) -> dict:
        """The record's own user-visible values, as the change log stores them."""
        return {field.name: field_json(field, getattr(self, field.attname)) for field in _tracked_fields(type(self))}

    def _creation_log_row(self, extra_changes: dict | None = None) -> dict:
        changes = {name: [None, value] for name, value in self.tracked_values().items()}
        changes.update(extra_changes or {})
        return {
            "pk": self.pk,
            "organization_id": self.organization_id,
            "version": self.version,
            "owner_id": getattr(self, "owner_id", None),
            "repr": str(self),
            "action": ChangeAction.CREATE,
            "changes": changes,
        }


class OwnedModel(OrganizationModel):
    """A business row with an owner (the rep it belongs or is assigned to)."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        abstract = True


class ArchivableModel(models.Model):
    """A row that can be archived: it leaves lists, pickers, calendars and boards, and can be restored."""

    archived_at = models.DateTimeField(null=True, blank=True, editable=False, db_index=True)

    class Meta:
        abstract = True

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


def tracked_models() -> list[type[OrganizationModel]]:
    from django.apps import apps

    return [model for model in apps.get_models() if issubclass(model, OrganizationModel)]
