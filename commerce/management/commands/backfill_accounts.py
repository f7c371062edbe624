from django.core.management.base import BaseCommand, CommandError

from backoffice.changes import Origin, change_context
from backoffice.models import Organization
from commerce.services.strategy import accounts_backfill


class Command(BaseCommand):
    help = "Give every commerce customer without an account one, by the organization's account-creation strategy."

    def add_arguments(self, parser):
        parser.add_argument("--organization", help="Organization name; all organizations when omitted")
        parser.add_argument("--batch-size", type=int, default=1000, help="Customers per transaction (default 1000)")

    def handle(self, *args, organization=None, batch_size=1000, **options):
        if not 1 <= batch_size <= 10000:
            raise CommandError("--batch-size is 1 to 10000.")
        organizations = Organization.objects.order_by("pk")
        if organization:
            organizations = organizations.filter(name=organization)
            if not organizations.exists():
                raise CommandError(f"No organization named {organization!r}.")
        with change_context(origin=Origin.SYSTEM):
            for org in organizations:
                result = accounts_backfill(organization=org, batch_size=batch_size)
                self.stdout.write(
                    f"{org}: {result['moved']} customers given accounts, {result['accounts_created']} accounts made."
                )
