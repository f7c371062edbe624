"""The sales reps' record pages: lists, forms, access rules, the 360-degree account page, lead conversion."""

import html
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import (
    Account,
    BusinessCustomer,
    BusinessCustomerEmail,
    BusinessCustomerPhone,
    Contact,
    ContactPhone,
    Lead,
    Opportunity,
)
from accounts.registry import AccountSection, account_registry
from accounts.services import business_customer_save, contact_save, opportunity_save
from tests.factories import (
    AccountFactory,
    BusinessCustomerFactory,
    ContactFactory,
    LeadFactory,
    OpportunityFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

FACTORIES = {
    "account": AccountFactory,
    "contact": ContactFactory,
    "businesscustomer": BusinessCustomerFactory,
    "lead": LeadFactory,
    "opportunity": OpportunityFactory,
}


def url(name: str, *args) -> str:
    return reverse(f"accounts:{name}", args=args)


def points(emails: str, phones: str) -> dict:
    """The e-mail and phone rows of a contact or customer form, from lines ("number, type" for phones).

    The first of each list is chosen as the primary, as a user does with the "Primary" buttons.
    """
    data = {}
    email_lines = [line for line in emails.splitlines() if line.strip()]
    phone_lines = [line for line in phones.splitlines() if line.strip()]
    data.update({"email-TOTAL_FORMS": str(len(email_lines)), "email-INITIAL_FORMS": "0", "email-primary": "0"})
    data.update({"phone-TOTAL_FORMS": str(len(phone_lines)), "phone-INITIAL_FORMS": "0", "phone-primary": "0"})
    for index, line in enumerate(email_lines):
        data[f"email-{index}-email"] = line.strip()
    for index, line in enumerate(phone_lines):
        number, _, phone_type = line.partition(",")
        data[f"phone-{index}-number"] = number.strip()
        data[f"phone-{index}-phone_type"] = phone_type.strip() or "business"
    return data


def make_rows(key: str, owner, count: int) -> list:
    """Rows of one type for the owner; contacts are linked to an account so list joins are exercised."""
    factory = FACTORIES[key]
    if key == "businesscustomer":
        account = AccountFactory(owner=owner)
        return factory.create_batch(count, owner=owner, account=account)
    if key == "opportunity":
        account = AccountFactory(owner=owner)
        return factory.create_batch(count, owner=owner, account=account)
    if key == "account":
        contact = ContactFactory(owner=owner)
        return factory.create_batch(count, owner=owner, default_contact=contact)
    return factory.create_batch(count, owner=owner)


# ---------------------------------------------------------------- lists


@pytest.mark.parametrize("key", list(FACTORIES))
def test_list_page_shows_rows_with_new_button_filters_and_page_sizes(session_client, rep, key):
    rows = make_rows(key, rep, 3)
    response = session_client(rep).get(url(f"{key}-list"))
    assert response.status_code == 200
    html = response.content.decode()
    for row in rows:
        assert f'data-row-id="{row.pk}"' in html
    assert url(f"{key}-create") in html
    assert 'name="q"' in html and 'id="list-filters"' in html
    assert "page_size=50" in html and "page_size=100" in html
    assert "ordering=" in html  # sortable headers


@pytest.mark.parametrize("key", list(FACTORIES))
def test_list_query_count_does_not_grow_with_rows(session_client, rep, key):
    client = session_client(rep)
    make_rows(key, rep, 3)
    client.get(url(f"{key}-list"))  # warm the session and content-type caches
    with CaptureQueriesContext(connection) as few:
        response = client.get(url(f"{key}-list"), {"page_size": 100})
    assert response.status_code == 200
    make_rows(key, rep, 27)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url(f"{key}-list"), {"page_size": 100})
    assert response.content.decode().count("data-row-id=") >= 30
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def test_list_search_filter_and_sort(session_client, rep, manager):
    AccountFactory(owner=rep, name="Zeta Industries")
    AccountFactory(owner=rep, name="Alpha Works")
    AccountFactory(owner=manager, name="Alpha Managed")
    client = session_client(rep)

    html = client.get(url("account-list"), {"q": "alpha"}).content.decode()
    assert "Alpha Works" in html and "Alpha Managed" in html and "Zeta Industries" not in html

    html = client.get(url("account-list"), {"q": "alpha", "owner": manager.pk}).content.decode()
    assert "Alpha Managed" in html and "Alpha Works" not in html

    html = client.get(url("account-list"), {"ordering": "-name"}).content.decode()
    assert html.index("Zeta Industries") < html.index("Alpha Works")
    assert "ordering=name" in html  # clicking the sorted header sorts the other way
    html = client.get(url("account-list"), {"ordering": "name"}).content.decode()
    assert html.index("Alpha Works") < html.index("Zeta Industries")

    html = client.get(url("account-list"), {"q": "nothing like this"}).content.decode()
    assert "No accounts match these filters." in html


def test_opportunity_list_filters_by_status_and_account(session_client, rep):
    account = AccountFactory(owner=rep, name="Acme Holdings")
    OpportunityFactory(owner=rep, account=account, name="Deal in negotiation", status="negotiation")
    OpportunityFactory(owner=rep, name="Deal elsewhere")
    client = session_client(rep)
    html = client.get(url("opportunity-list"), {"status": "negotiation"}).content.decode()
    assert "Deal in negotiation" in html and "Deal elsewhere" not in html
    html = client.get(url("opportunity-list"), {"account": account.pk}).content.decode()
    assert "Deal in negotiation" in html and "Deal elsewhere" not in html
    assert f"Account: {account.name}" in html  # the narrowing is named, with a way back


def test_list_pagination_and_page_size(session_client, rep):
    ContactFactory.create_batch(30, owner=rep)
    client = session_client(rep)
    html = client.get(url("contact-list")).content.decode()
    assert html.count("data-row-id=") == 25
    assert "1 / 2" in html and 'rel="next"' in html
    html = client.get(url("contact-list"), {"page": 2}).content.decode()
    assert html.count("data-row-id=") == 5
    html = client.get(url("contact-list"), {"page_size": 50}).content.decode()
    assert html.count("data-row-id=") == 30


def test_lists_show_only_own_organization(session_client, rep, outsider):
    AccountFactory(owner=rep, name="Acme Own Account")
    AccountFactory(owner=outsider, name="Globex Secret Account")
    html = session_client(rep).get(url("account-list")).content.decode()
    assert "Acme Own Account" in html
    assert "Globex Secret Account" not in html


def test_lists_need_login(client):
    response = client.get(url("account-list"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


# ---------------------------------------------------------------- accounts


def test_account_create_edit_delete(session_client, rep):
    client = session_client(rep)
    contact = ContactFactory(owner=rep)
    response = client.post(
        url("account-create"),
        {"name": "Initech", "owner": rep.pk, "contacts": [contact.pk], "default_contact": contact.pk},
    )
    account = Account.objects.get(name="Initech")
    assert response.status_code == 302 and response["Location"] == url("account-detail", account.pk)
    assert account.owner == rep and account.organization == rep.organization
    assert list(account.contacts.all()) == [contact]

    response = client.post(url("account-update", account.pk), {"name": "Initech Europe", "owner": rep.pk})
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.name == "Initech Europe"

    assert "This cannot be undone" in client.get(url("account-delete", account.pk)).content.decode()
    response = client.post(url("account-delete", account.pk))
    assert response.status_code == 302
    assert not Account.objects.filter(pk=account.pk).exists()


def test_account_bad_input_shows_field_error_and_writes_nothing(session_client, rep):
    response = session_client(rep).post(url("account-create"), {"name": "", "owner": rep.pk})
    assert response.status_code == 200
    html = response.content.decode()
    assert "is-invalid" in html and "This field is required." in html
    assert not Account.objects.exists()


def test_account_cannot_refer_itself(session_client, rep):
    account = AccountFactory(owner=rep, name="Loop")
    other = AccountFactory(owner=rep)
    client = session_client(rep)
    form_html = client.get(url("account-update", account.pk)).content.decode()
    # The referring account's picker searches the other accounts, never this one.
    select = re.search(r'<select name="referred_by"[^>]*>', form_html).group(0)
    picker_url = html.unescape(re.search(r'data-picker-url="([^"]+)"', select).group(1))
    offered = [option["value"] for option in client.get(picker_url).json()["results"]]
    assert str(other.pk) in offered and str(account.pk) not in offered
    # Even a hand-made request is refused under the field.
    response = client.post(
        url("account-update", account.pk), {"name": "Loop", "owner": rep.pk, "referred_by": account.pk}
    )
    assert "Select a valid choice" in response.content.decode()
    account.refresh_from_db()
    assert account.referred_by is None


def test_account_with_dependants_is_not_deleted_and_says_why(session_client, rep):
    account = AccountFactory(owner=rep)
    OpportunityFactory(owner=rep, account=account)
    response = session_client(rep).post(url("account-delete", account.pk))
    assert response.status_code == 200
    assert "cannot be deleted while it has opportunities" in response.content.decode()
    assert Account.objects.filter(pk=account.pk).exists()


def test_pickers_offer_only_own_organization_and_reps_only_themselves(session_client, rep, manager, outsider):
    ContactFactory(owner=rep, last_name="Ourcontact")
    ContactFactory(owner=outsider, last_name="Theircontact")
    client = session_client(rep)
    html = client.get(url("account-create")).content.decode()
    # The form carries no list of rows: its pickers search them, within the organization.
    assert "Ourcontact" not in html and "Theircontact" not in html
    contacts = client.get(reverse("accounts:picker", args=["contact"])).json()["results"]
    assert [option["text"].split()[-1] for option in contacts] == ["Ourcontact"]
    owners = client.get(reverse("accounts:picker", args=["owner"])).json()["results"]
    assert [option["value"] for option in owners] == [str(rep.pk)]

    owners = session_client(manager).get(reverse("accounts:picker", args=["owner"])).json()["results"]
    values = [option["value"] for option in owners]
    assert str(rep.pk) in values and str(manager.pk) in values and str(outsider.pk) not in values


def test_rep_cannot_pick_another_organizations_contact(session_client, rep, outsider):
    theirs = ContactFactory(owner=outsider)
    response = session_client(rep).post(
        url("account-create"), {"name": "Sneaky", "owner": rep.pk, "contacts": [theirs.pk]}
    )
    assert "Select a valid choice" in response.content.decode()
    assert not Account.objects.filter(name="Sneaky").exists()


def test_manager_assigns_an_account_to_a_rep(session_client, rep, manager):
    session_client(manager).post(url("account-create"), {"name": "For the rep", "owner": rep.pk})
    assert Account.objects.get(name="For the rep").owner == rep


# ---------------------------------------------------------------- access


def test_rep_cannot_edit_or_delete_another_reps_record(session_client, rep, organization):
    other_rep = UserFactory(organization=organization, role="rep")
    account = AccountFactory(owner=other_rep, name="Not mine")
    client = session_client(rep)

    detail = client.get(url("account-detail", account.pk))
    assert detail.status_code == 200  # reps read every record of the organization
    assert 'id="record-actions"' not in detail.content.decode()
    assert url("account-update", account.pk) not in detail.content.decode()

    assert client.get(url("account-update", account.pk)).status_code == 403
    response = client.post(url("account-update", account.pk), {"name": "Mine now", "owner": rep.pk})
    assert response.status_code == 403
    assert client.post(url("account-delete", account.pk)).status_code == 403
    account.refresh_from_db()
    assert account.name == "Not mine" and account.owner == other_rep


def test_owner_and_manager_see_edit_buttons(session_client, rep, manager):
    account = AccountFactory(owner=rep)
    assert 'id="record-actions"' in session_client(rep).get(url("account-detail", account.pk)).content.decode()
    assert 'id="record-actions"' in session_client(manager).get(url("account-detail", account.pk)).content.decode()


def test_manager_edits_a_reps_record(session_client, rep, manager):
    opportunity = OpportunityFactory(owner=rep)
    response = session_client(manager).post(
        url("opportunity-update", opportunity.pk),
        {"name": "Renamed by manager", "account": opportunity.account_id, "status": "in_progress", "owner": rep.pk},
    )
    assert response.status_code == 302
    opportunity.refresh_from_db()
    assert opportunity.name == "Renamed by manager" and opportunity.owner == rep


@pytest.mark.parametrize("key", list(FACTORIES))
@pytest.mark.parametrize("action", ["detail", "update", "delete"])
def test_another_organizations_record_is_not_found(session_client, rep, outsider, key, action):
    row = make_rows(key, outsider, 1)[0]
    client = session_client(rep)
    assert client.get(url(f"{key}-{action}", row.pk)).status_code == 404
    if action != "detail":
        assert client.post(url(f"{key}-{action}", row.pk), {"name": "x"}).status_code == 404
    assert type(row).objects.filter(pk=row.pk).exists()


# ---------------------------------------------------------------- contacts


def test_contact_with_several_emails_and_phones(session_client, rep):
    client = session_client(rep)
    response = client.post(
        url("contact-create"),
        {
            "first_name": "Ada",
            "last_name": "Lovelace",
            "gender": "female",
            **points("ada@example.com\nada.l@example.org", "+1 202 555 0143, mobile\n+12025550177"),
            "owner": rep.pk,
        },
    )
    contact = Contact.objects.get(last_name="Lovelace")
    assert response.status_code == 302
    assert contact.email == "ada@example.com"
    assert [(e.email, e.is_primary) for e in contact.emails.all()] == [
        ("ada@example.com", True),
        ("ada.l@example.org", False),
    ]
    assert [(str(p.number), p.phone_type, p.is_primary) for p in contact.phones.all()] == [
        ("+12025550143", "mobile", True),
        ("+12025550177", "business", False),
    ]
    html = client.get(url("contact-detail", contact.pk)).content.decode()
    assert "ada.l@example.org" in html and "+1 202-555-0177" in html

    # The edit form shows the lists back, and editing them replaces them.
    form_html = client.get(url("contact-update", contact.pk)).content.decode()
    assert 'value="ada.l@example.org"' in form_html and 'value="+1 202-555-0143"' in form_html
    assert '<option value="mobile" selected>' in form_html
    client.post(
        url("contact-update", contact.pk),
        {"last_name": "Lovelace", "gender": "female", **points("new@example.com", ""), "owner": rep.pk},
    )
    contact.refresh_from_db()
    assert contact.email == "new@example.com" and not contact.phone
    assert not contact.phones.exists()


def test_contact_bad_phone_and_email_are_shown_and_nothing_is_written(session_client, rep):
    contact = contact_save(actor=rep, data={"last_name": "Keep"}, emails=["keep@example.com"], phones=[])
    response = session_client(rep).post(
        url("contact-update", contact.pk),
        {
            "last_name": "Changed",
            "gender": "unspecified",
            **points("fine@example.com\nnot-an-email", "12, mobile\n+1 202 555 0143, fax"),
            "owner": rep.pk,
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    # Each message under its row, the row outlined, all in one round.
    assert "Enter a valid email address." in html
    assert "“12” is not a valid phone number" in html
    assert "fax is not one of the available choices" in html
    assert 'name="email-1-email" value="not-an-email"' in html and html.count("is-invalid") >= 3
    contact.refresh_from_db()
    assert contact.last_name == "Keep" and contact.email == "keep@example.com"
    assert not ContactPhone.objects.exists()


def test_contact_delete(session_client, rep):
    contact = ContactFactory(owner=rep)
    session_client(rep).post(url("contact-delete", contact.pk))
    assert not Contact.objects.filter(pk=contact.pk).exists()


def test_contact_list_filtered_by_account(session_client, rep):
    account = AccountFactory(owner=rep)
    linked = ContactFactory(owner=rep, last_name="Linked")
    ContactFactory(owner=rep, last_name="Unlinked")
    account.contacts.add(linked)
    html = session_client(rep).get(url("contact-list"), {"account": account.pk}).content.decode()
    assert "Linked" in html and "Unlinked" not in html


# ---------------------------------------------------------------- business customers


def test_business_customer_create_edit_delete(session_client, rep):
    account = AccountFactory(owner=rep)
    client = session_client(rep)
    assert (
        f'<option value="{account.pk}" selected>'
        in client.get(url("businesscustomer-create"), {"account": account.pk}).content.decode()
    )
    response = client.post(
        url("businesscustomer-create"),
        {"name": "Initech Purchasing", "account": account.pk, **points("", "+1 202 555 0100"), "owner": rep.pk},
    )
    customer = BusinessCustomer.objects.get(name="Initech Purchasing")
    assert response.status_code == 302
    assert customer.channel.channel_type == "business"
    assert str(customer.phone) == "+12025550100"

    response = client.post(
        url("businesscustomer-update", customer.pk),
        {"name": "Initech Buying", "account": account.pk, **points("", "not a phone"), "owner": rep.pk},
    )
    assert "“not a phone” is not a valid phone number" in response.content.decode()
    customer.refresh_from_db()
    assert customer.name == "Initech Purchasing"

    client.post(
        url("businesscustomer-update", customer.pk), {"name": "Initech Buying", "account": account.pk, "owner": rep.pk}
    )
    customer.refresh_from_db()
    assert customer.name == "Initech Buying"

    client.post(url("businesscustomer-delete", customer.pk))
    assert not BusinessCustomer.objects.filter(pk=customer.pk).exists()


def test_business_customer_with_several_emails_and_phones(session_client, rep):
    account = AccountFactory(owner=rep)
    client = session_client(rep)
    response = client.post(
        url("businesscustomer-create"),
        {
            "name": "Initech Purchasing",
            "account": account.pk,
            **points(
                "orders@initech.example\npayables@initech.example\nORDERS@initech.example",
                "+1 202 555 0143, mobile\n+12025550177\n+1 202 555 0188, home",
            ),
            "owner": rep.pk,
        },
    )
    assert response.status_code == 302
    customer = BusinessCustomer.objects.get(name="Initech Purchasing")
    # The primary of each list is kept on the row itself, for the lists and the search.
    assert customer.email == "orders@initech.example" and str(customer.phone) == "+12025550143"
    assert [(e.email, e.is_primary) for e in customer.emails.all()] == [
        ("orders@initech.example", True),
        ("payables@initech.example", False),
    ]
    assert [(str(p.number), p.phone_type, p.is_primary) for p in customer.phones.all()] == [
        ("+12025550143", "mobile", True),
        ("+12025550177", "business", False),
        ("+12025550188", "home", False),
    ]
    html = client.get(url("businesscustomer-detail", customer.pk)).content.decode()
    emails_card = html.split('id="customer-emails"')[1].split("</ul>")[0]
    phones_card = html.split('id="customer-phones"')[1].split("</ul>")[0]
    assert "orders@initech.example" in emails_card and "payables@initech.example" in emails_card
    assert emails_card.count(">primary<") == 1 and phones_card.count(">primary<") == 1
    assert "+1 202-555-0177" in phones_card and "Mobile" in phones_card and "Home" in phones_card
    listed = client.get(url("businesscustomer-list"), {"q": "orders@initech"}).content.decode()
    assert "Initech Purchasing" in listed

    # The edit form shows the lists back; reordering them changes the primary.
    form_html = client.get(url("businesscustomer-update", customer.pk)).content.decode()
    assert 'value="payables@initech.example"' in form_html and 'value="+1 202-555-0143"' in form_html
    client.post(
        url("businesscustomer-update", customer.pk),
        {
            "name": "Initech Purchasing",
            "account": account.pk,
            **points("payables@initech.example\norders@initech.example", "+12025550177"),
            "owner": rep.pk,
        },
    )
    customer.refresh_from_db()
    assert customer.email == "payables@initech.example" and str(customer.phone) == "+12025550177"
    assert [e.email for e in customer.emails.filter(is_primary=True)] == ["payables@initech.example"]
    assert [(str(p.number), p.is_primary) for p in customer.phones.all()] == [("+12025550177", True)]

    client.post(
        url("businesscustomer-update", customer.pk),
        {"name": "Initech Purchasing", "account": account.pk, **points("", ""), "owner": rep.pk},
    )
    customer.refresh_from_db()
    assert customer.email == "" and not customer.phone
    assert not customer.emails.exists() and not customer.phones.exists()


def test_business_customer_bad_phone_and_email_are_shown_and_nothing_is_written(session_client, rep):
    account = AccountFactory(owner=rep)
    customer = business_customer_save(
        actor=rep,
        data={"name": "Keep", "account": account},
        emails=["keep@example.com"],
        phones=[("+12025550143", "business")],
    )
    response = session_client(rep).post(
        url("businesscustomer-update", customer.pk),
        {
            "name": "Changed",
            "account": account.pk,
            **points("fine@example.com\nnot-an-email", "+1 202 555 0177, mobile\n12, mobile\n+1 202 555 0143, fax"),
            "owner": rep.pk,
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Enter a valid email address." in html
    assert "“12” is not a valid phone number" in html
    assert "fax is not one of the available choices" in html
    customer.refresh_from_db()
    assert customer.name == "Keep" and customer.email == "keep@example.com" and str(customer.phone) == "+12025550143"
    assert list(BusinessCustomerEmail.objects.values_list("email", "is_primary")) == [("keep@example.com", True)]
    assert [(str(p.number), p.is_primary) for p in BusinessCustomerPhone.objects.all()] == [("+12025550143", True)]


def test_business_customer_detail_runs_the_same_queries_for_many_emails_and_phones(session_client, rep):
    account = AccountFactory(owner=rep)
    client = session_client(rep)

    def detail_queries(count: int) -> int:
        customer = business_customer_save(
            actor=rep,
            data={"name": f"Customer {count}", "account": account},
            emails=[f"buyer{i}@example.com" for i in range(count)],
            phones=[(f"+1 202 555 01{i:02d}", "business") for i in range(count)],
        )
        client.get(url("businesscustomer-detail", customer.pk))
        with CaptureQueriesContext(connection) as queries:
            html = client.get(url("businesscustomer-detail", customer.pk)).content.decode()
        assert f"buyer{count - 1}@example.com" in html
        return len(queries)

    assert detail_queries(2) == detail_queries(12)


# ---------------------------------------------------------------- leads


def test_lead_create_edit_delete(session_client, rep):
    client = session_client(rep)
    response = client.post(
        url("lead-create"),
        {"name": "Website enquiry", "status": "new", "email": "bad@", "last_name": "Doe", "owner": rep.pk},
    )
    assert "Enter a valid email address." in response.content.decode()
    assert not Lead.objects.exists()

    client.post(
        url("lead-create"),
        {"name": "Website enquiry", "status": "new", "email": "jane@example.com", "last_name": "Doe", "owner": rep.pk},
    )
    lead = Lead.objects.get()
    assert lead.owner == rep

    client.post(url("lead-update", lead.pk), {"name": "Website enquiry", "status": "qualified", "owner": rep.pk})
    lead.refresh_from_db()
    assert lead.status == "qualified"

    client.post(url("lead-delete", lead.pk))
    assert not Lead.objects.exists()


def test_lead_convert_button_opens_a_new_opportunity(session_client, rep):
    lead = LeadFactory(owner=rep, name="Big deal", company_name="Umbrella", first_name="Al", last_name="Wesker")
    client = session_client(rep)
    html = client.get(url("lead-detail", lead.pk)).content.decode()
    assert url("lead-convert", lead.pk) in html

    response = client.post(url("lead-convert", lead.pk))
    opportunity = Opportunity.objects.get(lead=lead)
    assert response.status_code == 302 and response["Location"] == url("opportunity-detail", opportunity.pk)
    assert opportunity.name == "Big deal" and opportunity.account.name == "Umbrella"
    lead.refresh_from_db()
    assert lead.status == "qualified"
    html = client.get(url("opportunity-detail", opportunity.pk)).content.decode()
    assert "Umbrella" in html and "Big deal" in html


def test_disqualified_lead_is_not_converted(session_client, rep):
    lead = LeadFactory(owner=rep, status="disqualified")
    client = session_client(rep)
    response = client.post(url("lead-convert", lead.pk), follow=True)
    assert "A disqualified lead cannot be converted." in response.content.decode()
    assert not Opportunity.objects.exists()


def test_rep_cannot_convert_another_reps_lead(session_client, rep, organization):
    lead = LeadFactory(owner=UserFactory(organization=organization))
    client = session_client(rep)
    assert url("lead-convert", lead.pk) not in client.get(url("lead-detail", lead.pk)).content.decode()
    assert client.post(url("lead-convert", lead.pk)).status_code == 403
    assert client.get(url("lead-convert", lead.pk)).status_code == 403
    assert not Opportunity.objects.exists()


# ---------------------------------------------------------------- opportunities


def test_opportunity_create_with_customer_and_default_probability(session_client, rep):
    account = AccountFactory(owner=rep)
    customer = BusinessCustomerFactory(owner=rep, account=account)
    client = session_client(rep)
    response = client.post(
        url("opportunity-create"),
        {
            "name": "Fleet renewal",
            "account": account.pk,
            "customer": customer.pk,
            "status": "needs_analysis",
            "probability": "",
            "budget_amount": "1500.00",
            "budget_currency": "usd",
            "expected_close_date": "2030-01-31",
            "owner": rep.pk,
        },
    )
    opportunity = Opportunity.objects.get(name="Fleet renewal")
    assert response.status_code == 302
    assert opportunity.customer == customer
    assert opportunity.probability == Decimal("40")
    assert opportunity.budget_currency == "USD" and opportunity.budget_amount_base == Decimal("1500.00")
    html = client.get(url("opportunity-detail", opportunity.pk)).content.decode()
    assert customer.name in html and "Needs analysis" in html and "1,500.00 USD" in html


def test_opportunity_customer_of_another_account_is_refused_under_the_field(session_client, rep):
    account = AccountFactory(owner=rep)
    customer = BusinessCustomerFactory(owner=rep)  # of another account
    response = session_client(rep).post(
        url("opportunity-create"),
        {"name": "Mismatch", "account": account.pk, "customer": customer.pk, "status": "in_progress", "owner": rep.pk},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "belongs to another account" in html
    # Under the field (the summary on top repeats it).
    assert 'data-field="customer"' in html and html.rindex("belongs to another account") > html.index(
        'data-field="customer"'
    )
    assert not Opportunity.objects.exists()


def test_opportunity_bad_probability_and_currency(session_client, rep):
    account = AccountFactory(owner=rep)
    response = session_client(rep).post(
        url("opportunity-create"),
        {
            "name": "Odd",
            "account": account.pk,
            "status": "in_progress",
            "probability": "150",
            "budget_amount": "10",
            "budget_currency": "EURO",
            "owner": rep.pk,
        },
    )
    html = response.content.decode()
    assert "Ensure this value is less than or equal to 100." in html
    assert "at most 3 characters" in html
    assert not Opportunity.objects.exists()


def test_opportunity_edit_and_delete(session_client, rep):
    opportunity = OpportunityFactory(owner=rep)
    client = session_client(rep)
    client.post(
        url("opportunity-update", opportunity.pk),
        {
            "name": opportunity.name,
            "account": opportunity.account_id,
            "status": "negotiation",
            "probability": "10",
            "budget_amount": "1000",
            "budget_currency": "USD",
            "owner": rep.pk,
        },
    )
    opportunity.refresh_from_db()
    assert opportunity.status == "negotiation" and opportunity.probability == Decimal("80")
    client.post(url("opportunity-delete", opportunity.pk))
    assert not Opportunity.objects.filter(pk=opportunity.pk).exists()


def test_opportunity_page_loads_its_history_container(session_client, rep):
    opportunity = OpportunityFactory(owner=rep)
    html = session_client(rep).get(url("opportunity-detail", opportunity.pk)).content.decode()
    assert f'hx-get="/history/opportunity/{opportunity.pk}/"' in html


# ---------------------------------------------------------------- the 360-degree account page


def test_account_page_shows_contacts_customers_opportunities_and_lifetime_value(session_client, rep):
    account = AccountFactory(owner=rep, name="Massive Dynamic")
    contact = ContactFactory(owner=rep, first_name="Nina", last_name="Sharp")
    account.contacts.add(contact)
    customer = BusinessCustomerFactory(owner=rep, account=account, name="Massive Purchasing")
    with_customer = opportunity_save(
        actor=rep,
        data={"name": "Cortexiphan", "account": account, "customer": customer, "close_revenue": Decimal("1200")},
    )
    opportunity_save(actor=rep, opportunity=with_customer, data={"status": "won"})
    direct = opportunity_save(
        actor=rep, data={"name": "Direct deal", "account": account, "budget_amount": Decimal("300")}
    )
    opportunity_save(actor=rep, opportunity=direct, data={"status": "won"})
    OpportunityFactory(owner=rep, account=account, name="Still open")

    response = session_client(rep).get(url("account-detail", account.pk))
    assert response.status_code == 200
    html = response.content.decode()
    for text in ("Nina Sharp", "Massive Purchasing", "Cortexiphan", "Direct deal", "Still open"):
        assert text in html
    header = html[html.index('id="account-lifetime-value"') :]
    assert header.split("</div>")[0].endswith("1,500.00 USD")
    by_channel = html[
        html.index('id="lifetime-by-channel"') : html.index("</table>", html.index('id="lifetime-by-channel"'))
    ]
    assert "Business customers" in by_channel and "1,200.00 USD" in by_channel
    assert "No channel" in by_channel and "300.00 USD" in by_channel
    assert 'id="lifetime-history"' in html and "vendor/uplot/uPlot.iife.min.js" in html
    assert 'id="lifetime-chart"' in html


def test_account_page_renders_registered_sections_in_order(session_client, rep, monkeypatch, tmp_path, settings):
    (tmp_path / "section.html").write_text("<p class='registered'>Orders: {{ orders }}</p>")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], str(tmp_path)]}]
    monkeypatch.setattr(account_registry, "sections", [])
    account_registry.add_section(
        AccountSection(
            key="later", title="Later section", template="section.html", context=lambda a, u: {"orders": 2}, order=50
        )
    )
    account_registry.add_section(
        AccountSection(
            key="commerce",
            title="Commerce channel",
            template="section.html",
            context=lambda a, u: {"orders": 7},
            order=10,
        )
    )
    account = AccountFactory(owner=rep)
    html = session_client(rep).get(url("account-detail", account.pk)).content.decode()
    assert "Orders: 7" in html and "Orders: 2" in html
    assert html.index("Commerce channel") < html.index("Later section")


def test_account_page_loads_its_activity_list(session_client, rep):
    account = AccountFactory(owner=rep)
    html = session_client(rep).get(url("account-detail", account.pk)).content.decode()
    activities_url = url("account-activities", account.pk)
    assert f'id="account-activities" hx-get="{activities_url}" hx-trigger="load"' in html


def test_new_contact_from_the_account_page_joins_the_account(session_client, rep):
    client = session_client(rep)
    account = AccountFactory(owner=rep, name="Linked Co")
    page = client.get(url("account-detail", account.pk)).content.decode()
    create_url = f"{url('contact-create')}?account={account.pk}"
    assert create_url.replace("&", "&amp;") in page or create_url in page
    form = client.get(create_url).content.decode()
    assert f'<option value="{account.pk}" selected>' in form
    response = client.post(
        url("contact-create"),
        {
            "first_name": "Ada",
            "last_name": "Lovelace",
            "gender": "unspecified",
            "accounts": [account.pk],
            **points("ada@example.com", ""),
            "owner": rep.pk,
        },
    )
    assert response.status_code == 302
    contact = Contact.objects.get(last_name="Lovelace")
    assert list(contact.accounts.all()) == [account]
    assert "Lovelace" in client.get(url("account-detail", account.pk)).content.decode()


def test_contact_addresses_are_added_validated_and_removed(session_client, rep):
    client = session_client(rep)
    base = {"first_name": "Alan", "last_name": "Turing", "gender": "male", **points("", ""), "owner": rep.pk}
    rows = {
        "address-TOTAL_FORMS": "1",
        "address-INITIAL_FORMS": "0",
        "address-0-label": "Office",
        "address-0-street": "1 Bletchley Park",
        "address-0-postal_code": "MK3 6EB",
        "address-0-city": "Milton Keynes",
        "address-0-country": "gbr",
    }
    bad = client.post(url("contact-create"), {**base, **rows})
    assert bad.status_code == 200 and "two-letter country code" in bad.content.decode()
    assert not Contact.objects.filter(last_name="Turing").exists()

    response = client.post(url("contact-create"), {**base, **rows, "address-0-country": "gb"})
    assert response.status_code == 302
    contact = Contact.objects.get(last_name="Turing")
    address = contact.addresses.get()
    assert (address.city, address.country, address.is_primary) == ("Milton Keynes", "GB", True)
    assert "1 Bletchley Park" in client.get(url("contact-detail", contact.pk)).content.decode()

    edit = client.get(url("contact-update", contact.pk)).content.decode()
    assert 'value="Milton Keynes"' in edit
    removed = {
        **base,
        **rows,
        "address-0-country": "GB",
        "address-TOTAL_FORMS": "2",
        "address-INITIAL_FORMS": "1",
        "address-0-DELETE": "on",
    }
    assert client.post(url("contact-update", contact.pk), removed).status_code == 302
    assert not contact.addresses.exists()


def test_contact_rows_take_the_chosen_primary_and_drop_removed_rows(session_client, rep):
    contact = contact_save(actor=rep, data={"last_name": "Rows"}, emails=["a@example.com", "b@example.com"], phones=[])
    client = session_client(rep)
    form_html = client.get(url("contact-update", contact.pk)).content.decode()
    # The rows come back with the primary chosen, and one empty row to add another without JavaScript.
    assert 'name="email-0-email" value="a@example.com"' in form_html
    assert (
        'name="email-2-email"' in form_html
        and 'name="email-primary" value="0" id="id_email-0-primary" checked' in form_html
    )

    rows = {
        "email-TOTAL_FORMS": "3",
        "email-INITIAL_FORMS": "2",
        "email-0-email": "a@example.com",
        "email-0-DELETE": "on",
        "email-1-email": "b@example.com",
        "email-2-email": "c@example.com",
        "email-primary": "2",
        "phone-TOTAL_FORMS": "1",
        "phone-INITIAL_FORMS": "0",
        "phone-0-number": "",
        "phone-0-phone_type": "business",
    }
    response = client.post(
        url("contact-update", contact.pk), {"last_name": "Rows", "gender": "unspecified", "owner": rep.pk, **rows}
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.email == "c@example.com"
    assert [(e.email, e.is_primary) for e in contact.emails.all()] == [
        ("c@example.com", True),
        ("b@example.com", False),
    ]
