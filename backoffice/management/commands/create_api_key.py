from django.core.management.base import BaseCommand, CommandError

from backoffice.models import User
from backoffice.services import api_key_issue


class Command(BaseCommand):
    help = "Print a new API key for a user, revoking the previous one."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        try:
            user = User.objects.get(username=username)
        except User.DoesNotExist:
            raise CommandError(f"No user named {username!r}.")
        self.stdout.write(api_key_issue(user=user).raw)
