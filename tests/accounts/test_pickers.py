"""The searchable pickers' endpoint: options as one types, only of the user's organization, in few queries."""

import pytest
from django.urls import reverse

from accounts.forms import EventForm, OpportunityForm
from tests.factories import AccountFactory, ContactFactory, LeadFactory, OpportunityFactory, UserFactory

pytestmark = pytest.mark.django_db


def options(client, kind: str, q: str = "") -> list[dict]:
    response = client.get(reverse("accounts:picker", args=[kind]), {"q": q})
    assert response.status_code == 200
    return response.json()["results"]


def test_related_record_picker_searches_every_kind_by_name_and_hides_other_organizations(rep, outsider, session_client):
    account = AccountFactory(owner=rep, name="Baldwin Museum")
    deal = OpportunityFactory(owner=rep, account=account, name="Baldwin rollout")
    contact = ContactFactory(owner=rep, first_name="Baldwin", last_name="Smith")
    lead = LeadFactory(owner=rep, name="Baldwin wing")
    AccountFactory(owner=outsider, name="Baldwin Elsewhere")

    found = options(session_client(rep), "record", "baldwin")

    by_value = {option["value"]: option for option in found}
    assert set(by_value) == {
        f"accounts.account:{account.pk}",
        f"accounts.opportunity:{deal.pk}",
        f"accounts.contact:{contact.pk}",
        f"accounts.lead:{lead.pk}",
    }
    assert by_value[f"accounts.opportunity:{deal.pk}"]["text"] == "Baldwin rollout"
    assert by_value[f"accounts.opportunity:{deal.pk}"]["group"] == "Opportunities"
    assert all("accounts." not in option["text"] for option in found)


def test_contact_picker_matches_part_of_an_email_and_is_cut_short(rep, outsider, session_client):
    ContactFactory(owner=rep, first_name="Ada", last_name="Lovelace", email="ada@analytical.example")
    ContactFactory(owner=outsider, first_name="Ada", last_name="Other", email="ada@analytical.example")
    for number in range(30):
        ContactFactory(owner=rep, first_name=f"Person{number}", last_name="Crowd")
    client = session_client(rep)

    assert [option["text"] for option in options(client, "contact", "analyt")] == ["Ada Lovelace"]
    assert len(options(client, "contact")) == 20


def test_owner_picker_offers_a_rep_only_themselves_and_a_manager_everyone(rep, manager, session_client):
    UserFactory(username="sam", first_name="Sam", last_name="Seller", organization=rep.organization)

    assert [option["value"] for option in options(session_client(rep), "owner")] == [str(rep.pk)]
    assert "Sam Seller" in [option["text"] for option in options(session_client(manager), "owner", "sell")]


def test_time_zone_picker_matches_words_of_the_zone(rep, session_client):
    found = options(session_client(rep), "timezone", "new york")
    assert [option["value"] for option in found] == ["America/New_York"]


def test_unknown_picker_is_a_404(rep, session_client):
    assert session_client(rep).get(reverse("accounts:picker", args=["passwords"])).status_code == 404


def test_picker_query_count_does_not_grow_with_rows(rep, session_client, django_assert_max_num_queries):
    client = session_client(rep)
    for number in range(5):
        account = AccountFactory(owner=rep, name=f"Acme {number}")
        OpportunityFactory(owner=rep, account=account, name=f"Acme deal {number}")
    with django_assert_max_num_queries(12):
        options(client, "record", "acme")


def test_event_form_renders_only_the_chosen_attendees_and_zone(rep):
    chosen = ContactFactory(owner=rep, first_name="Ada", last_name="Lovelace")
    ContactFactory.create_batch(5, owner=rep)
    form = EventForm(initial={"attendees": [chosen.pk], "time_zone": "Europe/Berlin"}, actor=rep)

    html = str(form["attendees"]) + str(form["time_zone"])

    assert html.count("<option") == 2
    assert "Ada Lovelace" in html and "Europe/Berlin" in html


def test_a_picked_contact_of_another_organization_is_refused(rep, outsider):
    foreign = ContactFactory(owner=outsider)
    account = AccountFactory(owner=rep)
    form = OpportunityForm(
        data={"name": "Deal", "account": account.pk, "contact": foreign.pk, "status": "in_progress"}, actor=rep
    )
    assert not form.is_valid()
    assert "contact" in form.errors


def test_owner_filters_search_every_colleague_and_carry_only_the_chosen(rep, manager, outsider, session_client):
    client = session_client(rep)
    colleagues = [option["value"] for option in options(client, "user")]
    assert str(rep.pk) in colleagues and str(manager.pk) in colleagues and str(outsider.pk) not in colleagues

    html = client.get(reverse("accounts:forecast"), {"owner": [manager.pk]}).content.decode()
    select = html[html.index('name="owner"') : html.index("</select>", html.index('name="owner"'))]
    assert f'value="{manager.pk}" selected' in select and f'value="{rep.pk}"' not in select
