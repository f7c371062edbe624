import re

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_schema_validates_without_warnings(tmp_path):
    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    assert text.startswith("openapi: 3")
    assert "/api/me/" in text and "apiKeyBasic" in text


def test_schema_and_docs_are_served_without_cdn(client):
    assert client.get("/api/schema/").status_code == 200
    docs = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in docs
    external = [u for u in re.findall(r'(?:src|href)="(https?://[^"]+)"', docs)]
    assert external == []
    # Swagger UI's own script and style come from this app, and are there.
    local = re.findall(r'(?:src|href)="(/static/[^"]+)"', docs)
    assert any(path.endswith("/swagger-ui-bundle.js") for path in local), local
    assert any(path.endswith("/swagger-ui.css") for path in local), local
    for path in local:
        assert client.get(path).status_code == 200, path


def test_health_reports_each_dependency_without_auth(api_client):
    response = api_client.get("/api/health/")
    assert response.status_code == 200
    body = response.json()
    assert set(body["checks"]) == {"database", "cache", "broker", "worker"}
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["cache"]["ok"] is True
    # No heartbeat yet in this fresh database: reported, not hidden.
    assert body["checks"]["worker"] == {
        "ok": False,
        "heartbeat_age_seconds": None,
        "latency_ms": body["checks"]["worker"]["latency_ms"],
    }
    assert body["status"] == "degraded"
    text = response.content.decode()
    assert "redis://" not in text and "postgres" not in text and "password" not in text


def test_health_sees_a_recent_heartbeat(api_client):
    from backoffice.services import worker_heartbeat_record

    worker_heartbeat_record(worker="w1")
    worker = api_client.get("/api/health/").json()["checks"]["worker"]
    assert worker["ok"] is True and worker["heartbeat_age_seconds"] < 5


def test_pages_use_only_local_static_assets(client, rep):
    client.force_login(rep)
    html = client.get("/").content.decode()
    assert re.findall(r'(?:src|href)="(https?://[^"]+)"', html) == []
    local = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
    assert any(path.endswith(".css") for path in local) and any(path.endswith(".js") for path in local), local
    for path in local:
        response = client.get(path)
        assert response.status_code == 200, path
