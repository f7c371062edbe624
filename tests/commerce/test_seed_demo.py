"""`seed_demo` adds commerce demo data: three-level customer hierarchies with their accounts, customer users,
products, orders in every payment state with exact lifetime values, a shipment and an invoice; quickly, once."""

import time
from io import StringIO

import pytest
from django.core.management import call_command

from accounts.services import lifetime_recalculate
from backoffice.management.commands import seed_demo
from backoffice.models import Organization
from commerce.choices import PaymentStatus
from commerce.demo import seed_commerce_demo
from commerce.models import CommerceCustomer, CustomerUser, Invoice, Order, Product, Shipment
from tests.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_users():
    organization = OrganizationFactory(name="Seeded")
    return organization, {
        "admin": UserFactory(organization=organization, role="admin", username="seed-admin"),
        "rep1": UserFactory(organization=organization, role="rep", username="seed-rep1"),
        "rep2": UserFactory(organization=organization, role="rep", username="seed-rep2"),
    }


def test_commerce_demo_fills_every_commerce_page_quickly_and_once(demo_users):
    organization, users = demo_users
    out = StringIO()
    started = time.monotonic()
    assert seed_commerce_demo(organization=organization, users=users, stdout=out) is True
    assert time.monotonic() - started < 10
    customers = CommerceCustomer.objects.filter(organization=organization)
    assert max(customers.values_list("depth", flat=True)) == 2  # roots, children, grandchildren
    assert customers.filter(parent__isnull=True).count() == 3
    assert all(customer.account_id for customer in customers)
    assert CustomerUser.objects.filter(organization=organization).count() == 2
    assert Product.objects.filter(organization=organization).count() == 6
    orders = Order.objects.filter(organization=organization)
    assert set(orders.values_list("payment_status", flat=True)) == set(PaymentStatus.values)
    assert orders.filter(status="cancelled").exists()
    shipment = Shipment.objects.get(organization=organization)
    invoice = Invoice.objects.get(organization=organization)
    assert shipment.status == "shipped" and len({line.order_id for line in shipment.lines.all()}) == 2
    assert invoice.status == "open" and len({line.order_id for line in invoice.lines.all()}) == 2
    assert set(
        Order.objects.filter(pk__in=[line.order_id for line in shipment.lines.all()]).values_list("status", flat=True)
    ) == {"shipped"}
    # The services kept every lifetime value: a recalculation has nothing to correct.
    assert lifetime_recalculate(organization=organization) == 0
    paid = CommerceCustomer.objects.get(organization=organization, name="Northwind East Stores")
    assert paid.lifetime_value > 0 and paid.account.lifetime_value >= paid.lifetime_value
    assert "storefront: nina.buyer@northwind.example" in out.getvalue()
    assert seed_commerce_demo(organization=organization, users=users, stdout=out) is False
    assert Order.objects.filter(organization=organization).count() == orders.count()


def test_seed_demo_command_runs_the_commerce_demo_through_its_signal(tmp_path, monkeypatch):
    monkeypatch.setattr(seed_demo, "CREDENTIALS_FILE", tmp_path / "demo_credentials.json")
    out = StringIO()
    call_command("seed_demo", stdout=out)
    organization = Organization.objects.get(name=seed_demo.DEMO_ORGANIZATION)
    assert "Commerce demo data ready" in out.getvalue()
    assert Shipment.objects.filter(organization=organization).count() == 1
    call_command("seed_demo", stdout=out)
    assert "Commerce demo data already present; nothing added." in out.getvalue()
    assert Shipment.objects.filter(organization=organization).count() == 1
