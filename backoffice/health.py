"""Dependency checks for /api/health/: each says only whether it works, never how it is configured."""

import time
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import connection

from backoffice.selectors import worker_heartbeat_age


def _timed(check):
    started = time.monotonic()
    try:
        detail = check() or {}
        ok = detail.pop("ok", True)
    except Exception:  # noqa: BLE001  (any failure means "down"; the reason may hold secrets)
        ok, detail = False, {}
    return {"ok": ok, "latency_ms": round((time.monotonic() - started) * 1000, 1), **detail}


def _database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _cache():
    key = f"health:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=5)
    ok = cache.get(key) == "1"
    cache.delete(key)
    return {"ok": ok}


def _broker():
    from backoffice.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
    return {"transport": "redis" if settings.REDIS_URL else "filesystem"}


def _worker():
    age = worker_heartbeat_age()
    if age is None:
        return {"ok": False, "heartbeat_age_seconds": None}
    seconds = round(age.total_seconds(), 1)
    # Three missed beats in a row means no worker is running.
    return {"ok": seconds <= 3 * settings.CELERY_HEARTBEAT_INTERVAL + 10, "heartbeat_age_seconds": seconds}


def health_report() -> dict:
    """Each dependency's state; status is "ok" only when all of them are."""
    checks = {"database": _timed(_database), "cache": _timed(_cache), "broker": _timed(_broker)}
    checks["worker"] = _timed(_worker) if checks["database"]["ok"] else {"ok": False}
    return {"status": "ok" if all(c["ok"] for c in checks.values()) else "degraded", "checks": checks}
