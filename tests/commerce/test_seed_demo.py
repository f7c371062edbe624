"""`seed_demo` adds commerce demo data: three-level customer hierarchies with their accounts, customer users,
products, promotions that price the orders, orders in every payment state with exact lifetime values, a shipment
and an invoice, shopping lists, requests for quote and quotes that convert; quickly, each part once."""

import time
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from accounts.services import lifetime_recalculate
from backoffice.management.commands import seed_demo
from backoffice.models import Organization
from commerce.choices import PaymentStatus
from commerce.demo import seed_commerce_demo
from commerce.models import (
    AppliedPromotion,
    CommerceCustomer,
    CustomerUser,
    Invoice,
    Order,
    Product,
    Promotion,
    Quote,
    QuoteStatus,
    RequestForQuote,
    Shipment,
    ShoppingList,
    ShoppingListLine,
)
from commerce.services.promotions import promotion_delete
from commerce.services.quotes import quote_accept, quote_is_expired
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


def applied(order) -> dict[str, Decimal]:
    """The promotions an order got, by name, with what each took off."""
    totals: dict[str, Decimal] = {}
    for name, amount in order.applied_promotions.values_list("name", "amount"):
        totals[name] = totals.get(name, Decimal(0)) + amount
    return totals


def test_demo_promotions_price_the_orders_and_its_quotes_convert_into_orders(demo_users):
    organization, users = demo_users
    assert seed_commerce_demo(organization=organization, users=users, stdout=StringIO()) is True
    promotions = Promotion.objects.filter(organization=organization)
    assert promotions.count() == 4
    assert promotions.get(name="Wholesale partners: 4% off").customer_group.name == "Wholesale"
    assert promotions.get(name="Spring clearance: 20% off").valid_to < timezone.now()
    orders = Order.objects.filter(organization=organization)

    def order(customer: str, subtotal: str) -> Order:
        return orders.get(customer__name=customer, subtotal=Decimal(subtotal))

    # An amount off chosen products: 10 USD off the lamps of a retail customer, nothing else.
    lamps = order("Contoso Berlin", "478.80")
    assert applied(lamps) == {"Lamps and mats: 10 USD off": Decimal("10.00")}
    assert (lamps.discount, lamps.total) == (Decimal("10.00"), Decimal("468.80"))
    # The group's 4% off each line, then 5% off the whole order from 1,500 USD on what is left, and the 250 by hand.
    wholesale = order("Northwind East", "7880.00")
    assert applied(wholesale) == {
        "Wholesale partners: 4% off": Decimal("315.20"),
        "Big orders: 5% off from 1,500 USD": Decimal("378.24"),
    }
    assert (wholesale.discount, wholesale.total) == (Decimal("943.44"), Decimal("6936.56"))
    retail = order("Northwind East Stores", "1734.00")
    assert applied(retail) == {"Big orders: 5% off from 1,500 USD": Decimal("86.70")}
    assert retail.total == Decimal("1597.30")
    assert applied(order("Contoso Group", "499.00")) == {"Wholesale partners: 4% off": Decimal("19.96")}
    assert not AppliedPromotion.objects.filter(organization=organization, name__startswith="Spring").exists()

    lists = ShoppingList.objects.filter(organization=organization)
    assert lists.count() == 3 and ShoppingListLine.objects.filter(shopping_list__in=lists).count() == 5
    requests = RequestForQuote.objects.filter(organization=organization)
    assert sorted(requests.values_list("status", flat=True)) == ["open", "quoted", "quoted"]
    quotes = Quote.objects.filter(organization=organization)
    assert quotes.count() == 3
    # Accepted: an order at the quoted prices, without the promotions in force (the price was agreed).
    accepted = quotes.get(status=QuoteStatus.ACCEPTED)
    assert accepted.order.customer_user.email == "nina.buyer@northwind.example"
    assert list(accepted.order.lines.values_list("product__sku", "quantity", "unit_price")) == [
        ("LAMP-300", 10, Decimal("37.91"))
    ]
    assert (accepted.order.subtotal, accepted.order.discount) == (Decimal("379.10"), Decimal("0.00"))
    # Expired: past its date, it can no longer be accepted.
    expired = quotes.get(customer__name="Contoso Group")
    assert quote_is_expired(expired) and expired.request_id is None
    with pytest.raises(ValidationError, match="was valid until"):
        quote_accept(actor=users["admin"], quote=expired)
    # Open: answers its request line for line at 5% off, and turns into an order when accepted.
    open_quote = quotes.get(status=QuoteStatus.OPEN, request__isnull=False)
    assert not quote_is_expired(open_quote)
    quoted = sorted(open_quote.lines.values_list("product__sku", "quantity", "unit_price"))
    assert quoted == [("CHAIR-200", 4, Decimal("274.55")), ("DESK-100", 4, Decimal("474.05"))]
    requested = sorted(open_quote.request.lines.values_list("product__sku", "quantity"))
    assert requested == [(sku, quantity) for sku, quantity, _ in quoted]
    placed = quote_accept(actor=users["admin"], quote=open_quote)
    assert (placed.subtotal, placed.total) == (Decimal("2994.40"), Decimal("2994.40"))
    assert lifetime_recalculate(organization=organization) == 0


def test_each_demo_part_is_added_once_and_again_when_it_is_gone(demo_users):
    organization, users = demo_users
    seed_commerce_demo(organization=organization, users=users, stdout=StringIO())
    counts = [model.objects.filter(organization=organization).count() for model in (Order, Quote, Promotion)]
    out = StringIO()
    assert seed_commerce_demo(organization=organization, users=users, stdout=out) is False
    assert "nothing added" in out.getvalue()
    for promotion in Promotion.objects.filter(organization=organization):
        promotion_delete(actor=users["admin"], promotion=promotion)
    assert seed_commerce_demo(organization=organization, users=users, stdout=out) is True
    assert [model.objects.filter(organization=organization).count() for model in (Order, Quote, Promotion)] == counts


def test_the_demo_fills_an_organization_that_already_has_its_anonymous_customer(demo_users):
    from commerce.services.anonymous import anonymous_customer_get

    organization, users = demo_users
    anonymous_customer_get(actor=users["admin"])  # the connector switched on, or a first anonymous sale
    assert seed_commerce_demo(organization=organization, users=users, stdout=StringIO()) is True
    assert CommerceCustomer.objects.filter(organization=organization, is_anonymous=False).count() > 3
    assert Order.objects.filter(organization=organization).exists()
    assert Quote.objects.filter(organization=organization).exists()
