"""The product, customer user and customer group pages: lists, forms and their rules, rights, pickers."""

import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from commerce.models import CustomerGroup, CustomerUser, Product
from commerce.services import customer_create, customer_user_create
from tests.factories.commerce import CustomerGroupFactory, ProductFactory

pytestmark = pytest.mark.django_db


def url(name: str, *args) -> str:
    return reverse(f"commerce:{name}", args=args)


def test_product_create_edit_and_unique_sku(session_client, rep, manager, organization):
    client = session_client(manager)
    response = client.post(
        url("product-create"), {"sku": "W-1", "name": "Widget", "unit_price": "9.90", "currency": "usd", "active": "on"}
    )
    product = Product.objects.get(sku="W-1")
    assert response.status_code == 302 and product.currency == "USD" and product.unit_price == Decimal("9.90")
    html = client.post(
        url("product-create"), {"sku": "W-1", "name": "", "unit_price": "-1", "currency": "USD"}
    ).content.decode()
    assert "This field is required." in html and "An amount cannot be negative." in html
    assert "A product with this SKU exists already." in html  # in the same round
    assert Product.objects.count() == 1
    html = client.post(url("product-create"), {"sku": "W-1", "name": "Copy", "unit_price": "1", "currency": "USD"})
    assert "A product with this SKU exists already." in html.content.decode()

    response = client.post(
        url("product-update", product.pk),
        {"sku": "W-1", "name": "Widget Pro", "unit_price": "12", "currency": "USD", "version": product.version},
    )
    assert response.status_code == 302
    product.refresh_from_db()
    assert product.name == "Widget Pro" and not product.active
    # Reps read products; managers and admins change them (as the API).
    rep_client = session_client(rep)
    assert 'id="edit-record"' not in rep_client.get(url("product-detail", product.pk)).content.decode()
    assert rep_client.get(url("product-update", product.pk)).status_code == 403


def test_product_list_search_filter_sort_and_queries(session_client, rep, organization):
    ProductFactory(organization=organization, sku="A-1", name="Anvil", unit_price=Decimal("50"))
    ProductFactory(organization=organization, sku="B-1", name="Bucket", unit_price=Decimal("5"), active=False)
    client = session_client(rep)
    html = client.get(url("product-list"), {"q": "anv"}).content.decode()
    assert "Anvil" in html and "Bucket" not in html
    html = client.get(url("product-list"), {"active": "false"}).content.decode()
    assert "Bucket" in html and "Anvil" not in html
    html = client.get(url("product-list"), {"ordering": "-unit_price"}).content.decode()
    assert html.index("Anvil") < html.index("Bucket")
    client.get(url("product-list"))  # the caches warm, so both counts see the same
    with CaptureQueriesContext(connection) as few:
        client.get(url("product-list"))
    ProductFactory.create_batch(20, organization=organization)
    client.get(url("product-list"))  # the caches warm, so both counts see the same
    with CaptureQueriesContext(connection) as many:
        client.get(url("product-list"))
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def test_customer_user_create_edit_and_rules(session_client, rep, manager):
    customer = customer_create(actor=rep, name="User Holder")
    client = session_client(rep)
    form = client.get(url("customeruser-create"), {"customer": customer.pk}).content.decode()
    assert "User Holder" in form
    html = client.post(
        url("customeruser-create"),
        {"first_name": "", "last_name": "Doe", "email": "not-an-email", "customer": customer.pk, "password": "short"},
    ).content.decode()
    assert "This field is required." in html and "Enter a valid email address." in html
    assert "Ensure this value has at least 8 characters" in html
    assert not CustomerUser.objects.exists()
    response = client.post(
        url("customeruser-create"),
        {
            "first_name": "Jane",
            "last_name": "Doe",
            "email": "jane@example.com",
            "customer": customer.pk,
            "password": "long enough secret",
            "enabled": "on",
        },
    )
    person = CustomerUser.objects.get()
    assert response.status_code == 302 and person.enabled and person.password.startswith("md5$")
    html = client.post(
        url("customeruser-create"),
        {
            "first_name": "J",
            "last_name": "D",
            "email": "JANE@example.com",
            "customer": customer.pk,
            "password": "x" * 9,
        },
    ).content.decode()
    assert "A customer user with this e-mail exists already." in html

    old_hash = person.password
    response = session_client(manager).post(
        url("customeruser-update", person.pk),
        {
            "first_name": "Janet",
            "last_name": "Doe",
            "email": "janet@example.com",
            "customer": customer.pk,
            "password": "",
            "version": person.version,
        },
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.first_name == "Janet" and person.password == old_hash and not person.enabled
    html = session_client(manager).get(url("customeruser-list"), {"q": "janet"}).content.decode()
    assert f'data-row-id="{person.pk}"' in html
    assert "Janet" in session_client(manager).get(url("customer-detail", customer.pk)).content.decode()


def test_customer_user_list_filters_and_queries(session_client, rep):
    first = customer_create(actor=rep, name="First")
    second = customer_create(actor=rep, name="Second")
    customer_user_create(
        actor=rep, customer=first, first_name="Al", last_name="One", email="al@example.com", password="x" * 10
    )
    customer_user_create(
        actor=rep,
        customer=second,
        first_name="Bo",
        last_name="Two",
        email="bo@example.com",
        password="x" * 10,
        enabled=False,
    )
    client = session_client(rep)
    html = client.get(url("customeruser-list"), {"customer": first.pk}).content.decode()
    assert "al@example.com" in html and "bo@example.com" not in html and "Customer: First" in html
    html = client.get(url("customeruser-list"), {"enabled": "false"}).content.decode()
    assert "bo@example.com" in html and "al@example.com" not in html
    client.get(url("customeruser-list"))  # the caches warm, so both counts see the same
    with CaptureQueriesContext(connection) as few:
        client.get(url("customeruser-list"))
    for number in range(10):
        customer_user_create(
            actor=rep,
            customer=customer_create(actor=rep, name=f"C{number}"),
            first_name="X",
            last_name=f"Y{number}",
            email=f"x{number}@example.com",
            password="x" * 10,
        )
    client.get(url("customeruser-list"))  # the caches warm, so both counts see the same
    with CaptureQueriesContext(connection) as many:
        client.get(url("customeruser-list"))
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def test_customer_groups(session_client, rep, manager, organization):
    client = session_client(rep)
    response = client.post(url("customergroup-create"), {"name": "Gold"})
    group = CustomerGroup.objects.get()
    assert response.status_code == 302
    html = client.post(url("customergroup-create"), {"name": "Gold"}).content.decode()
    assert "A customer group with this name exists already." in html
    customer_create(actor=rep, name="Gold Member", group=group)
    html = client.get(url("customergroup-update", group.pk)).content.decode()
    assert "Gold Member" in html and 'id="record-form"' not in html  # reps read groups, managers rename them
    assert client.post(url("customergroup-update", group.pk), {"name": "Platinum"}).status_code == 403
    assert session_client(manager).post(url("customergroup-update", group.pk), {"name": "Platinum"}).status_code == 302
    group.refresh_from_db()
    assert group.name == "Platinum"
    html = session_client(manager).get(url("customergroup-list"), {"q": "plat"}).content.decode()
    assert f'data-row-id="{group.pk}"' in html


def test_pickers_offer_only_the_organizations_rows(session_client, rep, outsider, organization, other_organization):
    customer_create(actor=rep, name="Picked Inc")
    customer_create(actor=outsider, name="Picked Elsewhere")
    ProductFactory(organization=organization, sku="PICK-1", name="Pickaxe")
    ProductFactory(organization=other_organization, sku="PICK-2", name="Pick far away")
    CustomerGroupFactory(organization=organization, name="Pickers")
    client = session_client(rep)

    def texts(kind: str, q: str) -> list[str]:
        response = client.get(url("picker", kind), {"q": q})
        return [option["text"] for option in json.loads(response.content)["results"]]

    assert texts("customer", "picked") == ["Picked Inc"]
    assert texts("product", "pick") == ["PICK-1 Pickaxe"]
    assert texts("group", "pick") == ["Pickers"]
    assert client.get(url("picker", "nothing")).status_code == 404


def test_another_organization_gets_404(session_client, rep, outsider, organization):
    customer = customer_create(actor=rep, name="Hidden")
    person = customer_user_create(
        actor=rep, customer=customer, first_name="H", last_name="I", email="h@example.com", password="x" * 10
    )
    product = ProductFactory(organization=organization)
    group = CustomerGroupFactory(organization=organization)
    client = session_client(outsider)
    for name, pk in [
        ("customeruser-detail", person.pk),
        ("customeruser-update", person.pk),
        ("product-detail", product.pk),
        ("product-update", product.pk),
        ("customergroup-update", group.pk),
    ]:
        assert client.get(url(name, pk)).status_code == 404, name
