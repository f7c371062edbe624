"""The Outlook sync through a real Celery worker with its beat: the dispatcher queues a rep whose sync is
enabled, the worker syncs the mailbox on the local Graph server; a worker killed in the middle of a first
sync leaves a run that another worker takes over, ending with every pair linked once."""

import os
import signal
import subprocess
import sys
import time

import pytest
from django.conf import settings

from backoffice.org_settings import settings_update
from outlooksync.graph.mapping import crm_id_of
from outlooksync.models import RunState, SyncLink, SyncRun
from outlooksync.services import connection_update
from outlooksync.settings_section import SECTION
from tests.backoffice.test_worker import worker_database_url
from tests.factories import ContactFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


@pytest.fixture
def start_worker(tmp_path, graph_server):
    """A worker with embedded beat, on its own file broker, pointed at the local Graph server."""
    processes = []

    def start(name: str):
        env = {
            **os.environ,
            "DATABASE_URL": worker_database_url(),
            "REDIS_URL": "",
            "CELERY_FILESYSTEM_DIR": str(tmp_path / "broker"),
            "DJANGO_READ_DOT_ENV": "0",
            "GRAPH_BASE_URL": graph_server.base_url,
            "GRAPH_AUTHORITY": graph_server.url,
            "GRAPH_CA_BUNDLE": graph_server.ca_bundle,
            "OUTLOOK_RUN_STALE_AFTER": "3",
        }
        cmd = [sys.executable, "-m", "celery", "-A", "backoffice", "worker", "-B", "--pool", "solo"]
        cmd += ["--schedule", str(tmp_path / f"beat-{name}"), "--loglevel", "INFO", "-n", f"{name}@%h"]
        log = open(tmp_path / f"{name}.log", "w")  # noqa: SIM115
        process = subprocess.Popen(cmd, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=log, start_new_session=True)
        processes.append((process, log))
        return process, tmp_path / f"{name}.log"

    yield start
    for process, log in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        log.close()


def _configure(org_admin, server):
    settings_update(
        actor=org_admin,
        section=SECTION,
        values={
            "graph_tenant_id": server.state.tenant,
            "graph_client_id": server.state.client_id,
            "graph_client_secret": server.state.client_secret,
            "crm_sync_interval": 1,
            "outlook_sync_interval": 1,
            "sync_tasks": False,
            "sync_events": False,
        },
    )


def _wait(condition, timeout: float, log) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.25)
    pytest.fail(f"not reached in {timeout}s; worker log:\n{log.read_text()[-4000:]}")


def test_beat_dispatches_the_rep_and_the_worker_syncs_both_ways(graph_server, start_worker, org_admin, rep):
    _configure(org_admin, graph_server)
    for name in ("Lovelace", "Hopper", "Turing"):
        ContactFactory(owner=rep, organization=rep.organization, last_name=name)
    connection_update(actor=rep, user=rep, sync_enabled=True)
    _, log = start_worker("one")
    contacts = graph_server.state.mailbox(rep.email).contacts
    _wait(lambda: len(contacts.items) == 3, 60, log)
    _wait(lambda: SyncLink.objects.filter(user=rep).count() == 3, 30, log)
    # The links commit with the run's writes; the run records its end a moment later.
    _wait(lambda: SyncRun.objects.filter(user=rep, state=RunState.SUCCEEDED).exists(), 30, log)
    assert not SyncRun.objects.filter(user=rep, state=RunState.FAILED).exists()


def test_a_worker_killed_mid_sync_is_taken_over_without_duplicates(graph_server, start_worker, org_admin, rep):
    _configure(org_admin, graph_server)
    total = 500
    ContactFactory.create_batch(total, owner=rep, organization=rep.organization)
    graph_server.state.latency = 0.01  # long enough a first sync to kill its worker in the middle
    connection_update(actor=rep, user=rep, sync_enabled=True)
    contacts = graph_server.state.mailbox(rep.email).contacts
    for attempt in range(2):
        process, log = start_worker(f"killed{attempt}")
        floor = len(contacts.items)
        _wait(lambda floor=floor: len(contacts.items) >= floor + 60, 120, log)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    _, log = start_worker("survivor")
    _wait(lambda: SyncLink.objects.filter(user=rep).count() == total and len(contacts.items) == total, 240, log)
    time.sleep(3)  # a further run, or more, changes nothing
    stamps = [crm_id_of(item) for item in contacts.items.values()]
    assert len(contacts.items) == total and len(set(stamps)) == total
    assert SyncLink.objects.filter(user=rep).values("crm_id").distinct().count() == total
    assert SyncRun.objects.filter(user=rep, state=RunState.SUCCEEDED).exists()
