"""The account-creation strategy on the Configuration page: what saving each strategy would do, and the latest
re-relation job under the setting with its live progress (the job page's polling fragment), its result and a
link to its page."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backoffice.jobs import job_run
from backoffice.models import Job, JobState
from backoffice.org_settings import SettingsSection, settings_sections
from commerce.services import customer_create, customer_update
from commerce.services.strategy import RELATION_JOB, SECTION
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


def _section(html: str) -> str:
    """The CRM and Commerce section of the Configuration page."""
    start = html.index('aria-labelledby="section-crm_commerce"')
    return html[start : html.index("</section>", start)]


def _hierarchy(actor):
    """A root with a child and a grandchild, one account each (the default strategy)."""
    root = customer_create(actor=actor, name="Page Root")
    child = customer_create(actor=actor, name="Page Child")
    customer_update(actor=actor, customer=child, data={"parent": root})
    grandchild = customer_create(actor=actor, name="Page Grandchild")
    customer_update(actor=actor, customer=grandchild, data={"parent": child})
    return root, child, grandchild


def _row(section: str, strategy: str) -> tuple[str, str]:
    row = re.search(rf'<tr data-strategy="{strategy}">(.*?)</tr>', section, re.S).group(1)
    moving = re.search(r'data-role="customers-moving">([^<]*)<', row).group(1)
    created = re.search(r'data-role="accounts-created">([^<]*)<', row).group(1)
    return moving, created


def test_before_saving_the_page_says_what_each_strategy_would_do(org_admin, session_client):
    _hierarchy(org_admin)
    section = _section(session_client(org_admin).get("/configuration/").content.decode())
    # Today one account each: "root" would move the two children onto the root's account, "each" nothing.
    assert _row(section, "root") == ("2 of 3", "0")
    assert _row(section, "each") == ("0 of 3", "0")
    assert "No re-relation has run yet" in section
    assert "job-progress" not in section


def test_saving_shows_the_queued_job_under_the_setting_then_its_progress_and_result(org_admin, session_client):
    _hierarchy(org_admin)
    client = session_client(org_admin)
    saved = client.post(f"/configuration/{SECTION}/", {f"{SECTION}-account_strategy": "root"})
    assert saved.status_code == 302
    job = Job.objects.get(organization=org_admin.organization, kind=RELATION_JOB)

    # Queued: the job's own fragment, polling its progress URL, and a link to the job's page.
    section = _section(client.get("/configuration/").content.decode())
    assert f'id="job-{job.pk}" data-job-state="queued"' in section
    assert f'hx-get="/jobs/{job.pk}/progress/"' in section
    assert f'href="/jobs/{job.pk}/"' in section
    assert _row(section, "each") == ("0 of 3", "0") and "saved" in section.split('data-strategy="root"')[1][:200]

    # Half-way: customers done of total, still polling; the fragment it polls says the same.
    Job.objects.filter(pk=job.pk).update(state=JobState.RUNNING, total=3, done=1, started_at=timezone.now())
    section = _section(client.get("/configuration/").content.decode())
    assert re.search(r'data-role="count">1 of 3<', section) and 'aria-valuenow="33"' in section
    assert f'hx-get="/jobs/{job.pk}/progress/"' in section
    fragment = client.get(f"/jobs/{job.pk}/progress/").content.decode()
    assert re.search(r'data-role="count">1 of 3<', fragment)

    # Finished: the result (customers moved, accounts created), no more polling, nothing left to move.
    Job.objects.filter(pk=job.pk).update(state=JobState.QUEUED, total=None, done=0)
    assert job_run(job_id=job.pk).state == JobState.SUCCEEDED
    section = _section(client.get("/configuration/").content.decode())
    assert 'data-job-state="succeeded"' in section and "hx-get" not in section
    assert re.search(r'data-role="count">3 of 3<', section)
    result = re.sub(r"\s+", " ", re.search(r'data-role="result">(.*?)</dl>', section, re.S).group(1))
    assert "Moved</dt>" in result and ">2</dd>" in result
    assert "Accounts created</dt>" in result
    assert _row(section, "root") == ("0 of 3", "0")
    # Back to "each", the two children would get back the accounts they remember: none to make.
    assert _row(section, "each") == ("2 of 3", "0")


def test_a_failed_job_shows_its_error(org_admin, session_client):
    _hierarchy(org_admin)
    Job.objects.create(
        organization=org_admin.organization,
        kind=RELATION_JOB,
        state=JobState.FAILED,
        error="OperationalError: the database went away",
        finished_at=timezone.now(),
    )
    section = _section(session_client(org_admin).get("/configuration/").content.decode())
    assert 'data-job-state="failed"' in section and "the database went away" in section


def test_the_running_job_is_shown_before_its_queued_follow_up(org_admin, session_client):
    running = Job.objects.create(
        organization=org_admin.organization, kind=RELATION_JOB, state=JobState.RUNNING, total=10, done=4
    )
    queued = Job.objects.create(organization=org_admin.organization, kind=RELATION_JOB)
    section = _section(session_client(org_admin).get("/configuration/").content.decode())
    assert f'id="job-{running.pk}"' in section and f'id="job-{queued.pk}"' not in section
    assert "a follow-up run starts when this one ends" in section


def test_another_organizations_job_is_not_shown(org_admin, session_client):
    other = OrganizationFactory()
    foreign = Job.objects.create(organization=other, kind=RELATION_JOB, state=JobState.RUNNING, total=5, done=1)
    section = _section(session_client(org_admin).get("/configuration/").content.decode())
    assert f"job-{foreign.pk}" not in section and "No re-relation has run yet" in section


def test_the_page_queries_do_not_grow_with_customers_or_jobs(org_admin, session_client, django_assert_max_num_queries):
    client = session_client(org_admin)
    _hierarchy(org_admin)
    Job.objects.create(organization=org_admin.organization, kind=RELATION_JOB, state=JobState.SUCCEEDED)
    client.get("/configuration/")
    with CaptureQueriesContext(connection) as few:
        client.get("/configuration/")
    for number in range(6):
        customer_create(actor=org_admin, name=f"More {number}")
        Job.objects.create(organization=org_admin.organization, kind=RELATION_JOB, state=JobState.SUCCEEDED)
    with django_assert_max_num_queries(len(few)):
        client.get("/configuration/")


def test_a_section_without_extra_content_shows_only_its_form(org_admin, session_client):
    from django import forms

    key = "test_plain_section"
    settings_sections.register(
        SettingsSection(key=key, title="Plain", fields={"x": forms.IntegerField()}, defaults={"x": 1})
    )
    try:
        html = session_client(org_admin).get("/configuration/").content.decode()
    finally:
        settings_sections.items.pop(key)
    start = html.index(f'aria-labelledby="section-{key}"')
    assert 'data-role="section-extra"' not in html[start : html.index("</section>", start)]
    assert 'data-role="section-extra"' in _section(html)


def test_only_admins_see_the_page(rep, session_client):
    assert session_client(rep).get("/configuration/").status_code == 403
