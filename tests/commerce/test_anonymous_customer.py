"""The anonymous customer: one per organization, made when the CRM connector is switched on, on the first
anonymous sale, or by the migration for organizations that existed; a root with its own account that the
account-creation strategy leaves as it is; never in a hierarchy. And an order's CRM reference set while the
order is cancelled at the same moment, in real parallel transactions."""

import importlib
import threading
import uuid

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.urls import reverse

from backoffice.choices import Role
from commerce.choices import AccountStrategy, OrderStatus
from commerce.models import CommerceCustomer, Order
from commerce.services import customer_create, customer_update, order_cancel
from commerce.services.anonymous import NO_CHILDREN, anonymous_customer_get
from commerce.services.crm_orders import order_crm_reference_set
from commerce.services.pos import BasketLine, pos_sale_complete
from commerce.services.strategy import customers_relate_batch
from crmconnector.services import activation_update
from tests.conftest import need_service
from tests.crmconnector.conftest import make_configuration
from tests.factories import OrganizationFactory, UserFactory
from tests.factories.commerce import make_customer

MIGRATION = importlib.import_module("commerce.migrations.0008_anonymous_customers")


def anonymous_of(organization) -> list[CommerceCustomer]:
    return list(CommerceCustomer.objects.filter(organization=organization, is_anonymous=True))


@pytest.mark.django_db
def test_switching_the_crm_connector_on_makes_the_anonymous_customer_once(org_admin, organization, crm_on):
    [anonymous] = anonymous_of(organization)
    assert anonymous.name == "Anonymous customer" and anonymous.parent_id is None
    assert anonymous.account is not None and anonymous.account.name == "Anonymous customer"
    assert anonymous.owner == org_admin and anonymous.channel.channel_type == "commerce"
    activation_update(actor=org_admin, enabled=False, configuration=crm_on)
    activation_update(actor=org_admin, enabled=True, configuration=crm_on)
    assert anonymous_of(organization) == [anonymous]


@pytest.mark.django_db
def test_switching_it_on_in_the_organizations_page_makes_it_too(client, org_admin, organization, rest_crm):
    configuration = make_configuration(org_admin, url=rest_crm.url)
    client.force_login(org_admin)
    client.post(reverse("crmconnector:activation"), {"enabled": "on", "configuration": configuration.pk})
    [anonymous] = anonymous_of(organization)
    assert anonymous.owner == org_admin


@pytest.mark.django_db
def test_without_a_connector_the_first_anonymous_sale_makes_it(rep, organization, pen):
    assert anonymous_of(organization) == []
    order, _ = pos_sale_complete(
        actor=rep,
        idempotency_key=uuid.uuid4(),
        reference=None,
        lines=[BasketLine(product_id=pen.pk, quantity=1)],
        method="cash",
        anonymous=True,
    )
    [anonymous] = anonymous_of(organization)
    assert order.customer_id == anonymous.pk and anonymous.lifetime_value == 10


@pytest.mark.django_db
def test_it_stands_alone_in_no_hierarchy(manager):
    anonymous = anonymous_customer_get(actor=manager)
    parent = make_customer(manager, "Parent")
    with pytest.raises(ValidationError) as refused:
        customer_create(actor=manager, name="Child", parent=anonymous)
    assert refused.value.message_dict == {"parent": [NO_CHILDREN]}
    assert NO_CHILDREN == "The anonymous customer stands alone: it has no parent and no children."
    with pytest.raises(ValidationError):
        customer_update(actor=manager, customer=anonymous, data={"parent": parent})
    with pytest.raises(ValidationError):
        customer_update(actor=manager, customer=parent, data={"parent": anonymous})
    anonymous.refresh_from_db()
    assert anonymous.parent_id is None and not anonymous.children.exists()


@pytest.mark.django_db
def test_the_strategy_job_leaves_its_account_as_it_is(manager, organization):
    anonymous = anonymous_customer_get(actor=manager)
    account_id = anonymous.account_id
    ids = list(CommerceCustomer.objects.filter(organization=organization).values_list("pk", flat=True))
    for strategy in (AccountStrategy.ROOT, AccountStrategy.EACH):
        result = customers_relate_batch(organization_id=organization.pk, ids=ids, strategy=strategy)
        assert result == {"moved": 0, "accounts_created": 0}
        anonymous.refresh_from_db()
        assert anonymous.account_id == account_id


@pytest.mark.django_db
def test_the_migration_makes_one_for_each_organization_with_users(organization, rep, org_admin):
    empty = OrganizationFactory(name="No users yet")
    MIGRATION.create_anonymous_customers(apps, None)
    MIGRATION.create_anonymous_customers(apps, None)  # run again: nothing more
    [anonymous] = anonymous_of(organization)
    assert anonymous.owner_id == org_admin.pk and anonymous.account.name == "Anonymous customer"
    assert anonymous.account.organization_id == organization.pk and anonymous_of(empty) == []
    # The services then find it rather than making another.
    assert anonymous_customer_get(actor=rep) == anonymous


def _together(*calls) -> tuple[list, list]:
    barrier = threading.Barrier(len(calls))
    results, errors = [], []

    def run(call):
        try:
            barrier.wait()
            results.append(call())
        except Exception as error:  # noqa: BLE001 - reported to the test
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results, errors


@pytest.mark.django_db(transaction=True)
def test_first_sales_at_the_same_moment_make_one_anonymous_customer():
    need_service(connection.vendor == "postgresql", "PostgreSQL")
    organization = OrganizationFactory(name="Race shop")
    cashiers = [UserFactory(organization=organization, role=Role.REP, username=f"cashier{i}") for i in range(3)]
    results, errors = _together(*[lambda user=user: anonymous_customer_get(actor=user) for user in cashiers])
    assert errors == []
    assert len({customer.pk for customer in results}) == 1 and len(anonymous_of(organization)) == 1


@pytest.mark.django_db(transaction=True)
def test_a_crm_reference_set_while_the_order_is_cancelled(org_admin, manager, rest_crm, crm_on, people, pen):
    need_service(connection.vendor == "postgresql", "PostgreSQL")
    # 0.3 s: the CRM answers after the cancel committed, so the order is checked as stored then (and refused);
    # 0: both at once, in either order.
    for delay in (0.3, 0, 0):
        order, _ = pos_sale_complete(
            actor=manager,
            idempotency_key=uuid.uuid4(),
            reference=None,
            lines=[BasketLine(product_id=pen.pk, quantity=1)],
            method="card",
            anonymous=True,
        )
        version = Order.objects.get(pk=order.pk).version
        rest_crm.state.delay = delay
        results, errors = _together(
            lambda order=order: order_crm_reference_set(actor=manager, order=order, reference=people["alice"]["id"]),
            lambda order=order: order_cancel(actor=org_admin, order=order),
        )
        stored = Order.objects.get(pk=order.pk)
        assert stored.status == OrderStatus.CANCELLED
        if delay or errors:  # the cancel went first: the reference was refused, nothing half-written
            assert [str(e) for e in errors] == ["{'reference': ['A cancelled order takes no CRM reference.']}"]
            assert stored.crm_reference == "" and stored.version == version + 1
        else:  # named first, then cancelled: both changes kept
            assert stored.crm_reference == people["alice"]["id"] and stored.version == version + 2
            assert stored.crm_category_keys == {"category": "VIP"}


@pytest.mark.django_db
def test_the_anonymous_customer_gets_no_storefront_user_and_the_storefront_never_lists_its_orders(
    org_admin, organization, pen
):
    from commerce.models import CustomerUser
    from commerce.services import customer_user_create, customer_user_update
    from commerce.storefront.selectors import order_list

    anonymous = anonymous_customer_get(actor=org_admin)
    with pytest.raises(ValidationError) as refused:
        customer_user_create(
            actor=org_admin, customer=anonymous, first_name="Eve", last_name="Spy", email="eve@x.example", password=None
        )
    assert refused.value.message_dict == {"customer": ["The anonymous customer has no storefront users."]}
    buyer = make_customer(org_admin, "Buyer Ltd")
    eve = customer_user_create(
        actor=org_admin, customer=buyer, first_name="Eve", last_name="Spy", email="eve@x.example", password=None
    )
    with pytest.raises(ValidationError):
        customer_user_update(actor=org_admin, customer_user=eve, data={"customer": anonymous})
    assert CustomerUser.objects.get(pk=eve.pk).customer_id == buyer.pk
    pos_sale_complete(
        actor=org_admin,
        idempotency_key=uuid.uuid4(),
        lines=[BasketLine(product_id=pen.pk, quantity=1)],
        reference="",
        anonymous=True,
        method="card",
    )
    CustomerUser.objects.filter(pk=eve.pk).update(customer=anonymous)  # even when put there behind our back
    eve.refresh_from_db()
    assert Order.objects.filter(customer=anonymous).exists() and not order_list(customer_user=eve).exists()
