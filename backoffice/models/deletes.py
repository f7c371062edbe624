"""Deletes of business rows, however they happen (one row, a queryset, a cascade), land in the change log,
and rows that lose a link to the deleted one record that change too."""

from contextvars import ContextVar

from django.db import models

from backoffice.changes import ChangeAction
from backoffice.models.changelog import change_log_write
from backoffice.models.core import Organization
from backoffice.models.tracking import OrganizationModel, m2m_lists, m2m_other_side, touch_rows, tracked_models


def _before_delete(sender, instance, **kwargs) -> None:
    """Rows that point at the deleted one lose the link: record that on them, as a person would see it."""
    if instance.organization_id in _organizations_deleting.get():
        return
    for relation in sender._meta.related_objects:
        related = relation.related_model
        if not issubclass(related, OrganizationModel):
            continue
        if relation.one_to_many and relation.on_delete is models.SET_NULL:
            related.objects.filter(**{relation.field.name: instance}).update(**{relation.field.name: None})
        elif relation.many_to_many:
            name = relation.field.name
            if name in related.tracked_m2m:
                _record_list_removal(related, name, instance.pk, relation.field)
    for field in sender._meta.many_to_many:
        other = m2m_other_side(sender, field.name)
        if other is not None:
            other_model, other_name = other
            ids = list(getattr(instance, field.name).values_list("pk", flat=True))
            before = m2m_lists(other_model, other_name, ids)
            touch_rows(
                other_model,
                {pk: {other_name: [ids_, [i for i in ids_ if i != instance.pk]]} for pk, ids_ in before.items()},
            )


def _record_list_removal(model, name: str, removed_pk: int, field) -> None:
    through = field.remote_field.through
    owners = list(
        through.objects.filter(**{f"{field.m2m_reverse_field_name()}_id": removed_pk}).values_list(
            f"{field.m2m_field_name()}_id", flat=True
        )
    )
    if not owners:
        return
    before = m2m_lists(model, name, owners)
    touch_rows(model, {pk: {name: [ids, [i for i in ids if i != removed_pk]]} for pk, ids in before.items()})


# Organizations being deleted in this context: their rows go with them, so nothing is logged for them.
_organizations_deleting: ContextVar[frozenset] = ContextVar("organizations_deleting", default=frozenset())


def _organization_deleting(sender, instance, **kwargs) -> None:
    _organizations_deleting.set(_organizations_deleting.get() | {instance.pk})


def _organization_deleted(sender, instance, **kwargs) -> None:
    _organizations_deleting.set(_organizations_deleting.get() - {instance.pk})


def _after_delete(sender, instance, **kwargs) -> None:
    if instance.organization_id in _organizations_deleting.get():
        return
    change_log_write(
        sender,
        [
            {
                "pk": instance.pk,
                "organization_id": instance.organization_id,
                "version": (instance.version or 0) + 1,
                "owner_id": getattr(instance, "owner_id", None),
                "repr": str(instance),
                "action": ChangeAction.DELETE,
                "changes": {},
            }
        ],
    )


def connect_change_tracking() -> None:
    """Log deletes (also cascades and queryset deletes) of every business row; called once at start-up."""
    from django.db.models.signals import post_delete, pre_delete

    pre_delete.connect(_organization_deleting, sender=Organization, dispatch_uid="changelog-organization-pre")
    post_delete.connect(_organization_deleted, sender=Organization, dispatch_uid="changelog-organization-post")
    for model in tracked_models():
        pre_delete.connect(_before_delete, sender=model, dispatch_uid=f"changelog-pre-{model._meta.label_lower}")
        post_delete.connect(_after_delete, sender=model, dispatch_uid=f"changelog-post-{model._meta.label_lower}")
