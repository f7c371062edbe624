"""The admin archives, restores and deletes through the services (and the change log), and starts the
lifetime value recalculation as a job with a progress page."""

import pytest
from django.contrib.contenttypes.models import ContentType

from accounts.models import Contact
from backoffice.models import ChangeLogEntry, Job, JobState
from tests.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db


def test_admin_archives_and_restores_and_lists_active_by_default(client, org_admin, rep):
    contact = ContactFactory(owner=rep, last_name="Archivable")
    client.force_login(org_admin)
    client.post(
        "/admin/accounts/contact/", {"action": "archive_selected", "_selected_action": [contact.pk]}, follow=True
    )
    contact.refresh_from_db()
    assert contact.archived_at is not None
    assert "Archivable" not in client.get("/admin/accounts/contact/").content.decode()
    assert "Archivable" in client.get("/admin/accounts/contact/?archived=yes").content.decode()
    client.post(
        "/admin/accounts/contact/?archived=yes", {"action": "restore_selected", "_selected_action": [contact.pk]}
    )
    contact.refresh_from_db()
    assert contact.archived_at is None
    log = ChangeLogEntry.objects.filter(content_type=ContentType.objects.get_for_model(Contact), object_id=contact.pk)
    assert list(log.order_by("id").values_list("action", "origin")) == [
        ("create", "system"),
        ("archive", "admin"),
        ("restore", "admin"),
    ]


def test_admin_delete_goes_through_the_services(client, org_admin, rep):
    contact = ContactFactory(owner=rep)
    client.force_login(org_admin)
    response = client.post(f"/admin/accounts/contact/{contact.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Contact.objects.filter(pk=contact.pk).exists()
    entry = ChangeLogEntry.objects.get(object_id=contact.pk, action="delete")
    assert (entry.actor_id, entry.origin) == (org_admin.pk, "admin")


def test_admin_starts_the_recalculation_as_a_job(client, org_admin, rep, django_capture_on_commit_callbacks):
    account = AccountFactory(owner=rep)
    client.force_login(org_admin)
    with django_capture_on_commit_callbacks() as queued:
        response = client.post(
            "/admin/accounts/account/", {"action": "recalculate_lifetime", "_selected_action": [account.pk]}
        )
    job = Job.objects.get(organization_id=org_admin.organization_id)
    assert response.status_code == 302 and response.url == f"/jobs/{job.pk}/"
    assert job.state == JobState.QUEUED and len(queued) == 1  # handed to a worker
    page = client.get(response.url).content.decode()
    assert 'role="progressbar"' in page and "Recalculate lifetime sales values" in page


def test_a_refused_admin_save_is_a_form_error_and_writes_nothing(client, org_admin, rep):
    from accounts.models import Account

    account = AccountFactory(owner=rep, name="Self Ref")
    contact = ContactFactory(owner=rep)
    client.force_login(org_admin)
    response = client.post(
        f"/admin/accounts/account/{account.pk}/change/",
        {"name": "Renamed", "description": "", "owner": rep.pk, "referred_by": account.pk, "contacts": [contact.pk]},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "An account cannot refer itself." in page
    assert "changed successfully" not in page
    account = Account.objects.get(pk=account.pk)
    assert account.name == "Self Ref" and list(account.contacts.all()) == [] and account.version == 1


def test_an_admin_save_goes_through_the_service_once(client, org_admin, rep):
    from accounts.models import Account

    account = AccountFactory(owner=rep, name="Before")
    contact = ContactFactory(owner=rep)
    client.force_login(org_admin)
    response = client.post(
        f"/admin/accounts/account/{account.pk}/change/",
        {"name": "After", "description": "", "owner": rep.pk, "referred_by": "", "contacts": [contact.pk]},
    )
    assert response.status_code == 302
    account = Account.objects.get(pk=account.pk)
    assert account.name == "After" and list(account.contacts.all()) == [contact] and account.version == 2
    added = client.post(
        "/admin/accounts/account/add/", {"name": "New Co", "description": "", "owner": rep.pk, "referred_by": ""}
    )
    assert added.status_code == 302
    assert Account.objects.filter(name="New Co", organization_id=org_admin.organization_id).count() == 1
