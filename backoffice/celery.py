"""The Celery application: configured from Django settings; periodic tasks are declared here."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings")

app = Celery("backoffice")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def _declare_periodic_tasks(sender, **kwargs):
    from django.conf import settings

    # A missed heartbeat only makes /api/health/ report an older age; the next one repairs it.
    sender.add_periodic_task(
        settings.CELERY_HEARTBEAT_INTERVAL,
        sender.signature("backoffice.tasks.worker_heartbeat"),
        name="worker heartbeat",
    )
    # A job whose worker died waits until this runs again (at most this interval).
    sender.add_periodic_task(
        settings.JOB_STALE_AFTER, sender.signature("backoffice.tasks.jobs_resume_stale"), name="resume stale jobs"
    )
    # Pruning late only keeps entries a little longer than their retention.
    sender.add_periodic_task(
        crontab(hour=3, minute=17), sender.signature("backoffice.tasks.change_log_prune"), name="prune change log"
    )
    # The Outlook sync: reps whose CRM or Outlook side is due are queued every second (intervals go down
    # to 1 s); per-record sync history is kept 30 days.
    sender.add_periodic_task(1.0, sender.signature("outlooksync.tasks.dispatch"), name="dispatch Outlook syncs")
    sender.add_periodic_task(
        crontab(hour=3, minute=41), sender.signature("outlooksync.tasks.history_prune"), name="prune sync history"
    )
