"""A real Celery worker (with embedded beat) runs the heartbeat task, seen in /api/health/."""

import os
import subprocess
import sys
import time

import pytest
import redis
from django.conf import settings
from django.db import connection

from backoffice.models import WorkerHeartbeat
from tests.conftest import need_service

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def worker_database_url() -> str:
    s = connection.settings_dict
    if s["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{s['NAME']}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def redis_available() -> bool:
    if not settings.REDIS_URL:
        return False
    try:
        return bool(redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def start_worker(tmp_path):
    processes = []

    def start(redis_url: str):
        env = {
            **os.environ,
            "DATABASE_URL": worker_database_url(),
            "REDIS_URL": redis_url,
            "CELERY_FILESYSTEM_DIR": str(tmp_path / "broker"),
            "CELERY_HEARTBEAT_INTERVAL": "2",
            "DJANGO_READ_DOT_ENV": "0",
        }
        cmd = [sys.executable, "-m", "celery", "-A", "backoffice", "worker", "-B", "--pool", "solo"]
        cmd += ["--schedule", str(tmp_path / "beat-schedule"), "--loglevel", "INFO"]
        log = open(tmp_path / "worker.log", "w")  # noqa: SIM115
        processes.append((subprocess.Popen(cmd, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=log), log))
        return tmp_path / "worker.log"

    yield start
    for process, log in processes:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def wait_for_heartbeats(count: int, log_path, timeout: float = 60) -> list:
    deadline = time.monotonic() + timeout
    seen: set = set()
    while time.monotonic() < deadline:
        seen |= set(WorkerHeartbeat.objects.values_list("beat_at", flat=True))
        if len(seen) >= count:
            return sorted(seen)
        time.sleep(0.5)
    pytest.fail(f"saw {len(seen)} heartbeat(s) in {timeout}s; worker log:\n{log_path.read_text()[-3000:]}")


@pytest.mark.parametrize("broker", ["filesystem", "redis"])
def test_worker_runs_heartbeat_visible_in_health(broker, start_worker, api_client):
    if broker == "redis":
        need_service(redis_available(), "Redis (REDIS_URL)")
    log = start_worker(settings.REDIS_URL if broker == "redis" else "")
    # The first beat comes from the worker's start-up, the next ones from beat's schedule.
    beats = wait_for_heartbeats(3, log)
    assert beats[-1] > beats[0]
    worker = api_client.get("/api/health/").json()["checks"]["worker"]
    assert worker["ok"] is True
    assert worker["heartbeat_age_seconds"] < 10
