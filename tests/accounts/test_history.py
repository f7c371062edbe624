"""Record histories from the change log: who changed what, when and from where, on every record page."""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.services import contact_save, opportunity_save, task_save
from backoffice.changelog import record_history
from tests.factories import AccountFactory, ContactFactory, OpportunityFactory, UserFactory

pytestmark = pytest.mark.django_db


def history_url(kind: str, record) -> str:
    return reverse("record-history", args=[kind, record.pk])


@pytest.fixture
def named_rep(rep):
    rep.first_name, rep.last_name = "Ruth", "Seller"
    rep.save()
    return rep


def test_entries_show_each_change_newest_first(named_rep, django_assert_max_num_queries):
    account = AccountFactory(owner=named_rep, name="Acme")
    opportunity = opportunity_save(
        actor=named_rep, data={"name": "Big deal", "account": account, "probability": Decimal("10")}
    )
    other_account = AccountFactory(owner=named_rep, name="Initech")
    opportunity_save(
        actor=named_rep,
        opportunity=opportunity,
        data={"status": "negotiation", "probability": Decimal("80"), "account": other_account},
    )
    opportunity_save(actor=named_rep, opportunity=opportunity, data={"name": "Big deal"})  # nothing changed
    with django_assert_max_num_queries(4):
        entries = record_history(record=opportunity)
    assert [entry["action"] for entry in entries] == ["update", "create"]
    changes = {change["field"]: (change["old"], change["new"]) for change in entries[0]["changes"]}
    assert changes["Status"] == ("In progress", "Negotiation")
    assert changes["Probability"] == ("10.00", "80.00")
    assert changes["Account"] == ("Acme", "Initech")
    assert set(changes) == {"Status", "Probability", "Account"}
    assert entries[0]["who"] == "Ruth Seller"


def test_fragment_shows_who_what_and_from_where(session_client, named_rep):
    opportunity = OpportunityFactory(owner=named_rep, name="Big deal", probability=Decimal("10"))
    client = session_client(named_rep)
    client.post(reverse("accounts:pipeline-move", args=[opportunity.pk]), {"status": "needs_analysis"})
    response = client.get(history_url("opportunity", opportunity))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html  # a fragment for htmx, not a page
    assert '<span data-role="who">Ruth Seller</span>' in html
    assert '<span class="badge text-bg-light border" data-role="origin"' in html and ">web</span>" in html
    assert '<tr data-field="Status">' in html
    assert "In progress" in html and "Needs analysis" in html
    assert '<tr data-field="Probability">' in html and "40.00" in html


def test_contact_and_task_histories_name_lists_and_archiving(session_client, named_rep):
    contact = contact_save(actor=named_rep, data={"last_name": "Lee"}, emails=["a@example.com"])
    contact_save(actor=named_rep, contact=contact, data={}, emails=["b@example.com"])
    task = task_save(actor=named_rep, data={"subject": "Call"})
    client = session_client(named_rep)
    client.post(reverse("record-archive", args=["task", task.pk]), {"action": "archive", "next": "/"})
    contact_html = client.get(history_url("contact", contact)).content.decode()
    assert '<tr data-field="Emails">' in contact_html and "b@example.com" in contact_html
    task_html = client.get(history_url("task", task)).content.decode()
    assert '<span data-role="action">archived</span>' in task_html


def test_fragment_is_readable_by_colleagues_only(session_client, named_rep, organization, outsider):
    colleague = UserFactory(organization=organization)
    opportunity = OpportunityFactory(owner=named_rep)
    assert session_client(colleague).get(history_url("opportunity", opportunity)).status_code == 200
    assert session_client(outsider).get(history_url("opportunity", opportunity)).status_code == 404
    assert session_client(colleague).get(reverse("record-history", args=["spaceship", 1])).status_code == 404


def test_fragment_needs_sign_in(client, named_rep):
    opportunity = OpportunityFactory(owner=named_rep)
    response = client.get(history_url("opportunity", opportunity))
    assert response.status_code == 302 and "/login/" in response.url


@pytest.mark.parametrize(
    ("kind", "route"),
    [("account", "account-detail"), ("contact", "contact-detail"), ("opportunity", "opportunity-detail")],
)
def test_record_pages_load_their_history_with_htmx(session_client, named_rep, kind, route):
    factories = {"account": AccountFactory, "contact": ContactFactory, "opportunity": OpportunityFactory}
    record = factories[kind](owner=named_rep)
    html = session_client(named_rep).get(reverse(f"accounts:{route}", args=[record.pk])).content.decode()
    assert f'hx-get="{history_url(kind, record)}"' in html


def test_task_and_event_pages_load_their_history(session_client, named_rep):
    from tests.factories import CalendarEventFactory as EventFactory
    from tests.factories import TaskFactory

    task, event = TaskFactory(owner=named_rep), EventFactory(owner=named_rep)
    client = session_client(named_rep)
    assert f'hx-get="{history_url("task", task)}"' in client.get(f"/crm/tasks/{task.pk}/").content.decode()
    assert f'hx-get="{history_url("event", event)}"' in client.get(f"/crm/events/{event.pk}/").content.decode()


def test_a_rep_cannot_archive_someone_elses_record_from_the_page(session_client, rep, manager):
    from accounts.models import Account

    account = AccountFactory(owner=manager)
    response = session_client(rep).post(reverse("record-archive", args=["account", account.pk]), {"next": "/"})
    assert response.status_code == 302
    assert Account.objects.get(pk=account.pk).archived_at is None
