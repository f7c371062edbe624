"""One organization never sees another's users or keys, through the API or the admin."""

import pytest

from backoffice.services import api_key_issue
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_user_list_shows_only_own_organization(key_client, rep, manager, outsider):
    response = key_client(rep).get("/api/users/")
    assert response.status_code == 200
    usernames = {u["username"] for u in response.json()["results"]}
    assert usernames == {"rep1", "manager1"}


def test_user_detail_of_another_organization_is_404(key_client, rep, outsider):
    client = key_client(rep)
    assert client.get(f"/api/users/{outsider.pk}/").status_code == 404
    assert client.get(f"/api/users/{rep.pk}/").status_code == 200


def test_user_list_is_paginated(key_client, rep, organization):
    UserFactory.create_batch(5, organization=organization)
    body = key_client(rep).get("/api/users/?page_size=2").json()
    assert body["count"] == 6 and len(body["results"]) == 2 and body["next"]


def test_org_admin_sees_only_own_users_in_admin(client, org_admin, rep, outsider):
    client.force_login(org_admin)
    page = client.get("/admin/backoffice/user/").content.decode()
    assert "rep1" in page and "outsider" not in page
    assert client.get(f"/admin/backoffice/user/{outsider.pk}/change/").status_code in (302, 404)
    assert client.get(f"/admin/backoffice/user/{rep.pk}/change/").status_code == 200


def test_org_admin_cannot_move_a_user_to_another_organization(client, org_admin, rep, organization, other_organization):
    client.force_login(org_admin)
    url = f"/admin/backoffice/user/{rep.pk}/change/"
    form = client.get(url).content.decode()
    assert "Globex" not in form
    data = {
        "username": rep.username,
        "first_name": "Renamed",
        "last_name": rep.last_name,
        "email": rep.email,
        "role": rep.role,
        "is_active": "on",
        "_save": "Save",
    }

    refused = client.post(url, {**data, "organization": other_organization.pk})
    assert refused.status_code == 200
    assert "Select a valid choice" in refused.content.decode()
    rep.refresh_from_db()
    assert rep.organization == organization and rep.first_name != "Renamed"

    # The same form with the admin's own organization saves: the refusal above was the organization's alone.
    saved = client.post(url, {**data, "organization": organization.pk})
    assert saved.status_code == 302
    rep.refresh_from_db()
    assert rep.organization == organization and rep.first_name == "Renamed"


def test_api_keys_in_admin_never_show_the_key(client, org_admin, rep, outsider):
    raw = api_key_issue(user=rep).raw
    other = api_key_issue(user=outsider)
    client.force_login(org_admin)
    page = client.get("/admin/backoffice/apikey/").content.decode()
    assert raw[:8] in page
    assert raw not in page and other.api_key.key_hash not in page
    assert other.raw[:8] not in page
    detail = client.get(f"/admin/backoffice/apikey/{other.api_key.pk}/change/")
    assert detail.status_code in (302, 404)


def test_org_admin_revokes_a_key_in_admin(client, org_admin, rep):
    issued = api_key_issue(user=rep)
    client.force_login(org_admin)
    client.post(
        "/admin/backoffice/apikey/",
        {"action": "revoke_selected", "_selected_action": [issued.api_key.pk]},
    )
    issued.api_key.refresh_from_db()
    assert issued.api_key.revoked_at is not None


def test_reps_have_no_admin(client, rep):
    client.force_login(rep)
    response = client.get("/admin/")
    assert response.status_code == 302
