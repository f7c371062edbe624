"""Long jobs with progress: requested by people or schedules, run by Celery workers in resumable steps.

A job kind registers a `run(job_run)` function that works in steps, each in its own transaction
that also stores a checkpoint (`job_run.step(...)`), so a run killed half-way and started again
carries on from the last committed step and ends as one clean run would. One job of a kind runs per
organization; requests made meanwhile are merged into one follow-up that starts when it ends.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from backoffice.models import Job, JobState, Organization, User
from backoffice.registry import KeyedRegistry


@dataclass(frozen=True)
class JobKind:
    name: str
    title: str
    run: Callable[["JobRun"], dict | None]


class JobKindRegistry(KeyedRegistry[JobKind]):
    def register(self, kind: JobKind) -> None:  # type: ignore[override]
        super().register(kind.name, kind)


job_kinds = JobKindRegistry("job kind")


class JobCancelled(Exception):
    """Someone cancelled the job while it ran; it stops at its next step."""


class JobRun:
    """What a job kind's `run` works with: its parameters, its checkpoint and a way to report steps."""

    def __init__(self, job: Job):
        self.job = job

    @property
    def organization(self) -> Organization:
        return self.job.organization

    @property
    def params(self) -> dict:
        return self.job.params

    @property
    def checkpoint(self) -> dict:
        return self.job.checkpoint

    def set_total(self, total: int) -> None:
        Job.objects.filter(pk=self.job.pk).update(total=total, heartbeat_at=timezone.now())
        self.job.total = total

    @transaction.atomic
    def step(self, work: Callable[[], dict | None], *, done: int, checkpoint: dict) -> None:
        """Run one step of work and record its progress in the same transaction (all or nothing).

        `work` may return numbers to add to the job's result (such as {"corrected": 3}).
        """
        state = Job.objects.select_for_update().values_list("state", flat=True).get(pk=self.job.pk)
        if state == JobState.CANCELLED:
            raise JobCancelled
        added = work() or {}
        result = dict(self.job.result)
        for key, value in added.items():
            result[key] = result.get(key, 0) + value
        Job.objects.filter(pk=self.job.pk).update(
            done=done, checkpoint=checkpoint, result=result, heartbeat_at=timezone.now()
        )
        self.job.done, self.job.checkpoint, self.job.result = done, checkpoint, result


def _enqueue(job_id: int) -> None:
    from backoffice.tasks import job_run_task

    transaction.on_commit(lambda: job_run_task.delay(job_id))


@transaction.atomic
def job_request(
    *,
    organization: Organization,
    kind: str,
    actor: User | None = None,
    params: dict | None = None,
    enqueue: bool = True,
) -> Job:
    """Ask for a job: a queued one of the same kind takes the request in; one running gets a follow-up.

    `enqueue=False` leaves a new job for the caller to run itself (a management command).
    """
    job_kinds.get(kind)  # an unknown kind is a programming error, refused here
    # Locking the running job orders this request after its end, or its end after this request.
    running = Job.objects.select_for_update().filter(organization=organization, kind=kind, state=JobState.RUNNING)
    is_running = bool(list(running.values_list("pk", flat=True)))
    queued = Job.objects.select_for_update().filter(organization=organization, kind=kind, state=JobState.QUEUED).first()
    if queued is not None:
        Job.objects.filter(pk=queued.pk).update(requests=queued.requests + 1)
        queued.requests += 1
        return queued
    try:
        with transaction.atomic():
            job = Job.objects.create(organization=organization, kind=kind, params=params or {}, requested_by=actor)
    except IntegrityError:
        # Another request queued one at the same moment: this request joins it.
        queued = Job.objects.get(organization=organization, kind=kind, state=JobState.QUEUED)
        Job.objects.filter(pk=queued.pk).update(requests=queued.requests + 1)
        return queued
    if enqueue and not is_running:
        _enqueue(job.pk)
    return job


def _claim(job_id: int) -> Job | None:
    """Take the job for this worker: a queued one whose kind is free, or a running one nobody drives any more."""
    with transaction.atomic():
        job = Job.objects.select_for_update(of=("self",)).select_related("organization").filter(pk=job_id).first()
        if job is None or job.is_finished:
            return None
        now = timezone.now()
        if job.state == JobState.RUNNING:
            stale = job.heartbeat_at is None or now - job.heartbeat_at > dt.timedelta(seconds=settings.JOB_STALE_AFTER)
            if not stale:
                return None  # another worker drives it
        else:
            if Job.objects.filter(organization=job.organization_id, kind=job.kind, state=JobState.RUNNING).exists():
                return None  # it starts when the running one ends
            job.state, job.started_at = JobState.RUNNING, now
        job.heartbeat_at = now
        job.save(update_fields=["state", "started_at", "heartbeat_at"])
        return job


def _finish(job: Job, state: str, error: str = "") -> None:
    with transaction.atomic():
        stored = Job.objects.select_for_update().get(pk=job.pk)
        if stored.state == JobState.CANCELLED:
            state = JobState.CANCELLED
        Job.objects.filter(pk=job.pk).update(
            state=state,
            error=error[:4000],
            finished_at=timezone.now(),
            done=stored.total if state == JobState.SUCCEEDED and stored.total is not None else stored.done,
        )
        follow_up = Job.objects.filter(organization=job.organization_id, kind=job.kind, state=JobState.QUEUED).first()
        if follow_up is not None:
            _enqueue(follow_up.pk)


def job_run(*, job_id: int) -> Job | None:
    """Run (or resume) a job to its end; returns it, or None when it is not this caller's to run."""
    job = _claim(job_id)
    if job is None:
        return None
    kind = job_kinds.get(job.kind)
    try:
        summary = kind.run(JobRun(job))
    except JobCancelled:
        _finish(job, JobState.CANCELLED)
    except Exception as error:
        _finish(job, JobState.FAILED, error=f"{type(error).__name__}: {error}")
        raise
    else:
        if summary:
            Job.objects.filter(pk=job.pk).update(result={**job.result, **summary})
        _finish(job, JobState.SUCCEEDED)
    job.refresh_from_db()
    return job


@transaction.atomic
def job_cancel(*, actor: User, job: Job) -> Job:
    """Cancel a queued or running job of the actor's organization (a running one stops at its next step)."""
    from backoffice.org_settings import can_configure

    if not can_configure(actor) and job.requested_by_id != actor.pk:
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied("Only who asked for the job and the organization's admins can cancel it.")
    Job.objects.filter(pk=job.pk, state__in=[JobState.QUEUED, JobState.RUNNING]).update(state=JobState.CANCELLED)
    job.refresh_from_db()
    return job


def jobs_resume_stale() -> int:
    """Queue again the running jobs whose worker stopped beating (killed, restarted); returns how many."""
    cutoff = timezone.now() - dt.timedelta(seconds=settings.JOB_STALE_AFTER)
    stale = list(Job.objects.filter(state=JobState.RUNNING, heartbeat_at__lt=cutoff).values_list("pk", flat=True))
    with transaction.atomic():
        for job_id in stale:
            _enqueue(job_id)
    return len(stale)
