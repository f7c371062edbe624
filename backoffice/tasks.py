import socket

from celery import shared_task
from celery.signals import worker_ready

from backoffice.services import worker_heartbeat_record


@shared_task(name="backoffice.tasks.worker_heartbeat", time_limit=30, soft_time_limit=20, ignore_result=True)
def worker_heartbeat() -> None:
    """Record that a worker on this host is alive (read by /api/health/)."""
    worker_heartbeat_record(worker=socket.gethostname())


@worker_ready.connect
def _beat_on_start(sender, **kwargs):
    # Without this, /api/health/ would report no worker until beat's first interval has passed.
    worker_heartbeat.delay()


@shared_task(name="backoffice.tasks.job_run", time_limit=3600, soft_time_limit=3540, ignore_result=True)
def job_run_task(job_id: int) -> None:
    """Run or resume one job (it reports its own progress and failure on its row)."""
    from backoffice.jobs import job_run

    job_run(job_id=job_id)


@shared_task(name="backoffice.tasks.jobs_resume_stale", time_limit=60, ignore_result=True)
def jobs_resume_stale_task() -> None:
    """Queue again the jobs whose worker died; a missed run only delays them to the next one."""
    from backoffice.jobs import jobs_resume_stale

    jobs_resume_stale()


@shared_task(name="backoffice.tasks.change_log_prune", time_limit=1800, ignore_result=True)
def change_log_prune_task() -> None:
    """Prune every organization's change log to its retention; a missed run is caught up by the next."""
    from backoffice.changelog import change_log_prune
    from backoffice.models import Organization
    from backoffice.org_settings import CHANGE_LOG_SECTION, settings_get

    for organization in Organization.objects.all():
        keep_days = settings_get(organization_id=organization.pk, section=CHANGE_LOG_SECTION)["retention_days"]
        change_log_prune(organization=organization, keep_days=keep_days)
