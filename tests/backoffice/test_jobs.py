"""Jobs with progress: one running per organization and kind, requests merged into one follow-up, and a
run killed half-way finishing as one clean run would."""

import os
import signal
import subprocess
import sys
import time
from decimal import Decimal

import pytest

from accounts.choices import OpportunityStatus
from accounts.jobs import LIFETIME_RECALCULATION
from accounts.models import Account, Opportunity
from backoffice.jobs import job_request, job_run
from backoffice.models import Job, JobState
from tests.backoffice.test_worker import worker_database_url
from tests.factories import AccountFactory, OrganizationFactory, UserFactory


def _start_running(job: Job) -> None:
    """What a worker's claim does: the job is running and has just reported."""
    from django.utils import timezone

    Job.objects.filter(pk=job.pk).update(state=JobState.RUNNING, started_at=timezone.now(), heartbeat_at=timezone.now())


@pytest.mark.django_db
def test_requests_while_one_runs_merge_into_one_follow_up(org_admin, django_capture_on_commit_callbacks):
    organization = org_admin.organization
    with django_capture_on_commit_callbacks() as queued:
        first = job_request(organization=organization, kind=LIFETIME_RECALCULATION, actor=org_admin)
    assert len(queued) == 1  # a worker is asked to run it
    _start_running(first)
    with django_capture_on_commit_callbacks() as queued:
        second = job_request(organization=organization, kind=LIFETIME_RECALCULATION, actor=org_admin)
        third = job_request(organization=organization, kind=LIFETIME_RECALCULATION, actor=org_admin)
    assert queued == []  # it starts when the running one ends, not beside it
    assert second.pk == third.pk != first.pk
    second.refresh_from_db()
    assert (second.state, second.requests) == (JobState.QUEUED, 2)
    # The queued follow-up cannot start while the first runs.
    assert job_run(job_id=second.pk) is None
    # Another organization's job is not held up.
    other = OrganizationFactory()
    assert job_request(organization=other, kind=LIFETIME_RECALCULATION).pk not in (first.pk, second.pk)


@pytest.mark.django_db
def test_the_end_of_a_run_starts_its_follow_up(org_admin, django_capture_on_commit_callbacks, settings):
    settings.JOB_STALE_AFTER = 0  # the first job's "worker" is gone: this run takes it over
    organization = org_admin.organization
    first = job_request(organization=organization, kind=LIFETIME_RECALCULATION, actor=org_admin, enqueue=False)
    _start_running(first)
    follow_up = job_request(organization=organization, kind=LIFETIME_RECALCULATION, actor=org_admin)
    with django_capture_on_commit_callbacks() as queued:
        finished = job_run(job_id=first.pk)
    assert finished.state == JobState.SUCCEEDED
    assert len(queued) == 1  # the follow-up is handed to a worker
    assert job_run(job_id=follow_up.pk).state == JobState.SUCCEEDED


@pytest.mark.django_db
def test_job_page_and_api_show_progress(org_admin, session_client, key_client):
    from tests.factories import AccountFactory

    AccountFactory.create_batch(3, owner=org_admin)
    job = job_request(
        organization=org_admin.organization, kind=LIFETIME_RECALCULATION, params={"batch_size": 2}, enqueue=False
    )
    page = session_client(org_admin).get(f"/jobs/{job.pk}/").content.decode()
    assert 'role="progressbar"' in page and "hx-get" in page  # polls while queued
    job_run(job_id=job.pk)
    fragment = session_client(org_admin).get(f"/jobs/{job.pk}/progress/").content.decode()
    assert 'aria-valuenow="100"' in fragment and "hx-get" not in fragment  # finished: stops polling
    body = key_client(org_admin).get(f"/api/jobs/{job.pk}/").json()
    assert (body["state"], body["done"], body["total"], body["percent"]) == ("succeeded", 3, 3, 100)
    outsider = UserFactory(organization=OrganizationFactory(), role="admin")
    assert key_client(outsider).get(f"/api/jobs/{job.pk}/").status_code == 404


ACCOUNTS = 120


@pytest.mark.django_db(transaction=True)
def test_a_job_killed_half_way_and_run_again_ends_like_one_clean_run(settings):
    organization = OrganizationFactory(name="Kill Org")
    owner = UserFactory(organization=organization, role="manager")
    accounts = AccountFactory.create_batch(ACCOUNTS, owner=owner)
    Opportunity.objects.bulk_create(
        Opportunity(
            organization=organization,
            owner=owner,
            account=account,
            name=f"Deal {account.pk}",
            status=OpportunityStatus.WON,
            probability=Decimal("100"),
            close_revenue_base=Decimal("10.00"),
        )
        for account in accounts
    )
    # Every account's stored value is wrong: a clean run corrects all of them.
    Account.objects.filter(organization=organization).update(lifetime_value=Decimal("0.00"))
    job = job_request(organization=organization, kind=LIFETIME_RECALCULATION, params={"batch_size": 1}, enqueue=False)

    env = {**os.environ, "DATABASE_URL": worker_database_url(), "DJANGO_READ_DOT_ENV": "0"}
    code = f"import django; django.setup(); from backoffice.jobs import job_run; job_run(job_id={job.pk})"
    process = subprocess.Popen([sys.executable, "-c", code], cwd=settings.BASE_DIR, env=env)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            job.refresh_from_db()
            if job.done >= ACCOUNTS // 4:
                break
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    job.refresh_from_db()
    assert job.state == JobState.RUNNING and 0 < job.done < ACCOUNTS, (job.state, job.done)
    assert job.result.get("accounts", 0) == job.done  # each step committed its work with its progress

    settings.JOB_STALE_AFTER = 0  # the killed worker no longer reports
    finished = job_run(job_id=job.pk)
    assert finished.state == JobState.SUCCEEDED
    assert (finished.done, finished.total) == (ACCOUNTS, ACCOUNTS)
    assert finished.result["accounts"] == ACCOUNTS  # nothing counted twice, nothing left out
    assert finished.result["channel_values"] == ACCOUNTS
    assert set(Account.objects.filter(organization=organization).values_list("lifetime_value", flat=True)) == {
        Decimal("10.00")
    }
