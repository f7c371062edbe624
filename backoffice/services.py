"""Writes of the core app: organizations, users, API keys, worker heartbeats."""

import hashlib
import secrets
from dataclasses import dataclass

from django.db import connection, transaction
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


_KEY_OWNER_SQL: str | None = None


def _key_owner_sql() -> str:
    """One statement for the key and its owner with their organization, built once (signing in runs on
    every API request, so it skips the query compiler)."""
    global _KEY_OWNER_SQL
    if _KEY_OWNER_SQL is None:
        quote = connection.ops.quote_name
        user_columns = ", ".join(f"u.{quote(field.column)}" for field in User._meta.concrete_fields)
        organization_columns = ", ".join(f"o.{quote(field.column)}" for field in Organization._meta.concrete_fields)
        _KEY_OWNER_SQL = (
            f"SELECT k.{quote('id')}, k.{quote('key_hash')}, k.{quote('last_used_at')}, "  # noqa: S608
            f"{user_columns}, {organization_columns} "
            f"FROM {quote(ApiKey._meta.db_table)} k JOIN {quote(User._meta.db_table)} u ON u.id = k.user_id "
            f"LEFT JOIN {quote(Organization._meta.db_table)} o ON o.id = u.organization_id "
            "WHERE k.key_hash = %s AND k.revoked_at IS NULL AND u.username = %s AND u.is_active"
        )
    return _KEY_OWNER_SQL


def api_key_authenticate(*, username: str, raw_key: str) -> User | None:
    """The active user owning this active key, stamping its last use; None when anything is off."""
    digest = api_key_digest(raw_key)
    with connection.cursor() as cursor:
        cursor.execute(_key_owner_sql(), [digest, username])
        row = cursor.fetchone()
    if row is None or not secrets.compare_digest(row[1], digest):
        return None
    key_id, [last_used_at] = row[0], _converted([ApiKey._meta.get_field("last_used_at")], [row[2]])
    user_fields = User._meta.concrete_fields
    user = User.from_db(
        connection.alias,
        [field.attname for field in user_fields],
        _converted(user_fields, row[3 : 3 + len(user_fields)]),
    )
    organization_row = row[3 + len(user_fields) :]
    if organization_row[0] is not None:
        organization_fields = Organization._meta.concrete_fields
        user._state.fields_cache["organization"] = Organization.from_db(
            connection.alias,
            [field.attname for field in organization_fields],
            _converted(organization_fields, organization_row),
        )
    now = timezone.now()
    # Stamp at most once a minute: plug-ins poll often and the exact second is not useful.
    if last_used_at is None or (now - last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=key_id).update(last_used_at=now)
    return user


_CONVERTERS: dict[tuple, list] = {}


def _converted(fields, values) -> list:
    """Column values as the ORM would give them (the backend's converters, then the fields' own)."""
    key = (connection.alias, tuple(fields))
    if key not in _CONVERTERS:
        _CONVERTERS[key] = [
            [
                (converter, field.get_col(field.model._meta.db_table))
                for converter in (
                    *connection.ops.get_db_converters(field.get_col(field.model._meta.db_table)),
                    *field.get_db_converters(connection),
                )
            ]
            for field in fields
        ]
    converted = []
    for converters, value in zip(_CONVERTERS[key], values, strict=True):
        for converter, expression in converters:
            value = converter(value, expression, connection)
        converted.append(value)
    return converted


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
