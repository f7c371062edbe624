"""Reading the change log: the changes feed plug-ins follow, record histories, pruning old entries.

Record types appear in the feed once an app registers them in `change_types` (by a short name such
as `contact`), which keeps the feed to records people work with (not settings or bookkeeping rows).
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import models, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import capfirst

from backoffice.models import ChangeLogEntry, Organization, User
from backoffice.registry import KeyedRegistry

FEED_PAGE_DEFAULT = 500
FEED_PAGE_MAX = 1000
PRUNE_BATCH = 5000


class ChangeTypeRegistry(KeyedRegistry[type[models.Model]]):
    """Record types of the changes feed and of record histories, by their short name."""

    @property
    def types(self) -> dict[str, type[models.Model]]:
        return self.items

    def content_type_ids(self, names: list[str] | None = None) -> dict[int, str]:
        """Content type id -> name of the given names (all when None); unknown names raise KeyError."""
        names = list(self.items) if names is None else names
        return {ContentType.objects.get_for_model(self.get(name)).pk: name for name in names}


change_types = ChangeTypeRegistry("change type")


class CursorExpired(Exception):
    """Entries after the cursor were pruned: the reader must read everything again."""


@dataclass(frozen=True)
class FeedPage:
    entries: list[ChangeLogEntry]
    names: dict[int, str]
    next_cursor: int
    has_more: bool


def change_feed(
    *,
    actor: User,
    after: int,
    types: list[str] | None = None,
    exclude_origins: list[str] | None = None,
    limit: int = FEED_PAGE_DEFAULT,
) -> FeedPage:
    """Entries of the actor's organization after the cursor `after`, in commit order, one page.

    Constant queries per page whatever the log's size: the organization's prune mark and the page.
    """
    names = change_types.content_type_ids(types)
    organization = Organization.objects.only("changes_pruned_through").get(pk=actor.organization_id)
    if after < organization.changes_pruned_through:
        raise CursorExpired(
            f"Entries up to {organization.changes_pruned_through} were pruned; read every record again, "
            f"then follow the feed from the sequence you are given."
        )
    queryset = ChangeLogEntry.objects.filter(
        organization_id=actor.organization_id, sequence__gt=after, content_type_id__in=list(names)
    )
    if exclude_origins:
        queryset = queryset.exclude(origin__in=exclude_origins)
    page = list(queryset.order_by("sequence")[: limit + 1])
    has_more = len(page) > limit
    page = page[:limit]
    next_cursor = page[-1].sequence if page else after
    return FeedPage(entries=page, names=names, next_cursor=next_cursor, has_more=has_more)


def change_feed_head(*, actor: User) -> int:
    """The newest sequence of the actor's organization: where a reader that has just read everything starts."""
    latest = ChangeLogEntry.objects.filter(organization_id=actor.organization_id).aggregate(top=Max("sequence"))["top"]
    return latest or 0


def _label(model, name: str) -> str:
    try:
        verbose_name = getattr(model._meta.get_field(name), "verbose_name", None)
    except FieldDoesNotExist:
        verbose_name = None
    # Reverse relations and lists kept by services (e-mails, phones) read well by their own name.
    return capfirst(verbose_name or name.replace("_", " "))


def _readable(model, entries: list[ChangeLogEntry]):
    """A function turning a stored value into what a reader recognises, one query per related model."""
    ids: dict[type[models.Model], set] = defaultdict(set)
    relations: dict[str, type[models.Model]] = {}
    choices: dict[str, dict] = {}
    for model_field in model._meta.get_fields():
        if getattr(model_field, "choices", None):
            choices[model_field.name] = {str(k): v for k, v in model_field.flatchoices}
        if model_field.is_relation and (model_field.many_to_one or model_field.many_to_many):
            relations[model_field.name] = model_field.related_model
    for entry in entries:
        for name, pair in entry.changes.items():
            if name not in relations:
                continue
            for value in pair:
                for item in value if isinstance(value, list) else [value]:
                    if isinstance(item, int):
                        ids[relations[name]].add(item)
    objects = {related: related._base_manager.in_bulk(list(pks)) for related, pks in ids.items() if related}

    def one(name, value):
        if value is None or value == "" or value == []:
            return "—"
        if name in relations and relations[name] is not None:
            if isinstance(value, list):
                return ", ".join(one(name, item) for item in value)
            if isinstance(value, int):
                found = objects.get(relations[name], {}).get(value)
                if isinstance(found, User):
                    return found.display_name
                return str(found) if found is not None else f"#{value} (deleted)"
        if name in choices:
            return str(choices[name].get(str(value), value))
        if isinstance(value, list):
            return "; ".join(_item_text(item) for item in value)
        if isinstance(value, bool):
            return "Yes" if value else "No"
        if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and "T" in value:
            try:
                instant = dt.datetime.fromisoformat(value)
            except ValueError:
                return value
            # Instants read like the rest of the page: local time, to the minute.
            return date_format(timezone.localtime(instant), "Y-m-d H:i") if instant.tzinfo else value
        return value

    return one


def _item_text(item) -> str:
    """One row of a list (an e-mail, a phone with its type, an address) as text."""
    if isinstance(item, dict):
        return ", ".join(str(value) for value in item.values() if value)
    if isinstance(item, list):
        return " ".join(str(part) for part in item if part)
    return str(item)


# Fields whose change says nothing a reader wants on the history (they follow from other fields).
HISTORY_SKIPPED = {"customer_type", "budget_amount_base", "close_revenue_base"}


def record_history(*, record: models.Model, limit: int = 200) -> list[dict]:
    """The record's change log, newest first: when, who, origin, action and the fields with old and new values.

    The caller has already checked that the actor may read the record.
    """
    model = type(record)
    entries = list(
        ChangeLogEntry.objects.filter(content_type=ContentType.objects.get_for_model(model), object_id=record.pk)
        .select_related("actor")
        .order_by("-id")[:limit]
    )
    readable = _readable(model, entries)
    history = []
    for entry in entries:
        changes = []
        if entry.action not in ("create", "delete"):
            for name, (old, new) in entry.changes.items():
                if name in HISTORY_SKIPPED or name == "archived_at":
                    continue
                changes.append({"field": _label(model, name), "old": readable(name, old), "new": readable(name, new)})
        history.append(
            {
                "when": entry.created_at,
                "who": entry.actor.display_name if entry.actor else "",
                "origin": entry.origin,
                "action": entry.action,
                "action_label": entry.get_action_display(),
                "changes": changes,
            }
        )
    return history


def change_log_prune(*, organization: Organization, keep_days: int) -> int:
    """Delete the organization's entries older than `keep_days`, in batches; returns how many went.

    The highest pruned sequence is kept on the organization, so a feed cursor from before it is told to resync.
    """
    cutoff = timezone.now() - dt.timedelta(days=keep_days)
    removed = 0
    while True:
        with transaction.atomic():
            batch = list(
                ChangeLogEntry.objects.filter(organization=organization, created_at__lt=cutoff, sequence__isnull=False)
                .order_by("sequence")
                .values_list("id", "sequence")[:PRUNE_BATCH]
            )
            if not batch:
                return removed
            ChangeLogEntry.objects.filter(id__in=[pk for pk, _ in batch]).delete()
            top = max(sequence for _, sequence in batch)
            Organization.objects.filter(pk=organization.pk, changes_pruned_through__lt=top).update(
                changes_pruned_through=top
            )
            removed += len(batch)
