"""An opportunity whose customer is a commerce customer links to that customer's page, through the URL the
commerce app registered with its customer type (the CRM never imports commerce)."""

import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from accounts.registry import customer_types
from commerce.models import CommerceCustomer, WebStoreCustomer
from tests.factories.commerce import make_customer
from tests.factories.crm import OpportunityFactory

pytestmark = pytest.mark.django_db


def test_commerce_customer_type_gives_its_detail_page():
    customer_type = customer_types.for_model(CommerceCustomer)
    assert customer_type.url_name == "commerce:customer-detail"
    assert customer_type.record_url(CommerceCustomer(pk=41)) == reverse("commerce:customer-detail", args=[41])
    # A type registered without a page is not linked.
    assert customer_types.for_model(WebStoreCustomer).record_url(WebStoreCustomer(pk=41)) is None


def test_the_opportunity_page_links_its_commerce_customer(manager, client):
    customer = make_customer(manager, name="Harbour Bikes Ltd")
    opportunity = OpportunityFactory(
        organization=manager.organization,
        owner=manager,
        account_id=customer.account_id,
        customer_type=ContentType.objects.get_for_model(CommerceCustomer),
        customer_id=customer.pk,
    )
    client.force_login(manager)
    response = client.get(reverse("accounts:opportunity-detail", args=[opportunity.pk]))
    assert response.status_code == 200
    cell = re.search(r'<dd[^>]*id="opportunity-customer"[^>]*>(.*?)</dd>', response.content.decode(), re.S)
    link = re.search(r'<a href="([^"]+)">([^<]+)</a>', cell.group(1))
    assert link is not None and link.group(2) == "Harbour Bikes Ltd"
    assert link.group(1) == reverse("commerce:customer-detail", args=[customer.pk])
    # The link leads to the customer's page.
    assert "Harbour Bikes Ltd" in client.get(link.group(1)).content.decode()
