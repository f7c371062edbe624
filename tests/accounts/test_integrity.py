"""Integrity as a careless client would test it: negative money, deleting a customer with deals, silent drift,
and an organization admin peeking at other organizations through the admin."""

from decimal import Decimal

import pytest

from accounts.models import AccountChannelValue, BusinessCustomer, Opportunity
from accounts.services import lifetime_recalculate, opportunity_save
from tests.factories import AccountFactory, BusinessCustomerFactory, OpportunityFactory

pytestmark = pytest.mark.django_db


def test_negative_close_revenue_or_budget_is_refused_everywhere(rep, key_client, session_client):
    account = AccountFactory(owner=rep)
    api = key_client(rep)
    response = api.post(
        "/api/crm/opportunities/",
        {"name": "Refund?", "account": account.pk, "status": "won", "close_revenue": "-50.00"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "close_revenue"
    deal = OpportunityFactory(owner=rep, account=account)
    assert api.patch(f"/api/crm/opportunities/{deal.pk}/", {"budget_amount": "-1"}, format="json").status_code == 400
    page = session_client(rep).post(
        f"/crm/opportunities/{deal.pk}/edit/",
        {"name": deal.name, "account": account.pk, "status": "won", "close_revenue": "-5", "owner": rep.pk},
    )
    assert page.status_code == 200 and "An amount cannot be negative." in page.content.decode()
    account.refresh_from_db()
    assert account.lifetime_value == Decimal("0.00")


def test_a_customer_with_deals_cannot_be_deleted(rep, key_client, session_client):
    customer = BusinessCustomerFactory(owner=rep)
    opportunity_save(
        actor=rep,
        data={"name": "Deal", "account": customer.account, "customer": customer, "close_revenue": Decimal("10")},
    )
    response = key_client(rep).delete(f"/api/crm/business-customers/{customer.pk}/")
    assert response.status_code == 409  # the deals are in the way, not the request
    assert "1 opportunity" in response.json()["errors"][0]["detail"]
    page = session_client(rep).post(f"/crm/business-customers/{customer.pk}/delete/")
    assert "1 opportunity" in page.content.decode()
    assert BusinessCustomer.objects.filter(pk=customer.pk).exists()
    Opportunity.objects.filter(customer_id=customer.pk).delete()
    assert key_client(rep).delete(f"/api/crm/business-customers/{customer.pk}/").status_code == 204


def test_recalculation_reports_every_correction_and_writes_nothing_when_right(rep):
    customer = BusinessCustomerFactory(owner=rep)
    deal = opportunity_save(
        actor=rep,
        data={"name": "Deal", "account": customer.account, "customer": customer, "close_revenue": Decimal("10")},
    )
    opportunity_save(actor=rep, opportunity=deal, data={"status": "won"})
    assert lifetime_recalculate(organization=customer.organization) == 0
    # Drift in one channel value only: the account total is right, the split is not.
    AccountChannelValue.objects.filter(account=customer.account).update(amount=Decimal("3"))
    BusinessCustomer.objects.filter(pk=customer.pk).update(lifetime_value=Decimal("0"))
    assert lifetime_recalculate(organization=customer.organization) == 2
    assert AccountChannelValue.objects.get(account=customer.account).amount == Decimal("10.00")


def test_organization_admin_sees_no_other_organization_in_admin_filters(client, org_admin, outsider):
    client.force_login(org_admin)
    page = client.get("/admin/backoffice/user/").content.decode()
    assert outsider.organization.name not in page


def test_endless_contact_point_lists_are_refused(rep, key_client, session_client):
    api = key_client(rep)
    emails = [f"person{i}@example.com" for i in range(51)]
    response = api.post("/api/crm/contacts/", {"last_name": "Many", "emails": emails}, format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["attr"] == "emails"
    phones = [{"number": f"+1202555{i:04d}"} for i in range(51)]
    assert api.post("/api/crm/contacts/", {"last_name": "Many", "phones": phones}, format="json").status_code == 400
    page = session_client(rep).post(
        "/crm/contacts/new/",
        {
            "last_name": "Many",
            "gender": "unspecified",
            "owner": rep.pk,
            "email-TOTAL_FORMS": str(len(emails)),
            "email-INITIAL_FORMS": "0",
            **{f"email-{index}-email": email for index, email in enumerate(emails)},
        },
    )
    assert page.status_code == 200 and "At most 50 emails" in page.content.decode()
    from accounts.models import Contact

    assert not Contact.objects.filter(last_name="Many").exists()
