"""Demo commerce records for `seed_demo`: customer hierarchies with their users, products, orders in every payment
state, a shipment and an invoice, so that every commerce page and the accounts' Commerce channel show something.

Connected to `backoffice.signals.demo_seeded` (the core's registry of demo seeders) when commerce starts, so the
core and the CRM never import commerce. Everything goes through the services, so accounts (by the organization's
strategy), lifetime sales values and the change log are what the application itself would make; a second run
adds nothing.
"""

import datetime as dt
import secrets
import time
from decimal import Decimal

from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone

from backoffice.models import Organization, User
from backoffice.signals import demo_seeded
from commerce.models import CommerceCustomer, CustomerGroup, Product
from commerce.services import (
    LineInput,
    customer_create,
    customer_group_save,
    customer_user_create,
    order_cancel,
    order_pay,
    order_place,
    order_refund,
    product_save,
)
from commerce.services.documents import invoice_create, shipment_create

GROUPS = ("Wholesale", "Retail")
# Three-level hierarchies: (name, parent name, group, owner key).
CUSTOMERS = (
    ("Northwind Holdings", None, "Wholesale", "rep1"),
    ("Northwind East", "Northwind Holdings", "Wholesale", "rep1"),
    ("Northwind East Stores", "Northwind East", "Retail", "rep1"),
    ("Northwind West", "Northwind Holdings", "Wholesale", "rep1"),
    ("Contoso Group", None, "Wholesale", "rep2"),
    ("Contoso Europe", "Contoso Group", "Wholesale", "rep2"),
    ("Contoso Berlin", "Contoso Europe", "Retail", "rep2"),
    ("Fabrikam Outlet", None, "Retail", "admin"),
)
# Customer users: (first name, last name, e-mail, customer). Few: every password costs a slow hash.
CUSTOMER_USERS = (
    ("Nina", "Buyer", "nina.buyer@northwind.example", "Northwind East Stores"),
    ("Carl", "Purchaser", "carl.purchaser@contoso.example", "Contoso Berlin"),
)
PRODUCTS = (
    ("DESK-100", "Standing desk", "499.00"),
    ("CHAIR-200", "Ergonomic chair", "289.00"),
    ("LAMP-300", "Desk lamp", "39.90"),
    ("MAT-400", "Anti-fatigue mat", "59.00"),
    ("CABLE-500", "Cable tray", "24.50"),
    ("SCREEN-600", "27-inch monitor", "329.00"),
)
# Orders: (customer, days ago, [(sku, quantity)], discount, payment story).
ORDERS = (
    ("Northwind East Stores", 40, [("DESK-100", 2), ("LAMP-300", 4)], "0.00", "paid"),
    ("Northwind East Stores", 32, [("CHAIR-200", 6)], "50.00", "paid"),
    ("Northwind East Stores", 5, [("MAT-400", 3), ("CABLE-500", 10)], "0.00", "pending"),
    ("Northwind West", 25, [("SCREEN-600", 4)], "0.00", "partially_paid"),
    ("Northwind East", 60, [("DESK-100", 10), ("CHAIR-200", 10)], "250.00", "partially_refunded"),
    ("Contoso Berlin", 18, [("LAMP-300", 12)], "0.00", "paid"),
    ("Contoso Berlin", 12, [("CABLE-500", 20)], "0.00", "refunded"),
    ("Contoso Europe", 9, [("SCREEN-600", 2), ("MAT-400", 2)], "0.00", "cancelled"),
    ("Contoso Group", 3, [("DESK-100", 1)], "0.00", "pending"),
    ("Fabrikam Outlet", 15, [("CHAIR-200", 2), ("LAMP-300", 2)], "0.00", "paid"),
)


@receiver(demo_seeded, dispatch_uid="commerce.demo.seed")
def on_demo_seeded(sender, *, organization: Organization, users: dict[str, User], stdout, **kwargs) -> None:
    """Fill the demo organization with commerce records, once."""
    seed_commerce_demo(organization=organization, users=users, stdout=stdout)


@transaction.atomic
def seed_commerce_demo(*, organization: Organization, users: dict[str, User], stdout) -> bool:
    """Create the commerce demo records unless the organization has commerce customers; returns whether it did."""
    if CommerceCustomer.objects.filter(organization=organization).exists():
        stdout.write("Commerce demo data already present; nothing added.")
        return False
    started = time.monotonic()
    admin = users["admin"]
    groups = {
        name: CustomerGroup.objects.filter(organization=organization, name=name).first()
        or customer_group_save(actor=admin, data={"name": name})
        for name in GROUPS
    }
    customers: dict[str, CommerceCustomer] = {}
    for name, parent, group, owner in CUSTOMERS:
        customers[name] = customer_create(
            actor=admin, name=name, parent=customers.get(parent), group=groups[group], owner=users[owner]
        )
    for first, last, email, customer in CUSTOMER_USERS:
        password = secrets.token_urlsafe(9)
        customer_user_create(
            actor=admin,
            customer=customers[customer],
            first_name=first,
            last_name=last,
            email=email,
            password=password,
            confirmed=True,
        )
        stdout.write(f"  storefront: {email} {password}")
    products = {}
    for sku, name, price in PRODUCTS:
        products[sku] = Product.objects.filter(organization=organization, sku=sku).first() or product_save(
            actor=admin, data={"sku": sku, "name": name, "unit_price": Decimal(price), "currency": "USD"}
        )
    now = timezone.now()
    orders = []
    for customer, days_ago, lines, discount, story in ORDERS:
        owner = customers[customer].owner
        order = order_place(
            actor=admin,
            customer=customers[customer],
            lines=[LineInput(product=products[sku], quantity=quantity) for sku, quantity in lines],
            discount=Decimal(discount),
            placed_at=now - dt.timedelta(days=days_ago, hours=days_ago % 7),
            owner=owner,
        )
        _tell_story(admin, order, story)
        orders.append(order)
    northwind = [order for order in orders if order.customer == customers["Northwind East Stores"]]
    shipment = shipment_create(actor=admin, orders=northwind[:2], shipped=True)
    invoice = invoice_create(actor=admin, orders=northwind[:2])
    stdout.write(
        f"  {len(customers)} commerce customers in 3 hierarchies, {len(CUSTOMER_USERS)} customer users, "
        f"{len(products)} products, {len(orders)} orders, shipment {shipment}, invoice {invoice}"
    )
    stdout.write(f"Commerce demo data ready in {time.monotonic() - started:.1f} s.")
    return True


def _tell_story(actor: User, order, story: str) -> None:
    """Take an order to its payment state through the services (payments, refunds, cancellation)."""
    if story == "pending":
        return
    if story == "cancelled":
        order_cancel(actor=actor, order=order)
        return
    if story == "partially_paid":
        order_pay(actor=actor, order=order, amount=(order.total / 2).quantize(Decimal("0.01")))
        return
    order_pay(actor=actor, order=order, amount=order.total)
    if story == "partially_refunded":
        order_refund(actor=actor, order=order, amount=(order.total / 10).quantize(Decimal("0.01")), reason="Damaged")
    elif story == "refunded":
        order_refund(actor=actor, order=order, amount=order.total, reason="Returned")
