"""Promotions through the API and the admin: who may change them, bounded and consistent input, the caller's
organization only, a list at a constant number of queries, and deletes that leave placed orders as they were."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from backoffice.changelog import change_types
from backoffice.models import ChangeLogEntry
from commerce.models import AppliedPromotion, Promotion
from commerce.services import LineInput, order_place
from commerce.services.pricing import MAX_PRODUCTS
from commerce.services.promotions import promotion_save
from tests.factories.api import error_attrs
from tests.factories.commerce import CustomerGroupFactory, ProductFactory, make_customer

pytestmark = pytest.mark.django_db
API = "/api/commerce/promotions/"


def body(**data):
    return {"name": "Spring sale", "kind": "percentage", "value": "10.00", **data}


def test_managers_make_promotions_everyone_reads_them_and_reps_cannot_change_them(key_client, manager, rep):
    product = ProductFactory(organization=manager.organization)
    group = CustomerGroupFactory(organization=manager.organization)
    response = key_client(manager).post(
        API,
        body(
            scope="products",
            products=[product.pk],
            valid_from="2030-01-01T00:00:00Z",
            valid_to="2030-02-01T00:00:00Z",
            minimum_subtotal="50.00",
            currency="usd",
            customer_group=group.pk,
            conditions=[{"kind": "customer_group", "params": {"ids": [group.pk]}}],
        ),
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["products"] == [product.pk] and created["currency"] == "USD"
    assert created["conditions"] == [{"kind": "customer_group", "params": {"ids": [group.pk]}}]
    reader = key_client(rep)
    assert reader.get(f"{API}{created['id']}/").json()["name"] == "Spring sale"
    assert reader.post(API, body()).status_code == 403
    assert reader.patch(f"{API}{created['id']}/", {"value": "99"}).status_code == 403
    assert key_client(manager).patch(f"{API}{created['id']}/", {"value": "15"}).json()["value"] == "15.00"
    # Both writes are in the change log, under the record type the feed names "promotion".
    entries = ChangeLogEntry.objects.filter(
        content_type_id__in=list(change_types.content_type_ids(["promotion"])), object_id=created["id"]
    ).order_by("id")
    assert [(entry.action, entry.version) for entry in entries] == [("create", 1), ("update", 2)]


@pytest.mark.parametrize(
    ("data", "attrs"),
    [
        (body(value="100.01"), {"value"}),
        (body(value="-1"), {"value"}),
        (body(kind="fixed_amount", value="5"), {"currency"}),
        (body(minimum_subtotal="10"), {"currency"}),
        (body(minimum_subtotal="-10", currency="USD"), {"minimum_subtotal"}),
        (body(scope="products"), {"products"}),
        (body(valid_from="2030-02-01T00:00:00Z", valid_to="2030-01-01T00:00:00Z"), {"valid_to"}),
        (body(products=list(range(1, MAX_PRODUCTS + 2))), {"products"}),
        (body(conditions=[{"kind": "no-such-kind", "params": {}}]), {"conditions.0.kind"}),
        (body(conditions=[{"kind": "customer", "params": {"ids": "all"}}]), {"conditions"}),
        (body(conditions=[{"kind": "customer", "params": {"ids": [1]}}] * 11), {"conditions.non_field_errors"}),
        (body(name=""), {"name"}),
        (body(priority=40000), {"priority"}),
        (body(value=10), {"value"}),
    ],
)
def test_bad_promotions_are_refused_naming_the_field(key_client, manager, data, attrs):
    response = key_client(manager).post(API, data)
    assert response.status_code == 400 and error_attrs(response) == attrs, response.content
    assert not Promotion.objects.exists()


def test_another_organizations_products_groups_and_promotions_are_out_of_reach(key_client, manager, outsider):
    theirs = ProductFactory(organization=outsider.organization)
    their_group = CustomerGroupFactory(organization=outsider.organization)
    api = key_client(manager)
    response = api.post(API, body(scope="products", products=[theirs.pk]))
    assert response.status_code == 400 and error_attrs(response) == {"products"}
    response = api.post(API, body(customer_group=their_group.pk))
    assert response.status_code == 400 and error_attrs(response) == {"customer_group"}
    foreign = promotion_save(actor=outsider, data={"name": "Theirs", "value": "5"})
    assert api.get(f"{API}{foreign.pk}/").status_code == 404
    assert api.get(API).json()["count"] == 0


def test_the_list_filters_sorts_and_costs_the_same_at_any_size(key_client, manager, django_assert_num_queries):
    products = [ProductFactory(organization=manager.organization) for _ in range(3)]
    api = key_client(manager)

    def make(count, offset):
        for index in range(count):
            promotion_save(
                actor=manager,
                data={"name": f"P{offset + index:02d}", "value": "1", "scope": "products", "products": products,
                      "active": index % 2 == 0},
            )  # fmt: skip

    make(2, 0)
    api.get(API)  # the first request of a client reads what later ones find cached
    with CaptureQueriesContext(connection) as small:
        api.get(API)
    make(20, 10)
    with django_assert_num_queries(len(small.captured_queries)):
        assert api.get(API).json()["count"] == 22
    names = [row["name"] for row in api.get(API, {"ordering": "-name", "active": "true"}).json()["results"]]
    assert names == sorted(names, reverse=True) and len(names) == 11
    assert [row["name"] for row in api.get(API, {"q": "P1"}).json()["results"]][:1] == ["P10"]


def test_a_deleted_promotion_leaves_the_orders_it_discounted_as_they_were(key_client, manager):
    promotion = promotion_save(actor=manager, data={"name": "Gone soon", "value": "50"})
    product = ProductFactory(organization=manager.organization, unit_price=Decimal("20.00"))
    order = order_place(
        actor=manager, customer=make_customer(manager, "Buyer"), lines=[LineInput(product=product, quantity=1)]
    )
    assert key_client(manager).delete(f"{API}{promotion.pk}/").status_code == 204
    order.refresh_from_db()
    assert (order.discount, order.total) == (Decimal("10.00"), Decimal("10.00"))
    applied = AppliedPromotion.objects.get(order=order)
    assert (applied.name, applied.promotion_id, applied.amount) == ("Gone soon", None, Decimal("10.00"))


def test_the_admin_saves_through_the_service_with_the_same_checks(client, org_admin):
    product = ProductFactory(organization=org_admin.organization)
    client.force_login(org_admin)
    url = reverse("admin:commerce_promotion_add")
    data = {
        "name": "Admin promo",
        "kind": "percentage",
        "value": "120",
        "currency": "",
        "scope": "products",
        "conditions": "[]",
        "condition_match": "all",
        "priority": "100",
        "active": "on",
    }
    response = client.post(url, data)
    assert response.status_code == 200 and "A percentage is from 0 to 100." in response.content.decode()
    response = client.post(url, {**data, "value": "20", "products": [product.pk]})
    assert response.status_code == 302, response.content.decode()[:3000]
    promotion = Promotion.objects.get(name="Admin promo")
    assert list(promotion.products.all()) == [product] and promotion.value == Decimal("20.00")
    assert client.get(reverse("admin:commerce_promotion_changelist")).status_code == 200
