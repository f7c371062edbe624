"""Property: whatever mix of writes happens, through the services, the API, bulk updates and the admin,
the changes feed replays to exactly the final records, and versions moved exactly when something a
person can see changed."""

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from accounts.models import Contact, Lead, Task
from accounts.services import (
    account_save,
    contact_save,
    lead_save,
    record_archive,
    record_delete,
    record_restore,
    task_save,
)
from backoffice.changelog import change_feed_head
from tests.backoffice.changes_support import record_state, replay, with_list_defaults
from tests.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

TITLES = st.sampled_from(["", "Buyer", "CEO"])
EMAILS = st.lists(st.sampled_from(["a@example.com", "b@example.com", "c@example.com"]), max_size=2, unique=True)
PHONES = st.lists(st.sampled_from([("+12025550143", "mobile"), ("+12025550177", "business")]), max_size=2, unique=True)
INDEX = st.integers(0, 5)
STEP = st.one_of(
    st.tuples(st.just("create_contact"), TITLES, EMAILS, PHONES),
    st.tuples(st.just("edit_contact"), INDEX, TITLES, EMAILS, PHONES),
    st.tuples(st.just("api_edit_contact"), INDEX, TITLES),
    st.tuples(st.just("bulk_title"), TITLES),
    st.tuples(st.just("owner"), INDEX),
    st.tuples(st.just("archive"), INDEX),
    st.tuples(st.just("restore"), INDEX),
    st.tuples(st.just("api_archive_task"), INDEX),
    st.tuples(st.just("delete"), INDEX),
    st.tuples(st.just("account"), st.lists(INDEX, max_size=3)),
    st.tuples(st.just("task"), st.sampled_from(["Call", "Visit"])),
    st.tuples(st.just("edit_task"), INDEX, st.sampled_from(["Call", "Visit"])),
    st.tuples(st.just("admin_lead"), st.sampled_from(["new", "disqualified"])),
)


def _pick(rows, index):
    return rows[index % len(rows)] if rows else None


def _apply(step, *, org, manager, rep, api, admin_client):
    contacts = list(Contact.objects.filter(organization=org).order_by("pk"))
    tasks = list(Task.objects.filter(organization=org).order_by("pk"))
    kind = step[0]
    if kind == "create_contact":
        _, title, emails, phones = step
        contact_save(actor=rep, data={"last_name": "Lee", "job_title": title}, emails=emails, phones=phones)
    elif kind == "edit_contact" and contacts:
        _, index, title, emails, phones = step
        contact = _pick(contacts, index)
        contact_save(actor=manager, contact=contact, data={"job_title": title}, emails=emails, phones=phones)
    elif kind == "api_edit_contact" and contacts:
        _, index, title = step
        response = api.patch(f"/api/crm/contacts/{_pick(contacts, index).pk}/", {"job_title": title}, format="json")
        assert response.status_code == 200, response.content
    elif kind == "bulk_title":
        Contact.objects.filter(organization=org, pk__in=[c.pk for c in contacts[:3]]).update(job_title=step[1])
    elif kind == "owner" and contacts:
        contact = _pick(contacts, step[1])
        new_owner = rep if contact.owner_id == manager.pk else manager
        contact_save(actor=manager, contact=contact, data={"owner": new_owner})
    elif kind == "archive" and contacts:
        record_archive(actor=manager, instance=_pick(contacts, step[1]))
    elif kind == "restore" and contacts:
        record_restore(actor=manager, instance=_pick(contacts, step[1]))
    elif kind == "api_archive_task" and tasks:
        task = _pick(tasks, step[1])
        action = "restore" if task.archived_at else "archive"
        assert api.post(f"/api/crm/tasks/{task.pk}/{action}/").status_code == 200
    elif kind == "delete" and contacts:
        record_delete(actor=manager, instance=_pick(contacts, step[1]))
    elif kind == "account":
        chosen = {_pick(contacts, i).pk: _pick(contacts, i) for i in step[1]} if contacts else {}
        accounts = org_accounts(org)
        if accounts:
            account_save(actor=manager, account=accounts[0], data={"contacts": list(chosen.values())})
        else:
            account_save(actor=manager, data={"name": "Acme", "contacts": list(chosen.values())})
    elif kind == "task":
        task_save(actor=rep, data={"subject": step[1]})
    elif kind == "edit_task" and tasks:
        task_save(actor=manager, task=_pick(tasks, step[1]), data={"subject": step[2]})
    elif kind == "admin_lead":
        lead = Lead.objects.get(organization=org)
        response = admin_client.post(
            f"/admin/accounts/lead/{lead.pk}/change/",
            {
                "name": lead.name,
                "first_name": lead.first_name,
                "last_name": lead.last_name,
                "email": lead.email,
                "phone": "",
                "company_name": lead.company_name,
                "job_title": lead.job_title,
                "status": step[1],
                "source": lead.source,
                "description": lead.description,
                "owner": lead.owner_id,
                "account": "",
                "contact": "",
            },
        )
        assert response.status_code == 302, response.content.decode()[:2000]


def org_accounts(org):
    from accounts.models import Account

    return list(Account.objects.filter(organization=org).order_by("pk"))


def _read_feed(api, after: int) -> list[dict]:
    entries, cursor = [], after
    while True:
        response = api.get("/api/crm/changes/", {"after": cursor, "limit": 7})
        assert response.status_code == 200, response.content
        page = response.json()
        entries += page["results"]
        cursor = page["next_after"]
        if not page["has_more"]:
            return entries


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(STEP, min_size=1, max_size=10))
def test_feed_replays_to_the_final_state_and_versions_are_honest(numbered_now, steps):
    org = OrganizationFactory()
    manager = UserFactory(organization=org, role="manager")
    rep = UserFactory(organization=org, role="rep")
    admin = UserFactory(organization=org, role="admin", is_staff=True)
    api = APIClient()
    api.force_authenticate(manager)
    admin_client = Client()
    admin_client.force_login(admin)
    start = change_feed_head(actor=manager)
    lead_save(actor=manager, data={"name": "Big lead"})
    # Something to edit from the first step on.
    contact_save(actor=rep, data={"last_name": "First"}, emails=["a@example.com"])
    contact_save(actor=manager, data={"last_name": "Second"})
    task_save(actor=rep, data={"subject": "Call"})

    before = record_state(org.pk)
    for step in steps:
        _apply(step, org=org, manager=manager, rep=rep, api=api, admin_client=admin_client)
        after = record_state(org.pk)
        for key, record in after.items():
            old = before.get(key)
            if old is None:
                assert record["version"] == 1, (step, key)
            elif old["values"] == record["values"]:
                assert record["version"] == old["version"], ("version moved with nothing changed", step, key)
            else:
                assert record["version"] == old["version"] + 1, ("version did not move once", step, key)
        before = after

    entries = _read_feed(api, start)
    sequences = [entry["sequence"] for entry in entries]
    assert sequences == sorted(set(sequences)), "entries repeated or out of order"
    versions = [(e["type"], e["id"], e["version"]) for e in entries]
    assert len(versions) == len(set(versions)), "one version logged twice"
    assert with_list_defaults(replay(entries)) == before
