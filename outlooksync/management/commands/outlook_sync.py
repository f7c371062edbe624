"""Run one rep's Outlook synchronization now, in this process, and print what it did."""

from django.core.management.base import BaseCommand, CommandError

from backoffice.models import User
from outlooksync.engine.records import Entity
from outlooksync.models import RunState
from outlooksync.runs import MailboxNotConfigured, sync_preview, sync_run_execute
from outlooksync.services import sync_request


class Command(BaseCommand):
    help = "Synchronize a rep's contacts, tasks and calendar events with their Outlook mailbox now."

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True, help="The rep's username")
        parser.add_argument(
            "--entity",
            action="append",
            choices=[str(entity) for entity in Entity],
            help="Only this entity (repeat for several); all enabled ones by default",
        )
        parser.add_argument("--resync", action="store_true", help="Delete synced items from Outlook and sync anew")
        parser.add_argument("--preview", action="store_true", help="Only print what a run would do")

    def handle(self, *args, user, entity, resync, preview, **options):
        rep = User.objects.filter(username=user).first()
        if rep is None:
            raise CommandError(f"No user named {user!r}.")
        if preview:
            try:
                summary = sync_preview(actor=rep, user=rep)
            except MailboxNotConfigured as error:
                raise CommandError(str(error))
            for count in summary["counts"]:
                self.stdout.write(f"{count['side']:8} {count['entity']:8} {count['action']:8} {count['count']}")
            if not summary["counts"]:
                self.stdout.write("Nothing to do: both sides are in step.")
            return
        run = sync_request(actor=rep, user=rep, trigger="manual", entities=entity, resync=resync)
        finished = sync_run_execute(run_id=run.pk)
        if finished is None:
            raise CommandError(f"Run #{run.pk} is queued behind a run of {user} that is still running.")
        for side, entities in sorted(finished.counts.items()):
            if side == "conflicts":
                continue
            for name, counts in sorted(entities.items()):
                done = ", ".join(f"{number} {what}" for what, number in sorted(counts.items()))
                self.stdout.write(f"{side:8} {name:8} {done}")
        if finished.state != RunState.SUCCEEDED:
            raise CommandError("; ".join(finished.errors) or "The run failed.")
        self.stdout.write(self.style.SUCCESS(f"Run #{finished.pk} succeeded."))
