"""Writes of the dashboard's "recently viewed" list."""

from django.utils import timezone

from accounts.models import RecentlyViewedRecord
from backoffice.models import User


def recently_viewed_note(*, actor: User, record_type: str, record) -> None:
    """Stamp `record` as just opened by `actor`: one upsert, so opening it again moves it to the top."""
    RecentlyViewedRecord.objects.bulk_create(
        [
            RecentlyViewedRecord(
                organization_id=record.organization_id,
                user=actor,
                record_type=record_type,
                record_id=record.pk,
                label=str(record)[:255],
                viewed_at=timezone.now(),
            )
        ],
        update_conflicts=True,
        unique_fields=["user", "record_type", "record_id"],
        update_fields=["label", "viewed_at"],
    )
