"""The commerce customer pages: list, tree, detail, the form's strategy and hierarchy rules, rights, the
"Create opportunity" link into the CRM, and the shared menu."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Account, Opportunity
from commerce.models import MAX_HIERARCHY_DEPTH, CommerceCustomer
from commerce.services import account_strategy_update, customer_create
from tests.factories import AccountFactory, UserFactory
from tests.factories.commerce import CustomerGroupFactory, make_order

pytestmark = pytest.mark.django_db


def url(name: str, *args) -> str:
    return reverse(f"commerce:{name}", args=args)


def test_list_shows_customers_with_parent_group_and_account(session_client, rep, organization):
    group = CustomerGroupFactory(organization=organization, name="Wholesale")
    root = customer_create(actor=rep, name="Root Holdings", group=group)
    child = customer_create(actor=rep, name="Child Branch", parent=root)
    html = session_client(rep).get(url("customer-list")).content.decode()
    assert f'data-row-id="{root.pk}"' in html and f'data-row-id="{child.pk}"' in html
    assert "Wholesale" in html and root.account.name in html
    assert url("customer-create") in html and 'id="export-csv"' in html
    assert "page_size=50" in html and "ordering=" in html


def test_list_search_filters_sorting_and_paging(session_client, rep, manager, organization):
    group = CustomerGroupFactory(organization=organization, name="Retail")
    alpha = customer_create(actor=rep, name="Alpha Trading", group=group)
    division = customer_create(actor=rep, name="Alpha Division", parent=alpha)
    zeta = customer_create(actor=manager, name="Zeta Works", owner=manager)
    client = session_client(rep)

    def shown(**query) -> set[int]:
        html = client.get(url("customer-list"), query).content.decode()
        return {c.pk for c in (alpha, division, zeta) if f'data-row-id="{c.pk}"' in html}

    assert shown(q="alpha") == {alpha.pk, division.pk}
    assert shown(group=group.pk) == {alpha.pk}
    assert shown(is_root="false") == {division.pk}
    assert shown(is_root="true") == {alpha.pk, zeta.pk}
    assert shown(owner=manager.pk) == {zeta.pk}
    assert shown(parent=alpha.pk) == {division.pk}
    assert "Parent: Alpha Trading" in client.get(url("customer-list"), {"parent": alpha.pk}).content.decode()
    html = client.get(url("customer-list"), {"ordering": "-name"}).content.decode()
    assert html.index(f'data-row-id="{zeta.pk}"') < html.index(f'data-row-id="{alpha.pk}"')
    html = client.get(url("customer-list"), {"q": "nothing like it"}).content.decode()
    assert "No customers match these filters." in html

    for number in range(30):
        customer_create(actor=rep, name=f"Paged {number:02d}")
    first = client.get(url("customer-list"), {"q": "paged"}).content.decode()
    second = client.get(url("customer-list"), {"q": "paged", "page": 2}).content.decode()
    assert "Paged 00" in first and "Paged 29" not in first
    assert "Paged 29" in second and "1–25 of 30" in first


def test_list_and_tree_query_counts_do_not_grow_with_rows(session_client, rep):
    client = session_client(rep)

    def make(count: int, prefix: str) -> None:
        for number in range(count):
            root = customer_create(actor=rep, name=f"{prefix} root {number}")
            child = customer_create(actor=rep, name=f"{prefix} child {number}", parent=root)
            customer_create(actor=rep, name=f"{prefix} grandchild {number}", parent=child)

    make(2, "Few")
    client.get(url("customer-list"))
    counts = {}
    for name in ("customer-list", "customer-tree"):
        client.get(url(name), {"page_size": 100})  # the caches warm, so both counts see the same
        with CaptureQueriesContext(connection) as few:
            assert client.get(url(name), {"page_size": 100}).status_code == 200
        counts[name] = few
    make(8, "Many")
    for name in ("customer-list", "customer-tree"):
        client.get(url(name), {"page_size": 100})  # the caches warm, so both counts see the same
        with CaptureQueriesContext(connection) as many:
            response = client.get(url(name), {"page_size": 100})
        assert response.content.decode().count("grandchild") >= 10
        assert len(many) == len(counts[name]), [q["sql"] for q in many.captured_queries]


def test_tree_shows_each_hierarchy_indented_under_its_root(session_client, rep):
    root = customer_create(actor=rep, name="Tree Root")
    child = customer_create(actor=rep, name="Tree Child", parent=root)
    grandchild = customer_create(actor=rep, name="Tree Grandchild", parent=child)
    other = customer_create(actor=rep, name="Another Root")
    html = session_client(rep).get(url("customer-tree")).content.decode()
    positions = [
        html.index(f'data-customer="{c.pk}" data-level="{level}"')
        for c, level in [(other, 0), (root, 0), (child, 1), (grandchild, 2)]
    ]
    assert positions == sorted(positions)
    html = session_client(rep).get(url("customer-tree"), {"q": "another"}).content.decode()
    assert "Another Root" in html and "Tree Child" not in html


def test_create_without_account_follows_the_strategy(session_client, rep, org_admin):
    client = session_client(rep)
    response = client.get(url("customer-create"))
    assert "Leave empty to follow the organization" in response.content.decode()
    response = client.post(url("customer-create"), {"name": "Strategy Each", "owner": rep.pk})
    each = CommerceCustomer.objects.get(name="Strategy Each")
    assert response.status_code == 302 and response.url == url("customer-detail", each.pk)
    assert each.account.name == "Strategy Each"

    account_strategy_update(actor=org_admin, strategy="root")
    client.post(url("customer-create"), {"name": "Strategy Child", "parent": each.pk, "owner": rep.pk})
    child = CommerceCustomer.objects.get(name="Strategy Child")
    assert child.account_id == each.account_id and child.parent_id == each.pk and child.depth == 1


def test_create_with_a_chosen_account_uses_it(session_client, rep):
    account = AccountFactory(owner=rep, name="Chosen Account")
    session_client(rep).post(url("customer-create"), {"name": "Chosen", "account": account.pk, "owner": rep.pk})
    assert CommerceCustomer.objects.get(name="Chosen").account_id == account.pk
    assert not Account.objects.filter(name="Chosen").exists()


def test_edit_requires_an_account_and_a_chosen_one_repoints_the_customer(session_client, rep):
    customer = customer_create(actor=rep, name="Repointed")
    old_account = customer.account
    make_order(rep, customer, price="40.00", paid=True)
    client = session_client(rep)
    response = client.post(
        url("customer-update", customer.pk), {"name": "Repointed", "account": "", "owner": rep.pk, "version": 1}
    )
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert CommerceCustomer.objects.get(pk=customer.pk).account_id == old_account.pk

    target = AccountFactory(owner=rep, name="Target Account")
    customer.refresh_from_db()
    response = client.post(
        url("customer-update", customer.pk),
        {"name": "Repointed", "account": target.pk, "owner": rep.pk, "version": customer.version},
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.account_id == target.pk
    target.refresh_from_db()
    old_account.refresh_from_db()
    assert target.lifetime_value == 40 and old_account.lifetime_value == 0


def test_parent_cycle_is_refused_with_a_clear_message_and_every_error_at_once(session_client, rep):
    root = customer_create(actor=rep, name="Cycle Root")
    child = customer_create(actor=rep, name="Cycle Child", parent=root)
    client = session_client(rep)
    response = client.post(
        url("customer-update", root.pk),
        {"name": "", "parent": child.pk, "account": root.account_id, "owner": rep.pk, "version": root.version},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Cycle Child is Cycle Root or one of its descendants: a customer cannot be its own ancestor." in html
    assert "This field is required." in html  # the name, in the same round
    assert html.count("is-invalid") >= 2 and 'id="form-errors"' in html
    root.refresh_from_db()
    assert root.parent_id is None and root.name == "Cycle Root"


def test_parent_too_deep_is_refused(session_client, rep):
    parent = customer_create(actor=rep, name="Level 0")
    for level in range(1, MAX_HIERARCHY_DEPTH + 1):
        parent = customer_create(actor=rep, name=f"Level {level}", parent=parent)
    response = session_client(rep).post(
        url("customer-create"), {"name": "Too deep", "parent": parent.pk, "owner": rep.pk}
    )
    assert "levels deep" in response.content.decode()
    assert not CommerceCustomer.objects.filter(name="Too deep").exists()


def test_detail_shows_hierarchy_users_orders_and_create_opportunity(session_client, rep):
    root = customer_create(actor=rep, name="Detail Root")
    child = customer_create(actor=rep, name="Detail Child", parent=root)
    order = make_order(rep, root, price="25.00", paid=True)
    client = session_client(rep)
    html = client.get(url("customer-detail", root.pk)).content.decode()
    assert "Detail Child" in html and order.number in html and "25.00" in html
    assert 'id="create-opportunity"' in html
    html = client.get(url("customer-detail", child.pk)).content.decode()
    assert "Detail Root" in html  # the parent, in the breadcrumb and the general section


def test_create_opportunity_prefills_the_commerce_customer(session_client, rep):
    customer = customer_create(actor=rep, name="Opportunity Buyer")
    client = session_client(rep)
    detail = client.get(url("customer-detail", customer.pk)).content.decode()
    link = detail.split('href="', detail.index("create-opportunity") - 200)
    opportunity_url = next(part.split('"')[0] for part in link if "opportunities/new/" in part.split('"')[0])
    opportunity_url = opportunity_url.replace("&amp;", "&")
    form = client.get(opportunity_url).content.decode()
    assert "Opportunity Buyer is the customer" in form
    path, _, query = opportunity_url.partition("?")
    reference = dict(pair.split("=") for pair in query.split("&"))["customer_ref"].replace("%3A", ":")
    response = client.post(
        path,
        {
            "name": "Commerce deal",
            "account": customer.account_id,
            "customer_ref": reference,
            "status": "in_progress",
            "budget_amount": "500",
            "budget_currency": "USD",
            "close_revenue_currency": "USD",
            "owner": rep.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[response.content.decode().find("form-errors") :][
        :1500
    ]
    opportunity = Opportunity.objects.get(name="Commerce deal")
    assert opportunity.customer == customer
    html = client.get(url("customer-detail", customer.pk)).content.decode()
    assert "Commerce deal" in html


def test_customer_ref_of_another_organization_is_ignored(session_client, rep, outsider):
    foreign = customer_create(actor=outsider, name="Foreign Buyer")
    form = session_client(rep).get(
        reverse("accounts:opportunity-create"), {"customer_ref": f"commerce.commercecustomer:{foreign.pk}"}
    )
    assert "Foreign Buyer" not in form.content.decode()


def test_rights_other_organization_gets_404_and_reps_edit_only_their_own(session_client, rep, outsider, organization):
    mine = customer_create(actor=rep, name="Mine")
    other_rep = UserFactory(organization=organization)
    theirs = customer_create(actor=other_rep, name="Theirs")
    client = session_client(outsider)
    for name in ("customer-detail", "customer-update"):
        assert client.get(url(name, mine.pk)).status_code == 404
    assert "Mine" not in client.get(url("customer-list")).content.decode()
    assert "Mine" not in client.get(url("customer-tree")).content.decode()
    assert "Mine" not in client.get(url("customer-export")).getvalue().decode()
    assert "Mine" not in client.get(url("picker", "customer")).content.decode()

    client = session_client(rep)
    assert client.get(url("customer-update", theirs.pk)).status_code == 403
    assert 'id="edit-record"' not in client.get(url("customer-detail", theirs.pk)).content.decode()
    assert client.get(url("customer-update", mine.pk)).status_code == 200


def test_pages_need_login(client):
    for name in ("customer-list", "customer-tree", "customer-create"):
        response = client.get(url(name))
        assert response.status_code == 302 and "/login/" in response.url


def test_export_lists_the_filtered_customers(session_client, rep):
    customer_create(actor=rep, name="Exported Co")
    customer_create(actor=rep, name="Left Out")
    response = session_client(rep).get(url("customer-export"), {"q": "exported"})
    body = response.getvalue().decode()
    assert "Exported Co" in body and "Left Out" not in body


def test_menu_has_shared_customers_and_sales_sections(session_client, rep):
    html = session_client(rep).get(reverse("home")).content.decode()
    section = html.split('data-menu-section="customers"')[1].split("data-menu-section=")[0]
    for link in (
        reverse("accounts:account-list"),
        reverse("accounts:contact-list"),
        url("customer-list"),
        url("customeruser-list"),
    ):
        assert f'href="{link}"' in section
    sales = html.split('data-menu-section="sales"')[1].split("data-menu-section=")[0]
    assert f'href="{url("order-list")}"' in sales and f'href="{url("product-list")}"' in sales


def test_new_division_link_chooses_the_parent(session_client, rep):
    root = customer_create(actor=rep, name="Division Parent")
    html = session_client(rep).get(url("customer-create"), {"parent": root.pk}).content.decode()
    assert f'<option value="{root.pk}" selected>Division Parent</option>' in html


def test_a_stale_edit_is_refused_and_moves_nothing(session_client, rep):
    customer = customer_create(actor=rep, name="Stale Co")
    opened_at = customer.version
    client = session_client(rep)
    first = AccountFactory(owner=rep, name="First Choice")
    response = client.post(
        url("customer-update", customer.pk),
        {"name": "Stale Co", "account": first.pk, "owner": rep.pk, "version": opened_at},
    )
    assert response.status_code == 302
    # A second person's form, opened before the first change, would undo it: refused, nothing moves.
    second = AccountFactory(owner=rep, name="Second Choice")
    response = client.post(
        url("customer-update", customer.pk),
        {"name": "Stale Co renamed", "account": second.pk, "owner": rep.pk, "version": opened_at},
    )
    assert response.status_code == 200
    assert "was changed by someone else after you opened it" in response.content.decode()
    customer.refresh_from_db()
    assert customer.account_id == first.pk and customer.name == "Stale Co"
