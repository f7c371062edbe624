"""Customers as the CRM sees them (a customer type opportunities can name, their deals following them),
customer users (e-mail unique per organization whatever its case, password hashed and never logged),
and products (SKU unique per organization), with every write in the change log."""

from decimal import Decimal

import pytest
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError

from accounts.models import Account, AccountChannelValue, Opportunity
from accounts.registry import customer_types
from accounts.services import lifetime_recalculate, opportunity_save
from backoffice.models import ChangeLogEntry
from commerce.models import CommerceCustomer, CustomerUser
from commerce.services import (
    customer_create,
    customer_move_account,
    customer_user_create,
    customer_user_update,
    product_save,
)
from tests.factories import AccountFactory
from tests.factories.commerce import make_order

pytestmark = pytest.mark.django_db


def test_commerce_customer_is_a_customer_type_opportunities_can_name(manager):
    assert customer_types.for_model(CommerceCustomer).label == "Commerce customer"
    customer = customer_create(actor=manager, name="Buyer")
    make_order(manager, customer, price="10.00", paid=True)
    deal = opportunity_save(
        actor=manager, data={"name": "Big deal", "customer": customer, "close_revenue": Decimal("90"), "status": "won"}
    )
    assert deal.account_id == customer.account_id
    customer.refresh_from_db()
    assert customer.lifetime_value == Decimal("100.00")
    commerce = AccountChannelValue.objects.get(account_id=customer.account_id, channel=customer.channel)
    assert commerce.amount == Decimal("100.00") and customer.channel.channel_type == "commerce"
    # Moved to another account, the customer takes its orders' and its deals' value, and the deals.
    target = AccountFactory(owner=manager)
    old_account, version = customer.account_id, CommerceCustomer.objects.get(pk=customer.pk).version
    customer_move_account(actor=manager, customer=customer, account=target)
    moved = CommerceCustomer.objects.get(pk=customer.pk)
    assert moved.version == version + 1
    entry = ChangeLogEntry.objects.filter(object_id=customer.pk, content_type__model="commercecustomer").latest("id")
    assert entry.changes == {"account": [old_account, target.pk]} and entry.version == moved.version
    assert entry.actor_id == manager.pk
    assert Opportunity.objects.get(pk=deal.pk).account_id == target.pk
    assert Account.objects.get(pk=target.pk).lifetime_value == Decimal("100.00")
    assert Account.objects.get(pk=deal.account_id).lifetime_value == Decimal("0.00")
    assert lifetime_recalculate(organization=manager.organization) == 0


def test_customer_user_email_is_unique_whatever_its_case(manager, other_organization, outsider):
    customer = customer_create(actor=manager, name="Shop")
    user = customer_user_create(
        actor=manager,
        customer=customer,
        first_name="Ann",
        last_name="Lee",
        email="ann@example.com",
        password="a long password",
    )
    with pytest.raises(ValidationError) as error:
        customer_user_create(
            actor=manager,
            customer=customer,
            first_name="Ann",
            last_name="Other",
            email="ANN@example.com",
            password="a long password",
        )
    assert "email" in error.value.message_dict
    # Another organization may have the same e-mail.
    elsewhere = customer_create(actor=outsider, name="Elsewhere")
    customer_user_create(
        actor=outsider,
        customer=elsewhere,
        first_name="Ann",
        last_name="Lee",
        email="ann@example.com",
        password="a long password",
    )
    for bad in [{"password": "short"}, {"first_name": "x" * 101}, {"email": "not an e-mail"}]:
        with pytest.raises(ValidationError) as error:
            customer_user_create(
                actor=manager,
                customer=customer,
                **{"first_name": "B", "last_name": "C", "email": "b@example.com", "password": "a long password", **bad},
            )
        assert set(error.value.message_dict) == set(bad)
    customer_user_update(actor=manager, customer_user=user, data={"enabled": False}, password="another long one")
    user = CustomerUser.objects.get(pk=user.pk)
    assert not user.enabled and check_password("another long one", user.password)
    logged = ChangeLogEntry.objects.filter(object_id=user.pk, content_type__model="customeruser")
    assert logged.count() == 2
    assert all("password" not in entry.changes for entry in logged)


def test_product_sku_is_unique_per_organization_and_price_never_negative(manager):
    product_save(actor=manager, data={"sku": "A-1", "name": "Bolt", "unit_price": "1.50", "currency": "USD"})
    with pytest.raises(ValidationError) as error:
        product_save(actor=manager, data={"sku": "A-1", "name": "Nut", "unit_price": "1.00", "currency": "USD"})
    assert "exists already" in error.value.message_dict["sku"][0]
    with pytest.raises(ValidationError) as error:
        product_save(actor=manager, data={"sku": "A-2", "name": "Nut", "unit_price": "-1", "currency": "USD"})
    assert "unit_price" in error.value.message_dict


def test_order_number_is_unique_per_organization(manager):
    customer = customer_create(actor=manager, name="Buyer")
    first = make_order(manager, customer, number="SO-1")
    with pytest.raises(ValidationError) as error:
        make_order(manager, customer, number="SO-1")
    assert "number" in error.value.message_dict
    second = make_order(manager, customer, number="SO-2")
    from commerce.services import order_update

    with pytest.raises(ValidationError) as error:
        order_update(actor=manager, order=second, data={"number": first.number})
    assert "number" in error.value.message_dict
