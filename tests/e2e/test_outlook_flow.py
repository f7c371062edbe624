"""An admin sets the MS Outlook settings with some "Use Default" boxes; a rep previews the first sync, starts
it, sees the run's counts, then an alert after a contact was deleted in Outlook, and a contact page's sync
history. The mailbox is the local Graph-protocol server; runs go through the Celery task (run at once)."""

import pytest

from backoffice.celery import app as celery_app
from outlooksync.models import SyncRun
from tests.factories import ContactFactory
from tests.factories.core import DEFAULT_PASSWORD
from tests.outlooksync.graph_server import GraphServer

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def mailbox_server(settings):
    with GraphServer() as server:
        settings.GRAPH_BASE_URL = server.base_url
        settings.GRAPH_AUTHORITY = server.url
        settings.GRAPH_CA_BUNDLE = server.ca_bundle
        yield server


@pytest.fixture
def tasks_run_at_once():
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = eager


def test_settings_preview_sync_alert_and_history(page, login, org_admin, rep, mailbox_server, tasks_run_at_once):
    ada = ContactFactory(owner=rep, first_name="Ada", last_name="Lovelace", job_title="Analyst")
    ContactFactory(owner=rep, first_name="Grace", last_name="Hopper")

    # The admin: Outlook always wins, a CRM interval of 10 minutes, the rest at their defaults; the app
    # registration of the (local) Graph tenant.
    login(org_admin.username, DEFAULT_PASSWORD)
    page.goto("/configuration/")
    section = page.locator("section", has=page.get_by_role("heading", name="MS Outlook"))
    section.get_by_label("Conflict resolution").select_option("outlook")
    section.locator("#id_outlook-conflict_resolution__use_default").uncheck()
    section.get_by_label("CRM Sync Interval (in seconds)").fill("600")
    section.locator("#id_outlook-crm_sync_interval__use_default").uncheck()
    state = mailbox_server.state
    for key, value in (
        ("graph_tenant_id", state.tenant),
        ("graph_client_id", state.client_id),
        ("graph_client_secret", state.client_secret),
    ):
        section.locator(f"#id_outlook-{key}").fill(value)
        section.locator(f"#id_outlook-{key}__use_default").uncheck()
    section.get_by_role("button", name="Save ms outlook settings").click()
    assert "MS Outlook settings saved" in page.locator("main").inner_text()
    page.context.clear_cookies()

    # The rep previews, then syncs.
    login(rep.username, DEFAULT_PASSWORD)
    page.goto("/outlook/")
    page.get_by_role("button", name="Preview").click()
    preview = page.locator("[data-role=preview]")
    assert "Contacts" in preview.inner_text()
    assert mailbox_server.state.mailbox(rep.email).contacts.items == {}  # the preview wrote nothing
    page.get_by_role("button", name="Start sync now").click()
    page.wait_for_selector("[data-run-state=succeeded]")
    counts = page.locator("[data-role=counts]").inner_text()
    assert "Outlook" in counts and "Contacts" in counts
    assert len(mailbox_server.state.mailbox(rep.email).contacts.items) == 2

    # Someone deletes Grace in Outlook; Outlook wins: the next run archives her and says so.
    contacts = mailbox_server.state.mailbox(rep.email).contacts
    with mailbox_server.state.lock:
        grace = next(item_id for item_id, item in contacts.items.items() if item.get("surname") == "Hopper")
        contacts.remove(grace)
    page.goto("/outlook/")
    page.get_by_role("button", name="Start sync now").click()
    page.wait_for_selector("[data-run-state=succeeded]")
    page.goto("/outlook/")
    alert = page.locator("[data-alert=archived]")
    assert "Grace Hopper was deleted in Outlook and archived" in alert.inner_text()
    alert.get_by_role("button", name="Dismiss").click()
    assert page.locator("[data-alert=archived]").count() == 0

    # Ada's page tells what the sync did to her.
    page.goto(f"/crm/contacts/{ada.pk}/")
    history = page.locator("[data-role=sync-history]")
    history.wait_for()
    assert "Created in Outlook" in history.inner_text()
    assert SyncRun.objects.filter(user=rep, state="succeeded").count() == 2
