from celery import shared_task


@shared_task(name="outlooksync.tasks.sync_run", time_limit=1800, soft_time_limit=1740, ignore_result=True)
def sync_run_task(run_id: int) -> None:
    """Run one queued sync run (nothing when it already ran or another run of the rep is running)."""
    from outlooksync.runs import sync_run_execute

    sync_run_execute(run_id=run_id)


@shared_task(name="outlooksync.tasks.dispatch", time_limit=60, soft_time_limit=50, ignore_result=True)
def dispatch_task() -> None:
    """Queue the reps whose CRM or Outlook side is due (beat runs this every second)."""
    from outlooksync.services import sync_dispatch

    sync_dispatch()


@shared_task(name="outlooksync.tasks.history_prune", time_limit=600, ignore_result=True)
def history_prune_task() -> None:
    """Forget per-record sync actions older than 30 days."""
    from outlooksync.services import sync_history_prune

    sync_history_prune()
