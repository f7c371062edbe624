"""The promotion pages in Sales: the list (search, filters, sorting, paging, constant queries), a promotion's page,
the form with its products and conditions editor writing through the service, activation, and who may do what."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from backoffice.menu import menu
from commerce.models import Promotion
from commerce.services import LineInput, order_place
from commerce.services.pricing import MAX_CONDITIONS, MAX_PRODUCTS
from commerce.services.promotions import promotion_save
from tests.factories.commerce import CustomerGroupFactory, ProductFactory, make_customer

pytestmark = pytest.mark.django_db
D = Decimal
NOW = timezone.now()


def url(name: str, *args) -> str:
    return reverse(f"commerce-promotions:promotion-{name}", args=args)


def save(actor, **data):
    data.setdefault("value", "10")
    return promotion_save(actor=actor, data=data)


def form_data(**fields) -> dict:
    """What the form posts for a promotion: every condition row empty unless given as condition-N-... keys."""
    data = {
        "name": "Page promo",
        "kind": "percentage",
        "value": "10",
        "currency": "",
        "scope": "order",
        "priority": "100",
        "active": "on",
        "condition_match": "all",
    }
    for index in range(MAX_CONDITIONS):
        data[f"condition-{index}-kind"] = ""
    data.update(fields)
    return data


def names_in(html: str, candidates) -> list[str]:
    """The candidates found in the page, in the order the page shows them."""
    found = [(html.index(f">{name}</a>"), name) for name in candidates if f">{name}</a>" in html]
    return [name for _, name in sorted(found)]


def test_promotions_sit_in_the_sales_menu_after_shopping_lists_and_before_shipments(rep):
    [sales] = [section for section in menu.for_user(rep) if section["key"] == "sales"]
    labels = [label for label, _ in sales["items"]]
    assert labels.index("Shopping lists") < labels.index("Promotions") < labels.index("Shipments")
    assert dict(sales["items"])["Promotions"] == url("list")


def test_the_list_searches_filters_sorts_and_pages_at_a_constant_number_of_queries(session_client, rep, manager):
    save(manager, name="Spring sale", valid_from=NOW - dt.timedelta(days=1), valid_to=NOW + dt.timedelta(days=9))
    save(manager, name="Winter sale", valid_from=NOW - dt.timedelta(days=90), valid_to=NOW - dt.timedelta(days=60))
    save(manager, name="Sleeping", active=False)
    save(manager, name="Five off", kind="fixed_amount", value="5", currency="USD", priority=1)
    client = session_client(rep)
    every = ["Spring sale", "Winter sale", "Sleeping", "Five off"]
    html = client.get(url("list")).content.decode()
    assert names_in(html, every) == ["Five off", "Spring sale", "Winter sale", "Sleeping"]  # by priority
    assert 'id="new-record"' not in html  # reps read promotions, managers make them
    assert names_in(client.get(url("list"), {"q": "sale"}).content.decode(), every) == ["Spring sale", "Winter sale"]
    assert names_in(client.get(url("list"), {"active": "false"}).content.decode(), every) == ["Sleeping"]
    in_force = client.get(url("list"), {"in_force": "true", "ordering": "name"}).content.decode()
    assert names_in(in_force, every) == ["Five off", "Spring sale"]
    not_in_force = client.get(url("list"), {"in_force": "false", "ordering": "-name"}).content.decode()
    assert names_in(not_in_force, every) == ["Winter sale", "Sleeping"]
    assert names_in(client.get(url("list"), {"kind": "fixed_amount"}).content.decode(), every) == ["Five off"]
    assert 'id="empty-list"' in client.get(url("list"), {"q": "nothing like it"}).content.decode()
    # The API answers the same question the same way.
    assert client.get("/api/commerce/promotions/", {"in_force": "false"}).json()["count"] == 2

    client.get(url("list"))  # the caches warm, so both counts see the same
    with CaptureQueriesContext(connection) as few:
        client.get(url("list"))
    product = ProductFactory(organization=manager.organization)
    for index in range(30):
        save(manager, name=f"Bulk {index:02d}", scope="products", products=[product])
    with CaptureQueriesContext(connection) as many:
        page_one = client.get(url("list"), {"q": "Bulk"}).content.decode()
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    assert "Bulk 00" in page_one and "Bulk 29" not in page_one and "1–25 of 30" in page_one
    page_two = client.get(url("list"), {"q": "Bulk", "page": "2"}).content.decode()
    assert "Bulk 29" in page_two and "1 product" in page_two
    csv = b"".join(client.get(url("export"), {"q": "Spring"}).streaming_content).decode()
    assert "Spring sale" in csv and "Winter sale" not in csv


def test_a_manager_makes_a_promotion_with_products_and_conditions_that_prices_crm_orders(session_client, manager):
    pen = ProductFactory(organization=manager.organization, sku="PEN", unit_price=D("10.00"))
    bag = ProductFactory(organization=manager.organization, sku="BAG", unit_price=D("25.00"))
    buyer = make_customer(manager, "Buyer")
    response = session_client(manager).post(
        url("create"),
        form_data(
            name="VIP pens",
            value="50",
            scope="products",
            products=[pen.pk],
            condition_match="any",
            **{
                "condition-0-kind": "crm_property",
                "condition-0-crm_property__field": "category",
                "condition-0-crm_property__operator": "one_of",
                "condition-0-crm_property__values": "VIP\n Gold \n\n",
                "condition-0-crm_property__value": "ignored for one of",
                "condition-2-kind": "crm_reference",
                "condition-2-crm_reference__references": "C-42",
            },
        ),
    )
    promotion = Promotion.objects.get(name="VIP pens")
    assert response.status_code == 302 and response.url == url("detail", promotion.pk)
    assert list(promotion.products.all()) == [pen] and promotion.condition_match == "any"
    assert promotion.conditions == [
        {"kind": "crm_property", "params": {"field": "category", "operator": "one_of", "values": ["VIP", "Gold"]}},
        {"kind": "crm_reference", "params": {"references": ["C-42"]}},
    ]

    def place(attributes):
        lines = [LineInput(product=pen, quantity=2), LineInput(product=bag, quantity=1)]
        return order_place(actor=manager, customer=buyer, lines=lines, pricing_attributes=attributes)

    assert place({"crm_reference": "C-1", "crm": {"category": "gold"}}).discount == D("10.00")
    assert place({"crm_reference": "C-42", "crm": {}}).discount == D("10.00")
    assert place({"crm_reference": "C-1", "crm": {"category": "STD"}}).discount == D("0.00")


def test_bad_input_is_refused_with_every_message_at_once_and_nothing_saved(session_client, manager):
    products = ProductFactory.create_batch(2, organization=manager.organization)
    too_many = [str(products[0].pk)] + [str(index) for index in range(1, MAX_PRODUCTS + 1)]
    response = session_client(manager).post(
        url("create"),
        form_data(
            value="120",
            products=too_many,
            valid_from="2030-02-01 00:00",
            valid_to="2030-01-01 00:00",
            **{
                "condition-0-kind": "crm_property",
                "condition-0-crm_property__field": "spent",
                "condition-0-crm_property__operator": "at_least",
                "condition-0-crm_property__value": "a lot",
                "condition-1-kind": "crm_property",
                "condition-1-crm_property__operator": "equals",
                "condition-1-crm_property__value": "VIP",
                "condition-3-kind": "no-such-kind",
            },
        ),
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert f"Choose at most {MAX_PRODUCTS}." in html
    assert "The end of validity cannot come before its start." in html
    assert "Give a number of at most 40 characters to compare with." in html  # condition 1, by its kind
    assert "Required for this condition." in html  # condition 2 has no property
    assert "Select a valid choice. no-such-kind is not one of the available choices." in html
    assert 'href="#condition-1"' in html and 'href="#condition-2"' in html and 'href="#condition-4"' in html
    assert not Promotion.objects.exists()
    # What only the service knows (a percentage over 100) shows once the form's own checks pass.
    html = session_client(manager).post(url("create"), form_data(value="120")).content.decode()
    assert "A percentage is from 0 to 100." in html and not Promotion.objects.exists()


def test_editing_shows_the_stored_conditions_and_a_row_left_empty_removes_one(session_client, manager):
    group = CustomerGroupFactory(organization=manager.organization, name="Wholesale")
    buyer = make_customer(manager, "Big Buyer")
    promotion = save(
        manager,
        name="Edited",
        conditions=[
            {"kind": "customer", "params": {"ids": [buyer.pk]}},
            {"kind": "customer_group", "params": {"ids": [group.pk]}},
            {"kind": "crm_reference", "params": {"references": ["C-1", "C-2"]}},
        ],
    )
    client = session_client(manager)
    html = client.get(url("update", promotion.pk)).content.decode()
    assert f'<option value="{buyer.pk}" selected>Big Buyer</option>' in html
    assert f'<option value="{group.pk}" selected>Wholesale</option>' in html
    assert "C-1\nC-2</textarea>" in html
    response = client.post(
        url("update", promotion.pk),
        form_data(
            name="Edited",
            version=str(promotion.version),
            **{
                "condition-0-kind": "customer",
                "condition-0-customer__ids": [str(buyer.pk)],
                "condition-2-kind": "crm_reference",
                "condition-2-crm_reference__references": "C-2",
            },
        ),
    )
    assert response.status_code == 302
    promotion.refresh_from_db()
    assert promotion.conditions == [
        {"kind": "customer", "params": {"ids": [buyer.pk]}},
        {"kind": "crm_reference", "params": {"references": ["C-2"]}},
    ]
    # A page opened before that change cannot overwrite it.
    stale = client.post(url("update", promotion.pk), form_data(name="Stale", version=str(promotion.version - 1)))
    assert stale.status_code == 400 and Promotion.objects.get(pk=promotion.pk).name == "Edited"


def test_the_page_says_what_where_when_the_conditions_in_words_and_the_orders_paged(session_client, rep, manager):
    pen = ProductFactory(organization=manager.organization, sku="PEN-1", name="Blue pen", unit_price=D("10.00"))
    buyer = make_customer(manager, "Paging Buyer")
    promotion = save(
        manager,
        name="Pens half price",
        value="50",
        scope="products",
        products=[pen],
        valid_from=NOW - dt.timedelta(days=1),
        condition_match="any",
        conditions=[
            {"kind": "customer", "params": {"ids": [buyer.pk]}},
            {"kind": "crm_property", "params": {"field": "category", "operator": "equals", "value": "VIP"}},
        ],
    )
    for _ in range(27):
        order_place(actor=manager, customer=buyer, lines=[LineInput(product=pen, quantity=1)])
    client = session_client(rep)
    html = client.get(url("detail", promotion.pk)).content.decode()
    assert "50 % off the lines of the chosen products" in html
    assert "PEN-1</a> Blue pen" in html and "In force now" in html
    assert "Any of these conditions holds:" in html
    assert "<li>The customer is one of: Paging Buyer</li>" in html
    assert "<li>The CRM property “category” equals “VIP”</li>" in html
    assert "Taken off in all: 135.00 USD on 27 orders." in html
    assert html.count("Paging Buyer</td>") == 25 and "1–25 of 27" in html
    assert client.get(url("detail", promotion.pk), {"page": "2"}).content.decode().count("Paging Buyer</td>") == 2
    assert 'id="edit-record"' not in html and 'id="deactivate-promotion"' not in html


def test_the_detail_page_reads_the_same_number_of_queries_whatever_its_products_and_orders(session_client, manager):
    products = ProductFactory.create_batch(60, organization=manager.organization)
    buyer = make_customer(manager, "Buyer")
    promotion = save(
        manager,
        name="Many",
        scope="products",
        products=products[:2],
        conditions=[{"kind": "customer", "params": {"ids": [buyer.pk]}}],
    )
    order_place(actor=manager, customer=buyer, lines=[LineInput(product=products[0], quantity=1)])
    client = session_client(manager)
    client.get(url("detail", promotion.pk))  # the caches warm, so both counts see the same
    with CaptureQueriesContext(connection) as few:
        client.get(url("detail", promotion.pk))
    promotion_save(actor=manager, promotion=promotion, data={"products": products})
    for product in products[:30]:
        order_place(actor=manager, customer=buyer, lines=[LineInput(product=product, quantity=2)])
    with CaptureQueriesContext(connection) as many:
        html = client.get(url("detail", promotion.pk)).content.decode()
    assert "and 10 more" in html and "1–25 of 31" in html
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def test_managers_deactivate_and_activate_reps_cannot_and_other_organizations_get_404(
    session_client, rep, manager, outsider
):
    promotion = save(manager, name="Toggle me")
    client = session_client(manager)
    response = client.post(url("deactivate", promotion.pk), follow=True)
    assert "is inactive: new orders no longer get it" in response.content.decode()
    assert not Promotion.objects.get(pk=promotion.pk).active
    assert 'id="activate-promotion"' in response.content.decode()
    client.post(url("activate", promotion.pk))
    assert Promotion.objects.get(pk=promotion.pk).active
    assert client.get(url("activate", promotion.pk)).status_code == 405

    reader = session_client(rep)
    assert reader.post(url("deactivate", promotion.pk)).status_code == 403
    assert reader.get(url("create")).status_code == 403
    assert reader.get(url("update", promotion.pk)).status_code == 403
    assert reader.post(url("create"), form_data(name="By a rep")).status_code == 403
    assert Promotion.objects.get(pk=promotion.pk).active and not Promotion.objects.filter(name="By a rep").exists()

    stranger = session_client(outsider)
    for address in (url("detail", promotion.pk), url("update", promotion.pk)):
        assert stranger.get(address).status_code == 404
    assert stranger.post(url("deactivate", promotion.pk)).status_code == 404
    assert f'data-row-id="{promotion.pk}"' not in stranger.get(url("list")).content.decode()
    assert Promotion.objects.get(pk=promotion.pk).active


def test_another_organizations_rows_cannot_be_chosen(session_client, manager, outsider):
    theirs = ProductFactory(organization=outsider.organization)
    their_customer = make_customer(outsider, "Theirs")
    html = (
        session_client(manager)
        .post(
            url("create"),
            form_data(
                scope="products",
                products=[theirs.pk],
                **{"condition-0-kind": "customer", "condition-0-customer__ids": [str(their_customer.pk)]},
            ),
        )
        .content.decode()
    )
    assert f"Select a valid choice. {theirs.pk} is not one of the available choices." in html
    assert f"Select a valid choice. {their_customer.pk} is not one of the available choices." in html
    assert not Promotion.objects.exists()
