from django.core.management.base import BaseCommand, CommandError

from accounts.services import lifetime_recalculate
from backoffice.models import Organization


class Command(BaseCommand):
    help = "Recompute every lifetime sales value from the opportunities (all organizations, or one)."

    def add_arguments(self, parser):
        parser.add_argument("--organization", help="Organization name; all organizations when omitted")

    def handle(self, *args, organization=None, **options):
        organizations = Organization.objects.all()
        if organization:
            organizations = organizations.filter(name=organization)
            if not organizations.exists():
                raise CommandError(f"No organization named {organization!r}.")
        for org in organizations:
            changed = lifetime_recalculate(organization=org)
            self.stdout.write(f"{org}: {changed} account total(s) corrected.")
