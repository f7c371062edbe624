"""Pricing orders with promotions: every kind and scope, validity, minimum subtotal, customer group, registered
conditions, priorities, and what a discounted order counts toward the lifetime sales value."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Account
from backoffice.models import CurrencyRate
from commerce.models import AppliedPromotion, CommerceCustomer
from commerce.services import LineInput, order_pay, order_place
from commerce.services.pricing import ConditionKind, order_pricing, promotion_conditions
from commerce.services.promotions import promotion_save
from tests.factories.commerce import CustomerGroupFactory, ProductFactory, make_customer

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def shop(manager):
    """Two products (10.00 and 25.00 USD) and a customer."""
    organization = manager.organization
    return {
        "pen": ProductFactory(organization=organization, sku="PEN", unit_price=D("10.00")),
        "bag": ProductFactory(organization=organization, sku="BAG", unit_price=D("25.00")),
        "customer": make_customer(manager, "Buyer"),
    }


def promotion(manager, **data):
    data.setdefault("name", "Promo")
    data.setdefault("value", D("10"))
    return promotion_save(actor=manager, data=data)


def place(manager, shop, *, pens=2, bags=1, customer=None, **kwargs):
    lines = [LineInput(product=shop["pen"], quantity=pens), LineInput(product=shop["bag"], quantity=bags)]
    return order_place(actor=manager, customer=customer or shop["customer"], lines=lines, **kwargs)


def line_discounts(order) -> dict[str, Decimal]:
    """What promotions took off each line of a placed order, by product SKU."""
    found = {}
    for applied in AppliedPromotion.objects.filter(order=order).select_related("line__product"):
        sku = applied.line.product.sku
        found[sku] = found.get(sku, D("0")) + applied.amount
    return found


def test_a_percentage_off_the_whole_order_shows_on_every_line_and_the_total(manager, shop):
    promotion(manager, name="Ten percent", kind="percentage", value="10", scope="order")
    order = place(manager, shop)  # 2 x 10.00 + 1 x 25.00 = 45.00
    assert (order.subtotal, order.discount, order.total) == (D("45.00"), D("4.50"), D("40.50"))
    assert line_discounts(order) == {"PEN": D("2.00"), "BAG": D("2.50")}
    assert set(AppliedPromotion.objects.filter(order=order).values_list("name", flat=True)) == {"Ten percent"}


def test_a_fixed_amount_off_the_order_is_spread_over_the_lines_and_never_exceeds_them(manager, shop):
    promotion(manager, name="Five off", kind="fixed_amount", value="5.00", currency="USD")
    order = place(manager, shop)
    assert (order.discount, order.total) == (D("5.00"), D("40.00"))
    spread = line_discounts(order)
    assert sum(spread.values()) == D("5.00") and spread["BAG"] > spread["PEN"]

    promotion(manager, name="Huge", kind="fixed_amount", value="1000.00", currency="USD", priority=200)
    order = place(manager, shop)
    assert (order.discount, order.total) == (D("45.00"), D("0.00"))


def test_a_promotion_on_chosen_products_discounts_only_their_lines(manager, shop):
    promotion(manager, name="Pens 50%", kind="percentage", value="50", scope="products", products=[shop["pen"]])
    order = place(manager, shop)
    assert line_discounts(order) == {"PEN": D("10.00")}
    assert order.total == D("35.00")

    promotion(
        manager,
        name="Bag 3 off",
        kind="fixed_amount",
        value="3",
        currency="USD",
        scope="products",
        products=[shop["bag"]],
    )
    order = place(manager, shop, pens=1)
    assert line_discounts(order) == {"PEN": D("5.00"), "BAG": D("3.00")}
    # An order without the chosen products gets nothing from them.
    order = order_place(actor=manager, customer=shop["customer"], lines=[LineInput(product=shop["bag"], quantity=1)])
    assert line_discounts(order) == {"BAG": D("3.00")}


def test_a_promotion_applies_only_within_its_validity(manager, shop):
    now = timezone.now()
    promotion(
        manager, name="Week", value="20", valid_from=now + dt.timedelta(days=1), valid_to=now + dt.timedelta(days=7)
    )
    assert place(manager, shop).discount == D("0.00")  # not yet
    assert place(manager, shop, placed_at=now + dt.timedelta(days=2)).discount == D("9.00")
    assert place(manager, shop, placed_at=now + dt.timedelta(days=8)).discount == D("0.00")  # over


def test_a_minimum_subtotal_is_reached_or_not_and_counts_only_in_its_currency(manager, shop):
    promotion(manager, name="Big baskets", value="10", minimum_subtotal="45.00", currency="USD")
    assert place(manager, shop, pens=1).discount == D("0.00")  # 35.00
    assert place(manager, shop).discount == D("4.50")  # 45.00: reached
    CurrencyRate.objects.create(
        organization=manager.organization, currency="EUR", rate=D("1.1"), valid_from=dt.date(2000, 1, 1)
    )
    euro = ProductFactory(organization=manager.organization, unit_price=D("100.00"), currency="EUR")
    order = order_place(actor=manager, customer=shop["customer"], lines=[LineInput(product=euro, quantity=1)])
    assert order.discount == D("0.00")


def test_a_customer_group_promotion_applies_to_that_group_only(manager, shop):
    vip = CustomerGroupFactory(organization=manager.organization, name="VIP")
    other = CustomerGroupFactory(organization=manager.organization, name="Other")
    promotion(manager, name="VIP", value="15", customer_group=vip)
    assert place(manager, shop).discount == D("0.00")  # no group
    in_other = make_customer(manager, "Other buyer", group=other)
    assert place(manager, shop, customer=in_other).discount == D("0.00")
    in_vip = make_customer(manager, "VIP buyer", group=vip)
    assert place(manager, shop, customer=in_vip).discount == D("6.75")


def test_registered_conditions_combine_by_all_or_any_and_an_unknown_kind_never_holds(manager, shop):
    other = make_customer(manager, "Someone else")
    group = CustomerGroupFactory(organization=manager.organization)
    conditions = [
        {"kind": "customer", "params": {"ids": [shop["customer"].pk]}},
        {"kind": "customer_group", "params": {"ids": [group.pk]}},
    ]
    every = promotion(manager, name="All", value="10", conditions=conditions, condition_match="all")
    assert place(manager, shop).discount == D("0.00")  # the customer, but not the group
    promotion_save(actor=manager, promotion=every, data={"condition_match": "any"})
    assert place(manager, shop).discount == D("4.50")
    assert place(manager, shop, customer=other).discount == D("0.00")
    # A kind whose app is gone (stored, no longer registered) gives no discount.
    type(every).objects.filter(pk=every.pk).update(conditions=[{"kind": "gone", "params": {}}])
    assert place(manager, shop).discount == D("0.00")


def test_another_app_plugs_in_a_condition_on_what_an_external_source_says(manager, shop):
    promotion_conditions.register(
        "test_category",
        ConditionKind(
            key="test_category",
            label="Category is",
            clean=lambda params: {"value": str(params.get("value", ""))[:50]},
            holds=lambda params, context: context.attributes.get("category") == params["value"],
        ),
    )
    try:
        promotion(
            manager,
            name="VIP from the CRM",
            value="50",
            conditions=[{"kind": "test_category", "params": {"value": "VIP"}}],
        )
        assert place(manager, shop).discount == D("0.00")
        assert place(manager, shop, pricing_attributes={"category": "VIP"}).discount == D("22.50")
    finally:
        promotion_conditions.items.pop("test_category")


def test_priorities_stack_on_what_is_left_and_an_exclusive_one_stops_the_rest(manager, shop):
    first = promotion(manager, name="Half", value="50", priority=1)
    promotion(manager, name="Then ten off", kind="fixed_amount", value="10", currency="USD", priority=2)
    order = place(manager, shop)  # 45.00 -> 22.50 -> 12.50
    assert (order.discount, order.total) == (D("32.50"), D("12.50"))
    promotion_save(actor=manager, promotion=first, data={"exclusive": True})
    assert place(manager, shop).discount == D("22.50")
    promotion_save(actor=manager, promotion=first, data={"active": False})
    assert place(manager, shop).discount == D("10.00")


def test_pricing_reads_a_constant_number_of_queries(manager, shop, django_assert_max_num_queries):
    for index in range(30):
        promotion(manager, name=f"P{index}", value="1", scope="products", products=[shop["pen"], shop["bag"]])
    lines = [(shop["pen"].pk, 1, D("10.00")), (shop["bag"].pk, 1, D("25.00"))]
    with django_assert_max_num_queries(2):
        pricing = order_pricing(
            organization_id=manager.organization_id,
            currency="USD",
            on=timezone.now(),
            lines=lines,
            customer=shop["customer"],
        )
    assert len(pricing.promotions()) == 30


def test_a_discounted_sale_counts_its_subtotal_toward_the_lifetime_value(manager, shop):
    """The rule: a commerce order counts its subtotal (before discounts) less refunds, in base currency, as
    for every commerce order; a promotion lowers what is paid, not the subtotal counted."""
    promotion(manager, name="Ten percent", value="10")
    order = place(manager, shop)
    order_pay(actor=manager, order=order, amount=order.total)
    customer = CommerceCustomer.objects.get(pk=shop["customer"].pk)
    assert customer.lifetime_value == D("45.00") == order.base_subtotal
    assert Account.objects.get(pk=customer.account_id).lifetime_value == D("45.00")


def test_new_lines_of_an_order_are_priced_again_keeping_a_discount_given_by_hand(manager, shop):
    """Editing the lines takes the old lines' promotions off the discount and applies those in force."""
    from commerce.services import order_update

    promotion(manager, name="Ten percent", kind="percentage", value="10", scope="order")
    order = place(manager, shop, discount=D("5.00"))  # 45.00 less 4.50 promoted and 5.00 by hand
    assert order.discount == D("9.50")
    order = order_update(actor=manager, order=order, data={}, lines=[LineInput(product=shop["bag"], quantity=2)])
    assert (order.subtotal, order.discount, order.total) == (D("50.00"), D("10.00"), D("40.00"))
    assert line_discounts(order) == {"BAG": D("5.00")}
