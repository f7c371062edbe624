"""CRM REST API: create, read, update and delete each record type, bad input, actions, filters, ordering."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import (
    Account,
    BusinessCustomer,
    BusinessCustomerEmail,
    BusinessCustomerPhone,
    CalendarEvent,
    Contact,
    ContactEmail,
    ContactPhone,
    Lead,
    Note,
    Opportunity,
    Task,
)
from accounts.services import opportunity_save
from backoffice.models import CurrencyRate
from tests.factories import (
    AccountFactory,
    BusinessCustomerFactory,
    ContactFactory,
    LeadFactory,
    OpportunityFactory,
    TaskFactory,
    UserFactory,
)
from tests.factories.api import CRM_API, error_attrs, ids

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(key_client, rep):
    return key_client(rep)


@pytest.fixture
def account(rep):
    return AccountFactory(owner=rep, name="Initech")


@pytest.fixture
def contact(rep):
    return ContactFactory(owner=rep, first_name="Peter", last_name="Gibbons")


@pytest.fixture
def foreign_account(outsider):
    return AccountFactory(owner=outsider)


@pytest.fixture
def foreign_contact(outsider):
    return ContactFactory(owner=outsider)


# Accounts


def test_account_lifecycle(api, rep, contact):
    other = ContactFactory(owner=rep)
    created = api.post(
        f"{CRM_API}/accounts/", {"name": "Initrode", "contacts": [contact.pk], "default_contact": other.pk}
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    # The default contact joins the account's contacts.
    assert sorted(body["contacts"]) == sorted([contact.pk, other.pk])
    assert body["owner"] == rep.pk and body["lifetime_value"] == "0.00"

    url = f"{CRM_API}/accounts/{body['id']}/"
    assert api.get(url).json()["name"] == "Initrode"
    updated = api.patch(url, {"name": "Initrode Global", "description": "Renamed"})
    assert updated.status_code == 200
    assert Account.objects.get(pk=body["id"]).name == "Initrode Global"
    # The default contact stays among the contacts unless it is cleared too.
    kept = api.put(url, {"name": "Initrode", "contacts": [contact.pk]})
    assert kept.status_code == 200 and sorted(kept.json()["contacts"]) == sorted([contact.pk, other.pk])
    replaced = api.put(url, {"name": "Initrode", "contacts": [contact.pk], "default_contact": None})
    assert replaced.status_code == 200 and replaced.json()["contacts"] == [contact.pk]

    assert api.delete(url).status_code == 204
    assert not Account.objects.filter(pk=body["id"]).exists()
    assert api.get(url).status_code == 404


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "X" * 300}, "name"),
        ({"name": "X", "contacts": [999999]}, "contacts"),
        ({"name": "X", "default_contact": "abc"}, "default_contact"),
        ({"name": "X", "referred_by": 999999}, "referred_by"),
        ({"name": "X", "owner": 999999}, "owner"),
    ],
)
def test_account_bad_input_names_the_field_and_writes_nothing(api, payload, field):
    response = api.post(f"{CRM_API}/accounts/", payload, format="json")
    assert response.status_code == 400
    assert field in error_attrs(response)
    assert Account.objects.count() == 0


def test_account_ids_of_another_organization_are_unknown(api, foreign_account, foreign_contact, outsider):
    for payload, field in [
        ({"name": "X", "referred_by": foreign_account.pk}, "referred_by"),
        ({"name": "X", "contacts": [foreign_contact.pk]}, "contacts"),
        ({"name": "X", "default_contact": foreign_contact.pk}, "default_contact"),
        ({"name": "X", "owner": outsider.pk}, "owner"),
    ]:
        response = api.post(f"{CRM_API}/accounts/", payload)
        assert response.status_code == 400 and error_attrs(response) == {field}
    assert Account.objects.filter(organization=foreign_account.organization).count() == 1
    assert Account.objects.exclude(organization=foreign_account.organization).count() == 0


def test_account_cannot_refer_itself(api, account):
    response = api.patch(f"{CRM_API}/accounts/{account.pk}/", {"referred_by": account.pk})
    assert response.status_code == 400 and error_attrs(response) == {"referred_by"}
    account.refresh_from_db()
    assert account.referred_by_id is None


def test_account_with_opportunities_is_not_deleted(api, account):
    OpportunityFactory(owner=account.owner, account=account)
    response = api.delete(f"{CRM_API}/accounts/{account.pk}/")
    # Nothing in the request is wrong: the account's deals are in the way (409, documented for DELETE).
    assert response.status_code == 409
    assert "opportunities" in response.json()["errors"][0]["detail"]
    assert Account.objects.filter(pk=account.pk).exists()


# Contacts


def test_contact_emails_and_phones_roundtrip(api, rep, account):
    payload = {
        "first_name": "Samir",
        "last_name": "Nagheenanajar",
        "gender": "male",
        "birthday": "1980-02-29",
        "job_title": "Engineer",
        "emails": ["samir@initech.example", "samir@home.example"],
        "phones": [{"number": "+1 650 253 0000", "type": "mobile"}, {"number": "+49 30 901820", "type": "home"}],
    }
    created = api.post(f"{CRM_API}/contacts/", payload)
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["emails"] == ["samir@initech.example", "samir@home.example"]
    assert body["phones"] == [{"number": "+16502530000", "type": "mobile"}, {"number": "+4930901820", "type": "home"}]
    assert body["email"] == "samir@initech.example" and body["phone"] == "+16502530000"
    assert body["full_name"] == "Samir Nagheenanajar"

    url = f"{CRM_API}/contacts/{body['id']}/"
    fetched = api.get(url).json()
    assert fetched["emails"] == body["emails"] and fetched["phones"] == body["phones"]

    # Reordering makes the other address the primary one; the stored rows follow.
    reordered = api.patch(url, {"emails": ["samir@home.example", "samir@initech.example"], "phones": []})
    assert reordered.status_code == 200
    assert reordered.json()["email"] == "samir@home.example"
    assert reordered.json()["phones"] == [] and reordered.json()["phone"] == ""
    primary = ContactEmail.objects.get(contact_id=body["id"], is_primary=True)
    assert primary.email == "samir@home.example"
    assert ContactPhone.objects.filter(contact_id=body["id"]).count() == 0

    # A change that leaves the lists out keeps them.
    api.patch(url, {"job_title": "Senior engineer"})
    assert api.get(url).json()["emails"] == ["samir@home.example", "samir@initech.example"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"last_name": "L", "phones": [{"number": "+1 650 253 0000"}, {"number": "12345"}]}, "phones.1.number"),
        ({"last_name": "L", "phones": [{"number": "not a phone"}]}, "phones.0.number"),
        ({"last_name": "L", "phones": [{"number": "+1 650 253 0000", "type": "fax"}]}, "phones.0.type"),
        ({"last_name": "L", "emails": ["ok@example.com", "not-an-email"]}, "emails.1"),
        ({"last_name": "L", "gender": "other"}, "gender"),
        ({"last_name": "L", "birthday": "1980-02-30"}, "birthday"),
        ({"first_name": "Only"}, "last_name"),
    ],
)
def test_contact_bad_input_names_the_field_and_writes_nothing(api, payload, field):
    response = api.post(f"{CRM_API}/contacts/", payload)
    assert response.status_code == 400
    assert field in error_attrs(response)
    assert Contact.objects.count() == 0 and ContactPhone.objects.count() == 0 and ContactEmail.objects.count() == 0


def test_contact_invalid_phone_on_update_keeps_the_old_numbers(api, rep):
    created = api.post(f"{CRM_API}/contacts/", {"last_name": "L", "phones": [{"number": "+1 650 253 0000"}]}).json()
    response = api.patch(f"{CRM_API}/contacts/{created['id']}/", {"last_name": "M", "phones": [{"number": "999"}]})
    assert response.status_code == 400 and error_attrs(response) == {"phones.0.number"}
    contact = Contact.objects.get(pk=created["id"])
    assert contact.last_name == "L" and str(contact.phone) == "+16502530000"
    assert [str(p.number) for p in contact.phones.all()] == ["+16502530000"]


def test_contact_addresses_through_the_api(api):
    body = {
        "last_name": "Hopper",
        "addresses": [
            {"label": "Office", "street": "1 Navy Way", "city": "Arlington", "country": "us"},
            {"label": "Home", "city": "New York", "country": "US"},
        ],
    }
    created = api.post(f"{CRM_API}/contacts/", body)
    assert created.status_code == 201, created.json()
    addresses = api.get(f"{CRM_API}/contacts/{created.json()['id']}/").json()["addresses"]
    assert [(a["label"], a["country"], a["is_primary"]) for a in addresses] == [
        ("Office", "US", True),
        ("Home", "US", False),
    ]
    bad = api.patch(f"{CRM_API}/contacts/{created.json()['id']}/", {"addresses": [{"city": "Paris", "country": "FRA"}]})
    assert bad.status_code == 400 and error_attrs(bad) == {"addresses.0.country"}
    assert Contact.objects.get(pk=created.json()["id"]).addresses.count() == 2
    # A partial update without addresses keeps them.
    assert api.patch(f"{CRM_API}/contacts/{created.json()['id']}/", {"job_title": "Admiral"}).status_code == 200
    assert Contact.objects.get(pk=created.json()["id"]).addresses.count() == 2


def test_contact_lists_its_accounts(api, account, contact):
    account.contacts.add(contact)
    assert api.get(f"{CRM_API}/contacts/{contact.pk}/").json()["accounts"] == [account.pk]


# Business customers


def test_business_customer_lifecycle(api, rep, account, contact):
    created = api.post(
        f"{CRM_API}/business-customers/",
        {
            "name": "Initech Retail",
            "account": account.pk,
            "contact": contact.pk,
            "phones": [{"number": "+16502530000"}],
        },
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["account"] == account.pk and body["contact"] == contact.pk and body["phone"] == "+16502530000"
    assert body["phones"] == [{"number": "+16502530000", "type": "business"}] and body["emails"] == []
    channel = BusinessCustomer.objects.get(pk=body["id"]).channel
    assert body["channel"] == channel.pk and channel.channel_type == "business"

    url = f"{CRM_API}/business-customers/{body['id']}/"
    other_account = AccountFactory(owner=rep)
    assert api.patch(url, {"account": other_account.pk}).json()["account"] == other_account.pk
    assert api.delete(url).status_code == 204
    assert not BusinessCustomer.objects.exists() and not BusinessCustomerPhone.objects.exists()


def test_business_customer_emails_and_phones_roundtrip(api, account):
    payload = {
        "name": "Initech Retail",
        "account": account.pk,
        "emails": ["orders@initech.example", "payables@initech.example"],
        "phones": [{"number": "+1 650 253 0000", "type": "mobile"}, {"number": "+49 30 901820", "type": "home"}],
    }
    created = api.post(f"{CRM_API}/business-customers/", payload)
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["emails"] == ["orders@initech.example", "payables@initech.example"]
    assert body["phones"] == [{"number": "+16502530000", "type": "mobile"}, {"number": "+4930901820", "type": "home"}]
    assert body["email"] == "orders@initech.example" and body["phone"] == "+16502530000"

    url = f"{CRM_API}/business-customers/{body['id']}/"
    fetched = api.get(url).json()
    assert fetched["emails"] == body["emails"] and fetched["phones"] == body["phones"]
    # Lists show every e-mail and phone too; search finds the customer by its primary address.
    listed = api.get(f"{CRM_API}/business-customers/", {"q": "orders@initech"}).json()["results"]
    assert [(row["id"], row["emails"], row["phones"]) for row in listed] == [
        (body["id"], body["emails"], body["phones"])
    ]

    # Reordering makes the other address the primary one; the stored rows and the row's own copy follow.
    reordered = api.patch(url, {"emails": ["payables@initech.example", "orders@initech.example"], "phones": []})
    assert reordered.status_code == 200
    assert reordered.json()["email"] == "payables@initech.example"
    assert reordered.json()["phones"] == [] and reordered.json()["phone"] == ""
    customer = BusinessCustomer.objects.get(pk=body["id"])
    assert customer.email == "payables@initech.example" and not customer.phone
    assert BusinessCustomerEmail.objects.get(customer=customer, is_primary=True).email == "payables@initech.example"
    assert not BusinessCustomerPhone.objects.filter(customer=customer).exists()

    # A change that leaves the lists out keeps them.
    api.patch(url, {"name": "Initech Stores"})
    assert api.get(url).json()["emails"] == ["payables@initech.example", "orders@initech.example"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "No account"}, "account"),
        ({"name": "X", "account": 999999}, "account"),
        (
            {"name": "X", "account": "ACCOUNT", "phones": [{"number": "+1 650 253 0000"}, {"number": "12"}]},
            "phones.1.number",
        ),
        (
            {"name": "X", "account": "ACCOUNT", "phones": [{"number": "+1 650 253 0000", "type": "fax"}]},
            "phones.0.type",
        ),
        ({"name": "X", "account": "ACCOUNT", "emails": ["ok@example.com", "nope"]}, "emails.1"),
    ],
)
def test_business_customer_bad_input(api, account, payload, field):
    payload = {**payload, "account": account.pk} if payload.get("account") == "ACCOUNT" else payload
    response = api.post(f"{CRM_API}/business-customers/", payload)
    assert response.status_code == 400 and field in error_attrs(response)
    assert not BusinessCustomer.objects.exists()
    assert not BusinessCustomerEmail.objects.exists() and not BusinessCustomerPhone.objects.exists()


def test_business_customer_invalid_phone_on_update_keeps_the_old_rows(api, account):
    created = api.post(
        f"{CRM_API}/business-customers/",
        {"name": "Keep", "account": account.pk, "emails": ["keep@example.com"], "phones": [{"number": "+16502530000"}]},
    ).json()
    response = api.patch(
        f"{CRM_API}/business-customers/{created['id']}/",
        {"name": "Changed", "emails": ["new@example.com"], "phones": [{"number": "+16502530000"}, {"number": "999"}]},
    )
    assert response.status_code == 400 and error_attrs(response) == {"phones.1.number"}
    customer = BusinessCustomer.objects.get(pk=created["id"])
    assert customer.name == "Keep" and customer.email == "keep@example.com" and str(customer.phone) == "+16502530000"
    assert [e.email for e in customer.emails.all()] == ["keep@example.com"]
    assert [(str(p.number), p.is_primary) for p in customer.phones.all()] == [("+16502530000", True)]


def test_business_customer_primary_fields_are_read_only(api, account):
    created = api.post(
        f"{CRM_API}/business-customers/",
        {"name": "X", "account": account.pk, "emails": ["a@example.com"], "email": "ignored@example.com"},
    )
    assert created.status_code == 201
    assert created.json()["email"] == "a@example.com"
    assert BusinessCustomer.objects.get().email == "a@example.com"


def test_business_customer_of_another_organizations_account_is_refused(api, foreign_account):
    response = api.post(f"{CRM_API}/business-customers/", {"name": "X", "account": foreign_account.pk})
    assert response.status_code == 400 and error_attrs(response) == {"account"}
    assert not BusinessCustomer.objects.exists()


# Leads


def test_lead_lifecycle_and_bad_input(api):
    created = api.post(f"{CRM_API}/leads/", {"name": "Printers", "last_name": "Bolton", "source": "Fair"})
    assert created.status_code == 201 and created.json()["status"] == "new"
    url = f"{CRM_API}/leads/{created.json()['id']}/"
    assert api.patch(url, {"status": "qualified"}).json()["status"] == "qualified"
    bad = api.patch(url, {"status": "hot", "phone": "1"})
    assert bad.status_code == 400 and error_attrs(bad) == {"status", "phone"}
    assert Lead.objects.get().status == "qualified"
    assert api.delete(url).status_code == 204
    assert not Lead.objects.exists()


def test_lead_convert_opens_an_opportunity_with_account_and_contact(api, rep):
    lead = LeadFactory(
        owner=rep,
        name="Stapler deal",
        first_name="Milton",
        last_name="Waddams",
        company_name="Initech",
        email="m@i.example",
    )
    response = api.post(f"{CRM_API}/leads/{lead.pk}/convert/", {})
    assert response.status_code == 201, response.json()
    body = response.json()
    opportunity = Opportunity.objects.get(pk=body["id"])
    assert body["name"] == "Stapler deal" and body["lead"] == lead.pk and body["status"] == "in_progress"
    assert opportunity.account.name == "Initech" and body["account"] == opportunity.account_id
    assert opportunity.contact.last_name == "Waddams" and opportunity.contact.email == "m@i.example"
    lead.refresh_from_db()
    assert lead.status == "qualified" and lead.account_id == opportunity.account_id


def test_lead_convert_into_a_chosen_account_with_a_name(api, rep, account):
    lead = LeadFactory(owner=rep, company_name="Someone else")
    response = api.post(f"{CRM_API}/leads/{lead.pk}/convert/", {"account": account.pk, "opportunity_name": "Renewal"})
    assert response.status_code == 201
    assert response.json()["account"] == account.pk and response.json()["name"] == "Renewal"


def test_lead_convert_with_amount_close_date_and_contact(api, rep, account):
    contact = ContactFactory(owner=rep)
    lead = LeadFactory(owner=rep)
    response = api.post(
        f"{CRM_API}/leads/{lead.pk}/convert/",
        {
            "account": account.pk,
            "contact": contact.pk,
            "budget_amount": "1500.00",
            "expected_close_date": "2030-06-30",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["contact"], body["budget_amount"], body["budget_currency"]) == (contact.pk, "1500.00", "USD")
    assert body["expected_close_date"] == "2030-06-30"
    negative = api.post(
        f"{CRM_API}/leads/{LeadFactory(owner=rep).pk}/convert/", {"budget_amount": "-1.00"}, format="json"
    )
    assert negative.status_code == 400 and error_attrs(negative) == {"budget_amount"}


def test_lead_convert_refusals(api, rep, foreign_account):
    lead = LeadFactory(owner=rep)
    foreign = api.post(f"{CRM_API}/leads/{lead.pk}/convert/", {"account": foreign_account.pk})
    assert foreign.status_code == 400 and error_attrs(foreign) == {"account"}
    disqualified = LeadFactory(owner=rep, status="disqualified")
    refused = api.post(f"{CRM_API}/leads/{disqualified.pk}/convert/", {})
    assert refused.status_code == 400 and error_attrs(refused) == {"non_field_errors"}
    assert not Opportunity.objects.exists()


# Opportunities


def test_opportunity_lifecycle_with_money_and_customer(api, rep, account, contact, organization):
    customer = BusinessCustomerFactory(owner=rep, account=account, name="Initech Retail")
    CurrencyRate.objects.create(
        organization=organization, currency="EUR", rate=Decimal("1.10"), valid_from=dt.date(2000, 1, 1)
    )
    created = api.post(
        f"{CRM_API}/opportunities/",
        {
            "name": "TPS reports",
            "customer_type": "accounts.businesscustomer",
            "customer_id": customer.pk,
            "contact": contact.pk,
            "budget_amount": "1000.00",
            "budget_currency": "EUR",
            "expected_close_date": "2030-06-30",
        },
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    # The account comes from the customer; the base amount is fixed at today's rate.
    assert body["account"] == account.pk
    assert body["customer"] == {"type": "accounts.businesscustomer", "id": customer.pk, "name": "Initech Retail"}
    assert (body["budget_amount"], body["budget_currency"], body["budget_amount_base"]) == ("1000.00", "EUR", "1100.00")
    assert body["probability"] == "10.00" and body["status"] == "in_progress" and body["closed_at"] is None
    assert body["expected_close_date"] == "2030-06-30"

    url = f"{CRM_API}/opportunities/{body['id']}/"
    won = api.patch(url, {"status": "won", "close_revenue": "900.00", "close_revenue_currency": "USD"})
    assert won.status_code == 200
    won = won.json()
    assert won["closed_at"] is not None and won["close_reason"] == "won" and won["probability"] == "100.00"
    assert (won["close_revenue"], won["close_revenue_currency"], won["close_revenue_base"]) == (
        "900.00",
        "USD",
        "900.00",
    )
    customer.refresh_from_db()
    assert customer.lifetime_value == Decimal("900.00")

    detached = api.patch(url, {"customer_type": None, "customer_id": None})
    assert detached.status_code == 200 and detached.json()["customer"] is None

    assert api.delete(url).status_code == 204
    assert not Opportunity.objects.exists()
    account.refresh_from_db()
    assert account.lifetime_value == 0


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "No account"}, "account"),
        ({"account": "ACCOUNT"}, "name"),
        ({"name": "X", "account": "ACCOUNT", "probability": "101"}, "probability"),
        ({"name": "X", "account": "ACCOUNT", "status": "maybe"}, "status"),
        ({"name": "X", "account": "ACCOUNT", "budget_amount": "ten"}, "budget_amount"),
        ({"name": "X", "account": "ACCOUNT", "budget_amount": "10", "budget_currency": "usd"}, "budget_currency"),
        # No exchange rate known for this currency: the service names the currency field.
        ({"name": "X", "account": "ACCOUNT", "budget_amount": "10", "budget_currency": "JPY"}, "budget_currency"),
        ({"name": "X", "account": "ACCOUNT", "expected_close_date": "tomorrow"}, "expected_close_date"),
        ({"name": "X", "account": "ACCOUNT", "customer_type": "auth.user", "customer_id": 1}, "customer_type"),
        ({"name": "X", "account": "ACCOUNT", "customer_type": "accounts.businesscustomer"}, "customer_id"),
        ({"name": "X", "account": "ACCOUNT", "customer_id": 5}, "customer_type"),
        ({"name": "X", "customer_type": "accounts.businesscustomer", "customer_id": 999999}, "customer_id"),
    ],
)
def test_opportunity_bad_input_names_the_field_and_writes_nothing(api, account, payload, field):
    payload = {k: account.pk if v == "ACCOUNT" else v for k, v in payload.items()}
    response = api.post(f"{CRM_API}/opportunities/", payload)
    assert response.status_code == 400, response.json()
    assert field in error_attrs(response)
    assert not Opportunity.objects.exists()


def test_opportunity_customer_must_be_of_the_callers_organization_and_account(api, rep, account, outsider):
    foreign_customer = BusinessCustomerFactory(owner=outsider)
    response = api.post(
        f"{CRM_API}/opportunities/",
        {"name": "X", "customer_type": "accounts.businesscustomer", "customer_id": foreign_customer.pk},
    )
    assert response.status_code == 400 and error_attrs(response) == {"customer_id"}
    customer_elsewhere = BusinessCustomerFactory(owner=rep)
    response = api.post(
        f"{CRM_API}/opportunities/",
        {
            "name": "X",
            "account": account.pk,
            "customer_type": "accounts.businesscustomer",
            "customer_id": customer_elsewhere.pk,
        },
    )
    assert response.status_code == 400 and error_attrs(response) == {"customer_id"}
    assert not Opportunity.objects.exists()


def test_status_action_moves_probability_by_the_default_rule(api, rep, account):
    opportunity = opportunity_save(actor=rep, data={"name": "Deal", "account": account})
    url = f"{CRM_API}/opportunities/{opportunity.pk}/status/"
    moved = api.post(url, {"status": "negotiation"})
    assert moved.status_code == 200 and moved.json()["probability"] == "80.00"

    # The rep's own estimate survives later moves.
    api.patch(f"{CRM_API}/opportunities/{opportunity.pk}/", {"probability": "65"})
    kept = api.post(url, {"status": "solution_development"}).json()
    assert kept["status"] == "solution_development" and kept["probability"] == "65.00"

    lost = api.post(url, {"status": "lost"}).json()
    assert lost["closed_at"] is not None and lost["close_reason"] == "outsold"
    reopened = api.post(url, {"status": "needs_analysis"}).json()
    assert reopened["closed_at"] is None and reopened["close_reason"] == ""

    bad = api.post(url, {"status": "sold"})
    assert bad.status_code == 400 and error_attrs(bad) == {"status"}
    assert Opportunity.objects.get().status == "needs_analysis"


def test_status_probabilities_are_per_organization_and_drive_new_opportunities(
    key_client, manager, rep, account, outsider
):
    as_manager = key_client(manager)
    shown = as_manager.get(f"{CRM_API}/status-probabilities/").json()["probabilities"]
    assert {row["status"]: row["probability"] for row in shown}["needs_analysis"] == "40.00"
    assert [row["status"] for row in shown][0] == "in_progress" and shown[0]["label"] == "In progress"

    changed = as_manager.put(
        f"{CRM_API}/status-probabilities/",
        {
            "probabilities": [
                {"status": "needs_analysis", "probability": "35"},
                {"status": "negotiation", "probability": "75.5"},
            ]
        },
    )
    assert changed.status_code == 200
    values = {row["status"]: row["probability"] for row in changed.json()["probabilities"]}
    assert values["needs_analysis"] == "35.00" and values["negotiation"] == "75.50" and values["won"] == "100.00"

    as_rep = key_client(rep)
    created = as_rep.post(f"{CRM_API}/opportunities/", {"name": "X", "account": account.pk, "status": "needs_analysis"})
    assert created.json()["probability"] == "35.00"
    moved = as_rep.post(f"{CRM_API}/opportunities/{created.json()['id']}/status/", {"status": "negotiation"})
    assert moved.json()["probability"] == "75.50"

    # Another organization keeps the built-in defaults.
    theirs = key_client(outsider).get(f"{CRM_API}/status-probabilities/").json()["probabilities"]
    assert {row["status"]: row["probability"] for row in theirs}["needs_analysis"] == "40.00"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"probabilities": [{"status": "nope", "probability": "10"}]}, "probabilities.0.status"),
        ({"probabilities": [{"status": "won", "probability": "120"}]}, "probabilities.0.probability"),
        (
            {"probabilities": [{"status": "won", "probability": "90"}, {"status": "lost"}]},
            "probabilities.1.probability",
        ),
        ({"probabilities": []}, "probabilities.non_field_errors"),
        ([{"status": "won", "probability": "90"}], "non_field_errors"),
    ],
)
def test_status_probabilities_bad_input_changes_nothing(key_client, manager, payload, field):
    response = key_client(manager).put(f"{CRM_API}/status-probabilities/", payload)
    assert response.status_code == 400 and field in error_attrs(response)
    values = {
        row["status"]: row["probability"]
        for row in key_client(manager).get(f"{CRM_API}/status-probabilities/").json()["probabilities"]
    }
    assert values["won"] == "100.00"


# Activities


def test_task_lifecycle_with_related_record(api, rep, account):
    start = timezone.now().replace(microsecond=0)
    created = api.post(
        f"{CRM_API}/tasks/",
        {
            "subject": "Call Bill",
            "start_at": start.isoformat(),
            "due_at": (start + dt.timedelta(hours=2)).isoformat(),
            "priority": "high",
            "related_type": "accounts.account",
            "related_id": account.pk,
        },
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["related"] == {"type": "accounts.account", "id": account.pk, "name": "Initech"}
    assert body["completed_at"] is None

    url = f"{CRM_API}/tasks/{body['id']}/"
    done = api.patch(url, {"status": "completed"}).json()
    assert done["completed_at"] is not None
    assert api.patch(url, {"status": "in_progress"}).json()["completed_at"] is None

    opportunity = OpportunityFactory(owner=rep, account=account, name="Upsell")
    moved = api.patch(url, {"related_type": "accounts.opportunity", "related_id": opportunity.pk}).json()
    assert moved["related"] == {"type": "accounts.opportunity", "id": opportunity.pk, "name": "Upsell"}
    detached = api.patch(url, {"related_type": None, "related_id": None}).json()
    assert detached["related"] is None

    assert api.delete(url).status_code == 204
    assert not Task.objects.exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"description": "no subject"}, "subject"),
        ({"subject": "S", "status": "done"}, "status"),
        ({"subject": "S", "priority": "urgent"}, "priority"),
        ({"subject": "S", "start_at": "2030-01-02T10:00:00Z", "due_at": "2030-01-01T10:00:00Z"}, "due_at"),
        ({"subject": "S", "related_type": "backoffice.user", "related_id": 1}, "related_type"),
        ({"subject": "S", "related_type": "accounts.account", "related_id": 999999}, "related_id"),
        ({"subject": "S", "related_id": 1}, "related_type"),
    ],
)
def test_task_bad_input_names_the_field_and_writes_nothing(api, payload, field):
    response = api.post(f"{CRM_API}/tasks/", payload)
    assert response.status_code == 400 and field in error_attrs(response)
    assert not Task.objects.exists()


@pytest.mark.parametrize(
    "related_type",
    ["accounts.account", "accounts.contact", "accounts.businesscustomer", "accounts.lead", "accounts.opportunity"],
)
def test_activities_attach_to_every_crm_record_type_of_the_callers_organization_only(api, rep, outsider, related_type):
    factory = {
        "accounts.account": AccountFactory,
        "accounts.contact": ContactFactory,
        "accounts.businesscustomer": BusinessCustomerFactory,
        "accounts.lead": LeadFactory,
        "accounts.opportunity": OpportunityFactory,
    }[related_type]
    mine, theirs = factory(owner=rep), factory(owner=outsider)
    ok = api.post(f"{CRM_API}/notes/", {"text": "Hello", "related_type": related_type, "related_id": mine.pk})
    assert ok.status_code == 201 and ok.json()["related"] == {"type": related_type, "id": mine.pk, "name": str(mine)}
    refused = api.post(f"{CRM_API}/notes/", {"text": "Hello", "related_type": related_type, "related_id": theirs.pk})
    assert refused.status_code == 400 and error_attrs(refused) == {"related_id"}
    assert Note.objects.count() == 1


def test_event_lifecycle_with_attendees(api, rep, contact):
    other = ContactFactory(owner=rep)
    created = api.post(
        f"{CRM_API}/events/",
        {
            "title": "Quarterly review",
            "start": "2030-03-04T09:00:00Z",
            "end": "2030-03-04T10:30:00Z",
            "location": "Room 1",
            "attendees": [contact.pk, other.pk],
            "recurrence_rule": "FREQ=WEEKLY;BYDAY=MO",
            "cancelled_starts": ["2030-03-11T09:00:00Z"],
            "related_type": "accounts.contact",
            "related_id": contact.pk,
        },
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert sorted(body["attendees"]) == sorted([contact.pk, other.pk])
    assert body["time_zone"] == "Europe/Berlin"  # the owner's organization's zone
    assert body["related"]["name"] == "Peter Gibbons"

    url = f"{CRM_API}/events/{body['id']}/"
    changed = api.patch(url, {"attendees": [other.pk], "all_day": True})
    assert changed.status_code == 200
    changed = changed.json()
    assert changed["attendees"] == [other.pk]
    # An all-day event spans the whole local day(s) in its time zone (Berlin: UTC+1 in March).
    assert changed["start"] == "2030-03-03T23:00:00Z" and changed["end"] == "2030-03-04T23:00:00Z"

    assert api.delete(url).status_code == 204
    assert not CalendarEvent.objects.exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"title": "T"}, "start"),
        ({"title": "T", "start": "2030-01-01T10:00:00Z", "end": "2030-01-01T09:00:00Z"}, "end"),
        ({"title": "T", "start": "2030-01-01T10:00:00Z", "recurrence_rule": "FREQ=SOMETIMES"}, "recurrence_rule"),
        ({"title": "T", "start": "2030-01-01T10:00:00Z", "time_zone": "Mars/Olympus"}, "time_zone"),
        ({"title": "T", "start": "2030-01-01T10:00:00Z", "attendees": [999999]}, "attendees"),
        ({"title": "T", "start": "2030-01-01T10:00:00Z", "cancelled_starts": ["soon"]}, "cancelled_starts.0"),
    ],
)
def test_event_bad_input_names_the_field_and_writes_nothing(api, payload, field):
    response = api.post(f"{CRM_API}/events/", payload)
    assert response.status_code == 400 and field in error_attrs(response)
    assert not CalendarEvent.objects.exists()


def test_event_attendees_of_another_organization_are_refused(api, foreign_contact):
    response = api.post(
        f"{CRM_API}/events/", {"title": "T", "start": "2030-01-01T10:00:00Z", "attendees": [foreign_contact.pk]}
    )
    assert response.status_code == 400 and error_attrs(response) == {"attendees"}
    assert not CalendarEvent.objects.exists()


def test_note_lifecycle(api, account):
    created = api.post(
        f"{CRM_API}/notes/", {"text": "Met at the fair", "related_type": "accounts.account", "related_id": account.pk}
    )
    assert created.status_code == 201
    url = f"{CRM_API}/notes/{created.json()['id']}/"
    assert api.patch(url, {"text": "Met at the fair, twice"}).json()["text"] == "Met at the fair, twice"
    empty = api.patch(url, {"text": ""})
    assert empty.status_code == 400 and error_attrs(empty) == {"text"}
    assert api.delete(url).status_code == 204
    assert not Note.objects.exists()


def test_channels_are_read_only(api, rep):
    customer = BusinessCustomerFactory(owner=rep)
    listed = api.get(f"{CRM_API}/channels/").json()["results"]
    assert listed == [{"id": customer.channel_id, "name": "Business customers", "channel_type": "business"}]
    assert api.post(f"{CRM_API}/channels/", {"name": "X", "channel_type": "commerce"}).status_code == 405
    assert api.delete(f"{CRM_API}/channels/{customer.channel_id}/").status_code == 405


# Filters, ordering and pagination


def test_account_search_and_ordering(api, rep, manager):
    AccountFactory(owner=rep, name="Initech", description="Software")
    AccountFactory(owner=manager, name="Initrode")
    AccountFactory(owner=rep, name="Globo Gym", description="Fitness software")
    names = lambda response: [row["name"] for row in response.json()["results"]]  # noqa: E731
    assert names(api.get(f"{CRM_API}/accounts/", {"q": "init"})) == ["Initech", "Initrode"]
    assert names(api.get(f"{CRM_API}/accounts/", {"q": "software"})) == ["Globo Gym", "Initech"]
    assert names(api.get(f"{CRM_API}/accounts/", {"owner": manager.pk})) == ["Initrode"]
    assert names(api.get(f"{CRM_API}/accounts/", {"ordering": "-name"})) == ["Initrode", "Initech", "Globo Gym"]
    bad = api.get(f"{CRM_API}/accounts/", {"ordering": "secret"})
    assert bad.status_code == 400 and "ordering" in error_attrs(bad)


def test_opportunity_filters_by_owner_status_and_close_date_range(api, rep, manager, account):
    other_rep = UserFactory(organization=rep.organization)
    june = OpportunityFactory(owner=rep, account=account, expected_close_date=dt.date(2030, 6, 1), status="negotiation")
    july = OpportunityFactory(owner=rep, account=account, expected_close_date=dt.date(2030, 7, 31))
    august = OpportunityFactory(owner=manager, account=account, expected_close_date=dt.date(2030, 8, 1))
    undated = OpportunityFactory(owner=other_rep, account=account, expected_close_date=None, status="needs_analysis")
    url = f"{CRM_API}/opportunities/"

    in_range = api.get(url, {"expected_close_date_after": "2030-06-01", "expected_close_date_before": "2030-07-31"})
    assert sorted(ids(in_range)) == sorted([june.pk, july.pk])  # both ends included
    assert sorted(ids(api.get(url, {"owner": [rep.pk, other_rep.pk]}))) == sorted([june.pk, july.pk, undated.pk])
    assert sorted(ids(api.get(url, {"status": ["negotiation", "needs_analysis"]}))) == sorted([june.pk, undated.pk])
    ordered = api.get(url, {"ordering": "-expected_close_date", "expected_close_date_after": "2030-01-01"})
    assert ids(ordered) == [august.pk, july.pk, june.pk]
    assert ids(api.get(url, {"account": account.pk, "q": account.name.split()[0], "owner": manager.pk})) == [august.pk]
    bad = api.get(url, {"expected_close_date_after": "someday", "status": "sold"})
    assert bad.status_code == 400


def test_contact_lead_task_and_event_filters(api, rep, account):
    found = ContactFactory(owner=rep, first_name="Joanna", last_name="Smith", email="joanna@chotchkies.example")
    account.contacts.add(found)
    ContactFactory(owner=rep, first_name="Lawrence", last_name="Smith")
    assert ids(api.get(f"{CRM_API}/contacts/", {"q": "chotchkies"})) == [found.pk]
    assert ids(api.get(f"{CRM_API}/contacts/", {"account": account.pk})) == [found.pk]

    qualified = LeadFactory(owner=rep, status="qualified", source="Web")
    LeadFactory(owner=rep, status="new", source="Fair")
    assert ids(api.get(f"{CRM_API}/leads/", {"status": "qualified"})) == [qualified.pk]
    assert ids(api.get(f"{CRM_API}/leads/", {"source": "web"})) == [qualified.pk]

    now = timezone.now()
    soon = TaskFactory(owner=rep, due_at=now + dt.timedelta(days=1), priority="high")
    TaskFactory(owner=rep, due_at=now + dt.timedelta(days=10), priority="low")
    window = {"due_at_after": now.isoformat(), "due_at_before": (now + dt.timedelta(days=2)).isoformat()}
    assert ids(api.get(f"{CRM_API}/tasks/", window)) == [soon.pk]
    assert ids(api.get(f"{CRM_API}/tasks/", {"priority": "high"})) == [soon.pk]

    api.post(f"{CRM_API}/events/", {"title": "Early", "start": "2030-01-01T08:00:00Z"})
    late = api.post(f"{CRM_API}/events/", {"title": "Late", "start": "2030-01-05T08:00:00Z"}).json()
    assert ids(api.get(f"{CRM_API}/events/", {"start_after": "2030-01-03T00:00:00Z"})) == [late["id"]]
    assert [r["title"] for r in api.get(f"{CRM_API}/events/", {"ordering": "-start"}).json()["results"]] == [
        "Late",
        "Early",
    ]


def test_lists_are_paginated(api, rep):
    AccountFactory.create_batch(7, owner=rep)
    first = api.get(f"{CRM_API}/accounts/", {"page_size": 5}).json()
    assert first["count"] == 7 and len(first["results"]) == 5 and first["next"]
    second = api.get(f"{CRM_API}/accounts/", {"page_size": 5, "page": 2}).json()
    assert len(second["results"]) == 2
    assert not {r["id"] for r in first["results"]} & {r["id"] for r in second["results"]}


def test_text_longer_than_its_limit_is_refused_as_sent_before_trimming(rep, key_client):
    response = key_client(rep).post("/api/crm/accounts/", {"name": "\n" + "A" * 255}, format="json")
    assert response.status_code == 400 and "name" in response.content.decode()
