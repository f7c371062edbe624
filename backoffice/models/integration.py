"""What integrations keep per organization: external references, settings sections and long jobs."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from backoffice.models.core import Organization
from backoffice.models.tracking import OrganizationModel

system_name_validator = RegexValidator(
    r"^[a-z][a-z0-9_.-]{0,39}$", "A system name is 1 to 40 lower-case letters, digits, '_', '.' or '-'."
)


class ExternalReference(models.Model):
    """This record is known as `external_id` in the system `system` (a web store, Outlook, an external CRM).

    Unique both ways per organization and system: one external id names one record, and one record
    has one id in a system.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    system = models.CharField(max_length=40, validators=[system_name_validator])
    external_id = models.CharField(max_length=255)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["system", "external_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "system", "external_id"], name="external_reference_unique_id"
            ),
            models.UniqueConstraint(
                fields=["organization", "system", "content_type", "object_id"], name="external_reference_unique_record"
            ),
        ]
        indexes = [models.Index(fields=["content_type", "object_id"], name="external_reference_record")]

    def __str__(self) -> str:
        return f"{self.system}:{self.external_id}"


class OrganizationSetting(OrganizationModel):
    """One setting an organization changed from the product default; absent means "use default"."""

    section = models.CharField(max_length=40)
    key = models.CharField(max_length=60)
    value = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["section", "key"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "section", "key"], name="organization_setting_unique")
        ]

    def __str__(self) -> str:
        return f"{self.section}.{self.key}"


class JobState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


ACTIVE_JOB_STATES = (JobState.QUEUED, JobState.RUNNING)


class Job(models.Model):
    """A long piece of work for an organization, run by a worker in resumable steps, with its progress.

    At most one job of a kind runs per organization, and at most one more waits behind it: a request
    made while one waits is merged into that follow-up.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=60)
    state = models.CharField(max_length=12, choices=JobState.choices, default=JobState.QUEUED)
    params = models.JSONField(default=dict, blank=True)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(null=True, blank=True)
    # Where a resumed run carries on: set by the job's steps, in the same transaction as their work.
    checkpoint = models.JSONField(default=dict, blank=True)
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    requests = models.PositiveIntegerField(default=1, help_text="How many requests this run answers")
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
            models.UniqueConstraint(
                fields=["organization", "kind"], condition=Q(state="queued"), name="job_one_queued_per_kind"
            ),
            models.UniqueConstraint(
                fields=["organization", "kind"], condition=Q(state="running"), name="job_one_running_per_kind"
            ),
        ]
        indexes = [models.Index(fields=["organization", "kind", "state"], name="job_key_state")]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.get_state_display()})"

    @property
    def is_finished(self) -> bool:
        return self.state not in ACTIVE_JOB_STATES

    @property
    def percent(self) -> int:
        if self.state == JobState.SUCCEEDED:
            return 100
        if not self.total:
            return 0
        return min(100, int(self.done * 100 / self.total))
