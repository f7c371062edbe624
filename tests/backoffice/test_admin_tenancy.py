"""An organization's admin sees nothing of another organization anywhere in the admin: every registered
screen (lists with their filters and search, add and change forms with their pickers, history,
autocomplete) is opened as them while the other organization has a record of every kind, marked
with a name that must never show; and every record of the other organization is out of reach by
its address."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib import admin
from django.urls import NoReverseMatch, reverse

from accounts.models import Channel, OpportunityStatusProbability
from backoffice.changes import change_context
from backoffice.models import ChangeLogEntry, CurrencyRate, ExternalReference, Job
from tests.factories import (
    AccountFactory,
    ApiKeyFactory,
    BusinessCustomerFactory,
    CalendarEventFactory,
    ContactFactory,
    LeadFactory,
    NoteFactory,
    OpportunityFactory,
    TaskFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

MARK = "Zanzibar"  # in the name of every record of the other organization


@pytest.fixture
def other_records(other_organization, outsider):
    """One record of every kind the admin shows, all belonging to the other organization."""
    owner = UserFactory(username=f"{MARK.lower()}-rep", organization=other_organization, last_name=MARK)
    with change_context(actor=owner):
        account = AccountFactory(owner=owner, name=f"{MARK} Account")
        contact = ContactFactory(owner=owner, last_name=f"{MARK}son")
        account.contacts.add(contact)
        records = [
            owner,
            account,
            contact,
            BusinessCustomerFactory(owner=owner, account=account, name=f"{MARK} Customer"),
            LeadFactory(owner=owner, name=f"{MARK} Lead"),
            OpportunityFactory(owner=owner, account=account, name=f"{MARK} Deal"),
            TaskFactory(owner=owner, subject=f"{MARK} Task"),
            CalendarEventFactory(owner=owner, title=f"{MARK} Event"),
            NoteFactory(owner=owner, text=f"{MARK} Note"),
            Channel.objects.create(organization=other_organization, name=f"{MARK} Channel", channel_type="web_store"),
            OpportunityStatusProbability.objects.create(
                organization=other_organization, status="negotiation", probability=Decimal(77)
            ),
            CurrencyRate.objects.create(
                organization=other_organization, currency="ZAR", rate=Decimal("0.054"), valid_from=dt.date(2026, 1, 1)
            ),
            ExternalReference.objects.create(
                organization=other_organization,
                system=MARK.lower(),
                content_type_id=_content_type_id(account),
                object_id=account.pk,
                external_id=f"{MARK}-1",
            ),
            Job.objects.create(organization=other_organization, kind=f"{MARK.lower()}.job", requested_by=owner),
            ApiKeyFactory.create(owner)[0],
            other_organization,
        ]
    records.append(ChangeLogEntry.objects.filter(organization=other_organization).latest("id"))
    records += _outlook_records(other_organization, owner)
    records += _commerce_records(owner, outsider)
    records += _crmconnector_records(other_organization)
    return records


def _crmconnector_records(organization) -> list:
    from crmconnector.models import CrmConnectorActivation, CrmConnectorConfiguration, CrmConnectorProperty

    configuration = CrmConnectorConfiguration.objects.create(
        organization=organization, name=f"{MARK} CRM", connector="generic_rest", base_url="http://zanzibar.test"
    )
    CrmConnectorProperty.objects.create(configuration=configuration, external_field="id", label=MARK, is_reference=True)
    activation = CrmConnectorActivation.objects.create(
        organization=organization, enabled=True, configuration=configuration
    )
    return [configuration, activation]


def _commerce_records(owner, admin) -> list:
    from django.utils import timezone

    from commerce.models import AppliedPromotion, RequestForQuote, ShoppingList
    from commerce.services import customer_user_create
    from commerce.services.documents import invoice_create, shipment_create
    from commerce.services.promotions import promotion_save
    from commerce.services.quotes import QuoteLineInput, quote_create
    from tests.factories.commerce import CustomerGroupFactory, ProductFactory, make_customer, make_order

    with change_context(actor=owner):
        customer = make_customer(owner, name=f"{MARK} Buyer")
        customer_user = customer_user_create(
            actor=owner,
            customer=customer,
            first_name=MARK,
            last_name=MARK,
            email="zanzibar@example.com",
            password="long enough password",
        )
        product = ProductFactory(organization=owner.organization, name=f"{MARK} Product")
        organization = owner.organization
        promotion = promotion_save(actor=admin, data={"name": f"{MARK} Promotion", "value": "10"})
        order = make_order(owner, customer, number=f"{MARK}-1")
        return [
            promotion,
            AppliedPromotion.objects.get(order=order),
            customer,
            CustomerGroupFactory(organization=owner.organization, name=f"{MARK} Group"),
            customer_user,
            product,
            order,
            ShoppingList.objects.create(
                organization=organization, customer_user=customer_user, customer=customer, name=f"{MARK} List"
            ),
            RequestForQuote.objects.create(
                organization=organization, number=f"{MARK}-RFQ", customer=customer, customer_user=customer_user
            ),
            quote_create(
                actor=owner, customer=customer, valid_until=timezone.localdate(), lines=[QuoteLineInput(product, 1)]
            ),
            shipment_create(actor=owner, orders=[make_order(owner, customer, number=f"{MARK}-2")]),
            invoice_create(actor=owner, orders=[make_order(owner, customer, number=f"{MARK}-3")]),
        ]


def _outlook_records(organization, owner) -> list:
    from outlooksync.models import OutlookConnection, SyncAlert, SyncHistory, SyncLink, SyncRun

    run = SyncRun.objects.create(organization=organization, user=owner, errors=[f"{MARK} failed"])
    return [
        OutlookConnection.objects.create(organization=organization, user=owner, mailbox=f"{MARK.lower()}@example.com"),
        SyncLink.objects.create(organization=organization, user=owner, entity="contact", crm_id=1, outlook_id=MARK),
        run,
        SyncAlert.objects.create(
            organization=organization, user=owner, run=run, kind="failed", message=f"{MARK} alert"
        ),
        SyncHistory.objects.create(
            organization=organization, user=owner, run=run, entity="contact", side="crm", action="update", note=MARK
        ),
    ]


def _content_type_id(record) -> int:
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_for_model(type(record)).pk


def _url(model, view: str, *args) -> str | None:
    try:
        return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)
    except NoReverseMatch:
        return None


def _assert_hidden(response, where: str) -> None:
    body = response.content.decode(errors="replace")
    assert MARK not in body and MARK.lower() not in body, f"{where} shows the other organization"


def test_no_admin_screen_shows_another_organization(client, org_admin, rep, other_records):
    # Own records too, so that lists, forms and pickers have something to show.
    own_account = AccountFactory(owner=rep, name="Own Account")
    OpportunityFactory(owner=rep, account=own_account, name="Own Deal")
    client.force_login(org_admin)
    _assert_hidden(client.get(reverse("admin:index")), "the admin index")
    opened = 0
    for model, model_admin in admin.site._registry.items():
        changelist = _url(model, "changelist")
        response = client.get(changelist)
        if response.status_code == 403:
            continue  # not the organization admin's screen at all
        assert response.status_code == 200, (changelist, response.status_code)
        _assert_hidden(response, changelist)
        opened += 1
        # Every filter choice the list offers, and a search for the other organization's name.
        for params in ({"q": MARK[:5]}, {"all": ""}):  # the search box repeats its term: search a part
            _assert_hidden(client.get(changelist, params), f"{changelist}?{params}")
        add = _url(model, "add")
        if add:
            response = client.get(add)
            if response.status_code == 200:
                _assert_hidden(response, add)
        own = model_admin.get_queryset(_request_for(org_admin)).first()
        if own is not None:
            for view in ("change", "history"):
                url = _url(model, view, own.pk)
                response = client.get(url)
                assert response.status_code == 200, (url, response.status_code)
                _assert_hidden(response, url)
        for field in model_admin.get_autocomplete_fields(_request_for(org_admin)):
            response = client.get(
                reverse("admin:autocomplete"),
                {
                    "term": MARK[:5],
                    "app_label": model._meta.app_label,
                    "model_name": model._meta.model_name,
                    "field_name": field,
                },
            )
            _assert_hidden(response, f"autocomplete of {model.__name__}.{field}")
    assert opened >= 15


def test_no_record_of_another_organization_opens_by_its_address(client, org_admin, other_records):
    client.force_login(org_admin)
    reached = 0
    for record in other_records:
        model = type(record)
        if model not in admin.site._registry:
            continue
        for view in ("change", "history", "delete"):
            url = _url(model, view, record.pk)
            if url is None:
                continue
            response = client.get(url)
            reached += 1
            # The admin answers a row it cannot see with a redirect to its list ("does not exist").
            assert response.status_code in (302, 403, 404), (url, response.status_code)
            _assert_hidden(client.get(url, follow=True), url)
        # Nor can a bulk action reach it.
        changelist = _url(model, "changelist")
        client.post(changelist, {"action": "delete_selected", "_selected_action": [record.pk], "post": "yes"})
        assert model._base_manager.filter(pk=record.pk).exists(), f"{changelist} deleted another organization's row"
    assert reached >= 20


def _request_for(user):
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def test_the_fixture_covers_every_scoped_screen(other_records):
    """Guard: a screen added later with no record here would go unchecked."""
    covered = {type(record) for record in other_records}
    scoped = {
        model for model, model_admin in admin.site._registry.items() if hasattr(model_admin, "organization_field")
    }
    missing = {model.__name__ for model in scoped - covered}
    assert not missing, f"give the other organization a {', '.join(sorted(missing))} in other_records"
