"""Writes of the core app: organizations, users, API keys, worker heartbeats."""

import hashlib
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from backoffice.choices import Role
from backoffice.models import ApiKey, Organization, User, WorkerHeartbeat

API_KEY_PREFIX_LENGTH = 8


def api_key_digest(raw_key: str) -> str:
    """Keys are 256-bit random strings, so a plain SHA-256 digest is enough to store them."""
    return hashlib.sha256(raw_key.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedApiKey:
    """A freshly issued key: `raw` is shown to the user once and never stored."""

    api_key: ApiKey
    raw: str


@transaction.atomic
def api_key_issue(*, user: User) -> IssuedApiKey:
    """Revoke the user's active key (if any) and issue a new one."""
    User.objects.select_for_update().filter(pk=user.pk).first()
    api_key_revoke_all(user=user)
    raw = secrets.token_urlsafe(32)
    api_key = ApiKey.objects.create(user=user, prefix=raw[:API_KEY_PREFIX_LENGTH], key_hash=api_key_digest(raw))
    return IssuedApiKey(api_key=api_key, raw=raw)


def api_key_revoke_all(*, user: User) -> int:
    """Revoke every active key of the user; returns how many were revoked."""
    return ApiKey.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())


def api_key_revoke_many(*, api_keys) -> int:
    """Revoke the still-active keys among `api_keys` (an admin's action); returns how many."""
    return api_keys.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())


def api_key_authenticate(*, username: str, raw_key: str) -> User | None:
    """The active user owning this active key, stamping its last use; None when anything is off."""
    digest = api_key_digest(raw_key)
    api_key = (
        ApiKey.objects.select_related("user__organization")
        .filter(key_hash=digest, revoked_at__isnull=True, user__username=username, user__is_active=True)
        .first()
    )
    if api_key is None or not secrets.compare_digest(api_key.key_hash, digest):
        return None
    now = timezone.now()
    # Stamp at most once a minute: plug-ins poll often and the exact second is not useful.
    if api_key.last_used_at is None or (now - api_key.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
    return api_key.user


@transaction.atomic
def organization_get_or_create(*, name: str, base_currency: str = "USD", time_zone: str = "UTC") -> Organization:
    """The organization with this name, created with the given defaults when missing."""
    organization, _ = Organization.objects.get_or_create(
        name=name, defaults={"base_currency": base_currency, "time_zone": time_zone}
    )
    return organization


@transaction.atomic
def user_create(
    *,
    username: str,
    organization: Organization,
    role: str = Role.REP,
    password: str | None = None,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
) -> User:
    """Create a user of an organization; organization admins may also use the Django admin."""
    if role not in Role.values:
        raise ValueError(f"Unknown role {role!r}; choose one of {', '.join(Role.values)}.")
    user = User(
        username=username,
        organization=organization,
        role=role,
        email=email,
        first_name=first_name,
        last_name=last_name,
        is_staff=role == Role.ADMIN,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean()
    user.save()
    return user


def worker_heartbeat_record(*, worker: str) -> WorkerHeartbeat:
    """Record that a worker is alive now."""
    heartbeat, _ = WorkerHeartbeat.objects.update_or_create(worker=worker, defaults={"beat_at": timezone.now()})
    return heartbeat
