"""Opportunity rules: default probability per status, closing stamps, money in the base currency."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.choices import OpportunityStatus
from accounts.services import opportunity_change_status, opportunity_save, status_probability_set
from backoffice.models import CurrencyRate
from tests.factories import AccountFactory, BusinessCustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(rep):
    return AccountFactory(owner=rep)


def new_opportunity(rep, account, **data):
    return opportunity_save(actor=rep, data={"name": "Deal", "account": account, **data})


def test_new_opportunity_takes_its_status_default(rep, account):
    assert new_opportunity(rep, account).probability == 10
    assert new_opportunity(rep, account, status="negotiation").probability == 80
    assert new_opportunity(rep, account, status="negotiation", probability=55).probability == 55


def test_probability_follows_status_while_it_is_the_default(rep, account):
    opportunity = new_opportunity(rep, account)
    for status, expected in [
        ("identification_alignment", 20),
        ("needs_analysis", 40),
        ("solution_development", 60),
        ("negotiation", 80),
        ("won", 100),
    ]:
        opportunity = opportunity_change_status(actor=rep, opportunity=opportunity, status=status)
        assert opportunity.probability == expected


def test_a_reps_own_estimate_is_kept(rep, account):
    opportunity = new_opportunity(rep, account, status="needs_analysis")
    opportunity = opportunity_save(actor=rep, opportunity=opportunity, data={"probability": Decimal("45")})
    opportunity = opportunity_change_status(actor=rep, opportunity=opportunity, status="negotiation")
    assert opportunity.probability == 45


def test_status_and_probability_changed_together_keep_the_submitted_probability(rep, account):
    opportunity = new_opportunity(rep, account)
    opportunity = opportunity_save(
        actor=rep, opportunity=opportunity, data={"status": "negotiation", "probability": 33}
    )
    assert opportunity.probability == 33


def test_organization_defaults_replace_the_built_in_ones(rep, manager, account):
    status_probability_set(actor=manager, status="needs_analysis", probability=Decimal("35"))
    opportunity = new_opportunity(rep, account)
    opportunity = opportunity_change_status(actor=rep, opportunity=opportunity, status="needs_analysis")
    assert opportunity.probability == 35
    with pytest.raises(PermissionDenied):
        status_probability_set(actor=rep, status="needs_analysis", probability=Decimal("50"))


def test_closed_at_is_set_on_close_and_cleared_on_reopen(rep, account):
    opportunity = new_opportunity(rep, account)
    assert opportunity.closed_at is None
    won = opportunity_change_status(actor=rep, opportunity=opportunity, status="won")
    assert won.closed_at is not None and won.close_reason == "won"
    stamp = won.closed_at
    lost = opportunity_change_status(actor=rep, opportunity=won, status="lost")
    assert lost.closed_at == stamp  # closed to closed keeps the first closing time
    assert lost.close_reason == "outsold"
    reopened = opportunity_change_status(actor=rep, opportunity=lost, status="negotiation")
    assert reopened.closed_at is None and reopened.close_reason == ""


def test_winning_without_revenue_books_the_budget(rep, account):
    opportunity = new_opportunity(rep, account, budget_amount=Decimal("1200"))
    won = opportunity_change_status(actor=rep, opportunity=opportunity, status="won")
    assert won.close_revenue == Decimal("1200") and won.close_revenue_base == Decimal("1200.00")


def test_foreign_currency_amount_keeps_the_base_value_of_its_day(rep, account, organization):
    CurrencyRate.objects.create(organization=organization, currency="EUR", rate="1.10", valid_from=dt.date(2020, 1, 1))
    opportunity = new_opportunity(rep, account, budget_amount=Decimal("100"), budget_currency="EUR")
    assert opportunity.budget_amount_base == Decimal("110.00")
    CurrencyRate.objects.create(organization=organization, currency="EUR", rate="2.00", valid_from=dt.date(2021, 1, 1))
    opportunity = opportunity_save(actor=rep, opportunity=opportunity, data={"name": "Renamed"})
    assert opportunity.budget_amount_base == Decimal("110.00")  # fixed when it was entered


def test_unknown_currency_is_refused_naming_the_field(rep, account):
    with pytest.raises(ValidationError) as error:
        new_opportunity(rep, account, budget_amount=Decimal("100"), budget_currency="JPY")
    assert "budget_currency" in error.value.message_dict


def test_customer_must_belong_to_the_account(rep, account):
    other_customer = BusinessCustomerFactory(owner=rep)
    with pytest.raises(ValidationError) as error:
        new_opportunity(rep, account, customer=other_customer)
    assert "customer" in error.value.message_dict


def test_reps_write_only_their_own_opportunities(rep, manager, account, organization):
    from tests.factories import UserFactory

    other_rep = UserFactory(organization=organization)
    opportunity = new_opportunity(rep, account)
    with pytest.raises(PermissionDenied):
        opportunity_change_status(actor=other_rep, opportunity=opportunity, status="won")
    assert opportunity_change_status(actor=manager, opportunity=opportunity, status="won").status == "won"


def test_every_change_is_in_the_history(rep, account):
    opportunity = new_opportunity(rep, account)
    opportunity_change_status(actor=rep, opportunity=opportunity, status=OpportunityStatus.NEGOTIATION)
    records = list(opportunity.history.order_by("history_date"))
    assert [r.status for r in records] == ["in_progress", "negotiation"]
    assert records[-1].probability == 80
