"""Reads of the core app, always scoped to the acting user's organization."""

from datetime import timedelta

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from backoffice.models import ApiKey, User, WorkerHeartbeat


def organization_scope(queryset: QuerySet, *, actor: User, field: str = "organization") -> QuerySet:
    """Rows of the actor's organization only; superusers see every organization."""
    if actor.is_superuser:
        return queryset
    if not actor.organization_id:
        return queryset.none()
    return queryset.filter(**{field: actor.organization_id})


def user_list(*, actor: User) -> QuerySet[User]:
    """Users of the actor's organization."""
    return organization_scope(User.objects.select_related("organization"), actor=actor).order_by("username")


def user_get(*, actor: User, pk: int) -> User:
    """The user with this id in the actor's organization; Http404 otherwise."""
    return get_object_or_404(user_list(actor=actor).filter(pk=pk))


def api_key_active_get(*, user: User) -> ApiKey | None:
    """The user's active API key, if any."""
    return ApiKey.objects.filter(user=user, revoked_at__isnull=True).first()


def worker_heartbeat_age() -> timedelta | None:
    """How long ago any worker last beat; None if none ever did."""
    latest = WorkerHeartbeat.objects.order_by("-beat_at").values_list("beat_at", flat=True).first()
    return None if latest is None else timezone.now() - latest
