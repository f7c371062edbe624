"""Storefront writes made at once by several requests, on PostgreSQL with real parallel transactions: two
sign-ups with one e-mail make one customer user (and one customer and account), the same product added to
a list from two tabs adds up, and the per-user bound on lists holds."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from accounts.models import Account
from backoffice.choices import Role
from commerce.models import CommerceCustomer, CustomerUser, ShoppingList, ShoppingListLine
from commerce.services import storefront as services
from tests.factories import UserFactory
from tests.factories.commerce import ProductFactory

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "a-Long-enough-passphrase-42"


def in_parallel(*calls) -> list[str]:
    """Run the calls at the same moment, each in its own thread and connection; their outcomes."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    barrier = threading.Barrier(len(calls))
    outcomes: list[str] = []

    def run(call):
        try:
            barrier.wait(timeout=10)
            call()
            outcomes.append("ok")
        except ValidationError as error:
            outcomes.append(" ".join(error.messages))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(outcomes)


@pytest.fixture
def organization(organization):
    UserFactory(organization=organization, role=Role.ADMIN)
    return organization


def test_two_sign_ups_with_one_email_make_one_user(organization):
    def sign_up(company):
        return lambda: services.storefront_sign_up(
            organization=organization,
            first_name="Ada",
            last_name="L",
            email="ADA@example.com" if company == "One" else "ada@example.com",
            password=PASSWORD,
            company_name=company,
        )

    outcomes = in_parallel(sign_up("One"), sign_up("Two"))
    assert outcomes == ["A customer user with this e-mail exists already.", "ok"]
    assert CustomerUser.objects.count() == 1 and CommerceCustomer.objects.count() == 1
    # The refused sign-up left no account behind.
    assert Account.objects.filter(organization=organization).count() == 1


def test_the_same_product_added_from_two_tabs_adds_up(organization):
    user = services.storefront_sign_up(
        organization=organization, first_name="A", last_name="B", email="a@example.com", password=PASSWORD
    )
    shopping_list = services.shopping_list_create(customer_user=user, name="Tabs")
    product = ProductFactory(organization=organization)

    def add():
        services.shopping_list_add_product(customer_user=user, shopping_list=shopping_list, product=product, quantity=3)

    assert in_parallel(add, add, add) == ["ok", "ok", "ok"]
    assert list(ShoppingListLine.objects.values_list("quantity", flat=True)) == [9]


def test_the_bound_on_lists_holds_under_parallel_creations(organization):
    user = services.storefront_sign_up(
        organization=organization, first_name="A", last_name="B", email="a@example.com", password=PASSWORD
    )
    ShoppingList.objects.bulk_create(
        [
            ShoppingList(organization=organization, customer_user=user, customer=user.customer, name=f"L{i}")
            for i in range(services.MAX_LISTS_PER_USER - 1)
        ]
    )
    outcomes = in_parallel(*[lambda: services.shopping_list_create(customer_user=user, name="Last")] * 3)
    assert outcomes.count("ok") == 1
    assert ShoppingList.objects.filter(customer_user=user).count() == services.MAX_LISTS_PER_USER
