import pytest

from accounts.models import Account, AccountChannelValue
from commerce.models import CommerceCustomer


def lifetime_snapshot(organization):
    """Every lifetime figure of an organization: accounts, their channel values, commerce customers."""
    accounts = {a.pk: a.lifetime_value for a in Account.objects.filter(organization=organization)}
    channels = {
        (row.account_id, row.channel_id): row.amount
        for row in AccountChannelValue.objects.filter(account__organization=organization)
        if row.amount
    }
    customers = {c.pk: c.lifetime_value for c in CommerceCustomer.objects.filter(organization=organization)}
    return accounts, channels, customers


@pytest.fixture
def admin_user(org_admin):
    return org_admin


# The CRM selector's tests (tests/commerce/test_selector_crm*.py, test_crm_orders.py) share these.
from tests.commerce.crm_support import crm_on, pen, people, rest_crm  # noqa: E402, F401
from tests.crmconnector.remote import remote  # noqa: E402, F401  (a second installation, one per test module)
