"""The Outlook plug-in's REST API, signed in like the plug-in (username + API key): each endpoint answers
for the caller's own mailbox, admins read their organization's reps, nobody reads another organization."""

import pytest

from outlooksync.models import AlertKind, OutlookConnection, SyncRun
from outlooksync.services import alert_raise

pytestmark = pytest.mark.django_db


def test_settings_are_the_effective_ones_with_the_callers_switches(rep, key_client):
    body = key_client(rep).get("/api/outlook/settings/").json()
    assert body["sync_direction"] == "bidirectional" and body["conflict_resolution"] == "crm"
    assert (body["crm_sync_interval"], body["outlook_sync_interval"]) == (120, 30)
    assert body["entities"] == {"contact": True, "task": True, "event": True}
    assert body["key_fields"]["task"] == ["subject", "due_at"]
    assert body["sync_enabled"] is False and body["show_alerts"] is True
    assert "graph_client_secret" not in body


def test_the_plugin_turns_its_sync_on_and_off(rep, key_client):
    client = key_client(rep)
    response = client.patch("/api/outlook/connection/", {"sync_enabled": True, "show_alerts": False}, format="json")
    assert response.status_code == 200 and response.json()["sync_enabled"] is True
    connection = OutlookConnection.objects.get(user=rep)
    assert connection.crm_due_at is not None and connection.show_alerts is False
    refused = client.patch("/api/outlook/connection/", {"sync_enabled": "perhaps"}, format="json")
    assert refused.status_code == 400
    # What only an admin may do is not the plug-in's to change.
    client.patch("/api/outlook/connection/", {"disabled_by_admin": True}, format="json")
    assert OutlookConnection.objects.get(user=rep).disabled_by_admin is False


def test_start_sync_now_answers_202_with_a_run_the_caller_can_follow(rep, manager, org_admin, outsider, key_client):
    response = key_client(rep).post("/api/outlook/sync/", {"entities": ["contact"]}, format="json")
    assert response.status_code == 202
    run = response.json()
    assert run["state"] == "queued" and run["entities"] == ["contact"] and run["trigger"] == "plugin"
    again = key_client(rep).post("/api/outlook/sync/", {"resync": True}, format="json").json()
    assert again["id"] == run["id"] and again["resync"] is True and again["entities"] == []
    assert key_client(rep).get(f"/api/outlook/sync/{run['id']}/").status_code == 200
    assert key_client(manager).get(f"/api/outlook/sync/{run['id']}/").status_code == 404
    assert key_client(org_admin).get(f"/api/outlook/sync/{run['id']}/").status_code == 200
    assert key_client(outsider).get(f"/api/outlook/sync/{run['id']}/").status_code == 404
    bad = key_client(rep).post("/api/outlook/sync/", {"entities": ["notes"]}, format="json")
    assert bad.status_code == 400
    assert SyncRun.objects.count() == 1


def test_status_per_entity_for_the_caller_and_for_admins(rep, org_admin, outsider, key_client):
    body = key_client(rep).get("/api/outlook/status/").json()
    assert [entity["entity"] for entity in body["entities"]] == ["contact", "task", "event"]
    assert body["entities"][0]["links"] == 0 and body["entities"][0]["crm_synced_at"] is None
    assert key_client(org_admin).get(f"/api/outlook/status/?user={rep.pk}").json()["user"] == rep.pk
    assert key_client(rep).get(f"/api/outlook/status/?user={org_admin.pk}").status_code == 403
    assert key_client(outsider).get(f"/api/outlook/status/?user={rep.pk}").status_code in (403, 404)
    assert key_client(org_admin).get(f"/api/outlook/status/?user={outsider.pk}").status_code == 404


def test_alerts_are_acknowledged_and_held_deletions_confirmed_or_cancelled(rep, manager, key_client):
    info = alert_raise(user=rep, kind=AlertKind.ARCHIVED, message="Ada was archived")
    held = alert_raise(user=rep, kind=AlertKind.DELETIONS_HELD, message="12 of 40 contacts would be deleted")
    client = key_client(rep)
    listed = client.get("/api/outlook/alerts/?state=open").json()
    assert {alert["id"] for alert in listed} == {info.pk, held.pk}
    assert key_client(manager).get("/api/outlook/alerts/").json() == []
    assert key_client(manager).post(f"/api/outlook/alerts/{info.pk}/acknowledge/").status_code == 404
    assert client.post(f"/api/outlook/alerts/{info.pk}/acknowledge/").json()["state"] == "acknowledged"
    refused = client.post(f"/api/outlook/alerts/{held.pk}/acknowledge/")
    assert refused.status_code == 400 and "confirm or cancel" in refused.content.decode()
    assert client.post(f"/api/outlook/alerts/{held.pk}/cancel/").json()["state"] == "cancelled"
    assert client.post(f"/api/outlook/alerts/{held.pk}/confirm/").status_code == 400  # already decided
    assert SyncRun.objects.filter(user=rep, state="queued").count() == 1  # a run carries on with the decision


def test_preview_without_an_app_registration_says_what_is_missing(rep, key_client):
    response = key_client(rep).post("/api/outlook/preview/")
    assert response.status_code == 400 and "app registration" in response.content.decode()
