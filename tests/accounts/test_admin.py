"""CRM admin screens: scoped to the admin's organization, writes through the services."""

import pytest

from accounts.models import Opportunity
from tests.factories import AccountFactory, OpportunityFactory

pytestmark = pytest.mark.django_db


def test_org_admin_sees_only_own_organization(client, org_admin, rep, outsider):
    AccountFactory(owner=rep, name="Own Account Ltd")
    AccountFactory(owner=outsider, name="Foreign Account Ltd")
    client.force_login(org_admin)
    page = client.get("/admin/accounts/account/").content.decode()
    assert "Own Account Ltd" in page and "Foreign Account Ltd" not in page
    foreign = OpportunityFactory(owner=outsider)
    assert client.get(f"/admin/accounts/opportunity/{foreign.pk}/change/").status_code in (302, 404)


def test_admin_change_applies_the_opportunity_rules(client, org_admin, rep):
    opportunity = OpportunityFactory(owner=rep, probability=10)
    client.force_login(org_admin)
    url = f"/admin/accounts/opportunity/{opportunity.pk}/change/"
    form = client.get(url)
    assert form.status_code == 200
    response = client.post(
        url,
        {
            "name": opportunity.name,
            "account": opportunity.account_id,
            "status": "negotiation",
            "probability": "10",
            "budget_amount": "1000",
            "budget_currency": "USD",
            "owner": rep.pk,
            "expected_close_date": opportunity.expected_close_date.isoformat(),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    opportunity.refresh_from_db()
    assert opportunity.status == "negotiation" and opportunity.probability == 80
    assert Opportunity.history.filter(id=opportunity.pk).exists()
