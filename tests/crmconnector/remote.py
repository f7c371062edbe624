"""A second running installation of this product, as the back office connector's CRM.

It runs in its own process (`manage.py runserver`) on its own PostgreSQL database
(`<test database>_remote`, migrated by the process itself), with a user and an API key made there by
the management commands, exactly as another company's installation would be set up. A second process
rather than pytest-django's live_server: a live server shares this process's test database, so it
would not prove that nothing crosses from one installation to the other.
"""

import os
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
import pytest
from django.conf import settings
from psycopg import sql

from tests.conftest import need_service

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class RemoteInstance:
    url: str
    username: str
    api_key: str = field(repr=False)
    process: subprocess.Popen = field(repr=False)

    def api(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, auth=(self.username, self.api_key), timeout=30)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_settings() -> dict:
    return settings.DATABASES["default"]


def _remote_database_name() -> str:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    base = os.environ.get("CRM_REMOTE_DATABASE", "")
    if not base:
        url_name = settings.DATABASES["default"].get("TEST", {}).get("NAME") or settings.DATABASES["default"]["NAME"]
        base = f"{url_name.removeprefix('test_')}_remote"
    return f"{base}_{worker}" if worker else base


def _ensure_database(name: str) -> str:
    database = _database_settings()
    host, port, user = database.get("HOST") or "127.0.0.1", database.get("PORT") or 5432, database.get("USER")
    with psycopg.connect(host=host, port=port, user=user, dbname="postgres", autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return f"postgres://{user}@{host}:{port}/{name}"


def _env(database_url: str) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        # Its own cache and broker: files under var/ (no Redis database shared with the tests).
        "REDIS_URL": "",
        "DEBUG": "0",
        "HTTPS": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECRET_KEY": settings.SECRET_KEY,
        "DJANGO_SETTINGS_MODULE": "backoffice.settings",
    }


def _manage(env: dict, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {args[0]} failed: {result.stderr[-3000:]}")
    return result.stdout


def start_remote_instance() -> RemoteInstance:
    """Migrate the second installation's database, make its API user and key, start its web server."""
    env = _env(_ensure_database(_remote_database_name()))
    _manage(env, "migrate", "--noinput", "-v0")
    # A new organization each time: the database is kept between runs, its earlier contacts stay out of sight.
    run = uuid.uuid4().hex[:10]
    username = f"pos-{run}"
    _manage(env, "create_user", username, "--organization", f"Remote CRM company {run}", "--role", "rep")
    api_key = _manage(env, "create_api_key", username).strip().splitlines()[-1]
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/api/health/", timeout=2).status_code < 500:
                return RemoteInstance(url=url, username=username, api_key=api_key, process=process)
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"The second installation did not start: {process.stderr.read().decode()[-2000:]}")


def stop_remote_instance(remote: RemoteInstance) -> None:
    remote.process.terminate()
    try:
        remote.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        remote.process.kill()


@pytest.fixture(scope="module")
def remote():
    """A second installation for the tests of one module, stopped after them."""
    need_service(settings.DATABASES["default"]["ENGINE"].endswith("postgresql"), "PostgreSQL (a second database)")
    instance = start_remote_instance()
    yield instance
    stop_remote_instance(instance)
