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
