"""The commerce REST API: customers, groups, customer users, products, orders and the strategy, through the
same rules as the services, with another organization's rows out of sight and errors naming the field."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from accounts.models import Account
from backoffice.models import Job
from commerce.models import CommerceCustomer, CustomerUser, Order, Product
from commerce.services.strategy import RELATION_JOB
from tests.factories import AccountFactory
from tests.factories.api import error_attrs, ids
from tests.factories.commerce import CustomerGroupFactory, ProductFactory, make_customer, make_order

pytestmark = pytest.mark.django_db

API = "/api/commerce"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def error_codes(response) -> list[tuple[str, str]]:
    return [(error["attr"], error["code"]) for error in response.json()["errors"]]


# ---------------------------------------------------------------- customers


def test_customer_created_without_account_gets_one_named_after_it(rep):
    response = client_for(rep).post(f"{API}/customers/", {"name": "Initech"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    account = Account.objects.get(pk=body["account"])
    assert account.name == "Initech"
    assert account.owner_id == rep.pk
    assert body["parent"] is None and body["children"] == [] and body["depth"] == 0


def test_customer_under_root_strategy_takes_root_account(org_admin):
    client = client_for(org_admin)
    assert client.put(f"{API}/account-strategy/", {"strategy": "root"}, format="json").status_code == 200
    root = client.post(f"{API}/customers/", {"name": "Holding"}, format="json").json()
    child = client.post(f"{API}/customers/", {"name": "Division", "parent": root["id"]}, format="json").json()
    assert child["account"] == root["account"]
    assert child["root"] == root["id"] and child["depth"] == 1
    detail = client.get(f"{API}/customers/{root['id']}/").json()
    assert detail["children"] == [child["id"]]


def test_customer_given_account_keeps_it(rep):
    account = AccountFactory(owner=rep)
    response = client_for(rep).post(f"{API}/customers/", {"name": "Hooli", "account": account.pk}, format="json")
    assert response.status_code == 201
    assert response.json()["account"] == account.pk


def test_parent_cycle_is_refused_naming_parent(rep):
    root = make_customer(rep, "Root")
    child = make_customer(rep, "Child", parent=root)
    client = client_for(rep)
    response = client.patch(f"{API}/customers/{root.pk}/", {"parent": child.pk}, format="json")
    assert response.status_code == 400
    assert error_attrs(response) == {"parent"}
    assert "own ancestor" in response.json()["errors"][0]["detail"]
    for wrong in ("", str(child.pk), True):
        typed = client.patch(f"{API}/customers/{root.pk}/", {"parent": wrong}, format="json")
        assert typed.status_code == 400 and error_attrs(typed) == {"parent"}, wrong
    own = client.patch(f"{API}/customers/{root.pk}/", {"parent": root.pk}, format="json")
    assert own.status_code == 400 and error_attrs(own) == {"parent"}
    root.refresh_from_db()
    assert root.parent_id is None


def test_parent_change_moves_the_subtree(rep):
    a, b = make_customer(rep, "A"), make_customer(rep, "B")
    a_child = make_customer(rep, "A1", parent=a)
    response = client_for(rep).patch(f"{API}/customers/{a.pk}/", {"parent": b.pk}, format="json")
    assert response.status_code == 200, response.json()
    a_child.refresh_from_db()
    assert (a_child.root_id, a_child.depth) == (b.pk, 2)


def test_customer_update_with_stale_if_match_is_refused(rep):
    customer = make_customer(rep, "Versioned")
    client = client_for(rep)
    response = client.patch(f"{API}/customers/{customer.pk}/", {"name": "New"}, format="json", HTTP_IF_MATCH='"99"')
    assert response.status_code == 412
    ok = client.patch(
        f"{API}/customers/{customer.pk}/", {"name": "New"}, format="json", HTTP_IF_MATCH=f'"{customer.version}"'
    )
    assert ok.status_code == 200 and ok.json()["name"] == "New"


def test_move_customer_to_another_account_moves_its_value(rep):
    customer = make_customer(rep, "Mover")
    make_order(rep, customer, price="40.00", paid=True)
    old_account = Account.objects.get(pk=customer.account_id)
    target = AccountFactory(owner=rep)
    response = client_for(rep).post(f"{API}/customers/{customer.pk}/move/", {"account": target.pk}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["account"] == target.pk
    old_account.refresh_from_db()
    target.refresh_from_db()
    assert old_account.lifetime_value == Decimal("0.00")
    assert target.lifetime_value == Decimal("40.00")


def test_move_to_another_organizations_account_names_the_field(rep, outsider):
    customer = make_customer(rep, "Mover")
    foreign = AccountFactory(owner=outsider)
    response = client_for(rep).post(f"{API}/customers/{customer.pk}/move/", {"account": foreign.pk}, format="json")
    assert response.status_code == 400
    assert error_attrs(response) == {"account"}


def test_customer_list_search_and_filters(rep):
    root = make_customer(rep, "Umbrella Holding")
    make_customer(rep, "Umbrella Labs", parent=root)
    make_customer(rep, "Tyrell")
    client = client_for(rep)
    assert len(ids(client.get(f"{API}/customers/", {"q": "umbrella"}))) == 2
    assert ids(client.get(f"{API}/customers/", {"root": root.pk})) == [
        CommerceCustomer.objects.get(name="Umbrella Labs").pk
    ]
    assert len(ids(client.get(f"{API}/customers/", {"is_root": "true"}))) == 2
    bad = client.get(f"{API}/customers/", {"is_root": "maybe"})
    assert bad.status_code == 400 and error_attrs(bad) == {"is_root"}
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    names = {p["name"] for p in schema["paths"]["/api/commerce/customers/"]["get"]["parameters"]}
    assert "archived" not in names and {"q", "root", "is_root", "cursor"} <= names


def test_customer_list_pages_by_cursor(rep):
    for n in range(5):
        make_customer(rep, f"Customer {n}")
    client = client_for(rep)
    first = client.get(f"{API}/customers/", {"page_size": 3}).json()
    second = client.get(first["next"]).json()
    names = [row["name"] for row in first["results"] + second["results"]]
    assert names == [f"Customer {n}" for n in range(5)]
    assert second["next"] is None


# ---------------------------------------------------------------- tenancy and roles


def test_another_organizations_rows_answer_404(rep, outsider):
    customer = make_customer(rep, "Private")
    product = ProductFactory(organization=rep.organization)
    group = CustomerGroupFactory(organization=rep.organization)
    order = make_order(rep, customer)
    user = client_for(rep).post(
        f"{API}/customer-users/",
        {
            "first_name": "A",
            "last_name": "B",
            "email": "a@example.com",
            "password": "long enough",
            "customer": customer.pk,
        },
        format="json",
    )
    assert user.status_code == 201
    client = client_for(outsider)
    for path in (
        f"customers/{customer.pk}/",
        f"products/{product.pk}/",
        f"customer-groups/{group.pk}/",
        f"orders/{order.pk}/",
        f"customer-users/{user.json()['id']}/",
    ):
        assert client.get(f"{API}/{path}").status_code == 404, path
        assert client.patch(f"{API}/{path}", {}, format="json").status_code in (404, 405), path
    for verb in ("cancel", "ship", "close"):
        assert client.post(f"{API}/orders/{order.pk}/{verb}/").status_code == 404, verb
    assert client.delete(f"{API}/orders/{order.pk}/").status_code == 404
    assert client.delete(f"{API}/products/{product.pk}/").status_code == 404
    assert client.post(f"{API}/customers/{customer.pk}/move/", {"account": 1}, format="json").status_code == 404
    for path in ("customers", "products", "customer-groups", "orders", "customer-users"):
        assert ids(client.get(f"{API}/{path}/")) == [], path
    order.refresh_from_db()
    assert order.status == "open"


def test_order_of_another_organizations_customer_is_refused_naming_the_field(rep, outsider):
    foreign = make_customer(outsider, "Foreign")
    product = ProductFactory(organization=rep.organization)
    response = client_for(rep).post(
        f"{API}/orders/", {"customer": foreign.pk, "lines": [{"product": product.pk, "quantity": 1}]}, format="json"
    )
    assert response.status_code == 400
    assert error_attrs(response) == {"customer"}


def test_rep_cannot_change_what_only_managers_may(rep, manager):
    product = ProductFactory(organization=rep.organization)
    group = CustomerGroupFactory(organization=rep.organization)
    others = make_customer(manager, "Manager's")
    client = client_for(rep)
    assert client.patch(f"{API}/products/{product.pk}/", {"name": "X"}, format="json").status_code == 403
    assert client.delete(f"{API}/products/{product.pk}/").status_code == 403
    assert client.patch(f"{API}/customer-groups/{group.pk}/", {"name": "X"}, format="json").status_code == 403
    assert client.patch(f"{API}/customers/{others.pk}/", {"name": "X"}, format="json").status_code == 403
    order = make_order(manager, others)
    assert client.post(f"{API}/orders/{order.pk}/cancel/").status_code == 403
    assert client.delete(f"{API}/orders/{order.pk}/").status_code == 403
    assert Order.objects.filter(pk=order.pk, status="open").exists()
    product.refresh_from_db()
    assert product.name != "X"
    assert client_for(manager).patch(f"{API}/products/{product.pk}/", {"name": "X"}, format="json").status_code == 200


def test_anonymous_callers_are_refused(db):
    assert APIClient().get(f"{API}/customers/").status_code in (401, 403)


# ---------------------------------------------------------------- customer users, groups, products


def test_customer_user_password_is_write_only(rep):
    customer = make_customer(rep, "Shop")
    client = client_for(rep)
    response = client.post(
        f"{API}/customer-users/",
        {
            "first_name": "Ann",
            "last_name": "Lee",
            "email": "ann@example.com",
            "password": "s3cret-pass",
            "customer": customer.pk,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert "password" not in response.json()
    stored = CustomerUser.objects.get(pk=response.json()["id"])
    assert stored.password != "s3cret-pass" and stored.password.startswith(("pbkdf2", "argon2", "md5", "bcrypt"))
    detail = client.get(f"{API}/customer-users/{stored.pk}/").json()
    assert "password" not in detail
    assert all("password" not in row for row in client.get(f"{API}/customer-users/").json()["results"])


def test_customer_user_needs_a_password_and_a_unique_email(rep):
    customer = make_customer(rep, "Shop")
    client = client_for(rep)
    body = {"first_name": "Ann", "last_name": "Lee", "email": "ann@example.com", "customer": customer.pk}
    missing = client.post(f"{API}/customer-users/", body, format="json")
    assert missing.status_code == 400 and error_attrs(missing) == {"password"}
    assert client.post(f"{API}/customer-users/", {**body, "password": "long enough"}, format="json").status_code == 201
    taken = client.post(
        f"{API}/customer-users/", {**body, "email": "ANN@example.com", "password": "long enough"}, format="json"
    )
    assert taken.status_code == 400 and error_attrs(taken) == {"email"}
    short = client.post(f"{API}/customer-users/", {**body, "email": "b@example.com", "password": "x"}, format="json")
    assert short.status_code == 400 and error_attrs(short) == {"password"}


def test_customer_user_password_changes_only_when_given(manager):
    customer = make_customer(manager, "Shop")
    client = client_for(manager)
    created = client.post(
        f"{API}/customer-users/",
        {
            "first_name": "A",
            "last_name": "B",
            "email": "ab@example.com",
            "password": "first-pass",
            "customer": customer.pk,
        },
        format="json",
    ).json()
    before = CustomerUser.objects.get(pk=created["id"]).password
    assert client.patch(f"{API}/customer-users/{created['id']}/", {"first_name": "C"}, format="json").status_code == 200
    assert CustomerUser.objects.get(pk=created["id"]).password == before
    assert (
        client.patch(f"{API}/customer-users/{created['id']}/", {"password": "second-pass"}, format="json").status_code
        == 200
    )
    assert CustomerUser.objects.get(pk=created["id"]).password != before


def test_product_sku_unique_per_organization(manager, outsider):
    client = client_for(manager)
    body = {"sku": "A-1", "name": "Anvil", "unit_price": "12.50", "currency": "USD"}
    first = client.post(f"{API}/products/", body, format="json")
    assert first.status_code == 201 and first.json()["unit_price"] == "12.50"
    again = client.post(f"{API}/products/", body, format="json")
    assert again.status_code == 400 and error_attrs(again) == {"sku"}
    assert client_for(outsider).post(f"{API}/products/", body, format="json").status_code == 201
    other = client.post(f"{API}/products/", {**body, "sku": "A-2"}, format="json").json()
    clash = client.patch(f"{API}/products/{other['id']}/", {"sku": "A-1"}, format="json")
    assert clash.status_code == 400 and error_attrs(clash) == {"sku"}


def test_product_amounts_and_flags_take_only_their_json_types(manager):
    client = client_for(manager)
    number = client.post(
        f"{API}/products/", {"sku": "N", "name": "N", "unit_price": 12.5, "currency": "USD"}, format="json"
    )
    assert number.status_code == 400 and error_attrs(number) == {"unit_price"}
    flag = client.post(
        f"{API}/products/",
        {"sku": "F", "name": "F", "unit_price": "1.00", "currency": "USD", "active": 1},
        format="json",
    )
    assert flag.status_code == 400 and error_attrs(flag) == {"active"}
    negative = client.post(
        f"{API}/products/", {"sku": "M", "name": "M", "unit_price": "-1", "currency": "USD"}, format="json"
    )
    assert negative.status_code == 400 and error_attrs(negative) == {"unit_price"}
    assert not Product.objects.filter(organization=manager.organization).exists()


def test_product_sold_cannot_be_deleted(manager):
    customer = make_customer(manager, "Buyer")
    product = ProductFactory(organization=manager.organization)
    make_order(manager, customer, product=product)
    response = client_for(manager).delete(f"{API}/products/{product.pk}/")
    assert response.status_code == 409
    assert Product.objects.filter(pk=product.pk).exists()
    unsold = ProductFactory(organization=manager.organization)
    assert client_for(manager).delete(f"{API}/products/{unsold.pk}/").status_code == 204


def test_customer_group_names_are_unique(manager):
    client = client_for(manager)
    assert client.post(f"{API}/customer-groups/", {"name": "Wholesale"}, format="json").status_code == 201
    again = client.post(f"{API}/customer-groups/", {"name": "Wholesale"}, format="json")
    assert again.status_code == 400 and error_attrs(again) == {"name"}
    blank = client.post(f"{API}/customer-groups/", {"name": "  "}, format="json")
    assert blank.status_code == 400 and error_attrs(blank) == {"name"}


# ---------------------------------------------------------------- orders


def _place(client, customer, product, **extra):
    return client.post(
        f"{API}/orders/",
        {"customer": customer.pk, "lines": [{"product": product.pk, "quantity": 2}], **extra},
        format="json",
    )


def test_order_place_pay_refund_cancel(rep):
    customer = make_customer(rep, "Buyer")
    product = ProductFactory(organization=rep.organization, unit_price=Decimal("25.00"), currency="USD")
    client = client_for(rep)
    placed = _place(client, customer, product, discount="5.00")
    assert placed.status_code == 201, placed.json()
    order = placed.json()
    assert (order["subtotal"], order["discount"], order["total"]) == ("50.00", "5.00", "45.00")
    assert order["lines"][0]["unit_price"] == "25.00" and order["lines"][0]["amount"] == "50.00"
    assert order["payment_status"] == "pending"
    paid = client.post(f"{API}/orders/{order['id']}/pay/", {"amount": "45.00", "method": "cash"}, format="json")
    assert paid.status_code == 200, paid.json()
    assert paid.json()["payment_status"] == "paid" and paid.json()["paid_amount"] == "45.00"
    customer.refresh_from_db()
    assert customer.lifetime_value == Decimal("50.00")
    refunded = client.post(f"{API}/orders/{order['id']}/refund/", {"amount": "10.00", "reason": "dent"}, format="json")
    assert refunded.status_code == 200
    assert refunded.json()["payment_status"] == "partially_refunded"
    cancelled = client.post(f"{API}/orders/{order['id']}/cancel/")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    customer.refresh_from_db()
    assert customer.lifetime_value == Decimal("0.00")


def test_refused_order_transitions_say_why(rep):
    customer = make_customer(rep, "Buyer")
    product = ProductFactory(organization=rep.organization, unit_price=Decimal("10.00"))
    client = client_for(rep)
    order = _place(client, customer, product).json()
    early = client.post(f"{API}/orders/{order['id']}/refund/", {"amount": "1.00"}, format="json")
    assert early.status_code == 409
    assert "paid in full" in early.json()["errors"][0]["detail"]
    over = client.post(f"{API}/orders/{order['id']}/pay/", {"amount": "20.01"}, format="json")
    assert over.status_code == 400 and error_attrs(over) == {"amount"}
    assert client.post(f"{API}/orders/{order['id']}/pay/", {"amount": "20.00"}, format="json").status_code == 200
    too_much = client.post(f"{API}/orders/{order['id']}/refund/", {"amount": "20.01"}, format="json")
    assert too_much.status_code == 400 and error_attrs(too_much) == {"amount"}
    assert "At most 20.00" in too_much.json()["errors"][0]["detail"]
    zero = client.post(f"{API}/orders/{order['id']}/pay/", {"amount": "0.00"}, format="json")
    assert zero.status_code in (400, 409)
    assert client.post(f"{API}/orders/{order['id']}/cancel/").status_code == 200
    again = client.post(f"{API}/orders/{order['id']}/cancel/")
    assert again.status_code == 409 and "cannot be cancelled" in again.json()["errors"][0]["detail"]
    pay_cancelled = client.post(f"{API}/orders/{order['id']}/pay/", {"amount": "1.00"}, format="json")
    assert pay_cancelled.status_code == 409
    assert Order.objects.get(pk=order["id"]).paid_amount == Decimal("20.00")


def test_order_input_errors_name_the_field(rep):
    customer = make_customer(rep, "Buyer")
    product = ProductFactory(organization=rep.organization)
    client = client_for(rep)
    empty = client.post(f"{API}/orders/", {"customer": customer.pk, "lines": []}, format="json")
    assert empty.status_code == 400 and error_attrs(empty) == {"lines.non_field_errors"}
    zero = client.post(
        f"{API}/orders/", {"customer": customer.pk, "lines": [{"product": product.pk, "quantity": 0}]}, format="json"
    )
    assert zero.status_code == 400 and error_attrs(zero) == {"lines.0.quantity"}
    discount = _place(client, customer, product, discount="999.00")
    assert discount.status_code == 400 and error_attrs(discount) == {"discount"}
    number = _place(client, customer, product, discount=5)
    assert number.status_code == 400 and error_attrs(number) == {"discount"}
    assert not Order.objects.exists()


def test_order_list_filters_by_payment_status(rep):
    customer = make_customer(rep, "Buyer")
    paid = make_order(rep, customer, paid=True)
    make_order(rep, customer)
    client = client_for(rep)
    assert ids(client.get(f"{API}/orders/", {"payment_status": "paid"})) == [paid.pk]
    assert client.get(f"{API}/orders/", {"payment_status": "nope"}).status_code == 400


# ---------------------------------------------------------------- account-creation strategy


def test_strategy_read_preview_and_change(org_admin, rep):
    root = make_customer(org_admin, "Root")
    make_customer(org_admin, "Child A", parent=root)
    make_customer(org_admin, "Child B", parent=root)
    client = client_for(org_admin)
    assert client.get(f"{API}/account-strategy/").json() == {"strategy": "each", "job": None, "job_url": None}
    preview = client.get(f"{API}/account-strategy/preview/", {"strategy": "root"})
    assert preview.status_code == 200
    assert preview.json() == {"strategy": "root", "customers": 3, "customers_moving": 2, "accounts_created": 0}
    assert client.get(f"{API}/account-strategy/").json()["strategy"] == "each"  # a preview saves nothing
    bad = client.get(f"{API}/account-strategy/preview/", {"strategy": "all"})
    assert bad.status_code == 400 and error_attrs(bad) == {"strategy"}

    refused = client_for(rep).put(f"{API}/account-strategy/", {"strategy": "root"}, format="json")
    assert refused.status_code == 403
    assert not Job.objects.filter(kind=RELATION_JOB).exists()

    changed = client.put(f"{API}/account-strategy/", {"strategy": "root"}, format="json")
    assert changed.status_code == 200
    body = changed.json()
    job = Job.objects.get(kind=RELATION_JOB, organization=org_admin.organization)
    assert body["strategy"] == "root" and body["job"] == job.pk
    assert body["job_url"].endswith(f"/api/jobs/{job.pk}/")
    assert client.get(body["job_url"]).json()["id"] == job.pk


def test_strategy_of_unknown_value_names_the_field(org_admin):
    response = client_for(org_admin).put(f"{API}/account-strategy/", {"strategy": "every"}, format="json")
    assert response.status_code == 400 and error_attrs(response) == {"strategy"}


def test_order_ship_close_and_delete(rep):
    customer = make_customer(rep, "Buyer")
    client = client_for(rep)
    order = make_order(rep, customer, price="30.00", paid=True)
    shipped = client.post(f"{API}/orders/{order.pk}/ship/")
    assert shipped.status_code == 200 and shipped.json()["status"] == "shipped"
    assert client.post(f"{API}/orders/{order.pk}/close/").json()["status"] == "closed"
    reopened = client.post(f"{API}/orders/{order.pk}/ship/")
    assert reopened.status_code == 409 and "cannot become shipped" in reopened.json()["errors"][0]["detail"]
    customer.refresh_from_db()
    assert customer.lifetime_value == Decimal("30.00")
    assert client.delete(f"{API}/orders/{order.pk}/").status_code == 204
    customer.refresh_from_db()
    assert customer.lifetime_value == Decimal("0.00")
    assert not Order.objects.filter(pk=order.pk).exists()
