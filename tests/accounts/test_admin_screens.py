"""What an admin reads on the admin screens: plural names, people by name, list filters, the favicon."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from backoffice.choices import Role
from tests.factories import OpportunityFactory, TaskFactory
from tests.factories.core import UserFactory

pytestmark = pytest.mark.django_db


def filter_titles(html: str) -> list[str]:
    """The titles of the list's filters, as the sidebar shows them ("By owner", ...)."""
    return [title.strip() for title in re.findall(r"<summary>\s*By ([^<]+?)\s*</summary>", html)]


def test_admin_index_names_every_screen_in_plain_english(client, org_admin):
    client.force_login(org_admin)
    html = client.get("/admin/").content.decode()
    assert "Opportunity status probabilities" in html
    assert "probabilitys" not in html.lower() and "addresss" not in html.lower()


def test_lists_name_people_and_filter_by_owner_status_and_dates(client, org_admin, organization):
    seller = UserFactory(username="sseller", first_name="Sam", last_name="Seller", organization=organization)
    closer = UserFactory(username="cclose", first_name="Chris", last_name="Closer", organization=organization)
    OpportunityFactory(owner=seller, name="Seller's deal")
    OpportunityFactory(owner=closer, name="Closer's deal", expected_close_date=timezone.localdate())
    client.force_login(org_admin)

    html = client.get("/admin/accounts/opportunity/").content.decode()
    assert "Sam Seller" in html and "Chris Closer" in html
    assert "sseller" not in html and "cclose" not in html
    assert set(filter_titles(html)) >= {"status", "owner", "expected close date", "closed at", "created at"}
    # An organization admin has no organization filter: it would name other organizations.
    assert "organization" not in filter_titles(html)

    by_owner = client.get("/admin/accounts/opportunity/", {"owner__id__exact": seller.pk}).content.decode()
    assert "Seller&#x27;s deal" in by_owner and "Closer&#x27;s deal" not in by_owner
    this_month = timezone.localdate().replace(day=1)
    next_month = (this_month + dt.timedelta(days=32)).replace(day=1)
    by_date = client.get(
        "/admin/accounts/opportunity/",
        {"expected_close_date__gte": this_month.isoformat(), "expected_close_date__lt": next_month.isoformat()},
    ).content.decode()
    assert "Closer&#x27;s deal" in by_date

    TaskFactory(owner=seller, subject="Call back")
    TaskFactory(owner=closer, subject="Send the quote")
    html = client.get("/admin/accounts/task/").content.decode()
    assert "Call back" in html and "Sam Seller" in html and "sseller" not in html
    assert set(filter_titles(html)) >= {"status", "owner", "due at"}

    users = client.get("/admin/backoffice/user/").content.decode()
    assert "Sam Seller" in users and "Chris Closer" in users


def test_superuser_filters_by_organization(client, organization, other_organization):
    superuser = UserFactory(username="root", role=Role.ADMIN, is_staff=True, is_superuser=True, organization=None)
    OpportunityFactory(owner=UserFactory(organization=organization))
    client.force_login(superuser)
    html = client.get("/admin/accounts/opportunity/").content.decode()
    assert "organization" in filter_titles(html)


def test_favicon_is_served_and_linked_from_every_page(client, rep, org_admin):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] in ("image/x-icon", "image/vnd.microsoft.icon")
    assert b"".join(response.streaming_content)[:4] == b"\x00\x00\x01\x00"  # an ICO file

    assert 'rel="icon"' in client.get("/login/").content.decode()
    client.force_login(rep)
    assert 'rel="icon"' in client.get("/").content.decode()
    client.force_login(org_admin)
    admin_page = client.get("/admin/").content.decode()
    svg = re.search(r'<link rel="icon" href="([^"]+\.svg)"', admin_page)
    assert svg is not None and client.get(svg.group(1)).status_code == 200
