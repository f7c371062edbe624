import base64
import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test.utils import override_settings
from rest_framework.test import APIClient

from backoffice.choices import Role
from tests.factories import ApiKeyFactory, OrganizationFactory, UserFactory

REQUIRE_SERVICES = settings.REQUIRE_SERVICES


def pytest_configure(config):
    # Tests only: the production hasher is slow on purpose (about a second per password here), and
    # nearly every test makes users. MD5 keeps login and check_password real, just cheap.
    test_settings = {"PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"]}
    test_settings.update(_xdist_worker_services(os.environ.get("PYTEST_XDIST_WORKER", "")))
    override_settings(**test_settings).enable()
    if "CELERY_BROKER_URL" in test_settings:
        from backoffice.celery import app as celery_app

        celery_app.conf.broker_url = test_settings["CELERY_BROKER_URL"]


# Under pytest-xdist each of these runs whole in one worker process: the browser tests share one Chromium,
# the Celery worker tests start one worker process at a time, and test_demo.py builds its demo data once.
RUN_IN_ONE_XDIST_WORKER = ("tests/e2e/", "tests/backoffice/test_worker.py", "tests/accounts/test_demo.py")


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """Hand tests out one by one, as `-n` does, except the groups above, each sent whole to one worker.

    (xdist_group marks with --dist loadgroup would say the same, but pytest-xdist 3.8 silently stops
    grouping on pytest 9.2: pytest-dev/pytest-xdist#1386.)
    """
    if config.getvalue("dist") != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class Scheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return next((group for group in RUN_IN_ONE_XDIST_WORKER if nodeid.startswith(group)), nodeid)

    return Scheduling(config, log)


def _xdist_worker_services(worker: str) -> dict:
    """Settings that give a pytest-xdist worker (gw0, gw1, ...) a cache and a broker of its own.

    pytest-django already gives each worker its own test database. The cache and the broker are shared
    otherwise: the autouse cache.clear() of one worker would empty the other's cache in the middle of a
    test (FLUSHDB on Redis, every file of the file cache), and a Celery worker started by one test could
    take tasks queued by the other.
    """
    if not worker:
        return {}
    number = int(worker.removeprefix("gw"))
    if settings.REDIS_URL:
        # The next Redis databases after the configured one: 1 and 2 for redis://.../0 with -n 2.
        url = urlsplit(settings.REDIS_URL)
        redis_url = urlunsplit(url._replace(path=f"/{int(url.path.strip('/') or 0) + 1 + number}"))
        cache_settings = {**settings.CACHES["default"], "LOCATION": redis_url}
        return {"REDIS_URL": redis_url, "CELERY_BROKER_URL": redis_url, "CACHES": {"default": cache_settings}}
    location = Path(settings.CACHES["default"]["LOCATION"])
    return {"CACHES": {"default": {**settings.CACHES["default"], "LOCATION": str(location / f"test-{worker}")}}}


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
