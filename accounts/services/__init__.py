"""Writes of the CRM. Import from the submodules; the names here are the public ones."""

from accounts.services.activities import activity_delete, event_save, note_save, task_save
from accounts.services.lifetime import lifetime_apply_change
from accounts.services.lifetime_recalculation import lifetime_recalculate
from accounts.services.opportunities import (
    opportunity_change_status,
    opportunity_delete,
    opportunity_save,
    status_probabilities,
    status_probability_set,
)
from accounts.services.records import (
    account_save,
    business_customer_save,
    channel_business_get,
    contact_save,
    lead_convert,
    lead_save,
    record_archive,
    record_delete,
    record_restore,
    record_save,
)

__all__ = [
    "account_save",
    "activity_delete",
    "business_customer_save",
    "channel_business_get",
    "contact_save",
    "event_save",
    "lead_convert",
    "lead_save",
    "lifetime_apply_change",
    "lifetime_recalculate",
    "note_save",
    "opportunity_change_status",
    "opportunity_delete",
    "opportunity_save",
    "record_archive",
    "record_delete",
    "record_restore",
    "record_save",
    "status_probabilities",
    "status_probability_set",
    "task_save",
]
