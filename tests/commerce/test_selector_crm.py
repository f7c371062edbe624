"""The CRM customer selector through the POS endpoints, with the generic REST connector and a local JSON REST
CRM: it takes over while the connector is on, searches by e-mail, name or phone (or explicit filters), shows,
creates and edits the CRM's customers with errors per field, and sells to them on the anonymous customer with
the CRM reference and category keys only."""

import pytest

from commerce.models import CommerceCustomer, Order
from commerce.selector import customer_selector_for
from crmconnector.services import activation_update
from tests.commerce.crm_support import SELECTOR, labels, sell
from tests.factories.api import error_attrs

pytestmark = pytest.mark.django_db


def test_the_crm_selector_takes_over_while_the_connector_is_on_and_gives_way_when_it_is_off(
    key_client, rep, org_admin, crm_on
):
    api = key_client(rep)
    body = api.get(f"{SELECTOR}/").json()
    assert body["backend"] == "crm"
    fields = {field["key"]: field for field in body["fields"]}
    assert list(fields) == ["id", "first_name", "last_name", "email", "phone", "birthday", "category"]
    assert fields["email"]["type"] == "email" and fields["phone"]["type"] == "phone"
    assert fields["email"]["searchable"] and not fields["birthday"]["searchable"]
    assert fields["last_name"]["required"] and fields["last_name"]["max_length"] == 50
    assert not fields["last_name"]["required_on_edit"]
    assert not fields["id"]["in_create"] and not fields["id"]["in_edit"] and fields["id"]["in_detail"]
    assert fields["category"]["type"] == "choice"
    assert [(c["value"], c["label"]) for c in fields["category"]["choices"]] == [("STD", "Standard"), ("VIP", "VIP")]

    activation_update(actor=org_admin, enabled=False, configuration=crm_on)
    assert api.get(f"{SELECTOR}/").json()["backend"] == "standard"
    assert customer_selector_for(actor=rep).key == "standard"
    activation_update(actor=org_admin, enabled=True, configuration=crm_on)
    assert customer_selector_for(actor=rep).key == "crm"


def test_search_by_email_name_or_phone_picks_the_filter_by_the_query_shape(key_client, rep, crm_on, people):
    api = key_client(rep)

    def search(q):
        return labels(api.get(f"{SELECTOR}/customers/", {"q": q}))

    assert search("alice@example.com") == ["Alice Martin"]
    assert search("@example.org") == ["Bob Martinez"]  # an e-mail filter, not a name one
    assert search("Martin") == ["Alice Martin", "Bob Martinez"]
    assert search("Alice Martin") == ["Alice Martin"]  # first and last name
    assert search("carol") == ["Carol Kingsley"]  # by first name when no last name matches
    assert search("600 111") == ["Alice Martin"]
    assert search("555 0199") == ["Bob Martinez"]
    assert search("nobody@example.com") == []
    assert search("a") == []  # too short to ask the CRM
    row = api.get(f"{SELECTOR}/customers/", {"q": "alice@example.com"}).json()["results"][0]
    assert row["reference"] == people["alice"]["id"]
    assert row["values"]["category"] == "VIP" and row["values"]["phone"] == "+34 600 111 222"
    assert row["version"] is None


def test_explicit_filters_must_all_match_and_be_searchable(key_client, rep, crm_on, people):
    api = key_client(rep)
    url = f"{SELECTOR}/customers/"
    assert labels(api.get(url, {"filter": ["last_name:Martin", "first_name:Bob"]})) == ["Bob Martinez"]
    assert labels(api.get(url, {"filter": "email:carol@"})) == ["Carol Kingsley"]
    refused = api.get(url, {"filter": "birthday:1990"})
    assert refused.status_code == 400 and error_attrs(refused) == {"birthday"}
    malformed = api.get(url, {"filter": "no-colon"})
    assert malformed.status_code == 400 and error_attrs(malformed) == {"filter"}
    assert api.get(url, {"filter": [f"email:{i}" for i in range(11)]}).status_code == 400


def test_a_customer_is_shown_created_and_edited_in_the_crm_with_errors_per_field(
    key_client, rep, rest_crm, crm_on, people
):
    api = key_client(rep)
    shown = api.get(f"{SELECTOR}/customers/{people['alice']['id']}/").json()
    assert shown["label"] == "Alice Martin" and shown["values"]["email"] == "alice@example.com"
    assert api.get(f"{SELECTOR}/customers/C99999/").status_code == 404

    # Checked per property before anything is sent: the CRM hears nothing of these.
    before = rest_crm.state.requests
    refused = api.post(
        f"{SELECTOR}/customers/",
        {"values": {"first_name": "Dan", "email": "not an e-mail", "phone": "12", "category": "GOLD"}},
        format="json",
    )
    assert refused.status_code == 400
    assert error_attrs(refused) == {"last_name", "email", "phone", "category"}
    too_long = api.post(f"{SELECTOR}/customers/", {"values": {"last_name": "x" * 51}}, format="json")
    assert error_attrs(too_long) == {"last_name"}
    assert rest_crm.state.requests == before

    # The CRM's own refusal (it refuses the .invalid domain) comes back next to its field.
    crm_refused = api.post(
        f"{SELECTOR}/customers/", {"values": {"last_name": "Doe", "email": "dan@doe.invalid"}}, format="json"
    )
    assert crm_refused.status_code == 400 and error_attrs(crm_refused) == {"email"}
    assert "The CRM says this e-mail is not valid." in crm_refused.content.decode()
    assert rest_crm.state.requests == before + 1

    created = api.post(
        f"{SELECTOR}/customers/",
        {"values": {"first_name": "Dan", "last_name": "Doe", "email": "dan@doe.example", "category": "VIP"}},
        format="json",
    )
    assert created.status_code == 201, created.content
    reference = created.json()["reference"]
    assert created.json()["label"] == "Dan Doe"
    assert rest_crm.state.customers[reference]["email"] == "dan@doe.example"
    duplicate = api.post(
        f"{SELECTOR}/customers/", {"values": {"last_name": "Again", "email": "dan@doe.example"}}, format="json"
    )
    assert duplicate.status_code == 409

    edited = api.patch(f"{SELECTOR}/customers/{reference}/", {"values": {"phone": "+34 611 222 333"}}, format="json")
    assert edited.status_code == 200 and edited.json()["values"]["phone"] == "+34 611 222 333"
    assert rest_crm.state.customers[reference]["phone"] == "+34 611 222 333"
    not_editable = api.patch(f"{SELECTOR}/customers/{reference}/", {"values": {"id": "C1"}}, format="json")
    assert not_editable.status_code == 400 and error_attrs(not_editable) == {"id"}
    assert CommerceCustomer.objects.filter(name__icontains="Doe").count() == 0  # nothing of them stored here


def test_a_sale_to_a_crm_customer_goes_on_the_anonymous_customer_with_the_reference_and_category_only(
    key_client, rep, crm_on, people, pen
):
    api = key_client(rep)
    alice = people["alice"]
    basket = {"customer": alice["id"], "lines": [{"product": pen.pk, "quantity": 1}]}
    priced = api.post("/api/commerce/pos/price/", basket, format="json")
    assert priced.status_code == 200 and priced.json()["total"] == "10.00"
    sold = sell(api, pen, customer=alice["id"])
    assert sold.status_code == 201, sold.content
    assert sold.json()["crm_reference"] == alice["id"]
    order = Order.objects.get(pk=sold.json()["order"])
    assert sold.json()["url"].endswith(f"/orders/{order.pk}/")
    assert order.customer.is_anonymous and order.customer.name == "Anonymous customer"
    assert order.crm_reference == alice["id"] and order.crm_category_keys == {"category": "VIP"}
    assert order.paid_amount == order.total

    # The promotion conditions' contract, exactly.
    chosen = customer_selector_for(actor=rep).order_customer(actor=rep, reference=people["bob"]["id"])
    assert chosen.attributes == {"crm_reference": people["bob"]["id"], "crm": {"category": None}}
    assert chosen.customer.pk == order.customer_id


def test_the_anonymous_customer_is_not_offered_by_the_standard_search(key_client, rep, org_admin, crm_on):
    anonymous = CommerceCustomer.objects.get(organization=rep.organization, is_anonymous=True)
    activation_update(actor=org_admin, enabled=False, configuration=crm_on)
    api = key_client(rep)
    assert labels(api.get(f"{SELECTOR}/customers/", {"q": "anonymous"})) == []
    assert api.get(f"{SELECTOR}/customers/{anonymous.pk}/").status_code == 200  # still shown on its orders
