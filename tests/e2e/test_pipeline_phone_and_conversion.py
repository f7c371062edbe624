"""The pipeline on a phone (one column at a time, chosen with the status switcher) and a lead converted
through its dialog, in a real browser."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from accounts.models import Opportunity
from tests.factories import AccountFactory, LeadFactory, OpportunityFactory
from tests.factories.core import DEFAULT_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_pipeline_on_a_phone_shows_one_column_and_whole_names(page, login, rep):
    long_name = "Baldwin Museum of Science and Industry, permanent exhibition refurbishment"
    deal = OpportunityFactory(owner=rep, name=long_name, status="needs_analysis")
    OpportunityFactory(owner=rep, name="First column deal", status="in_progress")
    login("rep1", DEFAULT_PASSWORD)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/crm/pipeline/")
    page.wait_for_selector("#pipeline-switcher:not([hidden])")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    visible = page.locator(".pipeline-column:visible")
    assert visible.count() == 1 and visible.get_attribute("data-status") == "in_progress"

    page.click("#pipeline-switcher [data-show-status=needs_analysis]")
    assert page.locator(".pipeline-column:visible").get_attribute("data-status") == "needs_analysis"
    assert page.get_attribute("#pipeline-switcher [data-show-status=needs_analysis]", "aria-pressed") == "true"
    card = page.locator(f"[data-opportunity-id='{deal.pk}']")
    name = card.locator(".pipeline-card-name a")
    assert name.inner_text() == long_name
    # The whole name is shown: the link is not cut off (its box holds all of its text).
    assert name.evaluate("el => el.scrollWidth <= el.clientWidth + 1 && el.getClientRects().length > 1")
    box = card.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390


def test_rep_converts_a_lead_in_the_dialog_with_amount_and_close_date(page, login, rep):
    account = AccountFactory(owner=rep, name="Umbrella Corp")
    lead = LeadFactory(owner=rep, name="Umbrella rollout", company_name="Umbrella Corp", account=account)
    login("rep1", DEFAULT_PASSWORD)
    page.goto(f"/crm/leads/{lead.pk}/")
    page.click("#lead-convert a")
    dialog = page.locator("#lead-convert-dialog")
    assert dialog.is_visible()
    assert page.input_value("#id_opportunity_name") == "Umbrella rollout"
    assert page.input_value("#id_account") == str(account.pk)
    page.fill("#id_budget_amount", "4200")
    close = (timezone.localdate() + dt.timedelta(days=60)).isoformat()
    page.fill("#id_expected_close_date", close)
    page.click("#lead-convert-submit")
    page.wait_for_url(re.compile(r".*/crm/opportunities/\d+/$"))
    opportunity = Opportunity.objects.get(lead=lead)
    assert opportunity.budget_amount == 4200 and opportunity.expected_close_date.isoformat() == close
    assert opportunity.account == account
