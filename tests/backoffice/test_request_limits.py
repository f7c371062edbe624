"""Bad requests answer 4xx with the API's JSON error shape, never a 500."""

import datetime as dt
import json

import pytest
from django.test import override_settings

from tests.conftest import basic_auth
from tests.factories.crm import AccountFactory, TaskFactory

pytestmark = pytest.mark.django_db


def assert_client_error(response, status, code=None):
    assert response.status_code == status, response.content[:300]
    body = response.json()
    assert body["type"] == "client_error"
    assert len(body["errors"]) == 1
    error = body["errors"][0]
    assert set(error) == {"code", "detail", "attr"}
    assert error["attr"] is None
    assert error["detail"]
    if code:
        assert error["code"] == code
    return error


@pytest.fixture
def api(key_client, rep):
    client = key_client(rep)
    client.raise_request_exception = False
    return client


def test_a_body_over_the_limit_is_413(api):
    body = json.dumps({"name": "x" * 2_700_000})
    response = api.post("/api/crm/accounts/", data=body, content_type="application/json")
    error = assert_client_error(response, 413, "request_too_large")
    assert "2621440 bytes" in error["detail"]


def test_a_web_form_over_the_limit_is_413_too(client):
    response = client.post("/login/", data="x" * 2_700_000, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413


@pytest.mark.parametrize("depth", [33, 1000, 100_000])
def test_json_nested_too_deep_is_400(api, depth):
    response = api.post("/api/crm/accounts/", data="[" * depth + "]" * depth, content_type="application/json")
    assert "nested deeper than 32" in assert_client_error(response, 400, "parse_error")["detail"]


def test_json_within_the_depth_limit_reaches_validation(api):
    nested = {"name": "Nested", "website": [[[["x"]]]]}
    response = api.post("/api/crm/accounts/", data=nested, format="json")
    assert response.status_code in (201, 400)
    assert response.json().get("type") != "client_error"


def test_a_nul_character_in_json_is_400(api):
    response = api.post("/api/crm/accounts/", data='{"name": "A\\u0000B"}', content_type="application/json")
    assert "NUL" in assert_client_error(response, 400, "parse_error")["detail"]


def test_an_if_match_of_thousands_of_digits_is_400_naming_the_header(api, rep):
    account = AccountFactory(owner=rep, organization=rep.organization)
    response = api.patch(f"/api/crm/accounts/{account.pk}/", {"name": "New"}, HTTP_IF_MATCH="9" * 5000)
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "validation_error"
    assert body["errors"][0]["attr"] == "If-Match"
    for bad in ("١٢", "9" * 19, "-1"):
        assert api.patch(f"/api/crm/accounts/{account.pk}/", {"name": "New"}, HTTP_IF_MATCH=bad).status_code == 400


def test_a_nul_in_the_basic_auth_username_is_400(api_client, rep):
    api_client.raise_request_exception = False
    response = api_client.get("/api/me/", HTTP_AUTHORIZATION=basic_auth("rep\x001", "key"))
    assert "NUL" in assert_client_error(response, 400, "parse_error")["detail"]


def test_a_nul_in_the_query_or_a_header_is_400(api):
    assert_client_error(api.get("/api/crm/accounts/?q=a%00b"), 400, "parse_error")
    assert_client_error(api.get("/api/crm/accounts/", HTTP_X_NOTE="a\x00b"), 400, "parse_error")


def test_an_oversized_header_is_431(api):
    error = assert_client_error(api.get("/api/me/", HTTP_X_NOTE="a" * 9000), 431, "header_too_large")
    assert "X-Note" in error["detail"]
    many = {f"HTTP_X_NOTE_{i}": "a" * 4000 for i in range(10)}
    assert_client_error(api.get("/api/me/", **many), 431, "header_too_large")


@override_settings(REQUEST_HEADER_MAX_BYTES=100)
def test_the_header_limit_is_a_setting(api):
    assert api.get("/api/me/").status_code == 200
    assert_client_error(api.get("/api/me/", HTTP_X_NOTE="a" * 101), 431)


def test_a_filter_date_with_an_impossible_offset_is_400_naming_the_filter(api):
    for value in ("2024-01-01T00:00:00+22:00", "9999-12-31T23:00:00-10:00"):
        response = api.get("/api/crm/tasks/", {"due_at_after": value})
        assert response.status_code == 400, value
        body = response.json()
        assert body["type"] == "validation_error"
        assert body["errors"][0]["attr"] == "due_at"
    response = api.get("/api/crm/events/", {"start_before": "2024-01-01T00:00:00-23:30"})
    assert response.json()["errors"][0]["attr"] == "start"


def test_a_filter_date_with_a_real_offset_is_compared_in_utc(api, rep):
    task = TaskFactory(owner=rep, organization=rep.organization, due_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC))
    same_moment = api.get("/api/crm/tasks/", {"due_at_after": "2024-01-01T14:00:00+14:00"})
    assert [row["id"] for row in same_moment.json()["results"]] == [task.pk]
    one_minute_later = api.get("/api/crm/tasks/", {"due_at_after": "2024-01-01T14:01:00+14:00"})
    assert one_minute_later.json()["results"] == []


@pytest.mark.parametrize("path", ["/api/nope/", "/api/crm/no-such-thing/", "/api/crm/accounts/1/extra/", "/api/"])
def test_an_unknown_api_address_is_a_json_404(api, path):
    assert_client_error(api.get(path), 404, "not_found")


def test_an_unknown_page_outside_the_api_stays_html(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
