"""Storefront pages: sign-up makes a customer, its first user and an account per the strategy; sign-in is
throttled and separate from the back office; shopping lists are the user's own and bounded."""

from decimal import Decimal

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from accounts.models import Account
from commerce.models import CommerceCustomer, CustomerUser, ShoppingList, ShoppingListLine
from commerce.services.storefront import MAX_LIST_LINES, MAX_LISTS_PER_USER, storefront_sign_up
from commerce.storefront.auth import SESSION_KEY
from tests.factories.commerce import ProductFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a-Long-enough-passphrase-42"


@pytest.fixture(autouse=True)
def _store(settings, organization, other_organization, org_admin):
    """The storefront sells for Acme; its writes are made as Acme's admin."""
    settings.STOREFRONT_ORGANIZATION = organization.name


def sign_up(client, **overrides):
    data = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.com",
        "password": PASSWORD,
        "company_name": "Analytical Engines",
        **overrides,
    }
    return client.post(reverse("storefront:sign-up"), data)


def page_text(response) -> str:
    return response.content.decode()


def test_sign_up_with_a_company_makes_customer_user_and_account_and_signs_in(client, organization):
    response = sign_up(client)
    assert response.status_code == 302 and response["Location"] == reverse("storefront:lists")
    customer = CommerceCustomer.objects.get(organization=organization)
    assert customer.name == "Analytical Engines"
    assert customer.account.name == "Analytical Engines"
    user = CustomerUser.objects.get(email="ada@example.com")
    assert (user.customer_id, user.first_name, user.last_name, user.enabled) == (customer.pk, "Ada", "Lovelace", True)
    assert user.password != PASSWORD and user.password.startswith("md5$")
    home = client.get(reverse("storefront:home"))
    assert "Hello, Ada" in page_text(home) and "Analytical Engines" in page_text(home)
    for name in ("lists", "quotes", "orders"):
        signed_in_as = page_text(client.get(reverse(f"storefront:{name}"))).split('data-role="signed-in-as">')[1]
        assert signed_in_as.startswith("Ada Lovelace · Analytical Engines")


def test_sign_up_without_a_company_names_the_customer_after_the_person(client, organization):
    assert sign_up(client, company_name="").status_code == 302
    assert CommerceCustomer.objects.get(organization=organization).name == "Ada Lovelace"
    assert Account.objects.filter(organization=organization, name="Ada Lovelace").count() == 1


def test_sign_up_refuses_weak_passwords_and_taken_emails_and_writes_nothing(client, organization):
    response = sign_up(client, password="12345678")
    assert response.status_code == 400
    text = page_text(response)
    assert "too common" in text and 'href="#id_password"' in text and 'aria-invalid="true"' in text
    assert not CommerceCustomer.objects.exists() and not Account.objects.filter(organization=organization).exists()
    storefront_sign_up(
        organization=organization, first_name="Bo", last_name="Bo", email="bo@example.com", password=PASSWORD
    )
    accounts_before = Account.objects.count()
    response = Client().post(
        reverse("storefront:sign-up"),
        {"first_name": "B", "last_name": "C", "email": "BO@example.com", "password": PASSWORD, "company_name": "X"},
    )
    assert response.status_code == 400 and "exists already" in page_text(response)
    assert Account.objects.count() == accounts_before and not CommerceCustomer.objects.filter(name="X").exists()


def test_sign_up_bounds_every_field(client):
    response = sign_up(client, first_name="A" * 101, company_name="C" * 256, email="not an e-mail")
    assert response.status_code == 400
    text = page_text(response)
    for field in ("first_name", "company_name", "email"):
        assert f'href="#id_{field}"' in text  # the error summary links every wrong field
    assert "Ensure this value has at most 100 characters" in text and "Enter a valid email address" in text
    assert not CommerceCustomer.objects.exists()


def test_sign_in_and_out_and_back_office_users_cannot_sign_in(client, organization, org_admin):
    storefront_sign_up(
        organization=organization, first_name="Ada", last_name="L", email="ada@example.com", password=PASSWORD
    )
    url = reverse("storefront:sign-in")
    wrong = client.post(url, {"email": "ada@example.com", "password": "nope-nope-nope"})
    assert wrong.status_code == 400 and "do not match" in page_text(wrong)
    org_admin.email = "admin@example.com"
    org_admin.set_password(PASSWORD)
    org_admin.save()
    assert client.post(url, {"email": "admin@example.com", "password": PASSWORD}).status_code == 400
    right = client.post(
        url + "?next=/store/orders/", {"email": "ADA@example.com", "password": PASSWORD, "next": "/store/orders/"}
    )
    assert right.status_code == 302 and right["Location"] == "/store/orders/"
    assert client.session[SESSION_KEY]["id"] == CustomerUser.objects.get().pk
    assert client.get(reverse("storefront:orders")).status_code == 200
    client.post(reverse("storefront:sign-out"))
    response = client.get(reverse("storefront:orders"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("storefront:sign-in"))


def test_sign_in_never_redirects_off_the_store(client, organization):
    storefront_sign_up(
        organization=organization, first_name="A", last_name="B", email="a@example.com", password=PASSWORD
    )
    for target in ("https://evil.example/store/", "//evil.example/", "/crm/accounts/"):
        response = client.post(
            reverse("storefront:sign-in"), {"email": "a@example.com", "password": PASSWORD, "next": target}
        )
        assert response["Location"] == reverse("storefront:home")


def test_sign_in_is_throttled_per_client_like_the_back_office(client, organization):
    storefront_sign_up(
        organization=organization, first_name="A", last_name="B", email="a@example.com", password=PASSWORD
    )
    url = reverse("storefront:sign-in")
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        assert client.post(url, {"email": "a@example.com", "password": "wrong-password"}).status_code == 400
    refused = client.post(url, {"email": "a@example.com", "password": PASSWORD})
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert "Too many attempts" in page_text(refused) and SESSION_KEY not in client.session
    # Another client with a clean record still signs in.
    other = Client(REMOTE_ADDR="10.9.9.9")
    assert other.post(url, {"email": "a@example.com", "password": PASSWORD}).status_code == 302


def test_a_changed_password_ends_the_session(client, organization):
    sign_up(client)
    lists = reverse("storefront:lists")
    assert client.get(lists).status_code == 200
    user = CustomerUser.objects.get()
    CustomerUser.objects.filter(pk=user.pk).update(password="md5$changed$0")
    assert client.get(lists).status_code == 302


def test_a_disabled_user_is_signed_out(client):
    sign_up(client)
    CustomerUser.objects.update(enabled=False)
    assert client.get(reverse("storefront:lists")).status_code == 302


def test_forms_need_the_csrf_token():
    client = Client(enforce_csrf_checks=True)
    assert client.post(reverse("storefront:sign-up"), {"first_name": "A"}).status_code == 403
    assert client.post(reverse("storefront:sign-in"), {"email": "a@example.com"}).status_code == 403


def test_shopping_list_create_add_change_and_remove(client, organization):
    sign_up(client)
    ProductFactory(organization=organization, sku="BOLT-1", name="Steel bolt", unit_price=Decimal("0.40"))
    ProductFactory(organization=organization, sku="NUT-1", name="Steel nut")
    ProductFactory(organization=organization, sku="GEAR-9", name="Brass gear")
    ProductFactory(organization=organization, sku="OFF-1", name="Retired gear", active=False)
    response = client.post(reverse("storefront:lists"), {"name": "Workshop"})
    shopping_list = ShoppingList.objects.get()
    assert response["Location"] == reverse("storefront:list-detail", args=[shopping_list.pk])
    detail = reverse("storefront:list-detail", args=[shopping_list.pk])
    assert client.post(detail, {"product": "bolt-1", "quantity": 10}).status_code == 302
    assert client.post(detail, {"product": "BOLT-1", "quantity": 5}).status_code == 302  # adds up
    assert client.post(detail, {"product": "brass", "quantity": 2}).status_code == 302  # by name
    ambiguous = client.post(detail, {"product": "steel", "quantity": 1})
    assert ambiguous.status_code == 400 and "Several products match" in page_text(ambiguous)
    assert "NUT-1 · Steel nut" in page_text(ambiguous)
    missing = client.post(detail, {"product": "retired", "quantity": 1})
    assert missing.status_code == 400 and "No product" in page_text(missing)
    lines = {line.product.sku: line for line in ShoppingListLine.objects.select_related("product")}
    assert {sku: line.quantity for sku, line in lines.items()} == {"BOLT-1": 15, "GEAR-9": 2}
    line_url = reverse("storefront:list-line", args=[shopping_list.pk, lines["BOLT-1"].pk])
    client.post(line_url, {"quantity": 3})
    refused = page_text(client.post(line_url, {"quantity": 100_001}, follow=True))
    assert "Steel bolt: Ensure this value is less than or equal to 100000." in refused
    removed = page_text(
        client.post(
            reverse("storefront:list-line", args=[shopping_list.pk, lines["GEAR-9"].pk]), {"remove": "1"}, follow=True
        )
    )
    assert "Removed Brass gear." in removed
    assert list(ShoppingListLine.objects.values_list("product__sku", "quantity")) == [("BOLT-1", 3)]
    table = page_text(client.get(detail)).split('data-role="list-lines"')[1].split("</table>")[0]
    assert "Steel bolt" in table and 'value="3"' in table and "Brass gear" not in table


def test_lists_are_their_owners_only(client, organization):
    storefront_sign_up(
        organization=organization, first_name="A", last_name="B", email="a@example.com", password=PASSWORD
    )
    owner = Client()
    owner.post(reverse("storefront:sign-in"), {"email": "a@example.com", "password": PASSWORD})
    owner.post(reverse("storefront:lists"), {"name": "Mine"})
    theirs = ShoppingList.objects.get()
    product = ProductFactory(organization=organization, sku="P-1")
    sign_up(client)
    assert client.get(reverse("storefront:list-detail", args=[theirs.pk])).status_code == 404
    assert (
        client.post(reverse("storefront:list-detail", args=[theirs.pk]), {"product": "P-1", "quantity": 1}).status_code
        == 404
    )
    assert client.post(reverse("storefront:request-quote", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("storefront:list-delete", args=[theirs.pk])).status_code == 404
    assert not ShoppingListLine.objects.exists() and product.pk


def test_lists_and_lines_are_bounded(client, organization, settings):
    sign_up(client)
    user = CustomerUser.objects.get()
    ShoppingList.objects.bulk_create(
        [
            ShoppingList(organization=organization, customer_user=user, customer=user.customer, name=f"L{i}")
            for i in range(MAX_LISTS_PER_USER)
        ]
    )
    response = client.post(reverse("storefront:lists"), {"name": "One too many"})
    assert response.status_code == 400 and f"at most {MAX_LISTS_PER_USER}" in page_text(response)
    shopping_list = ShoppingList.objects.first()
    products = [ProductFactory(organization=organization, sku=f"S-{i:04d}") for i in range(MAX_LIST_LINES + 1)]
    ShoppingListLine.objects.bulk_create(
        [
            ShoppingListLine(organization=organization, shopping_list=shopping_list, product=p, quantity=1)
            for p in products[:MAX_LIST_LINES]
        ]
    )
    response = client.post(
        reverse("storefront:list-detail", args=[shopping_list.pk]), {"product": products[-1].sku, "quantity": 1}
    )
    assert response.status_code == 400 and f"at most {MAX_LIST_LINES} products" in page_text(response)
    response = client.post(reverse("storefront:lists"), {"name": "N" * 101})
    assert response.status_code == 400


def test_pages_need_a_signed_in_customer_user(client):
    for name in ("lists", "quotes", "orders"):
        response = client.get(reverse(f"storefront:{name}"))
        assert response.status_code == 302 and response["Location"].startswith("/store/sign-in/?next=")
    assert client.get(reverse("storefront:home")).status_code == 200


def test_a_back_office_session_is_not_a_storefront_session(client, org_admin, organization):
    client.force_login(org_admin)
    response = client.get(reverse("storefront:lists"))
    assert response.status_code == 302 and "sign-in" in response["Location"]
    # Signing in to the store ends the back-office session of that browser.
    storefront_sign_up(
        organization=organization, first_name="A", last_name="B", email="a@example.com", password=PASSWORD
    )
    client.post(reverse("storefront:sign-in"), {"email": "a@example.com", "password": PASSWORD})
    assert client.get(reverse("storefront:lists")).status_code == 200
    assert client.get(reverse("home")).status_code == 302


def test_the_store_is_closed_without_one_organization(client, settings):
    settings.STOREFRONT_ORGANIZATION = ""
    assert client.get(reverse("storefront:home")).status_code == 404
    assert client.get(reverse("storefront:sign-up")).status_code == 404


def test_storefront_lists_run_constant_queries(client, organization, org_admin, django_assert_max_num_queries):
    from django.utils import timezone

    from commerce.services import quotes as quote_services
    from commerce.services.storefront import request_for_quote_create, shopping_list_add_product, shopping_list_create

    sign_up(client)
    user = CustomerUser.objects.get()
    product = ProductFactory(organization=organization)

    def add(count):
        for index in range(count):
            shopping_list = shopping_list_create(customer_user=user, name=f"List {index}")
            shopping_list_add_product(customer_user=user, shopping_list=shopping_list, product=product, quantity=2)
            rfq = request_for_quote_create(customer_user=user, shopping_list=shopping_list)
            quote = quote_services.quote_create(
                actor=org_admin,
                request=rfq,
                valid_until=timezone.localdate(),
                lines=[quote_services.QuoteLineInput(product, 2)],
            )
            quote_services.quote_accept(actor=org_admin, quote=quote)

    urls = [reverse(f"storefront:{name}") for name in ("home", "lists", "quotes", "orders")]
    add(2)
    counts = {}
    for url in urls:
        client.get(url)  # per-process caches filled before counting
        with django_assert_max_num_queries(20) as captured:
            assert client.get(url).status_code == 200
        counts[url] = len(captured)
    add(6)
    for url in urls:
        with django_assert_max_num_queries(counts[url]):
            assert client.get(url).status_code == 200


def test_refused_sign_ups_count_too_so_addresses_cannot_be_probed_without_end(client, organization):
    storefront_sign_up(
        organization=organization, first_name="A", last_name="B", email="taken@example.com", password=PASSWORD
    )
    url = reverse("storefront:sign-up")
    data = {"first_name": "C", "last_name": "D", "email": "taken@example.com", "password": PASSWORD}
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        assert client.post(url, data).status_code == 400
    assert client.post(url, data).status_code == 429


def test_spaces_around_an_email_do_not_make_a_new_count(client, organization):
    """A failed sign-in counts against the e-mail as the form reads it, so spacing it gives no fresh tries."""
    from django.core.cache import cache

    from backoffice.signin_limits import _cache_key

    storefront_sign_up(
        organization=organization, first_name="A", last_name="B", email="a@example.com", password=PASSWORD
    )
    for spaced in (" a@example.com", "a@example.com  ", "  a@example.com "):
        assert client.post(reverse("storefront:sign-in"), {"email": spaced, "password": "wrong"}).status_code == 400
    assert cache.get(_cache_key("storefront", "username", "a@example.com")) == 3
