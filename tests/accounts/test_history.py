"""An opportunity's history: who changed what and when, read from the historical records."""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.history import opportunity_history_entries
from tests.factories import AccountFactory, OpportunityFactory, UserFactory

pytestmark = pytest.mark.django_db


def history_url(opportunity) -> str:
    return reverse("accounts:opportunity-history", args=[opportunity.pk])


@pytest.fixture
def named_rep(rep):
    rep.first_name, rep.last_name = "Ruth", "Seller"
    rep.save()
    return rep


def test_entries_diff_consecutive_records_newest_first(named_rep, django_assert_max_num_queries):
    opportunity = OpportunityFactory(owner=named_rep, name="Big deal", probability=Decimal("10"))
    other_account = AccountFactory(owner=named_rep, name="Initech")
    opportunity.status = "negotiation"
    opportunity.probability = Decimal("80")
    opportunity.account = other_account
    opportunity.save()
    opportunity.save()  # nothing changed: no entry
    with django_assert_max_num_queries(4):
        entries = opportunity_history_entries(opportunity=opportunity)
    assert [entry["action"] for entry in entries] == ["changed", "created"]
    changes = {label: (old, new) for label, old, new in entries[0]["changes"]}
    assert changes["Status"] == ("In progress", "Negotiation")
    assert changes["Probability"] == (Decimal("10.00"), Decimal("80.00"))
    assert str(changes["Account"][1]) == "Initech"
    assert set(changes) == {"Status", "Probability", "Account"}
    assert entries[1]["changes"] == []


def test_partial_shows_who_changed_what(session_client, named_rep):
    opportunity = OpportunityFactory(owner=named_rep, name="Big deal", probability=Decimal("10"))
    client = session_client(named_rep)
    client.post(reverse("accounts:pipeline-move", args=[opportunity.pk]), {"status": "needs_analysis"})
    response = client.get(history_url(opportunity))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html  # a fragment for htmx, not a page
    assert '<span data-role="who">Ruth Seller</span>' in html
    assert "created the opportunity" in html
    assert '<tr data-field="Status">' in html
    assert "In progress" in html and "Needs analysis" in html
    assert '<tr data-field="Probability">' in html and "40.00" in html


def test_partial_is_readable_by_colleagues(session_client, named_rep, organization):
    colleague = UserFactory(organization=organization)
    opportunity = OpportunityFactory(owner=named_rep)
    assert session_client(colleague).get(history_url(opportunity)).status_code == 200


def test_partial_of_another_organization_is_not_found(session_client, outsider, named_rep):
    opportunity = OpportunityFactory(owner=named_rep)
    assert session_client(outsider).get(history_url(opportunity)).status_code == 404


def test_partial_needs_sign_in(client, named_rep):
    opportunity = OpportunityFactory(owner=named_rep)
    response = client.get(history_url(opportunity))
    assert response.status_code == 302 and "/login/" in response.url


def test_opportunity_page_loads_the_history_with_htmx(session_client, named_rep):
    opportunity = OpportunityFactory(owner=named_rep)
    html = session_client(named_rep).get(reverse("accounts:opportunity-detail", args=[opportunity.pk])).content
    assert f'hx-get="{history_url(opportunity)}"'.encode() in html
