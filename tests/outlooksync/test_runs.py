"""A rep's sync run end to end: settings, the run queue, the CRM over PostgreSQL, the mailbox over the local
Graph-protocol server (msal over TLS), history, alerts and what the next run needs."""

import pytest
from django.test import Client

from accounts.models import Contact
from accounts.services.records import contact_save
from outlooksync.models import AlertKind, OutlookConnection, RunState, SyncAlert, SyncHistory, SyncLink, SyncRun
from outlooksync.runs import sync_run_execute
from outlooksync.services import connection_update, sync_dispatch, sync_request
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def client():
    """Django's test client (this package's conftest names its Graph client `client` too)."""
    return Client()


@pytest.fixture
def graph(registered_graph):
    return registered_graph


def _contacts_in(server, mailbox):
    return list(server.state.mailbox(mailbox).contacts.items.values())


def _outlook_add_contact(server, mailbox, **body):
    """Someone adds a contact in Outlook."""
    state = server.state
    with state.lock:
        return state._create(state.mailbox(mailbox).contacts, "contact", body)


def _run(rep, **kwargs):
    run = sync_request(actor=rep, user=rep, **kwargs)
    finished = sync_run_execute(run_id=run.pk)
    assert finished is not None and finished.state == RunState.SUCCEEDED, finished and finished.errors
    return finished


def test_a_first_sync_then_changes_both_ways(graph, rep, organization):
    ada = ContactFactory(owner=rep, organization=organization, first_name="Ada", last_name="Lovelace")
    contact_save(actor=rep, data={}, contact=ada, emails=["ada@example.com"])
    run = _run(rep, entities=["contact"])
    [item] = _contacts_in(graph, rep.email)
    assert item["surname"] == "Lovelace" and item["emailAddresses"][0]["address"] == "ada@example.com"
    assert run.counts["outlook"]["contact"]["created"] == 1
    assert SyncLink.objects.filter(user=rep, crm_id=ada.pk).count() == 1
    assert SyncHistory.objects.filter(crm_id=ada.pk, side="outlook", action="create").exists()

    _outlook_add_contact(graph, rep.email, givenName="Grace", surname="Hopper", jobTitle="Admiral")
    contact_save(actor=rep, data={"job_title": "Analyst"}, contact=Contact.objects.get(pk=ada.pk))
    run = _run(rep, entities=["contact"])
    grace = Contact.objects.get(organization=organization, last_name="Hopper")
    assert grace.owner_id == rep.pk and grace.job_title == "Admiral"
    assert {c["surname"]: c.get("jobTitle") for c in _contacts_in(graph, rep.email)} == {
        "Lovelace": "Analyst",
        "Hopper": "Admiral",
    }
    # Nothing changed since: an idle run writes nothing and reads one delta round.
    graph.state.reset_counts()
    run = _run(rep, entities=["contact"])
    assert run.counts == {"conflicts": {}}
    assert graph.state.counts["GET delta"] == 1
    assert graph.state.counts["requests"] == 1, dict(graph.state.counts)


def test_the_client_secret_and_token_cache_are_kept_encrypted(graph, rep, organization):
    ContactFactory(owner=rep, organization=organization)
    _run(rep)
    connection = OutlookConnection.objects.get(user=rep)
    assert connection.token_cache and "access_token" not in connection.token_cache
    assert connection.state["graph"]["delta_links"]


def test_a_run_without_an_app_registration_fails_with_an_alert(rep, organization):
    run = sync_request(actor=rep, user=rep)
    finished = sync_run_execute(run_id=run.pk)
    assert finished.state == RunState.FAILED and "app registration" in finished.errors[0]
    assert SyncAlert.objects.filter(user=rep, kind=AlertKind.FAILED).exists()


def test_requests_merge_into_the_waiting_run_and_one_runs_per_rep(rep, org_admin, outsider):
    first = sync_request(actor=rep, user=rep, entities=["contact"])
    second = sync_request(actor=rep, user=rep, entities=["task"], resync=True)
    assert first.pk == second.pk and second.triggers == 2 and second.resync
    assert sorted(second.entities) == ["contact", "task"]
    # An admin may queue a rep's run; someone of another organization may not.
    assert sync_request(actor=org_admin, user=rep).pk == first.pk
    with pytest.raises(Exception, match="your own"):
        sync_request(actor=outsider, user=rep)
    assert SyncRun.objects.filter(user=rep).count() == 1


def test_the_dispatcher_queues_due_reps_once_and_moves_their_due_times(rep, manager, org_admin):
    connection_update(actor=rep, user=rep, sync_enabled=True)
    connection_update(actor=manager, user=manager, sync_enabled=False)
    assert sync_dispatch() == 1
    assert sync_dispatch() == 0  # not due again before its interval
    run = SyncRun.objects.get(user=rep)
    assert run.state == RunState.QUEUED and run.trigger == "schedule"
    connection = OutlookConnection.objects.get(user=rep)
    assert (connection.outlook_due_at - connection.crm_due_at).total_seconds() == pytest.approx(30 - 120, abs=1)
    assert not SyncRun.objects.filter(user=manager).exists()


def test_the_outlook_sync_command_runs_a_rep_now(graph, rep, organization):
    from io import StringIO

    from django.core.management import call_command

    ContactFactory(owner=rep, organization=organization, last_name="Lovelace")
    preview = StringIO()
    call_command("outlook_sync", "--user", rep.username, "--preview", stdout=preview)
    assert "outlook  contact  create   1" in preview.getvalue()
    out = StringIO()
    call_command("outlook_sync", "--user", rep.username, "--entity", "contact", stdout=out)
    assert "outlook  contact  1 created" in out.getvalue() and "succeeded" in out.getvalue()
    assert len(_contacts_in(graph, rep.email)) == 1


def test_a_contacts_page_shows_its_last_sync_actions(graph, rep, organization):
    from django.test import Client

    ada = ContactFactory(owner=rep, organization=organization, first_name="Ada", last_name="Lovelace")
    _run(rep, entities=["contact"])
    [item] = _contacts_in(graph, rep.email)
    state = graph.state
    with state.lock:
        box = state.mailbox(rep.email)
        state._apply(box.contacts.items[item["id"]], "contact", {"mobilePhone": "+14155550111"}, creating=False)
        box.contacts.touch(item["id"])
    _run(rep, entities=["contact"])
    browser = Client()
    browser.force_login(rep)
    page = browser.get(f"/crm/contacts/{ada.pk}/").content.decode()
    assert "Outlook sync" in page and f"/outlook/history/contact/{ada.pk}/" in page
    history = browser.get(f"/outlook/history/contact/{ada.pk}/").content.decode()
    assert "Outlook changed the mobile phone in the CRM" in history
    assert "Created in Outlook" in history


def test_a_conflict_is_told_on_the_record_page(graph, rep, organization):
    from django.test import Client

    ada = ContactFactory(owner=rep, organization=organization, first_name="Ada", last_name="Lovelace")
    _run(rep, entities=["contact"])
    [item] = _contacts_in(graph, rep.email)
    contact_save(actor=rep, data={"job_title": "Analyst"}, contact=Contact.objects.get(pk=ada.pk))
    state = graph.state
    with state.lock:
        box = state.mailbox(rep.email)
        state._apply(box.contacts.items[item["id"]], "contact", {"jobTitle": "Engineer"}, creating=False)
        box.contacts.touch(item["id"])
    run = _run(rep, entities=["contact"])
    assert run.counts["conflicts"] == {"contact": 1}
    assert Contact.objects.get(pk=ada.pk).job_title == "Analyst"  # the CRM wins by default
    browser = Client()
    browser.force_login(rep)
    history = browser.get(f"/outlook/history/contact/{ada.pk}/").content.decode()
    assert "The CRM won the conflict on the job title" in history


def test_a_runs_errors_are_kept_bounded(rep):
    from outlooksync.services import sync_run_claim, sync_run_finish

    run = sync_request(actor=rep, user=rep)
    claimed = sync_run_claim(run_id=run.pk)
    finished = sync_run_finish(run=claimed, counts={}, errors=["x" * 5000] * 300)
    finished.refresh_from_db()
    assert finished.state == RunState.FAILED
    assert len(finished.errors) == 100 and all(len(error) == 1000 for error in finished.errors)
