import re

import pytest

from backoffice.models import ApiKey

pytestmark = pytest.mark.django_db


def test_my_user_needs_login(client):
    response = client.get("/me/")
    assert response.status_code == 302
    assert response.url.startswith("/login/")


def test_generate_shows_the_key_once(client, rep):
    client.force_login(rep)
    page = client.get("/me/").content.decode()
    assert "rep1" in page and "You have no active API key" in page

    response = client.post("/me/", {"action": "generate"})
    html = response.content.decode()
    key = re.search(r'id="new-api-key" type="text" readonly value="([^"]+)"', html).group(1)
    assert len(key) >= 40
    assert response["Cache-Control"] == "no-store"

    again = client.get("/me/").content.decode()
    assert key not in again
    assert key[:8] in again  # the prefix identifies it


def test_regenerate_replaces_and_revoke_removes(client, rep):
    client.force_login(rep)
    client.post("/me/", {"action": "generate"})
    first = ApiKey.objects.get(user=rep)
    client.post("/me/", {"action": "generate"})
    assert ApiKey.objects.filter(user=rep, revoked_at__isnull=True).count() == 1
    first.refresh_from_db()
    assert first.revoked_at is not None

    response = client.post("/me/", {"action": "revoke"}, follow=True)
    assert "You have no active API key" in response.content.decode()
    assert not ApiKey.objects.filter(user=rep, revoked_at__isnull=True).exists()


def test_user_menu_links_to_my_user(client, rep):
    client.force_login(rep)
    html = client.get("/").content.decode()
    assert 'href="/me/"' in html and "My user" in html


def test_login_page_and_login(client, rep):
    assert client.get("/login/").status_code == 200
    response = client.post("/login/", {"username": "rep1", "password": "correct horse battery staple"})
    assert response.status_code == 302 and response.url == "/"
    client.logout()
    bad = client.post("/login/", {"username": "rep1", "password": "nope"})
    assert "Please enter a correct username and password" in bad.content.decode()
