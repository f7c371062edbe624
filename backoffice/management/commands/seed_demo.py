"""Demo data: an organization, an admin and two sales reps (and, from the apps, their records)."""

import json
import secrets

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from backoffice.changes import Origin, change_context
from backoffice.choices import Role
from backoffice.models import User
from backoffice.services import organization_get_or_create, user_create
from backoffice.signals import demo_seeded

DEMO_ORGANIZATION = "Demo Organization"
DEMO_USERS = [
    ("admin", Role.ADMIN, "Alex", "Admin"),
    ("rep1", Role.REP, "Riley", "Rep"),
    ("rep2", Role.REP, "Sam", "Seller"),
]
CREDENTIALS_FILE = settings.VAR_DIR / "demo_credentials.json"


def demo_credentials() -> dict[str, str]:
    """The demo passwords, made once per checkout and kept in var/ (never committed)."""
    if CREDENTIALS_FILE.exists():
        return json.loads(CREDENTIALS_FILE.read_text())
    credentials = {username: secrets.token_urlsafe(9) for username, *_ in DEMO_USERS}
    CREDENTIALS_FILE.write_text(json.dumps(credentials, indent=2))
    CREDENTIALS_FILE.chmod(0o600)
    return credentials


class Command(BaseCommand):
    help = "Create (or bring back) the demo organization, its users and demo records. Idempotent."

    @transaction.atomic
    def handle(self, *args, **options):
        # The demo records are an import: the change log says so.
        with change_context(origin=Origin.IMPORT):
            self._seed()

    def _seed(self):
        organization = organization_get_or_create(
            name=DEMO_ORGANIZATION, base_currency="USD", time_zone="America/New_York"
        )
        credentials = demo_credentials()
        users = {}
        for username, role, first, last in DEMO_USERS:
            user = User.objects.filter(username=username).first()
            if user is None:
                user = user_create(
                    username=username,
                    organization=organization,
                    role=role,
                    first_name=first,
                    last_name=last,
                    email=f"{username}@demo.example",
                )
            user.set_password(credentials[username])
            user.save(update_fields=["password"])
            users[username] = user
        # Apps add their demo records through this signal, so the core knows nothing of them.
        demo_seeded.send(sender=self.__class__, organization=organization, users=users, stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS(f"Demo data ready in {organization}."))
        for username, password in credentials.items():
            self.stdout.write(f"  {username:<6} {password}")
