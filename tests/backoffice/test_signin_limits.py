"""Failed sign-ins, seen from an attacker: limited per client and per username, never locking out an
owner who signs in from elsewhere; the client address read behind trusted proxies only."""

import pytest
from django.test import RequestFactory, override_settings
from rest_framework.test import APIClient

from backoffice.services import api_key_issue
from backoffice.signin_limits import client_address
from tests.conftest import basic_auth
from tests.factories.core import DEFAULT_PASSWORD

ATTACKER = "203.0.113.5"
OWNER = "198.51.100.7"
PROXY = "10.0.0.2"


def get_me(username, password, **extra):
    return APIClient().get("/api/me/", HTTP_AUTHORIZATION=basic_auth(username, password), **extra)


def assert_throttled(response):
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 900
    body = response.json()
    assert body["type"] == "client_error"
    assert body["errors"][0]["code"] == "throttled"
    assert body["errors"][0]["attr"] is None


@pytest.mark.django_db
def test_twenty_bad_keys_from_one_client_do_not_lock_out_the_owner_elsewhere(rep):
    raw = api_key_issue(user=rep).raw
    codes = [get_me("rep1", f"wrong-{i}", REMOTE_ADDR=ATTACKER).status_code for i in range(20)]
    assert codes == [401] * 10 + [429] * 10
    assert_throttled(get_me("rep1", "wrong-again", REMOTE_ADDR=ATTACKER))
    # The attacker is refused even when it guesses right; the owner from another address is not.
    assert_throttled(get_me("rep1", raw, REMOTE_ADDR=ATTACKER))
    assert get_me("rep1", raw, REMOTE_ADDR=OWNER).status_code == 200


@pytest.mark.django_db
def test_one_client_spraying_many_usernames_is_limited_as_one(rep, manager):
    codes = [get_me(f"user{i}", "wrong", REMOTE_ADDR=ATTACKER).status_code for i in range(11)]
    assert codes[-1] == 429
    assert get_me("manager1", api_key_issue(user=manager).raw, REMOTE_ADDR=OWNER).status_code == 200


@pytest.mark.django_db
@override_settings(API_AUTH_FAILURE_LIMIT=3, AUTH_USERNAME_FAILURE_LIMIT=6)
def test_many_addresses_guessing_one_username_get_one_guess_each_once_over_its_threshold(rep):
    raw = api_key_issue(user=rep).raw
    for address in ("192.0.2.1", "192.0.2.2", "192.0.2.3"):
        assert [get_me("rep1", "wrong", REMOTE_ADDR=address).status_code for _ in range(2)] == [401, 401]
    # Six failures for rep1: an address that has failed itself is refused, even with the right key.
    assert_throttled(get_me("rep1", raw, REMOTE_ADDR="192.0.2.1"))
    # A new address gets one guess, then it has failed too.
    assert get_me("rep1", "wrong", REMOTE_ADDR="192.0.2.4").status_code == 401
    assert_throttled(get_me("rep1", "wrong", REMOTE_ADDR="192.0.2.4"))
    # The owner, from an address with no failures, still signs in with the right key.
    assert get_me("rep1", raw, REMOTE_ADDR=OWNER).status_code == 200


@pytest.mark.django_db
@override_settings(TRUSTED_PROXIES=["10.0.0.0/8"])
def test_behind_a_trusted_proxy_the_forwarded_address_is_the_client(rep):
    raw = api_key_issue(user=rep).raw
    for i in range(10):
        assert get_me("rep1", f"wrong-{i}", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=ATTACKER).status_code == 401
    assert_throttled(get_me("rep1", raw, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=ATTACKER))
    # Writing another address in front of the one the proxy appended changes nothing.
    assert_throttled(get_me("rep1", raw, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"{OWNER}, {ATTACKER}"))
    # The owner behind the same proxy is another client.
    assert get_me("rep1", raw, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=OWNER).status_code == 200


@pytest.mark.django_db
@override_settings(TRUSTED_PROXIES=["10.0.0.0/8"])
def test_x_forwarded_for_from_an_untrusted_address_is_ignored(rep):
    raw = api_key_issue(user=rep).raw
    # An attacker rotating X-Forwarded-For to look like many clients is still one client.
    for i in range(10):
        forwarded = f"192.0.2.{i + 1}"
        assert get_me("rep1", "wrong", REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR=forwarded).status_code == 401
    assert_throttled(get_me("rep1", raw, REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR=OWNER))
    assert get_me("rep1", raw, REMOTE_ADDR=OWNER, HTTP_X_FORWARDED_FOR=ATTACKER).status_code == 200


def test_client_address_reads_forwarded_hops_from_the_right_through_trusted_proxies_only():
    factory = RequestFactory()

    def address(remote, forwarded=None):
        extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
        return client_address(factory.get("/", REMOTE_ADDR=remote, **extra))

    with override_settings(TRUSTED_PROXIES=[]):
        assert address(PROXY, ATTACKER) == PROXY
    with override_settings(TRUSTED_PROXIES=["10.0.0.0/8", "2001:db8::1"]):
        assert address(PROXY, ATTACKER) == ATTACKER
        assert address(PROXY, f"{OWNER}, {ATTACKER}, 10.0.0.9") == ATTACKER
        assert address("2001:db8::1", "2001:db8::42") == "2001:db8::42"
        assert address(OWNER, ATTACKER) == OWNER
        assert address(PROXY) == PROXY
        assert address(PROXY, "not-an-address") == PROXY


def login(client, username, password, address):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


@pytest.mark.django_db
def test_web_login_refuses_a_client_after_ten_failures_even_with_the_right_password(client, rep):
    for _ in range(10):
        assert login(client, "rep1", "wrong-password", ATTACKER).status_code == 200
    refused = login(client, "rep1", DEFAULT_PASSWORD, ATTACKER)
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 900
    assert "Too many failed sign-ins from your address. Try again in 15 minutes." in refused.content.decode()
    assert "_auth_user_id" not in client.session
    # Another client signs in as usual.
    other = login(client.__class__(), "rep1", DEFAULT_PASSWORD, OWNER)
    assert other.status_code == 302


@pytest.mark.django_db
def test_web_login_below_the_limit_signs_in(client, rep):
    for _ in range(9):
        login(client, "rep1", "wrong-password", ATTACKER)
    assert login(client, "rep1", DEFAULT_PASSWORD, ATTACKER).status_code == 302
    assert client.session["_auth_user_id"] == str(rep.pk)


@pytest.mark.django_db
@override_settings(LOGIN_FAILURE_LIMIT=2)
def test_admin_login_shares_the_limit(client, org_admin):
    org_admin.is_staff = True
    org_admin.save()
    for _ in range(2):
        client.post("/admin/login/", {"username": "orgadmin", "password": "nope"}, REMOTE_ADDR=ATTACKER)
    refused = client.post("/admin/login/", {"username": "orgadmin", "password": DEFAULT_PASSWORD}, REMOTE_ADDR=ATTACKER)
    assert refused.status_code == 429
    assert "Retry-After" in refused.headers
    assert login(client, "orgadmin", DEFAULT_PASSWORD, ATTACKER).status_code == 429
