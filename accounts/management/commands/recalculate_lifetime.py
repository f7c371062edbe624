from django.core.management.base import BaseCommand, CommandError

from accounts.jobs import LIFETIME_RECALCULATION
from backoffice.changes import Origin, change_context
from backoffice.jobs import job_request, job_run
from backoffice.models import Organization


class Command(BaseCommand):
    help = "Recompute every lifetime sales value from the opportunities (all organizations, or one)."

    def add_arguments(self, parser):
        parser.add_argument("--organization", help="Organization name; all organizations when omitted")
        parser.add_argument("--batch-size", type=int, default=None, help="Accounts per step (default 20,000)")

    def handle(self, *args, organization=None, batch_size=None, **options):
        organizations = Organization.objects.all()
        if organization:
            organizations = organizations.filter(name=organization)
            if not organizations.exists():
                raise CommandError(f"No organization named {organization!r}.")
        params = {"batch_size": batch_size} if batch_size else {}
        with change_context(origin=Origin.SYSTEM):
            for org in organizations:
                job = job_request(organization=org, kind=LIFETIME_RECALCULATION, params=params, enqueue=False)
                finished = job_run(job_id=job.pk)
                if finished is None:
                    self.stdout.write(
                        f"{org}: a recalculation is running already (job {job.pk}); it will include this request."
                    )
                    continue
                corrected = finished.result.get("corrected", 0)
                self.stdout.write(
                    f"{org}: {corrected} account total(s) corrected (job {finished.pk}, {finished.state})."
                )
