"""Helpers of the strategy tests: running the re-relation jobs and reading the outcome by names."""

from backoffice.jobs import JobRun, job_run
from backoffice.models import Job, JobState
from commerce.models import CommerceCustomer
from commerce.services.strategy import RELATION_JOB


def run_relation_jobs(organization) -> list[Job]:
    """Run the organization's queued re-relation jobs until none waits (as a worker would)."""
    finished = []
    while True:
        job = Job.objects.filter(organization=organization, kind=RELATION_JOB, state=JobState.QUEUED).first()
        if job is None:
            return finished
        finished.append(job_run(job_id=job.pk))


def relation_state(organization) -> dict[str, tuple]:
    """Each customer by name: its account's name, its previous account's name, its lifetime value."""
    return {
        c.name: (
            c.account.name if c.account else None,
            c.previous_account.name if c.previous_account else None,
            c.account.lifetime_value if c.account else None,
        )
        for c in CommerceCustomer.objects.filter(organization=organization).select_related(
            "account", "previous_account"
        )
    }


class Interrupted(Exception):
    """The worker stopped in the middle of a run."""


class InterruptedRun(JobRun):
    """A run whose worker dies before step number `stop_before` (its earlier steps are committed)."""

    def __init__(self, job: Job, stop_before: int):
        super().__init__(job)
        self.stop_before = stop_before
        self.steps = 0

    def step(self, work, *, done, checkpoint):
        if self.steps == self.stop_before:
            raise Interrupted
        super().step(work, done=done, checkpoint=checkpoint)
        self.steps += 1
