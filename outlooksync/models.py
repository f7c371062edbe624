"""What the Outlook sync keeps per rep: the connection, the links between records and items, runs, alerts
and the per-record history of what runs did.

These are bookkeeping rows, not business records: they are written by the sync many times a minute,
so they stay out of the change log (plain models, scoped by organization and user).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from backoffice.models import Organization


class Entity(models.TextChoices):
    CONTACT = "contact", "Contacts"
    TASK = "task", "Tasks"
    EVENT = "event", "Calendar events"


class Side(models.TextChoices):
    CRM = "crm", "CRM"
    OUTLOOK = "outlook", "Outlook"


class OutlookConnection(models.Model):
    """A rep's mailbox as the sync knows it: the plug-in's own settings, when each side is due, and the
    Graph state (delta links per entity, the task list, the token cache) that lets the next run go on."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="outlook_connection")
    # "Enable Sync": runs start on their own at the organization's intervals; otherwise only on demand.
    sync_enabled = models.BooleanField(default=False)
    show_alerts = models.BooleanField(default=True)
    # An admin may stop a rep's sync whatever the plug-in says.
    disabled_by_admin = models.BooleanField(default=False)
    mailbox = models.CharField(max_length=254, blank=True, help_text="The Outlook mailbox (user principal name)")
    crm_due_at = models.DateTimeField(null=True, blank=True)
    outlook_due_at = models.DateTimeField(null=True, blank=True)
    # Per entity: {"delta_link": ..., "crm_synced_at": ..., "outlook_synced_at": ..., "crm_cursor": ...}
    state = models.JSONField(default=dict, blank=True)
    token_cache = models.TextField(blank=True, help_text="Encrypted")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["user_id"]
        indexes = [
            models.Index(fields=["crm_due_at"], name="outlook_connection_crm_due", condition=Q(sync_enabled=True)),
            models.Index(
                fields=["outlook_due_at"], name="outlook_connection_outlook_due", condition=Q(sync_enabled=True)
            ),
        ]

    def __str__(self) -> str:
        return f"Outlook connection of {self.user}"

    @property
    def syncs_on_schedule(self) -> bool:
        return self.sync_enabled and not self.disabled_by_admin


class SyncLink(models.Model):
    """A CRM record and the Outlook item it is synced with, as both were at their last sync.

    One item has one link; a record may have several (one per item that matched its key).
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    entity = models.CharField(max_length=8, choices=Entity.choices)
    crm_id = models.PositiveBigIntegerField()
    outlook_id = models.CharField(max_length=512)
    change_key = models.CharField(max_length=255, blank=True)
    crm_version = models.PositiveIntegerField(default=0)
    crm_field_hashes = models.JSONField(default=dict, blank=True)
    outlook_field_hashes = models.JSONField(default=dict, blank=True)
    synced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["entity", "crm_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "entity", "outlook_id"], name="sync_link_one_per_item"),
        ]
        indexes = [models.Index(fields=["user", "entity", "crm_id"], name="sync_link_record")]

    def __str__(self) -> str:
        return f"{self.entity} {self.crm_id} <-> {self.outlook_id[:12]}…"


class RunState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class RunTrigger(models.TextChoices):
    SCHEDULE = "schedule", "Schedule"
    MANUAL = "manual", "Start sync now"
    PLUGIN = "plugin", "Outlook plug-in"
    RESYNC = "resync", "Resync"
    ADMIN = "admin", "Admin"


ACTIVE_RUN_STATES = (RunState.QUEUED, RunState.RUNNING)


class SyncRun(models.Model):
    """One synchronization of a rep's mailbox: what it was asked to do, what it did and what went wrong.

    At most one run per rep is running and at most one waits: a trigger arriving meanwhile is merged
    into the waiting one (its sides, entities and resync flag added).
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=10, choices=RunState.choices, default=RunState.QUEUED)
    trigger = models.CharField(max_length=10, choices=RunTrigger.choices, default=RunTrigger.SCHEDULE)
    # The sides to check ("crm", "outlook") and the entities; empty means all the settings enable.
    sides = models.JSONField(default=list, blank=True)
    entities = models.JSONField(default=list, blank=True)
    resync = models.BooleanField(default=False)
    triggers = models.PositiveIntegerField(default=1, help_text="How many triggers this run answers")
    # {"crm": {"contact": {"created": 1, ...}}, "outlook": {...}}
    counts = models.JSONField(default=dict, blank=True)
    errors = models.JSONField(default=list, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user"], condition=Q(state="queued"), name="sync_run_one_queued_per_user"),
            models.UniqueConstraint(
                fields=["user"], condition=Q(state="running"), name="sync_run_one_running_per_user"
            ),
        ]
        indexes = [models.Index(fields=["user", "-created_at"], name="sync_run_user_recent")]

    def __str__(self) -> str:
        return f"Sync run #{self.pk} of {self.user} ({self.get_state_display()})"

    @property
    def is_finished(self) -> bool:
        return self.state not in ACTIVE_RUN_STATES


class AlertKind(models.TextChoices):
    DELETIONS_HELD = "deletions_held", "Deletions held for confirmation"
    ARCHIVED = "archived", "Record archived by the sync"
    REASSIGNED = "reassigned", "Record reassigned"
    FAILED = "failed", "Sync failed"
    AMBIGUOUS = "ambiguous", "Several matches by key"


class AlertState(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    CONFIRMED = "confirmed", "Deletions confirmed"
    CANCELLED = "cancelled", "Deletions cancelled"


class SyncAlert(models.Model):
    """Something a rep (or an admin) should know or decide: held deletions wait for confirm or cancel."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    run = models.ForeignKey(SyncRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts")
    kind = models.CharField(max_length=16, choices=AlertKind.choices)
    state = models.CharField(max_length=12, choices=AlertState.choices, default=AlertState.OPEN)
    message = models.CharField(max_length=500)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "state"], name="sync_alert_user_state")]
        constraints = [
            # One held set of deletions per rep waits at a time; the next run holds again if it must.
            models.UniqueConstraint(
                fields=["user"], condition=Q(kind="deletions_held", state="open"), name="sync_alert_one_held_per_user"
            )
        ]

    def __str__(self) -> str:
        return self.message

    @property
    def is_open(self) -> bool:
        return self.state == AlertState.OPEN


class SyncHistory(models.Model):
    """One action a run took on one record: kept 30 days, shown on the record's page."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    run = models.ForeignKey(SyncRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    entity = models.CharField(max_length=8, choices=Entity.choices)
    crm_id = models.PositiveBigIntegerField(null=True, blank=True)
    outlook_id = models.CharField(max_length=512, blank=True)
    side = models.CharField(max_length=8, choices=Side.choices, help_text="The side that was written")
    action = models.CharField(max_length=20)
    fields = models.JSONField(default=list, blank=True)
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "sync histories"
        indexes = [
            models.Index(fields=["entity", "crm_id", "-created_at"], name="sync_history_record"),
            models.Index(fields=["created_at"], name="sync_history_age"),
        ]

    def __str__(self) -> str:
        return f"{self.get_side_display()} {self.action} {self.entity} {self.crm_id}"


class PluginRelease(models.Model):
    """An Outlook plug-in installer an admin uploaded; the newest is offered at a stable address."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    version = models.CharField(max_length=40)
    file_name = models.CharField(max_length=200)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    content = models.BinaryField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        indexes = [models.Index(fields=["organization", "-uploaded_at"], name="plugin_release_latest")]

    def __str__(self) -> str:
        return f"{self.file_name} {self.version}"
