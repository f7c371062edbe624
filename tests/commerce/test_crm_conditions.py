"""Promotion conditions on CRM data: the CRM reference and category-key properties with every operator, combined
by all or any, never holding without the CRM's data, validated wherever a promotion is written (services, API,
admin), and pricing orders placed with what the CRM selector stores on them."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from commerce.crm_conditions import CRM_PROPERTY, CRM_REFERENCE, MAX_TEXT_LENGTH, MAX_VALUES
from commerce.models import Promotion
from commerce.services import LineInput, order_place
from commerce.services.pricing import PricingContext, order_pricing, promotion_conditions
from commerce.services.promotions import promotion_save
from tests.factories.api import error_attrs
from tests.factories.commerce import ProductFactory, make_customer

D = Decimal
API = "/api/commerce/promotions/"


def holds(params: dict, attributes: dict, kind: str = CRM_PROPERTY) -> bool:
    """Whether a condition, cleaned as a promotion stores it, holds for a customer the CRM describes so."""
    condition = promotion_conditions.get(kind)
    context = PricingContext(organization_id=1, currency="USD", on=timezone.now(), lines=(), attributes=attributes)
    return condition.holds(condition.clean(params), context)


def crm(**values) -> dict:
    return {"crm_reference": "C-1", "crm": values}


@pytest.mark.parametrize(
    ("params", "values", "expected"),
    [
        ({"operator": "equals", "value": "VIP"}, {"category": "VIP"}, True),
        ({"operator": "equals", "value": "vip "}, {"category": "VIP"}, True),  # case and spaces do not count
        ({"operator": "equals", "value": "VIP"}, {"category": "STD"}, False),
        ({"operator": "equals", "value": "10"}, {"category": "10.00"}, True),  # numbers as numbers
        ({"operator": "equals", "value": "10"}, {"category": 10}, True),
        ({"operator": "equals", "value": "true"}, {"category": True}, True),
        ({"operator": "equals", "value": "VIP"}, {"category": ["VIP"]}, False),  # a list is not equal to a text
        ({"operator": "one_of", "values": ["Gold", "VIP"]}, {"category": "vip"}, True),
        ({"operator": "one_of", "values": ["Gold", "VIP"]}, {"category": "STD"}, False),
        ({"operator": "contains", "value": "ip"}, {"category": "VIP customer"}, True),
        ({"operator": "contains", "value": "gold"}, {"category": "VIP customer"}, False),
        ({"operator": "contains", "value": "vip"}, {"category": ["STD", "VIP"]}, True),  # an item of a list
        ({"operator": "contains", "value": "vi"}, {"category": ["STD", "VIP"]}, False),
        ({"operator": "at_least", "value": "1000"}, {"category": "1000.00"}, True),
        ({"operator": "at_least", "value": "1000"}, {"category": 999.99}, False),
        ({"operator": "at_least", "value": 5}, {"category": "12"}, True),  # "12" > 5 as numbers, not as texts
        ({"operator": "at_least", "value": "5"}, {"category": "lots"}, False),
        ({"operator": "at_most", "value": "9.5"}, {"category": "9.50"}, True),
        ({"operator": "at_most", "value": "9.5"}, {"category": 10}, False),
        ({"operator": "at_most", "value": "9.5"}, {"category": True}, False),  # a yes/no is no number
        ({"operator": "is_true"}, {"category": True}, True),
        ({"operator": "is_true"}, {"category": "Yes"}, True),
        ({"operator": "is_true"}, {"category": 1}, True),
        ({"operator": "is_true"}, {"category": False}, False),
        ({"operator": "is_true"}, {"category": "no"}, False),
        # The CRM gave nothing for the property: no condition on it holds.
        ({"operator": "equals", "value": "VIP"}, {"other": "VIP"}, False),
        ({"operator": "is_true"}, {"category": None}, False),
        ({"operator": "at_most", "value": "100"}, {}, False),
    ],
)
def test_every_operator_compares_what_the_crm_said(params, values, expected):
    assert holds({"field": "category", **params}, crm(**values)) is expected


def test_without_the_crm_data_no_crm_condition_holds():
    vip = {"field": "category", "operator": "equals", "value": "VIP"}
    for attributes in ({}, {"crm": None}, {"crm": "VIP"}, {"crm": ["category"]}, {"crm_reference": "C-1"}):
        assert holds(vip, attributes) is False, attributes
    references = {"references": ["C-1", "C-2"]}
    assert holds(references, {"crm_reference": "C-2"}, CRM_REFERENCE) is True
    assert holds(references, {"crm_reference": "C-3"}, CRM_REFERENCE) is False
    assert holds(references, {"crm_reference": "c-1"}, CRM_REFERENCE) is False  # a reference is an exact key
    for attributes in ({}, {"crm_reference": None}, {"crm_reference": ["C-1"]}, {"crm": {"crm_reference": "C-1"}}):
        assert holds(references, attributes, CRM_REFERENCE) is False, attributes


@pytest.mark.parametrize(
    ("kind", "params", "message"),
    [
        (CRM_PROPERTY, {"operator": "equals", "value": "VIP"}, "CRM property"),
        (CRM_PROPERTY, {"field": "x" * (MAX_TEXT_LENGTH + 1), "operator": "is_true"}, "at most"),
        (CRM_PROPERTY, {"field": "category", "operator": "like", "value": "V"}, "operator"),
        (CRM_PROPERTY, {"field": "category", "operator": "equals"}, "value"),
        (CRM_PROPERTY, {"field": "category", "operator": "equals", "value": {"$ne": 1}}, "as text"),
        (CRM_PROPERTY, {"field": "category", "operator": "at_least", "value": "many"}, "number"),
        (CRM_PROPERTY, {"field": "category", "operator": "at_least", "value": "NaN"}, "number"),
        (CRM_PROPERTY, {"field": "category", "operator": "one_of", "values": []}, f"1 to {MAX_VALUES}"),
        (CRM_PROPERTY, {"field": "category", "operator": "one_of", "values": ["a"] * (MAX_VALUES + 1)}, "1 to"),
        (CRM_PROPERTY, {"field": "category", "operator": "one_of", "values": "VIP"}, "1 to"),
        (CRM_PROPERTY, {"field": "cat\negory", "operator": "is_true"}, "one line"),
        (CRM_REFERENCE, {"references": []}, "CRM references"),
        (CRM_REFERENCE, {"references": ["C-1", ""]}, "CRM references"),
        (CRM_REFERENCE, {"references": ["r" * (MAX_TEXT_LENGTH + 1)]}, "at most"),
    ],
)
def test_bad_crm_conditions_are_refused_with_a_message(kind, params, message):
    with pytest.raises(ValidationError) as refused:
        promotion_conditions.get(kind).clean(params)
    assert message in " ".join(refused.value.messages)


def test_a_condition_is_stored_as_cleaned():
    clean = promotion_conditions.get(CRM_PROPERTY).clean
    assert clean({"field": " category ", "operator": "at_least", "value": 5, "extra": "dropped"}) == {
        "field": "category",
        "operator": "at_least",
        "value": "5",
    }
    assert clean({"field": "category", "operator": "one_of", "values": ["VIP", "Gold", "VIP"]})["values"] == [
        "VIP",
        "Gold",
    ]
    assert clean({"field": "newsletter", "operator": "is_true", "value": "ignored"}) == {
        "field": "newsletter",
        "operator": "is_true",
    }


@pytest.fixture
def shop(manager):
    """Two products (10.00 and 25.00 USD) and the customer the CRM orders belong to."""
    organization = manager.organization
    return {
        "pen": ProductFactory(organization=organization, sku="PEN", unit_price=D("10.00")),
        "bag": ProductFactory(organization=organization, sku="BAG", unit_price=D("25.00")),
        "customer": make_customer(manager, "Anonymous"),
    }


def place(manager, shop, attributes=None):
    """2 pens and a bag (45.00 USD) for the shop's customer, with what the CRM selector stored."""
    lines = [LineInput(product=shop["pen"], quantity=2), LineInput(product=shop["bag"], quantity=1)]
    return order_place(actor=manager, customer=shop["customer"], lines=lines, pricing_attributes=attributes)


VIP = {"kind": CRM_PROPERTY, "params": {"field": "category", "operator": "equals", "value": "VIP"}}


@pytest.mark.django_db
def test_the_seeds_vip_discount_applies_to_customers_whose_category_is_vip(manager, shop):
    promotion_save(actor=manager, data={"name": "VIP discount", "value": "20", "conditions": [VIP]})

    def discount(attributes):
        return order_pricing(
            organization_id=manager.organization_id,
            currency="USD",
            on=timezone.now(),
            lines=[(shop["pen"].pk, 2, D("10.00")), (shop["bag"].pk, 1, D("25.00"))],
            customer=shop["customer"],
            attributes=attributes,
        ).discount

    assert discount({"crm_reference": "C-7", "crm": {"category": "VIP"}}) == D("9.00")
    assert discount({"crm_reference": "C-8", "crm": {"category": "STD"}}) == D("0.00")
    assert discount({"crm_reference": "C-9", "crm": {}}) == D("0.00")
    assert discount(None) == D("0.00")  # a customer of our own: no CRM data, no CRM discount


@pytest.mark.django_db
def test_crm_conditions_combine_by_all_or_any(manager, shop):
    gold = {"kind": CRM_PROPERTY, "params": {"field": "spent", "operator": "at_least", "value": "1000"}}
    known = {"kind": CRM_REFERENCE, "params": {"references": ["C-1", "C-2"]}}
    promotion = promotion_save(
        actor=manager, data={"name": "Loyal", "value": "10", "conditions": [VIP, gold, known], "condition_match": "all"}
    )
    everything = {"crm_reference": "C-1", "crm": {"category": "VIP", "spent": "1500"}}
    part = {"crm_reference": "C-3", "crm": {"category": "VIP", "spent": 10}}
    assert place(manager, shop, everything).discount == D("4.50")
    assert place(manager, shop, part).discount == D("0.00")
    promotion_save(actor=manager, promotion=promotion, data={"condition_match": "any"})
    assert place(manager, shop, part).discount == D("4.50")
    assert place(manager, shop, {"crm_reference": "C-3", "crm": {"category": "STD", "spent": 10}}).discount == D("0")
    assert place(manager, shop, {}).discount == D("0.00")


@pytest.mark.django_db
def test_a_crm_promotion_made_through_the_api_prices_orders_placed_with_the_crm_data(key_client, manager, shop):
    api = key_client(manager)
    response = api.post(
        API,
        {
            "name": "VIP ten off",
            "kind": "fixed_amount",
            "value": "10.00",
            "currency": "USD",
            "conditions": [VIP, {"kind": CRM_REFERENCE, "params": {"references": ["C-42"]}}],
            "condition_match": "any",
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["conditions"][0] == VIP
    order = place(manager, shop, {"crm_reference": "C-42", "crm": {"category": "STD"}})
    assert (order.discount, order.total) == (D("10.00"), D("35.00"))
    assert place(manager, shop, {"crm_reference": "C-1", "crm": {"category": "vip"}}).total == D("35.00")
    assert place(manager, shop, {"crm_reference": "C-1", "crm": {"category": "STD"}}).total == D("45.00")
    # A CRM condition the API cannot store is refused naming the conditions, and nothing is written.
    bad = {"kind": CRM_PROPERTY, "params": {"field": "category", "operator": "at_most", "value": "cheap"}}
    response = api.post(API, {"name": "Bad", "value": "5.00", "conditions": [bad]})
    assert response.status_code == 400 and error_attrs(response) == {"conditions"}
    assert "Condition 1: Give a number" in response.content.decode()
    assert not Promotion.objects.filter(name="Bad").exists()


@pytest.mark.django_db
def test_the_admin_accepts_and_checks_crm_conditions(client, org_admin):
    client.force_login(org_admin)
    url = reverse("admin:commerce_promotion_add")
    form_page = client.get(url).content.decode()
    assert "Kinds: crm_property, crm_reference, customer" in form_page  # the admin says which kinds it takes
    data = {
        "name": "Admin VIP",
        "kind": "percentage",
        "value": "15",
        "currency": "",
        "scope": "order",
        "conditions": '[{"kind": "crm_property", "params": {"field": "category", "operator": "one_of"}}]',
        "condition_match": "all",
        "priority": "100",
        "active": "on",
    }
    response = client.post(url, data)
    assert response.status_code == 200 and "Condition 1: Give 1 to 100 values" in response.content.decode()
    data["conditions"] = (
        '[{"kind": "crm_property", "params": {"field": "category", "operator": "one_of", "values": ["VIP", "Gold"]}}]'
    )
    assert client.post(url, data).status_code == 302
    stored = Promotion.objects.get(name="Admin VIP").conditions
    assert stored == [
        {"kind": CRM_PROPERTY, "params": {"field": "category", "operator": "one_of", "values": ["VIP", "Gold"]}}
    ]
