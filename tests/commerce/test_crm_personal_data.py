"""With the CRM connector on, no table of ours keeps a customer's personal data.

The POS flows run through the REST endpoints the POS page uses: search by e-mail, name and phone, view, create,
edit, sell (a VIP discount read from the CRM's category), ship, invoice, and a reference given later to a sale
made on the anonymous customer. Then every text column of every table is searched for the values sent to the
CRM and those it answered with: none may be there. The CRM reference and the category key may, by design.
"""

import pytest
from django.db import connection
from django.urls import reverse

from commerce.models import Invoice, Order, Shipment
from commerce.services.promotions import promotion_save
from tests.commerce.crm_support import SELECTOR, sell

pytestmark = pytest.mark.django_db

TEXT_TYPES = ("text", "character varying", "character", "json", "jsonb", "citext")

# Values no factory or fixture makes, so a hit can only come from the CRM flows.
KNOWN = {
    "first_name": "Wilhelmina",
    "last_name": "Oyelaran-Brightwater",
    "email": "w.oyelaran@scan-example.com",
    "phone": "+34 600 424 242",
    "birthday": "1983-07-19",
    "category": "VIP",
}
CREATED = {
    "first_name": "Thaddeus",
    "last_name": "Quintero-Ulloa",
    "email": "t.quintero@scan-example.com",
    "phone": "+44 7700 913 557",
    "birthday": "1979-02-03",
    "category": "STD",
}
NEW_PHONE = "+34 611 737 373"


def _personal(values: dict) -> list[str]:
    found = [values[key] for key in ("first_name", "last_name", "email", "phone", "birthday")]
    found.append("".join(ch for ch in values["phone"] if ch.isdigit()))  # a phone kept as digits only
    found.append(f"{values['first_name']} {values['last_name']}")
    return found


def text_columns_holding(needles: list[str]) -> dict[str, list[str]]:
    """{"table.column": [needles found]} over every text-like column of the public schema."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND data_type = ANY(%s) ORDER BY table_name, column_name",
            [list(TEXT_TYPES)],
        )
        columns = cursor.fetchall()
        assert len(columns) > 100  # the scan reads the whole schema, not a few tables
        hits: dict[str, list[str]] = {}
        for table, column in columns:
            cursor.execute(
                f'SELECT n FROM unnest(%s::text[]) AS n WHERE EXISTS (SELECT 1 FROM "{table}" '
                f"WHERE \"{column}\"::text ILIKE '%%' || n || '%%')",
                [needles],
            )
            found = [row[0] for row in cursor.fetchall()]
            if found:
                hits[f"{table}.{column}"] = found
    return hits


def test_the_pos_flows_leave_no_personal_data_in_any_table(client, key_client, rep, manager, rest_crm, crm_on, pen):
    known = rest_crm.state.add(**KNOWN)
    promotion_save(
        actor=manager,
        data={
            "name": "VIP 10%",
            "value": "10",
            "conditions": [
                {"kind": "crm_property", "params": {"field": "category", "operator": "equals", "value": "VIP"}}
            ],
        },
    )
    api = key_client(rep)

    # Search by e-mail, by name and by phone, and view.
    for query in (KNOWN["email"], f"{KNOWN['first_name']} {KNOWN['last_name']}", KNOWN["phone"]):
        found = api.get(f"{SELECTOR}/customers/", {"q": query})
        assert found.status_code == 200, found.content
        assert [row["reference"] for row in found.json()["results"]] == [known["id"]], query
    shown = api.get(f"{SELECTOR}/customers/{known['id']}/")
    assert shown.json()["values"]["email"] == KNOWN["email"]

    # Edit the phone; create a customer.
    edited = api.patch(f"{SELECTOR}/customers/{known['id']}/", {"values": {"phone": NEW_PHONE}}, format="json")
    assert edited.status_code == 200, edited.content
    assert rest_crm.state.customers[known["id"]]["phone"] == NEW_PHONE
    created = api.post(f"{SELECTOR}/customers/", {"values": CREATED}, format="json")
    assert created.status_code == 201, created.content
    created_reference = created.json()["reference"]

    # Sell to both (the VIP gets 10%), and once on the anonymous customer; that sale gets its reference later.
    vip_sale = sell(api, pen, customer=known["id"])
    assert vip_sale.status_code == 201, vip_sale.content
    other_sale = sell(api, pen, customer=created_reference)
    assert other_sale.status_code == 201, other_sale.content
    anonymous_sale = sell(api, pen, anonymous=True)
    assert anonymous_sale.status_code == 201, anonymous_sale.content
    vip_order = Order.objects.get(crm_reference=known["id"])
    assert vip_order.discount > 0 and vip_order.crm_category_keys == {"category": "VIP"}
    assert Order.objects.get(crm_reference=created_reference).discount == 0
    later = Order.objects.get(crm_reference="")
    given = api.post(f"/api/commerce/orders/{later.pk}/crm-reference/", {"reference": known["id"]}, format="json")
    assert given.status_code == 200, given.content

    # Ship and invoice the VIP's orders together: the documents copy the reference.
    orders = list(Order.objects.filter(crm_reference=known["id"]).values_list("pk", flat=True))
    assert len(orders) == 2
    shipped = api.post("/api/commerce/shipments/", {"orders": orders}, format="json")
    assert shipped.status_code == 201, shipped.content
    invoiced = api.post("/api/commerce/invoices/", {"orders": orders}, format="json")
    assert invoiced.status_code == 201, invoiced.content
    assert Shipment.objects.get().crm_reference == Invoice.objects.get().crm_reference == known["id"]

    # The headers show the name read from the CRM: it went through our pages, and still is in no table.
    client.force_login(rep)
    name = f"{KNOWN['first_name']} {KNOWN['last_name']}"
    for url in (
        reverse("commerce:order-detail", args=[vip_order.pk]),
        reverse("commerce_documents:shipment-detail", args=[Shipment.objects.get().pk]),
        reverse("commerce_documents:invoice-detail", args=[Invoice.objects.get().pk]),
    ):
        page = client.get(url)
        assert page.status_code == 200 and name in page.text and known["id"] in page.text, url
    needles = _personal(KNOWN) + _personal(CREATED) + [NEW_PHONE, "".join(c for c in NEW_PHONE if c.isdigit())]
    assert text_columns_holding(needles) == {}


def test_the_scan_finds_what_a_table_would_keep(rep, pen):
    """The scan itself: a value written into any text column is found (so an empty result above means something)."""
    from commerce.models import Product

    Product.objects.filter(pk=pen.pk).update(name=f"Pen for {KNOWN['email'].upper()}")
    hits = text_columns_holding([KNOWN["email"], CREATED["email"]])
    # Found in the row and in the change log's record of the change, whatever the case; the other value nowhere.
    assert hits == {"commerce_product.name": [KNOWN["email"]], "backoffice_changelogentry.changes": [KNOWN["email"]]}
