from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from backoffice.choices import Role
from backoffice.models import User
from backoffice.services import organization_get_or_create, user_create


class Command(BaseCommand):
    help = "Create a user in an organization (the organization is created when missing)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--organization", required=True, help="Organization name")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--password", help="Login password; without it the user cannot log in yet")
        parser.add_argument("--email", default="")

    def handle(self, *args, username, organization, role, password, email, **options):
        if User.objects.filter(username=username).exists():
            raise CommandError(f"A user named {username!r} already exists.")
        org = organization_get_or_create(name=organization)
        try:
            user = user_create(username=username, organization=org, role=role, password=password, email=email)
        except ValidationError as error:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items()))
        self.stdout.write(self.style.SUCCESS(f"Created {user.get_role_display().lower()} {username} in {org}."))
