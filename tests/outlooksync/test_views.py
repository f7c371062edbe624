"""The rep's Outlook page: status, switches, preview, start sync now, the run's counts and alerts."""

import pytest
from django.test import Client

from outlooksync.models import AlertKind, AlertState, OutlookConnection, SyncAlert, SyncRun
from outlooksync.runs import sync_run_execute
from outlooksync.services import alert_raise
from tests.factories import ContactFactory


@pytest.fixture
def client():
    """Django's test client (this package's conftest names its Graph client `client` too)."""
    return Client()


@pytest.mark.django_db
def test_the_page_shows_status_and_saves_the_switches(client, rep):
    client.force_login(rep)
    page = client.get("/outlook/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "Calendar events" in body and "Start sync now" in body and "No run yet" in body
    # Turning sync on for the first time shows what the first sync would do before anything runs.
    first = client.post("/outlook/connection/", {"sync_enabled": "on"})
    assert "What a synchronization would do now" in first.content.decode()
    assert "synchronization stays off" in first.content.decode()  # here: no app registration yet
    assert not OutlookConnection.objects.get(user=rep).sync_enabled
    client.post("/outlook/connection/", {"sync_enabled": "on", "confirmed": "1"})
    connection = OutlookConnection.objects.get(user=rep)
    assert connection.sync_enabled and not connection.show_alerts


@pytest.mark.django_db
def test_admins_open_a_reps_page_and_reps_only_their_own(client, rep, manager, org_admin, outsider):
    client.force_login(org_admin)
    assert rep.display_name in client.get(f"/outlook/?user={rep.pk}").content.decode()
    assert client.get(f"/outlook/?user={outsider.pk}").status_code == 404
    client.force_login(manager)
    assert client.get(f"/outlook/?user={rep.pk}").status_code == 403
    assert client.post(f"/outlook/sync/?user={rep.pk}").status_code == 403
    assert not SyncRun.objects.exists()


@pytest.mark.django_db
def test_start_sync_now_leads_to_the_run_page(client, rep):
    client.force_login(rep)
    response = client.post("/outlook/sync/")
    run = SyncRun.objects.get(user=rep)
    assert response.status_code == 302 and response["Location"] == f"/outlook/runs/{run.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert 'data-run-state="queued"' in page and "hx-get" in page


@pytest.mark.django_db
def test_alerts_are_dismissed_and_held_deletions_decided(client, rep):
    info = alert_raise(user=rep, kind=AlertKind.ARCHIVED, message="Ada Lovelace was deleted in Outlook and archived")
    held = alert_raise(user=rep, kind=AlertKind.DELETIONS_HELD, message="25 of 40 contacts would be deleted")
    client.force_login(rep)
    page = client.get("/outlook/").content.decode()
    assert "Ada Lovelace was deleted" in page and "Keep them" in page
    client.post(f"/outlook/alerts/{info.pk}/acknowledge/")
    client.post(f"/outlook/alerts/{held.pk}/cancel/")
    assert SyncAlert.objects.get(pk=info.pk).state == AlertState.ACKNOWLEDGED
    assert SyncAlert.objects.get(pk=held.pk).state == AlertState.CANCELLED
    assert "Keep them" not in client.get("/outlook/").content.decode()


@pytest.mark.django_db
def test_preview_explains_a_missing_app_registration(client, rep):
    client.force_login(rep)
    response = client.post("/outlook/preview/")
    assert response.status_code == 400 and "app registration" in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_preview_then_sync_against_a_mailbox(client, registered_graph, rep, organization):
    graph_server = registered_graph
    for name in ("Lovelace", "Hopper", "Turing"):
        ContactFactory(owner=rep, organization=organization, last_name=name)
    client.force_login(rep)
    offered = client.post("/outlook/connection/", {"sync_enabled": "on", "show_alerts": "on"}).content.decode()
    assert "Turn on synchronization" in offered and 'data-role="preview"' in offered
    preview = client.post("/outlook/preview/").content.decode()
    assert 'data-role="preview"' in preview and "Contacts" in preview
    assert graph_server.state.mailbox(rep.email).contacts.items == {}  # the preview wrote nothing
    client.post("/outlook/sync/")
    run = sync_run_execute(run_id=SyncRun.objects.get(user=rep).pk)
    page = client.get(f"/outlook/runs/{run.pk}/").content.decode()
    assert 'data-run-state="succeeded"' in page and 'data-role="counts"' in page
    assert len(graph_server.state.mailbox(rep.email).contacts.items) == 3
    status = client.get("/outlook/").content.decode()
    assert 'data-role="links">3<' in status


@pytest.mark.django_db
def test_an_admin_uploads_the_plugin_and_reps_download_it(client, org_admin, rep, key_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from backoffice.request_limits import body_limit

    installer = b"MZ" + b"\x00\x01" * 5000
    client.force_login(rep)
    refused = client.post("/outlook/plugin/upload/", {"version": "1.0", "file": SimpleUploadedFile("a.msi", b"x")})
    assert refused.status_code == 403
    client.force_login(org_admin)
    bad = client.post(
        "/outlook/plugin/upload/", {"version": "1.0", "file": SimpleUploadedFile("notes.txt", b"x")}, follow=True
    )
    assert "Upload the installer" in bad.content.decode()
    client.post(
        "/outlook/plugin/upload/", {"version": "2.4.1", "file": SimpleUploadedFile("CRM for Outlook.msi", installer)}
    )
    client.force_login(rep)
    assert "Download CRM for Outlook.msi" in client.get("/outlook/").content.decode()
    download = client.get("/outlook/plugin/download/")
    assert download.status_code == 200 and download.content == installer
    assert 'filename="CRM for Outlook.msi"' in download["Content-Disposition"]
    settings_body = key_client(rep).get("/api/outlook/settings/").json()
    assert settings_body["plugin_version"] == "2.4.1"
    assert settings_body["plugin_download_url"].endswith("/api/outlook/plugin/")
    assert key_client(rep).get("/api/outlook/plugin/").content == installer
    # Only the upload address takes a large body.
    assert body_limit("/outlook/plugin/upload/") > 60 * 1024 * 1024 > body_limit("/api/outlook/sync/")


@pytest.mark.django_db
def test_no_plugin_yet_is_a_clear_404(client, rep, key_client):
    client.force_login(rep)
    assert client.get("/outlook/plugin/download/").status_code == 404
    assert key_client(rep).get("/api/outlook/plugin/").status_code == 404
    assert key_client(rep).get("/api/outlook/settings/").json()["plugin_download_url"] is None
