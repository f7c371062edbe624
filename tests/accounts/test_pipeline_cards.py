"""What the board's cards and columns say: whole names, overdue close dates, each deal's own currency,
totals in the base currency, closing at 100 % or 0 %; and converting a lead through its dialog."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Opportunity
from accounts.services import opportunity_change_status, opportunity_save
from backoffice.models import CurrencyRate
from tests.factories import AccountFactory, ContactFactory, LeadFactory, OpportunityFactory

pytestmark = pytest.mark.django_db


def column_html(html: str, status: str) -> str:
    match = re.search(rf'<section class="pipeline-column[^"]*" data-status="{status}".*?</section>', html, re.S)
    assert match, f"no {status} column"
    return match.group(0)


def card_html(html: str, pk: int) -> str:
    match = re.search(rf'<article [^>]*data-opportunity-id="{pk}".*?</article>', html, re.S)
    assert match, f"no card {pk}"
    return match.group(0)


# ---------------------------------------------------------------- closing


def test_closing_sets_probability_to_100_when_won_and_0_when_lost_whatever_the_estimate(rep):
    account = AccountFactory(owner=rep)
    deal = opportunity_save(actor=rep, data={"name": "Estimate", "account": account, "probability": Decimal("15")})
    deal = opportunity_change_status(actor=rep, opportunity=deal, status="won")
    assert deal.probability == 100
    deal = opportunity_change_status(actor=rep, opportunity=deal, status="lost")
    assert deal.probability == 0
    # Reopened, it takes the default of its new status again.
    deal = opportunity_change_status(actor=rep, opportunity=deal, status="negotiation")
    assert deal.probability == 80
    # Closed with a probability given alongside: closing wins.
    deal = opportunity_save(actor=rep, opportunity=deal, data={"status": "won", "probability": Decimal("50")})
    assert deal.probability == 100


def test_the_api_closes_at_100_percent_too(key_client, rep):
    deal = opportunity_save(
        actor=rep,
        data={"name": "Api deal", "account": AccountFactory(owner=rep), "probability": Decimal("15")},
    )
    response = key_client(rep).patch(
        f"/api/crm/opportunities/{deal.pk}/", {"status": "won", "probability": "40.00"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["probability"] == "100.00"


def test_a_card_dragged_to_won_makes_the_won_columns_weighted_total_its_total(session_client, rep):
    account = AccountFactory(owner=rep)
    deal = opportunity_save(
        actor=rep,
        data={"name": "Dragged", "account": account, "budget_amount": Decimal("1200"), "probability": Decimal("15")},
    )
    client = session_client(rep)
    response = client.post(
        reverse("accounts:pipeline-move", args=[deal.pk]), {"status": "won"}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 200 and response.json()["probability"] == "100.00"
    won = column_html(client.get(reverse("accounts:pipeline")).content.decode(), "won")
    assert 'data-total="1200.00"' in won and 'data-weighted="1200.00"' in won
    assert "100 %" in card_html(won, deal.pk)


# ---------------------------------------------------------------- cards


def test_cards_show_the_whole_name_and_flag_overdue_open_deals(session_client, rep):
    today = timezone.localdate()
    name = "Baldwin Museum of Science and Industry, permanent exhibition refurbishment"
    late = OpportunityFactory(owner=rep, name=name, expected_close_date=today - dt.timedelta(days=2))
    on_time = OpportunityFactory(owner=rep, name="On time", expected_close_date=today + dt.timedelta(days=2))
    html = session_client(rep).get(reverse("accounts:pipeline")).content.decode()
    late_card = card_html(html, late.pk)
    assert name in late_card and "text-truncate" not in late_card
    assert 'data-role="overdue"' in late_card and "Overdue" in late_card
    assert 'data-role="overdue"' not in card_html(html, on_time.pk)


def test_a_won_deal_past_its_close_date_is_not_overdue(session_client, rep):
    deal = OpportunityFactory(owner=rep, expected_close_date=timezone.localdate() - dt.timedelta(days=5))
    opportunity_change_status(actor=rep, opportunity=deal, status="won")
    html = session_client(rep).get(reverse("accounts:pipeline")).content.decode()
    assert "Overdue" not in card_html(html, deal.pk)


def test_cards_keep_their_currency_and_totals_are_in_the_base_currency(session_client, rep, organization):
    assert organization.base_currency == "USD"
    CurrencyRate.objects.create(
        organization=organization, currency="EUR", rate=Decimal("1.10"), valid_from=dt.date(2000, 1, 1)
    )
    account = AccountFactory(owner=rep)
    euro = opportunity_save(
        actor=rep,
        data={"name": "Euro deal", "account": account, "budget_amount": Decimal("1000"), "budget_currency": "EUR"},
    )
    html = session_client(rep).get(reverse("accounts:pipeline")).content.decode()
    card = card_html(html, euro.pk)
    assert "1,000.00 EUR" in card and "≈ 1,100.00 USD" in card
    column = column_html(html, "in_progress")
    assert re.search(r'data-role="total">1,100.00</span> USD', column)
    assert "Amounts in USD" not in html


def test_board_has_a_status_switcher_for_phones(session_client, rep):
    html = session_client(rep).get(reverse("accounts:pipeline")).content.decode()
    switcher = html.split('id="pipeline-switcher"')[1].split("</nav>")[0]
    assert switcher.count("data-show-status=") == 7 and 'data-show-status="won"' in switcher


# ---------------------------------------------------------------- lead conversion


def test_lead_page_offers_the_conversion_dialog_prefilled_from_the_lead(session_client, rep):
    account = AccountFactory(owner=rep, name="Umbrella")
    lead = LeadFactory(owner=rep, name="Big deal", account=account, company_name="Umbrella")
    AccountFactory(owner=rep, name="Someone Else Entirely")
    html = session_client(rep).get(reverse("accounts:lead-detail", args=[lead.pk])).content.decode()
    dialog = html.split('id="lead-convert-dialog"')[1].split("</dialog>")[0]
    assert 'value="Big deal"' in dialog
    assert f'<option value="{account.pk}" selected>Umbrella</option>' in dialog
    # Other accounts are searched as one types, not carried by the page.
    assert "Someone Else Entirely" not in dialog and 'data-picker-url="/crm/pick/account/"' in dialog
    close = (timezone.localdate() + dt.timedelta(days=30)).isoformat()
    assert f'value="{close}"' in dialog and 'value="USD"' in dialog


def test_converting_with_amount_close_date_account_and_contact(session_client, rep):
    account = AccountFactory(owner=rep)
    contact = ContactFactory(owner=rep)
    lead = LeadFactory(owner=rep, name="Lead deal", first_name="Al", last_name="Wesker")
    close = timezone.localdate() + dt.timedelta(days=45)
    response = session_client(rep).post(
        reverse("accounts:lead-convert", args=[lead.pk]),
        {
            "opportunity_name": "Renamed deal",
            "budget_amount": "2500.00",
            "budget_currency": "usd",
            "expected_close_date": close.isoformat(),
            "account": account.pk,
            "contact": contact.pk,
        },
    )
    opportunity = Opportunity.objects.get(lead=lead)
    assert response.status_code == 302 and response["Location"] == reverse(
        "accounts:opportunity-detail", args=[opportunity.pk]
    )
    assert (opportunity.name, opportunity.budget_amount, opportunity.budget_currency) == (
        "Renamed deal",
        Decimal("2500.00"),
        "USD",
    )
    assert opportunity.expected_close_date == close
    assert opportunity.account == account and opportunity.contact == contact
    assert list(account.contacts.all()) == [contact]


def test_conversion_refuses_a_negative_amount_and_another_organizations_account(session_client, rep, outsider):
    lead = LeadFactory(owner=rep)
    foreign = AccountFactory(owner=outsider)
    response = session_client(rep).post(
        reverse("accounts:lead-convert", args=[lead.pk]), {"budget_amount": "-5", "account": foreign.pk}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "The amount cannot be negative." in html
    assert "Select a valid choice" in html
    assert not Opportunity.objects.exists()
