"""Commerce admin screens write through the services: a customer made with no account gets one by the
strategy, the account is required on edit, a cycle is refused on the form, an order is cancelled with
its value, and another organization's rows never show."""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import Account
from commerce.models import CommerceCustomer, CustomerUser, Order
from tests.factories.commerce import make_customer, make_order

pytestmark = pytest.mark.django_db


def test_customer_added_without_account_gets_one_by_the_strategy(client, org_admin):
    client.force_login(org_admin)
    response = client.post(
        reverse("admin:commerce_commercecustomer_add"), {"name": "Admin made", "owner": org_admin.pk}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    customer = CommerceCustomer.objects.get(name="Admin made")
    assert customer.account.name == "Admin made"


def test_account_is_required_on_edit_and_a_cycle_is_refused(client, org_admin):
    parent = make_customer(org_admin, name="Parent")
    child = make_customer(org_admin, name="Child", parent=parent)
    client.force_login(org_admin)
    url = reverse("admin:commerce_commercecustomer_change", args=[parent.pk])
    response = client.post(url, {"name": "Parent", "owner": org_admin.pk, "account": ""})
    assert response.status_code == 200 and "This field is required" in response.content.decode()
    response = client.post(
        url, {"name": "Parent", "owner": org_admin.pk, "account": parent.account_id, "parent": child.pk}
    )
    assert response.status_code == 200 and "own ancestor" in response.content.decode()
    assert CommerceCustomer.objects.get(pk=parent.pk).parent_id is None
    other = Account.objects.create(organization=org_admin.organization, owner=org_admin, name="Elsewhere")
    response = client.post(url, {"name": "Parent", "owner": org_admin.pk, "account": other.pk})
    assert response.status_code == 302
    assert CommerceCustomer.objects.get(pk=parent.pk).account_id == other.pk


def test_customer_user_needs_a_password_and_a_unique_email(client, org_admin):
    customer = make_customer(org_admin, name="Shop")
    client.force_login(org_admin)
    url = reverse("admin:commerce_customeruser_add")
    data = {"first_name": "Ann", "last_name": "Lee", "email": "Ann@Example.com", "customer": customer.pk}
    response = client.post(url, {**data, "enabled": "on"})
    assert response.status_code == 200 and "password" in response.content.decode()
    response = client.post(url, {**data, "enabled": "on", "new_password": "correct horse"})
    assert response.status_code == 302
    user = CustomerUser.objects.get(email="Ann@Example.com")
    assert user.password.startswith(("md5$", "pbkdf2", "argon2")) and "correct horse" not in user.password
    response = client.post(url, {**data, "email": "ann@example.COM", "new_password": "correct horse"})
    assert response.status_code == 200 and "exists already" in response.content.decode()


def test_order_cancelled_in_the_admin_loses_its_value(client, org_admin):
    customer = make_customer(org_admin, name="Buyer")
    order = make_order(org_admin, customer, price="70.00", paid=True)
    assert CommerceCustomer.objects.get(pk=customer.pk).lifetime_value == Decimal("70.00")
    client.force_login(org_admin)
    response = client.post(
        reverse("admin:commerce_order_changelist"), {"action": "cancel_selected", "_selected_action": [order.pk]}
    )
    assert response.status_code == 302
    assert Order.objects.get(pk=order.pk).status == "cancelled"
    assert CommerceCustomer.objects.get(pk=customer.pk).lifetime_value == Decimal("0.00")
    assert Account.objects.get(pk=customer.account_id).lifetime_value == Decimal("0.00")


def test_an_admin_action_over_more_rows_than_it_takes_at_once_does_nothing_and_says_why(client, org_admin):
    from backoffice.admin import ADMIN_ACTION_MAX_ROWS

    customer = make_customer(org_admin, name="Buyer")
    orders = Order.objects.bulk_create(
        [
            Order(
                organization=org_admin.organization,
                customer=customer,
                owner=org_admin,
                number=f"BULK-{number}",
                currency="USD",
                base_rate=Decimal("1"),
                placed_at=customer.created_at,
            )
            for number in range(ADMIN_ACTION_MAX_ROWS + 1)
        ]
    )
    client.force_login(org_admin)
    response = client.post(
        reverse("admin:commerce_order_changelist"),
        {"action": "cancel_selected", "_selected_action": [order.pk for order in orders]},
        follow=True,
    )
    assert f"Select at most {ADMIN_ACTION_MAX_ROWS} rows at a time" in response.content.decode()
    assert not Order.objects.filter(status="cancelled").exists()


def test_a_rep_cannot_open_the_commerce_admin(client, rep):
    rep.is_staff = True
    rep.save(update_fields=["is_staff"])
    client.force_login(rep)
    for name in ("commercecustomer", "order", "product", "customeruser", "customergroup"):
        assert client.get(reverse(f"admin:commerce_{name}_changelist")).status_code in (302, 403)
