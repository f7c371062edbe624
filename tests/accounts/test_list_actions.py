"""Bulk reassign and bulk delete on the record lists, the CSV export of a list, the contacts' account column."""

import csv
import io

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from accounts.models import Account, Contact, Lead, Opportunity, Task
from tests.factories import (
    AccountFactory,
    ContactFactory,
    LeadFactory,
    OpportunityFactory,
    TaskFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def url(name: str, *args) -> str:
    return reverse(f"accounts:{name}", args=args)


def summary(response) -> str:
    return " ".join(str(message) for message in get_messages(response.wsgi_request))


def exported(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


# ---------------------------------------------------------------- bulk reassign


def test_manager_reassigns_three_opportunities_at_once(session_client, rep, manager, organization):
    other = UserFactory(organization=organization, first_name="Sam", last_name="Seller")
    deals = OpportunityFactory.create_batch(3, owner=rep)
    untouched = OpportunityFactory(owner=rep)
    response = session_client(manager).post(
        url("opportunity-bulk"),
        {"action": "reassign", "owner": other.pk, "ids": [deal.pk for deal in deals], "next": "/crm/opportunities/"},
    )
    assert response.status_code == 302 and response["Location"] == "/crm/opportunities/"
    assert summary(response) == "3 reassigned."
    assert set(Opportunity.objects.filter(owner=other).values_list("pk", flat=True)) == {deal.pk for deal in deals}
    untouched.refresh_from_db()
    assert untouched.owner == rep
    # Each went through the service: one version and one history entry per record.
    for deal in deals:
        version = deal.version
        deal.refresh_from_db()
        assert deal.version == version + 1


def test_rep_bulk_reassign_refuses_others_records_with_reason(session_client, rep, organization):
    sam = UserFactory(organization=organization, first_name="Sam", last_name="Seller")
    mine = AccountFactory(owner=rep, name="Mine Inc")
    theirs = AccountFactory(owner=sam, name="Theirs Ltd")
    response = session_client(rep).post(
        url("account-bulk"), {"action": "reassign", "owner": rep.pk, "ids": [mine.pk, theirs.pk]}
    )
    assert summary(response) == (
        "1 reassigned, 1 refused: Theirs Ltd (owned by Sam Seller; only the owner and managers can change it)."
    )
    theirs.refresh_from_db()
    assert theirs.owner == sam


def test_rep_cannot_give_records_to_someone_else(session_client, rep, organization):
    sam = UserFactory(organization=organization)
    leads = LeadFactory.create_batch(2, owner=rep)
    response = session_client(rep).post(
        url("lead-bulk"), {"action": "reassign", "owner": sam.pk, "ids": [lead.pk for lead in leads]}
    )
    assert summary(response).startswith("0 reassigned, 2 refused:")
    assert "Sales reps can assign records only to themselves." in summary(response)
    assert not Lead.objects.filter(owner=sam).exists()


def test_rep_sees_only_themselves_as_new_owner(session_client, rep, manager):
    html = session_client(rep).get(url("contact-list")).content.decode()
    owners = html.split('id="bulk-owner"')[1].split("</select>")[0]
    assert f'<option value="{rep.pk}"' in owners and f'<option value="{manager.pk}"' not in owners


def test_bulk_ignores_another_organizations_rows_and_an_owner_outside(session_client, manager, outsider):
    foreign = ContactFactory(owner=outsider)
    mine = ContactFactory(owner=manager)
    client = session_client(manager)
    response = client.post(url("contact-bulk"), {"action": "reassign", "owner": outsider.pk, "ids": [mine.pk]})
    assert "Choose the new owner" in summary(response)
    assert Contact.objects.get(pk=mine.pk).owner == manager
    client.get(url("contact-list"))  # the message is shown and gone
    response = client.post(url("contact-bulk"), {"action": "delete", "ids": [foreign.pk, mine.pk]})
    assert summary(response) == "1 deleted, 1 refused: 1 more (not found)."
    assert Contact.objects.filter(pk=foreign.pk).exists() and not Contact.objects.filter(pk=mine.pk).exists()


def test_bulk_with_nothing_ticked_or_an_unsafe_next_says_so(session_client, rep):
    response = session_client(rep).post(url("lead-bulk"), {"action": "delete", "next": "https://evil.example/"})
    assert response["Location"] == url("lead-list")
    assert "Tick the leads to change first." in summary(response)


# ---------------------------------------------------------------- bulk delete


def test_bulk_delete_deletes_what_may_go_and_says_why_the_rest_stays(session_client, manager, rep):
    account = AccountFactory(owner=rep, name="Has deals")
    OpportunityFactory(owner=rep, account=account)
    spare = AccountFactory(owner=rep, name="Spare")
    response = session_client(manager).post(url("account-bulk"), {"action": "delete", "ids": [account.pk, spare.pk]})
    text = summary(response)
    assert text.startswith("1 deleted, 1 refused: Has deals (")
    assert Account.objects.filter(pk=account.pk).exists() and not Account.objects.filter(pk=spare.pk).exists()


def test_bulk_delete_of_opportunities_goes_through_their_service(session_client, rep):
    deals = OpportunityFactory.create_batch(2, owner=rep)
    response = session_client(rep).post(url("opportunity-bulk"), {"action": "delete", "ids": [d.pk for d in deals]})
    assert summary(response) == "2 deleted."
    assert not Opportunity.objects.filter(pk__in=[d.pk for d in deals]).exists()


# ---------------------------------------------------------------- export


def test_contact_export_follows_the_lists_filters_and_order_and_organization(session_client, rep, outsider):
    acme = AccountFactory(owner=rep, name="Acme")
    zed = ContactFactory(owner=rep, first_name="Zoe", last_name="Zed", email="zoe@acme.example")
    abel = ContactFactory(owner=rep, first_name="Al", last_name="Abel", email="al@acme.example")
    ContactFactory(owner=rep, first_name="Other", last_name="Person", email="other@elsewhere.example")
    ContactFactory(owner=outsider, first_name="Foreign", last_name="Acme", email="f@acme.example")
    acme.contacts.add(zed, abel)
    rows = exported(session_client(rep).get(url("contact-export"), {"q": "acme", "ordering": "-last_name"}))
    assert rows[0][:3] == ["Name", "Accounts", "Job title"]
    assert [row[0] for row in rows[1:]] == ["Zoe Zed", "Al Abel"]
    assert rows[1][1] == "Acme" and rows[1][3] == "zoe@acme.example"


def test_export_keeps_formulas_as_text_and_runs_the_same_queries_for_more_rows(
    session_client, rep, django_assert_max_num_queries
):
    AccountFactory(owner=rep, name="=HYPERLINK(1)")
    client = session_client(rep)
    client.get(url("account-export"))
    rows = exported(client.get(url("account-export")))
    assert rows[1][0] == "'=HYPERLINK(1)"
    ContactFactory.create_batch(40, owner=rep)
    for contact in Contact.objects.all():
        AccountFactory(owner=rep).contacts.add(contact)
    with django_assert_max_num_queries(8):
        rows = exported(client.get(url("contact-export")))
    assert len(rows) == 41 and all(row[1] for row in rows[1:])


def test_export_needs_login(client):
    response = client.get(url("opportunity-export"))
    assert response.status_code == 302 and "/login/" in response["Location"]


# ---------------------------------------------------------------- contacts list


def test_contacts_list_shows_each_contacts_accounts(session_client, rep):
    contact = ContactFactory(owner=rep)
    AccountFactory(owner=rep, name="Beta Works").contacts.add(contact)
    AccountFactory(owner=rep, name="Alpha Labs").contacts.add(contact)
    html = session_client(rep).get(url("contact-list")).content.decode()
    thead = html.split("<thead")[1].split("</thead>")[0]
    assert thead.index("Name") < thead.index("Account") < thead.index("Job title")
    row = html.split(f'data-row-id="{contact.pk}"')[1].split("</tr>")[0]
    assert row.index("Alpha Labs") < row.index("Beta Works")


# ---------------------------------------------------------------- tasks


def test_manager_reassigns_tasks_and_a_rep_deletes_only_their_own(session_client, rep, manager, organization):
    sam = UserFactory(organization=organization, first_name="Sam", last_name="Seller")
    tasks = [TaskFactory(owner=rep, subject="Call Umbrella"), TaskFactory(owner=rep, subject="Send offer")]
    response = session_client(manager).post(
        reverse("accounts:task-bulk"), {"action": "reassign", "owner": sam.pk, "ids": [t.pk for t in tasks]}
    )
    assert summary(response) == "2 reassigned."
    assert set(Task.objects.filter(owner=sam).values_list("pk", flat=True)) == {t.pk for t in tasks}
    session_client(manager).get(reverse("accounts:task-list"))  # the message is shown and gone
    mine = TaskFactory(owner=rep, subject="Mine")
    response = session_client(rep).post(
        reverse("accounts:task-bulk"), {"action": "delete", "ids": [mine.pk, tasks[0].pk]}
    )
    assert summary(response) == (
        "1 deleted, 1 refused: Call Umbrella (owned by Sam Seller; only the owner and managers can change it)."
    )
    assert not Task.objects.filter(pk=mine.pk).exists() and Task.objects.filter(pk=tasks[0].pk).exists()


def test_task_list_has_tick_boxes_and_exports_its_filter(session_client, rep, outsider):
    TaskFactory(owner=rep, subject="Call Umbrella", priority="high")
    TaskFactory(owner=rep, subject="Write Umbrella offer", priority="normal")
    TaskFactory(owner=outsider, subject="Umbrella elsewhere", priority="high")
    client = session_client(rep)
    html = client.get(reverse("accounts:task-list")).content.decode()
    assert html.count('name="ids"') == 2 and 'id="bulk-form"' in html and 'id="export-csv"' in html
    rows = exported(client.get(reverse("accounts:task-export"), {"q": "umbrella", "priority": "high"}))
    assert rows[0][:3] == ["Subject", "Due", "Status"]
    assert [row[0] for row in rows[1:]] == ["Call Umbrella"]
