"""Models of the core app: organizations and users, business-row bases with the change log, external
references, per-organization settings and jobs."""

from backoffice.models.changelog import ChangeLogEntry
from backoffice.models.core import (
    ApiKey,
    CurrencyRate,
    Organization,
    User,
    WorkerHeartbeat,
    validate_currency,
    validate_time_zone,
)
from backoffice.models.integration import ExternalReference, Job, JobState, OrganizationSetting
from backoffice.models.tracking import (
    ArchivableModel,
    OrganizationModel,
    OwnedModel,
    TimeStampedModel,
    TrackedQuerySet,
)

__all__ = [
    "ApiKey",
    "ArchivableModel",
    "ChangeLogEntry",
    "CurrencyRate",
    "ExternalReference",
    "Job",
    "JobState",
    "OrganizationSetting",
    "Organization",
    "OrganizationModel",
    "OwnedModel",
    "TimeStampedModel",
    "TrackedQuerySet",
    "User",
    "WorkerHeartbeat",
    "validate_currency",
    "validate_time_zone",
]
