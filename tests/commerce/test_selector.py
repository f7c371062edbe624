"""The POS customer selector: search by name, e-mail of a customer user or phone; get, create (with a contact
person who becomes the first customer user) and update; only the caller's organization; errors per field; and a
registry that lets another backend take over."""

import threading

import pytest
from django.db import connection

from commerce.models import CommerceCustomer, CustomerUser
from commerce.selector import (
    CustomerSelector,
    OrderCustomer,
    SelectorCustomer,
    SelectorField,
    SelectorPage,
    SelectorUnavailable,
    SelectorValidationError,
    customer_selector_for,
    customer_selectors,
    selector_resolvers,
)
from commerce.services import customer_update, customer_user_create
from tests.factories.api import error_attrs
from tests.factories.commerce import CustomerGroupFactory, make_customer

pytestmark = pytest.mark.django_db
API = "/api/commerce/selector"


@pytest.fixture
def customers(manager, outsider):
    acme = make_customer(manager, "Acme Retail")
    customer_update(actor=manager, customer=acme, data={"phone": "+1 202 555 0143"})
    customer_user_create(
        actor=manager,
        customer=acme,
        first_name="Ada",
        last_name="Buyer",
        email="ada@acme.example",
        password="secret-pass-1",
    )
    globex = make_customer(manager, "Globex Stores")
    foreign = make_customer(outsider, "Acme Abroad")
    customer_user_create(
        actor=outsider,
        customer=foreign,
        first_name="Eve",
        last_name="Other",
        email="ada@abroad.example",
        password="secret-pass-1",
    )
    return {"acme": acme, "globex": globex, "foreign": foreign}


def search(client, q):
    response = client.get(f"{API}/customers/", {"q": q})
    assert response.status_code == 200, response.content
    return [row["label"] for row in response.json()["results"]]


def test_customers_are_found_by_name_by_a_users_email_and_by_phone_in_the_own_organization_only(
    key_client, rep, customers
):
    api = key_client(rep)
    assert search(api, "acme") == ["Acme Retail"]  # not the other organization's "Acme Abroad"
    assert search(api, "retail acme") == ["Acme Retail"]  # every word, in any order
    assert search(api, "ada@acme") == ["Acme Retail"]
    assert search(api, "ada@abroad.example") == []
    assert search(api, "555 0143") == ["Acme Retail"]
    assert search(api, "(202) 555-01") == ["Acme Retail"]
    assert search(api, "a") == []  # too short to mean anything
    row = api.get(f"{API}/customers/", {"q": "ada@acme"}).json()["results"][0]
    assert row["values"]["emails"] == "ada@acme.example" and row["values"]["phone"] == "+12025550143"


def test_search_is_paged_by_a_bounded_limit_at_a_constant_number_of_queries(
    key_client, manager, django_assert_max_num_queries
):
    for index in range(30):
        make_customer(manager, f"Shop {index:02d}")
    api = key_client(manager)
    body = api.get(f"{API}/customers/", {"q": "shop", "limit": 5}).json()
    assert [row["label"] for row in body["results"]] == [f"Shop {i:02d}" for i in range(5)] and body["has_more"]
    with django_assert_max_num_queries(8):
        assert len(api.get(f"{API}/customers/", {"q": "shop", "limit": 50}).json()["results"]) == 30
    for bad in ({"limit": 0}, {"limit": 51}, {"q": "x" * 101}):
        response = api.get(f"{API}/customers/", {"q": "shop", **bad})
        assert response.status_code == 400 and error_attrs(response) == set(bad)


def test_get_shows_the_detail_and_another_organizations_customer_is_not_found(key_client, rep, customers):
    api = key_client(rep)
    body = api.get(f"{API}/customers/{customers['acme'].pk}/").json()
    assert body["label"] == "Acme Retail" and body["values"]["account"] == "Acme Retail"
    assert body["values"]["lifetime_value"] == "0.00 USD"
    for reference in (customers["foreign"].pk, 999999999, "abc", "9" * 30):
        assert api.get(f"{API}/customers/{reference}/").status_code == 404


def test_the_fields_describe_the_forms_with_the_organizations_groups(key_client, rep, outsider):
    CustomerGroupFactory(organization=rep.organization, name="VIP")
    CustomerGroupFactory(organization=outsider.organization, name="Theirs")
    body = key_client(rep).get(f"{API}/").json()
    assert body["backend"] == "standard"
    fields = {field["key"]: field for field in body["fields"]}
    assert [field["key"] for field in body["fields"] if field["in_create"]] == [
        "name",
        "phone",
        "group",
        "first_name",
        "last_name",
        "email",
    ]
    assert [field["key"] for field in body["fields"] if field["in_edit"]] == ["name", "phone", "group"]
    assert fields["email"]["type"] == "email" and not fields["email"]["in_detail"]
    assert fields["name"]["required"] and fields["emails"]["in_list"]
    assert [choice["label"] for choice in fields["group"]["choices"]] == ["VIP"]


def test_a_new_customer_gets_its_account_phone_and_group(key_client, rep):
    vip = CustomerGroupFactory(organization=rep.organization, name="VIP")
    response = key_client(rep).post(
        f"{API}/customers/", {"values": {"name": "  Walk-in Ltd ", "phone": "+1 202 555 0199", "group": str(vip.pk)}}
    )
    assert response.status_code == 201, response.content
    customer = CommerceCustomer.objects.get(pk=int(response.json()["reference"]))
    assert (customer.name, str(customer.phone), customer.group, customer.owner) == (
        "Walk-in Ltd",
        "+12025550199",
        vip,
        rep,
    )
    assert customer.account.name == "Walk-in Ltd"  # the account-creation strategy gave it one


def test_a_new_customer_with_a_contact_gets_its_first_customer_user_and_is_found_by_that_email(key_client, rep):
    api = key_client(rep)
    contact = {"first_name": " Grace ", "last_name": "Hopper", "email": "grace@walkin.example"}
    response = api.post(f"{API}/customers/", {"values": {"name": "Walk-in Ltd", **contact}})
    assert response.status_code == 201, response.content
    assert response.json()["values"]["emails"] == "grace@walkin.example"
    customer = CommerceCustomer.objects.get(pk=int(response.json()["reference"]))
    user = CustomerUser.objects.get(customer=customer)
    assert (user.first_name, user.last_name, user.email, user.enabled) == (
        "Grace",
        "Hopper",
        "grace@walkin.example",
        True,
    )
    assert not user.password.startswith("pbkdf2") and user.password.startswith("!")  # no sign-in until one is set
    assert search(api, "grace@walkin.example") == ["Walk-in Ltd"]
    # Without a contact, no customer user.
    bare = api.post(f"{API}/customers/", {"values": {"name": "Cash buyer", "first_name": "", "email": ""}})
    assert bare.status_code == 201 and not CustomerUser.objects.filter(customer__name="Cash buyer").exists()


def test_a_contact_is_refused_per_field_and_refused_contacts_leave_no_customer(key_client, rep, outsider, customers):
    api = key_client(rep)
    person = {"first_name": "Ada", "last_name": "Buyer"}
    cases = [
        ({**person, "email": "ADA@acme.example"}, {"email"}, "A customer user with this e-mail exists already."),
        ({**person, "email": ""}, {"email"}, "Enter an e-mail address."),
        ({**person, "email": "not an e-mail"}, {"email"}, None),
        ({"first_name": "Ada", "email": "new@shop.example"}, {"last_name"}, "Enter a name."),
        ({**person, "first_name": "A" * 101, "email": "new@shop.example"}, {"first_name"}, None),
    ]
    for contact, attrs, message in cases:
        response = api.post(f"{API}/customers/", {"values": {"name": "Refused Ltd", **contact}})
        assert response.status_code == 400 and error_attrs(response) == attrs, (contact, response.content)
        if message:
            assert response.json()["errors"][0]["detail"] == message
    assert not CommerceCustomer.objects.filter(name="Refused Ltd").exists()
    # The e-mail is unique per organization: another organization's user does not stop it.
    response = api.post(
        f"{API}/customers/", {"values": {"name": "Abroad's twin", **person, "email": "ada@abroad.example"}}
    )
    assert response.status_code == 201, response.content
    # A contact is given when the customer is made; changing customer users is their own page's work.
    reference = response.json()["reference"]
    response = api.patch(f"{API}/customers/{reference}/", {"values": {"email": "other@shop.example"}})
    assert response.status_code == 400 and error_attrs(response) == {"email"}


@pytest.mark.django_db(transaction=True)
def test_two_cashiers_giving_one_email_at_once_make_one_customer_with_it(rep, manager):
    """Real parallel transactions: the second waits on the first's e-mail and is refused with the field named."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def create(actor, name):
        try:
            barrier.wait(timeout=10)
            customer_selector_for(actor=actor).create(
                actor=actor, values={"name": name, "first_name": "Sam", "last_name": "Lee", "email": "sam@x.example"}
            )
            outcomes.append("ok")
        except SelectorValidationError as error:
            outcomes.append(error.errors)
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=pair) for pair in ((rep, "First Ltd"), (manager, "Second Ltd"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes, key=str) == ["ok", {"email": ["A customer user with this e-mail exists already."]}]
    made = CommerceCustomer.objects.filter(organization=rep.organization)
    assert made.count() == 1 and CustomerUser.objects.get(email="sam@x.example").customer == made.get()


def test_bad_values_are_refused_per_field_and_nothing_is_written(key_client, rep, outsider):
    theirs = CustomerGroupFactory(organization=outsider.organization)
    api = key_client(rep)
    cases = [
        ({"name": ""}, {"name"}),
        ({"name": "X", "phone": "not a phone"}, {"phone"}),
        ({"name": "X", "group": str(theirs.pk)}, {"group"}),
        ({"name": "X", "group": "9" * 40}, {"group"}),
        ({"name": "X" * 256}, {"name"}),
        ({"name": "X", "lifetime_value": "1000"}, {"lifetime_value"}),
    ]
    for values, attrs in cases:
        response = api.post(f"{API}/customers/", {"values": values})
        assert response.status_code == 400 and error_attrs(response) == attrs, (values, response.content)
    response = api.post(f"{API}/customers/", {"values": {"name": 5}})
    assert response.status_code == 400 and error_attrs(response) == {"values.name"}
    assert not CommerceCustomer.objects.filter(organization=rep.organization).exists()


def test_update_changes_the_edit_fields_refuses_a_stale_version_and_respects_ownership(
    key_client, rep, manager, customers
):
    acme = customers["acme"]
    api = key_client(manager)
    body = api.patch(f"{API}/customers/{acme.pk}/", {"values": {"phone": "+1 202 555 0100"}}).json()
    assert body["values"]["phone"] == "+12025550100" and body["values"]["name"] == "Acme Retail"
    stale = api.patch(f"{API}/customers/{acme.pk}/", {"values": {"name": "Renamed"}, "version": 1})
    assert stale.status_code == 409
    assert CommerceCustomer.objects.get(pk=acme.pk).name == "Acme Retail"
    # A rep changes only the customers they own, as everywhere else.
    assert key_client(rep).patch(f"{API}/customers/{acme.pk}/", {"values": {"name": "Mine"}}).status_code == 403
    assert api.patch(f"{API}/customers/{customers['foreign'].pk}/", {"values": {"name": "X"}}).status_code == 404


class _OfflineSelector(CustomerSelector):
    """A backend whose customers live elsewhere and cannot be reached."""

    key = "test-offline"
    label = "Offline CRM"

    def fields(self, *, actor):
        return [SelectorField("name", "Name", in_list=True)]

    def search(self, *, actor, query, limit=20):
        raise SelectorUnavailable("The CRM does not answer.")

    def get(self, *, actor, reference):
        return SelectorCustomer(reference=reference, label="Remote", values={"name": "Remote"})

    def create(self, *, actor, values):
        raise SelectorUnavailable("The CRM does not answer.")

    def update(self, *, actor, reference, values, version=None):
        raise SelectorUnavailable("The CRM does not answer.")

    def order_customer(self, *, actor, reference):
        return OrderCustomer(customer=None)


def test_another_backend_replaces_the_standard_one_for_the_organizations_its_resolver_names(key_client, rep, outsider):
    customer_selectors.register("test-offline", _OfflineSelector())

    def resolver(organization_id):
        return "test-offline" if organization_id == rep.organization_id else None

    selector_resolvers.append(resolver)
    try:
        assert customer_selector_for(actor=outsider).key == "standard"
        api = key_client(rep)
        assert api.get(f"{API}/").json()["backend"] == "test-offline"
        assert api.get(f"{API}/customers/", {"q": "anyone"}).status_code == 503
        assert api.get(f"{API}/customers/R-1/").json() == {
            "reference": "R-1",
            "label": "Remote",
            "values": {"name": "Remote"},
            "version": None,
        }
    finally:
        selector_resolvers.remove(resolver)
        customer_selectors.items.pop("test-offline")
    assert isinstance(SelectorPage(results=[], has_more=False).results, list)


def test_the_pos_page_signed_in_by_session_creates_a_customer(session_client, rep):
    """The page's own calls: a session (not an API key) and its CSRF-checked JSON writes."""
    response = session_client(rep).post(
        f"{API}/customers/",
        {"values": {"name": "Walk-in", "phone": "not a phone", "group": ""}},
        content_type="application/json",
    )
    assert response.status_code == 400 and error_attrs(response) == {"phone"}
    response = session_client(rep).post(
        f"{API}/customers/", {"values": {"name": "Walk-in", "phone": ""}}, content_type="application/json"
    )
    assert response.status_code == 201 and CommerceCustomer.objects.get(name="Walk-in").owner == rep
