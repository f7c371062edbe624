"""Jobs of the CRM: the lifetime sales value recalculation, run by a worker in batches of accounts."""

from accounts.models import Account
from accounts.services.lifetime_recalculation import (
    RECALCULATION_BATCH,
    lifetime_recalculate_accounts,
    lifetime_recalculation_batches,
)
from backoffice.jobs import JobKind, JobRun, job_kinds

LIFETIME_RECALCULATION = "lifetime.recalculate"
MAX_BATCH = 100_000


def lifetime_recalculation_run(run: JobRun) -> dict:
    """Recompute the organization's lifetime values batch by batch; each batch commits with its checkpoint."""
    batch = max(1, min(int(run.params.get("batch_size") or RECALCULATION_BATCH), MAX_BATCH))
    run.set_total(Account.objects.filter(organization=run.organization).count())
    done = run.job.done
    batches = lifetime_recalculation_batches(
        organization_id=run.organization.pk, after=int(run.checkpoint.get("after", 0)), size=batch
    )
    for first, last, count in batches:
        done += count
        run.step(
            lambda first=first, last=last: _corrected(
                lifetime_recalculate_accounts(
                    organization_id=run.organization.pk, first_id=first, last_id=last, actor=run.job.requested_by
                )
            ),
            done=done,
            checkpoint={"after": last},
        )
    return {key: run.job.result.get(key, 0) for key in ("corrected", "accounts", "channel_values", "customers")}


def _corrected(corrections) -> dict[str, int]:
    return {"corrected": corrections.total, **corrections.as_dict()}


def register_jobs() -> None:
    job_kinds.register(
        JobKind(name=LIFETIME_RECALCULATION, title="Recalculate lifetime sales values", run=lifetime_recalculation_run)
    )
