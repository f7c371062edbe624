"""Who may write what: every service calls these, so the UI, the API, the admin and tasks agree.

Sales reps read every record of their organization and write the records they own (or are
assigned); sales managers and organization admins write every record of their organization.
"""

from django.core.exceptions import PermissionDenied

from backoffice.models import User


def can_write(actor: User, obj) -> bool:
    """Whether the actor may change or delete this business row."""
    if actor.is_superuser:
        return True
    if not actor.organization_id or obj.organization_id != actor.organization_id:
        return False
    if actor.can_manage_organization:
        return True
    return getattr(obj, "owner_id", None) == actor.pk


def check_write(actor: User, obj) -> None:
    """Raise PermissionDenied unless the actor may change or delete the row."""
    if not can_write(actor, obj):
        raise PermissionDenied("You can change only the records you own or are assigned.")


def check_same_organization(actor: User, *objs) -> None:
    """Raise PermissionDenied when a referenced row belongs to another organization."""
    for obj in objs:
        if obj is None:
            continue
        if not actor.is_superuser and obj.organization_id != actor.organization_id:
            raise PermissionDenied("That record belongs to another organization.")


def check_owner_assignable(actor: User, owner: User) -> None:
    """Reps may own records themselves only; managers and admins assign anyone of their organization."""
    if owner.organization_id != actor.organization_id and not actor.is_superuser:
        raise PermissionDenied("The owner must belong to your organization.")
    if not actor.can_manage_organization and owner.pk != actor.pk:
        raise PermissionDenied("Sales reps can assign records only to themselves.")
