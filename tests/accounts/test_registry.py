"""The CRM's extension points refuse a key registered twice, so two apps never silently claim one name."""

import pytest
from django.apps import apps
from django.urls import reverse

from accounts.models import Account, BusinessCustomer
from accounts.registry import (
    AccountSection,
    ActivitySource,
    CustomerType,
    CustomerTypeRegistry,
    Registry,
    account_registry,
    customer_types,
)
from backoffice.changelog import change_types
from backoffice.jobs import job_kinds
from backoffice.menu import menu


def section(key: str, title: str) -> AccountSection:
    return AccountSection(key=key, title=title, template="section.html", context=lambda account, actor: {})


def test_a_customer_type_registered_twice_is_refused_and_the_first_kept():
    registry = CustomerTypeRegistry()
    first = CustomerType(model=BusinessCustomer, label="Business customer")
    registry.register(first)
    with pytest.raises(ValueError, match="accounts.businesscustomer"):
        registry.register(CustomerType(model=BusinessCustomer, label="Another"))
    assert list(registry) == [first]


def test_an_account_section_key_registered_twice_is_refused_and_the_first_kept():
    registry = Registry()
    registry.add_section(section("commerce", "Commerce channel"))
    with pytest.raises(ValueError, match="'commerce'"):
        registry.add_section(section("commerce", "Orders"))
    assert [s.title for s in registry.sections] == ["Commerce channel"]


def test_an_activity_source_registered_twice_for_one_model_is_refused_and_the_first_kept():
    registry = Registry()
    first = ActivitySource(model=Account, ids=lambda account_id: Account.objects.filter(pk=account_id).values("pk"))
    registry.add_activity_source(first)
    with pytest.raises(ValueError, match="accounts.account"):
        registry.add_activity_source(ActivitySource(model=Account, ids=lambda account_id: Account.objects.none()))
    assert registry.activity == [first]


def test_another_app_cannot_take_over_the_crms_own_registrations():
    with pytest.raises(ValueError, match="accounts.businesscustomer"):
        customer_types.register(CustomerType(model=BusinessCustomer, label="Someone else's"))
    with pytest.raises(ValueError, match="accounts.account"):
        account_registry.add_activity_source(ActivitySource(model=Account, ids=lambda account_id: None))
    assert customer_types.for_model(BusinessCustomer).label == "Business customer"


def test_the_crms_start_up_runs_again_without_error_or_duplicates():
    def registered():
        return (
            list(customer_types),
            list(account_registry.activity),
            dict(change_types.types),
            dict(job_kinds.items),
            list(menu.entries),
        )

    before = registered()
    apps.get_app_config("accounts").ready()
    assert registered() == before


def test_a_customer_type_links_its_records_by_url_name_or_callable():
    record = BusinessCustomer(pk=7)
    assert CustomerType(model=BusinessCustomer, label="No page").record_url(record) is None
    by_name = CustomerType(model=BusinessCustomer, label="Named", url_name="accounts:businesscustomer-detail")
    assert by_name.record_url(record) == reverse("accounts:businesscustomer-detail", args=[7])
    by_callable = CustomerType(model=BusinessCustomer, label="Own", url=lambda r: f"/elsewhere/{r.pk}/")
    assert by_callable.record_url(record) == "/elsewhere/7/"
