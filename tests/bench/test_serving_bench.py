"""Serving: requests per second of an authenticated 100-row contact page and of /api/health/ under the
production server (gunicorn, 2 workers) against the development server on the same data, and the
server time of signing in with an API key (target: under 1 ms)."""

import http.client
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.test import RequestFactory
from rest_framework.request import Request

from backoffice.authentication import ApiKeyBasicAuthentication

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = 4
SECONDS = 4.0
TARGET_AUTH_MS = 1.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_env() -> dict:
    database = connection.settings_dict
    url = (
        f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/{database['NAME']}"
    )
    return {
        **os.environ,
        "DATABASE_URL": url,
        "DEBUG": "0",
        "HTTPS": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECRET_KEY": settings.SECRET_KEY,
        "WEB_CONCURRENCY": "2",
        "WEB_ACCESS_LOG": "",
        # The load comes from one address: sign-in limits must not count it as an attack.
        "API_AUTH_FAILURE_LIMIT": "1000000",
    }


def _start(kind: str, port: int) -> subprocess.Popen:
    if kind == "gunicorn":
        command = [
            str(Path(sys.executable).parent / "gunicorn"),
            "backoffice.wsgi:application",
            "-c",
            "gunicorn.conf.py",
        ]
        env = {**_server_env(), "BIND": f"127.0.0.1:{port}"}
    else:
        command = [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"]
        # A thread per request: persistent connections would pile up until PostgreSQL refused clients.
        env = {**_server_env(), "CONN_MAX_AGE": "0"}
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            _get(port, "/api/health/", {})
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"{kind} did not start: {process.stderr.read().decode()[-2000:]}")


def _get(port: int, path: str, headers: dict) -> int:
    client = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        client.request("GET", path, headers=headers)
        response = client.getresponse()
        response.read()
        return response.status
    finally:
        client.close()


def _requests_per_second(port: int, path: str, headers: dict) -> float:
    done, errors = [], []
    stop = time.monotonic() + SECONDS

    def client():
        count = 0
        while time.monotonic() < stop:
            status = _get(port, path, headers)
            if status != 200:
                errors.append(status)
                return
            count += 1
        done.append(count)

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors[:5]
    return sum(done) / (time.monotonic() - started)


def test_requests_per_second_under_the_production_server(large_crms, db):
    crm = large_crms[100_000]
    headers = {"Authorization": crm.rep_authorization}
    page = "/api/crm/contacts/?page_size=100"
    results = {}
    for kind in ("runserver", "gunicorn"):
        port = _free_port()
        process = _start(kind, port)
        try:
            assert _get(port, page, headers) == 200
            results[kind] = {
                "health": _requests_per_second(port, "/api/health/", {}),
                "contacts": _requests_per_second(port, page, headers),
            }
        finally:
            process.terminate()
            process.wait(timeout=30)
    for name in ("health", "contacts"):
        ours, baseline = results["gunicorn"][name], results["runserver"][name]
        print(
            f"\nbench serving_{name} gunicorn_2_workers_rps={ours:.0f} runserver_rps={baseline:.0f} "
            f"ratio={ours / baseline:.2f}"
        )


def test_api_key_sign_in_server_time(large_crms, db):
    crm = large_crms[100_000]
    request = RequestFactory().get("/api/crm/contacts/", HTTP_AUTHORIZATION=crm.rep_authorization)
    authentication = ApiKeyBasicAuthentication()
    samples = []
    for _ in range(1_100):
        wrapped = Request(request)
        started = time.perf_counter()
        user, _ = authentication.authenticate(wrapped)
        samples.append((time.perf_counter() - started) * 1000)
    assert user.pk == crm.rep.pk and user.organization.pk == crm.organization.pk
    median = statistics.median(samples[100:])
    verdict = "PASS" if median < TARGET_AUTH_MS else "MISS"
    print(f"\nbench api_key_sign_in median_ms={median:.3f} target<{TARGET_AUTH_MS} {verdict}")
