"""The change log's entry and its writer: one entry per create, update, archive, restore and delete."""

import json

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone

from backoffice.changes import ORIGIN_MAX_LENGTH, ChangeAction, change_committed, current_change_context
from backoffice.models.core import Organization

OBJECT_REPR_LENGTH = 200


class ChangeLogEntry(models.Model):
    """One create, update, archive, restore or delete of a business row, with who, from where and what.

    `sequence` is given when the writing transaction commits, in commit order (per organization),
    so a reader that keeps the last sequence it saw never misses nor repeats an entry.
    """

    id = models.BigAutoField(primary_key=True)
    # Every index here is written twice per entry (insert, then numbering at commit): only the two the
    # reads need (the feed by organization and sequence, a record's history) are kept.
    sequence = models.BigIntegerField(null=True, blank=True, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    content_type = models.ForeignKey(
        ContentType, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    object_id = models.PositiveBigIntegerField()
    object_repr = models.CharField(max_length=OBJECT_REPR_LENGTH, blank=True)
    action = models.CharField(max_length=8, choices=ChangeAction.choices)
    version = models.PositiveIntegerField()
    # {field name: [old, new]}: every field on create, the changed ones on update, none on delete.
    changes = models.JSONField(default=dict, blank=True)
    old_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    new_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    origin = models.CharField(max_length=ORIGIN_MAX_LENGTH)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name = "change log entry"
        verbose_name_plural = "change log entries"
        indexes = [
            # Entries are numbered at commit: the feed's index holds them from then on only.
            models.Index(
                fields=["organization", "sequence"],
                name="changelog_org_sequence",
                condition=models.Q(sequence__isnull=False),
            ),
            models.Index(fields=["content_type", "object_id", "id"], name="changelog_record"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.object_repr or self.object_id}"

    @property
    def changed_fields(self) -> list[str]:
        return list(self.changes)


def _owner_change(changes: dict, action: str, owner_id) -> tuple:
    if "owner" in changes:
        old, new = changes["owner"]
        return old, new
    if action == ChangeAction.CREATE:
        return None, owner_id
    if action == ChangeAction.DELETE:
        return owner_id, None
    return None, None


def _action_for(changes: dict, default: str) -> str:
    if default == ChangeAction.UPDATE and "archived_at" in changes:
        return ChangeAction.RESTORE if changes["archived_at"][1] is None else ChangeAction.ARCHIVE
    return default


def change_log_entries(model, rows: list[dict]) -> list["ChangeLogEntry"]:
    """Unsaved change log entries for rows of `model`: each row a dict of pk, organization_id, version,
    action, changes, owner_id and repr; the actor and origin come from the change context."""
    context = current_change_context()
    actor = context.actor
    actor_id = actor.pk if getattr(actor, "is_authenticated", False) else None
    content_type = ContentType.objects.get_for_model(model)
    now = timezone.now()
    entries = []
    for row in rows:
        changes = row.get("changes") or {}
        action = _action_for(changes, row["action"])
        old_owner, new_owner = _owner_change(changes, action, row.get("owner_id"))
        entries.append(
            ChangeLogEntry(
                organization_id=row["organization_id"],
                content_type=content_type,
                object_id=row["pk"],
                object_repr=(row.get("repr") or "")[:OBJECT_REPR_LENGTH],
                action=action,
                version=row["version"],
                changes=changes,
                old_owner_id=old_owner,
                new_owner_id=new_owner,
                actor_id=actor_id,
                origin=context.origin,
                created_at=now,
            )
        )
    return entries


def change_log_announce(entries: list["ChangeLogEntry"]) -> None:
    """Send `change_committed` for each written entry once the transaction commits."""
    if change_committed.has_listeners(ChangeLogEntry):
        for entry in entries:
            transaction.on_commit(lambda entry=entry: change_committed.send(sender=ChangeLogEntry, entry=entry))


def change_log_write(model, rows: list[dict]) -> list["ChangeLogEntry"]:
    """Write change log entries for rows of `model` (see change_log_entries) and announce them at commit."""
    if not rows:
        return []
    entries = ChangeLogEntry.objects.bulk_create(change_log_entries(model, rows))
    change_log_announce(entries)
    return entries


# The entry's columns, in the order the combined statement below inserts them, and that statement's tail
# (built once: it is the same for every save).
_ENTRY_FIELDS = [
    field for field in ChangeLogEntry._meta.concrete_fields if not field.primary_key and field.name != "sequence"
]
_entry_inserts: dict[str, str] = {}


def _entry_insert(connection, source: str, object_id: str | None = None) -> str:
    """INSERT of an entry for each row of the CTE `source`; `object_id` names the source's id column
    when the row is new (its id is known only then), otherwise the entry's object id is a parameter."""
    key = f"{source}:{object_id}"
    if key not in _entry_inserts:
        quote = connection.ops.quote_name
        columns = ", ".join(quote(field.column) for field in _ENTRY_FIELDS)
        values = []
        for field in _ENTRY_FIELDS:
            if field.name == "object_id" and object_id is not None:
                values.append(f"{source}.{quote(object_id)}")
            else:
                values.append("%s::jsonb" if field.name == "changes" else "%s")
        # Only quoted identifiers are interpolated; every value is a parameter.
        _entry_inserts[key] = (
            f"INSERT INTO {quote(ChangeLogEntry._meta.db_table)} ({columns}) "  # noqa: S608
            f"SELECT {', '.join(values)} FROM {source} RETURNING id"
        )
    return _entry_inserts[key]


def _entry_values(entry: "ChangeLogEntry", *, with_object_id: bool = True) -> list:
    return [
        json.dumps(entry.changes) if field.name == "changes" else getattr(entry, field.attname)
        for field in _ENTRY_FIELDS
        if with_object_id or field.name != "object_id"
    ]


def update_with_entry_sql(update_sql: str, update_params, entry: "ChangeLogEntry", connection) -> tuple[str, list]:
    """One PostgreSQL statement that runs `update_sql` and inserts `entry` once per row it updated.

    A save then costs one round trip, as it would without its entry; the entry's id comes back.
    """
    statement = f"WITH updated AS ({update_sql} RETURNING 1) {_entry_insert(connection, 'updated')}"
    return statement, [*update_params, *_entry_values(entry)]


def insert_with_entry_sql(
    insert_sql: str, insert_params, pk_column: str, entry: "ChangeLogEntry", connection
) -> tuple[str, list]:
    """One PostgreSQL statement that runs `insert_sql` (ending in RETURNING) and inserts `entry` for the new
    row, its object id taken from the row; it answers what `insert_sql` returns."""
    statement = (
        f"WITH inserted AS ({insert_sql}), entry AS ({_entry_insert(connection, 'inserted', pk_column)}) "  # noqa: S608
        "SELECT * FROM inserted"
    )
    return statement, [*insert_params, *_entry_values(entry, with_object_id=False)]
