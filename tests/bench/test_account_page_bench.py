"""The account page's first load in a fresh headless Chromium, under the production server (gunicorn with
static files collected, hashed and compressed as `make serve` does): its time, the bytes it transfers, and
its ratio to the contact list's first load measured in the same run (target: under 1 s and at most 2x)."""

import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from accounts.services import opportunity_save
from tests.conftest import need_service
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.factories import AccountFactory, ContactFactory, OpportunityFactory
from tests.factories.core import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
ROUNDS = 5
TARGET_MS = 1000.0
TARGET_RATIO = 2.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_env(static_root: Path) -> dict:
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
        "STATIC_ROOT": str(static_root),
        "WEB_CONCURRENCY": "2",
        "WEB_ACCESS_LOG": "",
    }


def _start_production_server(env: dict, port: int) -> subprocess.Popen:
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True, timeout=300
    )
    command = [str(Path(sys.executable).parent / "gunicorn"), "backoffice.wsgi:application", "-c", "gunicorn.conf.py"]
    process = subprocess.Popen(
        command, cwd=ROOT, env={**env, "BIND": f"127.0.0.1:{port}"}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=5) as response:
                if response.status == 200:
                    return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"gunicorn did not start: {process.stderr.read().decode()[-2000:]}")


def _crm():
    """A rep, a page of contacts, and an account with the deals its lifetime value chart is drawn from."""
    rep = UserFactory(username="bench-rep", first_name="Sam", last_name="Seller")
    account = AccountFactory(owner=rep, organization=rep.organization, name="Baldwin Museum of Science")
    for number in range(60):
        contact = ContactFactory(owner=rep, organization=rep.organization)
        if number < 10:
            contact.accounts.add(account)
    for number in range(24):
        deal = opportunity_save(
            actor=rep,
            data={"name": f"Deal {number}", "account": account, "budget_amount": Decimal(1000 + 50 * number)},
        )
        opportunity_save(actor=rep, opportunity=deal, data={"status": "won"})
    for number in range(5):
        OpportunityFactory(owner=rep, organization=rep.organization, account=account, name=f"Open deal {number}")
    return rep, account


def _first_load(playwright, base_url: str, session_cookie: str, path: str, ready: str) -> tuple[float, int]:
    """Milliseconds to the load event and bytes transferred, in a browser started for this load alone."""
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    try:
        context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session_cookie, "url": base_url}])
        page = context.new_page()
        response = page.goto(path, wait_until="load")
        assert response is not None and response.status == 200, path
        page.wait_for_selector(ready)
        page.wait_for_load_state("networkidle")
        timing = page.evaluate(
            """() => {
                const navigation = performance.getEntriesByType("navigation")[0];
                const resources = performance.getEntriesByType("resource");
                return {
                    load: navigation.loadEventEnd,
                    bytes: navigation.transferSize + resources.reduce((sum, entry) => sum + entry.transferSize, 0),
                };
            }"""
        )
        return timing["load"], timing["bytes"]
    finally:
        browser.close()


def test_account_page_first_load_against_the_contact_list(tmp_path):
    need_service(os.path.exists(CHROMIUM) or bool(shutil.which("chromium")), "Chromium (/usr/bin/chromium)")
    need_service(connection.vendor == "postgresql", "PostgreSQL (the production server reads the test database)")
    from playwright.sync_api import sync_playwright

    rep, account = _crm()
    client = Client()
    client.force_login(rep)
    session_cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    account_path, contacts_path = f"/crm/accounts/{account.pk}/", "/crm/contacts/"
    process = _start_production_server(_server_env(tmp_path / "static"), port)
    try:
        # The chart library goes out compressed and cacheable for good under its hashed name.
        html = urllib.request.urlopen(
            urllib.request.Request(base_url + account_path, headers={"Cookie": f"sessionid={session_cookie}"})
        ).read()
        script = re.search(r'<script src="([^"]+/vendor/uplot/[^"]+)"', html.decode()).group(1)
        request = urllib.request.Request(base_url + script, headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(request) as response:
            assert response.headers["Content-Encoding"] == "gzip", script
            assert "immutable" in response.headers["Cache-Control"], response.headers["Cache-Control"]

        samples: dict[str, list[tuple[float, int]]] = {"account": [], "contacts": []}
        with sync_playwright() as playwright:
            for _ in range(ROUNDS):
                samples["contacts"].append(
                    _first_load(playwright, base_url, session_cookie, contacts_path, "table tbody tr")
                )
                samples["account"].append(
                    _first_load(playwright, base_url, session_cookie, account_path, "#lifetime-chart canvas")
                )
    finally:
        process.terminate()
        process.wait(timeout=30)

    account_ms = statistics.median(ms for ms, _ in samples["account"])
    contacts_ms = statistics.median(ms for ms, _ in samples["contacts"])
    account_bytes = statistics.median(size for _, size in samples["account"])
    contacts_bytes = statistics.median(size for _, size in samples["contacts"])
    ratio = account_ms / contacts_ms
    time_verdict = "PASS" if account_ms < TARGET_MS else "MISS"
    ratio_verdict = "PASS" if ratio <= TARGET_RATIO else "MISS"
    print(f"\nbench account_page_first_load median_ms={account_ms:.0f} target<{TARGET_MS:.0f} {time_verdict}")
    print(f"bench account_page_first_load_transferred kb={account_bytes / 1024:.0f}")
    print(f"bench contact_list_first_load median_ms={contacts_ms:.0f} kb={contacts_bytes / 1024:.0f}")
    print(f"bench account_page_vs_contact_list_first_load ratio={ratio:.2f} target<={TARGET_RATIO:.0f} {ratio_verdict}")
