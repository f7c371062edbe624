"""Factories of commerce rows. Products and groups are made directly; customers and orders through the
services, since their accounts and values are what the tests are about."""

from decimal import Decimal

import factory

from commerce.models import CustomerGroup, Product
from commerce.services import LineInput, customer_create, order_pay, order_place
from tests.factories.core import OrganizationFactory


class CustomerGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerGroup

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Group {n}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    organization = factory.SubFactory(OrganizationFactory)
    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Faker("word")
    unit_price = Decimal("10.00")
    currency = "USD"


def make_customer(actor, name="Customer", **kwargs):
    """A customer made as the back office makes one (its account by the strategy)."""
    return customer_create(actor=actor, name=name, **kwargs)


def make_order(actor, customer, *, price="100.00", quantity=1, currency="USD", paid=False, product=None, **kwargs):
    """An order of one line; paid in full when `paid`."""
    product = product or ProductFactory(
        organization_id=actor.organization_id, unit_price=Decimal(price), currency=currency
    )
    order = order_place(actor=actor, customer=customer, lines=[LineInput(product=product, quantity=quantity)], **kwargs)
    if paid:
        order_pay(actor=actor, order=order, amount=order.total)
        order.refresh_from_db()
    return order
