import io
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from backoffice.models import ApiKey, User
from backoffice.services import api_key_authenticate

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_create_user_creates_the_organization():
    run(
        "create_user",
        "carol",
        "--organization",
        "Initech",
        "--role",
        "manager",
        "--password",
        "s3cret-Passw0rd",
    )
    carol = User.objects.get(username="carol")
    assert carol.organization.name == "Initech" and carol.role == "manager"
    assert carol.check_password("s3cret-Passw0rd")
    with pytest.raises(CommandError, match="already exists"):
        run("create_user", "carol", "--organization", "Initech", "--role", "rep")


def test_org_admin_role_can_use_the_admin():
    run("create_user", "dave", "--organization", "Initech", "--role", "admin")
    assert User.objects.get(username="dave").is_staff


def test_create_api_key_prints_a_working_key_and_revokes_the_previous():
    run("create_user", "erin", "--organization", "Initech", "--role", "rep")
    first = run("create_api_key", "erin").strip()
    second = run("create_api_key", "erin").strip()
    assert api_key_authenticate(username="erin", raw_key=first) is None
    assert api_key_authenticate(username="erin", raw_key=second).username == "erin"
    assert ApiKey.objects.filter(user__username="erin", revoked_at__isnull=True).count() == 1
    with pytest.raises(CommandError):
        run("create_api_key", "nobody")


def test_production_settings_pass_check_deploy(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "DEBUG": "0",
        "SECRET_KEY": "production-like-secret-" + "k7Qz" * 12,
        "ALLOWED_HOSTS": "backoffice.example.com",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy-check.sqlite3'}",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = {"PATH": "/usr/bin:/bin", "DEBUG": "0"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr
