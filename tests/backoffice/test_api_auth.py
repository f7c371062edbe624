import pytest
from django.utils import timezone

from backoffice.models import ApiKey
from backoffice.services import api_key_issue, api_key_revoke_all
from tests.conftest import basic_auth
from tests.factories.core import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db


def get_me(api_client, username, password):
    return api_client.get("/api/me/", HTTP_AUTHORIZATION=basic_auth(username, password))


def test_api_key_signs_in_and_me_answers_with_the_organization(api_client, rep):
    raw = api_key_issue(user=rep).raw
    response = get_me(api_client, "rep1", raw)
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "rep1"
    assert body["role"] == "rep"
    assert body["organization"]["name"] == "Acme Corp"
    assert ApiKey.objects.get(user=rep).last_used_at is not None


def test_login_password_is_not_an_api_key(api_client, rep):
    api_key_issue(user=rep)
    response = get_me(api_client, "rep1", DEFAULT_PASSWORD)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert response.json()["type"] == "client_error"


def test_revoked_and_replaced_keys_are_refused(api_client, rep):
    first = api_key_issue(user=rep).raw
    second = api_key_issue(user=rep).raw  # regenerating revokes the first
    assert get_me(api_client, "rep1", first).status_code == 401
    assert get_me(api_client, "rep1", second).status_code == 200
    api_key_revoke_all(user=rep)
    assert get_me(api_client, "rep1", second).status_code == 401


def test_a_key_works_only_with_its_own_username(api_client, rep, manager):
    raw = api_key_issue(user=rep).raw
    assert get_me(api_client, "manager1", raw).status_code == 401


def test_inactive_user_cannot_use_a_key(api_client, rep):
    raw = api_key_issue(user=rep).raw
    rep.is_active = False
    rep.save()
    assert get_me(api_client, "rep1", raw).status_code == 401


def test_keys_are_stored_hashed(rep):
    raw = api_key_issue(user=rep).raw
    stored = ApiKey.objects.get(user=rep)
    assert raw not in stored.key_hash
    assert stored.prefix == raw[:8]
    assert len(stored.key_hash) == 64


def test_twenty_bad_attempts_in_a_row_are_throttled(api_client, rep):
    raw = api_key_issue(user=rep).raw
    codes = [get_me(api_client, "rep1", f"wrong-{i}").status_code for i in range(20)]
    assert codes[0] == 401
    assert codes[-1] == 429
    assert codes.count(401) == 10
    response = get_me(api_client, "rep1", raw)
    # While throttled even the right key is refused, so guessing cannot go on.
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 900


def test_anonymous_call_is_401(api_client, db):
    assert api_client.get("/api/me/").status_code == 401


def test_session_auth_serves_the_web_ui(session_client, rep):
    client = session_client(rep)
    assert client.get("/api/me/").json()["username"] == "rep1"


def test_last_used_time_is_shown_on_my_user(client, rep, api_client):
    raw = api_key_issue(user=rep).raw
    get_me(api_client, "rep1", raw)
    client.force_login(rep)
    page = client.get("/me/").content.decode()
    assert "never" not in page.split("Last used")[1][:80]
    assert timezone.now().year == ApiKey.objects.get(user=rep).last_used_at.year
