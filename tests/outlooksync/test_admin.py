"""The Outlook sync's admin screens: an organization admin stops a rep's sync, queues a resync and decides
held deletions, all through the services; rows are read-only."""

import pytest
from django.test import Client
from django.urls import reverse

from outlooksync.models import AlertKind, AlertState, OutlookConnection, SyncAlert, SyncRun
from outlooksync.services import alert_raise, connection_get, connection_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def client():
    """Django's test client (this package's conftest names its Graph client `client` too)."""
    return Client()


def test_an_admin_stops_a_reps_sync_and_queues_a_resync(client, org_admin, rep):
    connection_update(actor=rep, user=rep, sync_enabled=True)
    connection = connection_get(user=rep)
    client.force_login(org_admin)
    changelist = reverse("admin:outlooksync_outlookconnection_changelist")
    page = client.get(changelist)
    assert page.status_code == 200 and rep.display_name in page.content.decode()
    client.post(changelist, {"action": "disable_sync", "_selected_action": [connection.pk]})
    assert OutlookConnection.objects.get(pk=connection.pk).disabled_by_admin is True
    client.post(changelist, {"action": "queue_resync", "_selected_action": [connection.pk]})
    run = SyncRun.objects.get(user=rep)
    assert run.resync and run.requested_by_id == org_admin.pk
    # The rows themselves are not edited here.
    change = client.get(reverse("admin:outlooksync_outlookconnection_change", args=[connection.pk]))
    assert change.status_code == 200 and 'name="_save"' not in change.content.decode()


def test_an_admin_confirms_held_deletions(client, org_admin, rep):
    held = alert_raise(user=rep, kind=AlertKind.DELETIONS_HELD, message="30 of 50 contacts would be deleted")
    client.force_login(org_admin)
    changelist = reverse("admin:outlooksync_syncalert_changelist")
    assert "30 of 50 contacts" in client.get(changelist).content.decode()
    client.post(changelist, {"action": "confirm_deletions", "_selected_action": [held.pk]})
    held.refresh_from_db()
    assert held.state == AlertState.CONFIRMED and held.decided_by_id == org_admin.pk
    assert SyncRun.objects.filter(user=rep, state="queued").exists()
    # Deciding twice is refused with a message, not an error page.
    response = client.post(changelist, {"action": "cancel_deletions", "_selected_action": [held.pk]}, follow=True)
    assert "already deletions confirmed" in response.content.decode().lower()
    assert SyncAlert.objects.get(pk=held.pk).state == AlertState.CONFIRMED


def test_a_rep_has_no_outlook_admin(client, rep):
    rep.is_staff = True
    rep.save()
    client.force_login(rep)
    assert client.get(reverse("admin:outlooksync_syncrun_changelist")).status_code == 403
