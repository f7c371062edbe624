"""Record lists in a real browser: a manager reassigns three opportunities at once; a rep exports contacts as CSV."""

import csv
import io

import pytest

from accounts.models import Opportunity
from tests.factories import AccountFactory, ContactFactory, OpportunityFactory, UserFactory
from tests.factories.core import DEFAULT_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_manager_reassigns_three_opportunities_at_once(page, login, pick, rep, manager, organization):
    sam = UserFactory(organization=organization, username="sam", first_name="Sam", last_name="Seller")
    deals = [OpportunityFactory(owner=rep, name=f"Bulk deal {n}") for n in range(3)]
    kept = OpportunityFactory(owner=rep, name="Kept deal")
    login("manager1", DEFAULT_PASSWORD)
    page.goto("/crm/opportunities/")
    for deal in deals:
        page.check(f"[data-row-id='{deal.pk}'] input[name=ids]")
    assert page.inner_text("#bulk-count") == "3 ticked"
    pick("bulk-owner", "seller", "Sam Seller")  # found by typing: the page lists no one else
    page.click("#bulk-reassign")
    page.wait_for_selector("text=3 reassigned.")
    assert set(Opportunity.objects.filter(owner=sam).values_list("pk", flat=True)) == {deal.pk for deal in deals}
    assert Opportunity.objects.get(pk=kept.pk).owner == rep
    for deal in deals:
        assert "Sam Seller" in page.inner_text(f"[data-row-id='{deal.pk}']")

    # Ticking the header box ticks the whole page.
    page.check("[data-select-all=bulk-form]")
    assert page.inner_text("#bulk-count") == "4 ticked"


def test_rep_exports_the_filtered_contacts_list_as_csv(page, login, rep):
    acme = AccountFactory(owner=rep, name="Acme Works")
    wanted = [
        ContactFactory(owner=rep, first_name="Ada", last_name="Lovelace", email="ada@acme.example"),
        ContactFactory(owner=rep, first_name="Alan", last_name="Turing", email="alan@acme.example"),
    ]
    acme.contacts.add(*wanted)
    ContactFactory(owner=rep, first_name="Not", last_name="Exported", email="no@other.example")
    login("rep1", DEFAULT_PASSWORD)
    page.goto("/crm/contacts/")
    page.fill("#list-filters input[name=q]", "acme.example")
    page.click("#list-filters button[type=submit]")
    page.wait_for_url("**q=acme.example**")
    assert "Acme Works" in page.inner_text(f"[data-row-id='{wanted[0].pk}']")
    with page.expect_download() as download_info:
        page.click("#export-csv")
    download = download_info.value
    assert download.suggested_filename.startswith("contacts-") and download.suggested_filename.endswith(".csv")
    rows = list(csv.reader(io.StringIO(open(download.path(), encoding="utf-8").read())))
    assert rows[0][:2] == ["Name", "Accounts"]
    assert [(row[0], row[1]) for row in rows[1:]] == [("Ada Lovelace", "Acme Works"), ("Alan Turing", "Acme Works")]
