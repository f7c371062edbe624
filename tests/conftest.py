import base64
import os

import pytest
from django.conf import settings
from django.core.cache import cache
from rest_framework.test import APIClient

from backoffice.choices import Role
from tests.factories import ApiKeyFactory, OrganizationFactory, UserFactory

REQUIRE_SERVICES = settings.REQUIRE_SERVICES


def need_service(available: bool, what: str) -> None:
    """Skip when a service is missing on a developer machine; fail in CI (REQUIRE_SERVICES=1)."""
    if available:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"{what} is required (REQUIRE_SERVICES=1) but not available")
    pytest.skip(f"{what} not available")


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield


@pytest.fixture
def organization(db):
    return OrganizationFactory(name="Acme Corp")


@pytest.fixture
def other_organization(db):
    return OrganizationFactory(name="Globex")


@pytest.fixture
def rep(organization):
    return UserFactory(username="rep1", organization=organization, role=Role.REP)


@pytest.fixture
def manager(organization):
    return UserFactory(username="manager1", organization=organization, role=Role.MANAGER)


@pytest.fixture
def org_admin(organization):
    return UserFactory(username="orgadmin", organization=organization, role=Role.ADMIN)


@pytest.fixture
def outsider(other_organization):
    return UserFactory(username="outsider", organization=other_organization, role=Role.ADMIN)


def basic_auth(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def key_client():
    """An API client that signs in like a plug-in: Basic with username and API key."""

    def make(user):
        _, raw = ApiKeyFactory.create(user)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=basic_auth(user.username, raw))
        return client

    return make


@pytest.fixture
def session_client(client):
    def make(user):
        client.force_login(user)
        return client

    return make


os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
