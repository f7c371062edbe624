"""Organizations (tenants), users with roles, API keys and the base models of business rows."""

import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models

from backoffice.choices import Role


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a known time zone (for example Europe/Paris).")


def validate_currency(value: str) -> None:
    if len(value) != 3 or not value.isalpha() or not value.isupper():
        raise ValidationError("Use a three-letter ISO 4217 currency code in capitals, such as USD.")


class Organization(models.Model):
    """The tenant: every business row belongs to exactly one organization."""

    name = models.CharField(max_length=200, unique=True)
    base_currency = models.CharField(max_length=3, default="USD", validators=[validate_currency])
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    created_at = models.DateTimeField(auto_now_add=True)
    # The highest change log sequence pruned away: a feed cursor below it has missed entries.
    changes_pruned_through = models.BigIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person who signs in: belongs to one organization with one role (superusers to none)."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="users"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.REP)

    objects = UserManager()

    class Meta:
        ordering = ["username"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(is_superuser=True) | models.Q(organization__isnull=False),
                name="user_has_organization_unless_superuser",
            )
        ]

    @property
    def is_org_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def can_manage_organization(self) -> bool:
        """Organization admins and sales managers write every record of their organization."""
        return self.is_superuser or self.role in (Role.ADMIN, Role.MANAGER)

    @property
    def display_name(self) -> str:
        """The name people read: the full name, else the username."""
        return self.get_full_name() or self.username

    @property
    def time_zone(self) -> str:
        return self.organization.time_zone if self.organization_id else settings.TIME_ZONE


class ApiKey(models.Model):
    """A personal key for plug-ins: shown once, stored as a SHA-256 digest, revocable."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys")
    prefix = models.CharField(max_length=12, help_text="The key's first characters, to recognise it.")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API key"
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(revoked_at__isnull=True),
                name="one_active_api_key_per_user",
            )
        ]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class WorkerHeartbeat(models.Model):
    """The last time a Celery worker ran the heartbeat task; the health endpoint reads its age."""

    worker = models.CharField(max_length=200, unique=True)
    beat_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.worker} @ {self.beat_at:%Y-%m-%d %H:%M:%S}"


class CurrencyRate(models.Model):
    """How many units of the organization's base currency one unit of `currency` was worth from a date."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="currency_rates")
    currency = models.CharField(max_length=3, validators=[validate_currency])
    rate = models.DecimalField(max_digits=18, decimal_places=8)
    valid_from = models.DateField()

    class Meta:
        ordering = ["currency", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "currency", "valid_from"], name="one_rate_per_day"),
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="currency_rate_positive"),
        ]

    def __str__(self) -> str:
        return f"1 {self.currency} = {self.rate} ({self.valid_from})"
