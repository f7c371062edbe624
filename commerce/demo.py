"""Demo commerce records for `seed_demo`: customer hierarchies with their users, products, promotions, orders in
every payment state (priced with the promotions), a shipment and an invoice, shopping lists, requests for quote and
quotes open, accepted into an order and expired, so that every commerce page and the accounts' Commerce channel
show something.

Connected to `backoffice.signals.demo_seeded` (the core's registry of demo seeders) when commerce starts, so the
core and the CRM never import commerce. Everything goes through the services, so accounts (by the organization's
strategy), prices, lifetime sales values and the change log are what the application itself would make. Each
part is added once, when the organization has none of it: a second run adds nothing, and a demo made before a
part existed gets that part.
"""

import datetime as dt
import secrets
import time
from decimal import Decimal

from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone

from backoffice.models import Organization, User
from backoffice.money import quantize
from backoffice.signals import demo_seeded
from commerce.models import (
    CommerceCustomer,
    CustomerGroup,
    CustomerUser,
    Product,
    Promotion,
    Quote,
    RequestForQuote,
    ShoppingList,
)
from commerce.models.promotions import PromotionKind, PromotionScope
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
from commerce.services.promotions import promotion_save
from commerce.services.quotes import QuoteLineInput, quote_accept, quote_create
from commerce.services.storefront import request_for_quote_create, shopping_list_add_product, shopping_list_create

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


# Promotions as the promotion service takes them, with products by SKU, the group by name and the validity in
# days from today. The products' amount comes first, then the group's percentage, then the big orders' one on what
# the lines still cost.
PROMOTIONS = (
    {
        "name": "Lamps and mats: 10 USD off",
        "kind": PromotionKind.FIXED_AMOUNT,
        "value": "10.00",
        "currency": "USD",
        "scope": PromotionScope.PRODUCTS,
        "skus": ("LAMP-300", "MAT-400"),
        "priority": 10,
    },
    {"name": "Wholesale partners: 4% off", "value": "4", "group": "Wholesale", "priority": 50},
    {"name": "Big orders: 5% off from 1,500 USD", "value": "5", "minimum_subtotal": "1500.00", "currency": "USD"},
    # Ran out before the oldest demo order was placed: listed, applied to nothing.
    {"name": "Spring clearance: 20% off", "value": "20", "valid_days": (-150, -90)},
)
# Shopping lists of customer users, each asked a quote for or not: (e-mail, list name, [(sku, quantity)], story).
# "quoted" gets an open quote at 5% below list prices, "accepted" one accepted into an order, "waiting" none yet.
SHOPPING_LISTS = (
    ("nina.buyer@northwind.example", "Office refit", [("DESK-100", 4), ("CHAIR-200", 4)], "quoted"),
    ("nina.buyer@northwind.example", "Lamps for the new store", [("LAMP-300", 10)], "accepted"),
    ("carl.purchaser@contoso.example", "Monthly supplies", [("CABLE-500", 20), ("MAT-400", 5)], "waiting"),
)
QUOTE_PRICE_SHARE = Decimal("0.95")
QUOTE_VALID_DAYS = 14
# A quote made in the back office a month ago for a fortnight: expired, it can no longer be accepted.
EXPIRED_QUOTE = ("Contoso Group", 30, [("SCREEN-600", 10)])


@receiver(demo_seeded, dispatch_uid="commerce.demo.seed")
def on_demo_seeded(sender, *, organization: Organization, users: dict[str, User], stdout, **kwargs) -> None:
    """Fill the demo organization with commerce records, once."""
    seed_commerce_demo(organization=organization, users=users, stdout=stdout)


@transaction.atomic
def seed_commerce_demo(*, organization: Organization, users: dict[str, User], stdout) -> bool:
    """Create each part of the commerce demo the organization has none of; returns whether anything was added."""
    started = time.monotonic()
    admin = users["admin"]
    groups = {
        name: CustomerGroup.objects.filter(organization=organization, name=name).first()
        or customer_group_save(actor=admin, data={"name": name})
        for name in GROUPS
    }
    products = {}
    for sku, name, price in PRODUCTS:
        products[sku] = Product.objects.filter(organization=organization, sku=sku).first() or product_save(
            actor=admin, data={"sku": sku, "name": name, "unit_price": Decimal(price), "currency": "USD"}
        )
    added = [
        _seed_promotions(admin, organization, groups, products, stdout),
        _seed_customers_and_orders(admin, organization, users, groups, products, stdout),
        _seed_quotes(admin, organization, users, products, stdout),
    ]
    if not any(added):
        stdout.write("Commerce demo data already present; nothing added.")
        return False
    stdout.write(f"Commerce demo data ready in {time.monotonic() - started:.1f} s.")
    return True


def _seed_promotions(admin: User, organization: Organization, groups, products, stdout) -> bool:
    if Promotion.objects.filter(organization=organization).exists():
        return False
    now = timezone.now()
    for spec in PROMOTIONS:
        data = {key: value for key, value in spec.items() if key not in ("skus", "group", "valid_days")}
        data["value"] = Decimal(data["value"])
        if "minimum_subtotal" in data:
            data["minimum_subtotal"] = Decimal(data["minimum_subtotal"])
        if "skus" in spec:
            data["products"] = [products[sku] for sku in spec["skus"]]
        if "group" in spec:
            data["customer_group"] = groups[spec["group"]]
        if "valid_days" in spec:
            data["valid_from"], data["valid_to"] = (now + dt.timedelta(days=days) for days in spec["valid_days"])
        promotion_save(actor=admin, data=data)
    stdout.write(f"  {len(PROMOTIONS)} promotions, one of them expired")
    return True


def _seed_customers_and_orders(admin: User, organization: Organization, users, groups, products, stdout) -> bool:
    if CommerceCustomer.objects.filter(organization=organization, is_anonymous=False).exists():
        return False
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
    return True


def _seed_quotes(admin: User, organization: Organization, users, products, stdout) -> bool:
    """Shopping lists, the requests for quote made from them and the quotes answering them, as customer users and
    sales reps make them; skipped when the organization has any of them or the demo customer users are gone."""
    made = (ShoppingList, RequestForQuote, Quote)
    if any(model.objects.filter(organization=organization).exists() for model in made):
        return False
    emails = {email for email, *_ in SHOPPING_LISTS}
    customer_users = {u.email: u for u in CustomerUser.objects.filter(organization=organization, email__in=emails)}
    expired_for = CommerceCustomer.objects.filter(organization=organization, name=EXPIRED_QUOTE[0]).first()
    if len(customer_users) != len(emails) or expired_for is None:
        return False
    today = timezone.localdate()
    for email, name, lines, story in SHOPPING_LISTS:
        user = customer_users[email]
        shopping_list = shopping_list_create(customer_user=user, name=name)
        for sku, quantity in lines:
            shopping_list_add_product(
                customer_user=user, shopping_list=shopping_list, product=products[sku], quantity=quantity
            )
        request = request_for_quote_create(customer_user=user, shopping_list=shopping_list, note="Delivery next month")
        if story == "waiting":
            continue
        quote = quote_create(
            actor=admin,
            request=request,
            valid_until=today + dt.timedelta(days=QUOTE_VALID_DAYS),
            lines=[
                QuoteLineInput(products[sku], quantity, quantize(products[sku].unit_price * QUOTE_PRICE_SHARE))
                for sku, quantity in lines
            ],
            owner=user.customer.owner,
        )
        if story == "accepted":
            quote_accept(actor=admin, quote=quote)
    customer, days_ago, lines = EXPIRED_QUOTE
    quote_create(
        actor=admin,
        customer=expired_for,
        made_on=today - dt.timedelta(days=days_ago),
        valid_until=today - dt.timedelta(days=days_ago - QUOTE_VALID_DAYS),
        lines=[QuoteLineInput(products[sku], quantity) for sku, quantity in lines],
        owner=expired_for.owner,
    )
    stdout.write(
        f"  {len(SHOPPING_LISTS)} shopping lists, {len(SHOPPING_LISTS)} requests for quote, "
        "quotes open, accepted and expired"
    )
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
