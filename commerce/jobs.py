"""Jobs of commerce: re-relating every customer to accounts when the account-creation strategy changes."""

from backoffice.jobs import JobKind, job_kinds, job_request
from commerce.services.strategy import RELATION_JOB, account_relation_run


def register_jobs() -> None:
    job_kinds.register(JobKind(name=RELATION_JOB, title="Re-relate customers to accounts", run=account_relation_run))


def account_relation_request(*, organization, actor=None):
    """Queue the re-relation (merged with one already waiting; after one running, a follow-up runs)."""
    return job_request(organization=organization, kind=RELATION_JOB, actor=actor)
