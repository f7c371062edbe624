"""Benchmark fixtures: a large CRM data set, and a timer that interleaves the variants it compares.

Benchmarks run with `make bench` (pytest tests/bench -s); each prints one line per figure, such as
`bench contact_list_api_page100 median_ms=12.3`.
"""

import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pytest
from django.db import connection

from accounts.choices import Gender, PhoneType
from accounts.demo import AREA_CODES, CITIES, FEMALE_FIRST_NAMES, JOB_TITLES, LAST_NAMES, MALE_FIRST_NAMES
from accounts.models import Account, Contact, ContactAddress, ContactEmail, ContactPhone
from backoffice.choices import Role
from backoffice.models import Organization, User
from backoffice.services import api_key_issue
from tests.conftest import basic_auth
from tests.factories import OrganizationFactory, UserFactory

if TYPE_CHECKING:
    from tests.bench.large_crm import LargeCrm

BENCH_CONTACTS = 10_000
OTHER_ORGANIZATION_CONTACTS = 1_000
BATCH = 2_000


@dataclass(frozen=True)
class BenchCrm:
    """The benchmark's organization, the rep who calls the API, and that rep's plug-in credentials."""

    organization: Organization
    user: User
    authorization: str = field(repr=False)  # holds the API key: kept out of failure reports
    contacts: int


def _make_contacts(organization: Organization, owners: list[User], count: int, rng: random.Random) -> None:
    """Contacts like real ones: a primary e-mail and phone in their own rows too, some with more, in accounts."""
    first_names = FEMALE_FIRST_NAMES + MALE_FIRST_NAMES
    contacts = []
    for i in range(count):
        first, last = rng.choice(first_names), rng.choice(LAST_NAMES)
        contacts.append(
            Contact(
                organization=organization,
                owner=owners[i % len(owners)],
                first_name=first,
                last_name=last,
                gender=rng.choice(Gender.values),
                job_title=rng.choice(JOB_TITLES),
                email=f"{first}.{last}.{i}@bench.example.com".lower(),
                phone=f"+1{rng.choice(AREA_CODES)}55501{i % 100:02d}",
            )
        )
    contacts = Contact.objects.bulk_create(contacts, batch_size=BATCH)
    emails, phones, addresses = [], [], []
    for i, contact in enumerate(contacts):
        emails.append(ContactEmail(contact=contact, email=contact.email, is_primary=True))
        phones.append(
            ContactPhone(contact=contact, number=contact.phone, phone_type=PhoneType.BUSINESS, is_primary=True)
        )
        if i % 4 == 0:
            emails.append(ContactEmail(contact=contact, email=f"private.{i}@bench.example.net"))
        if i % 3 == 0:
            phones.append(
                ContactPhone(
                    contact=contact,
                    number=f"+1{rng.choice(AREA_CODES)}55501{rng.randint(0, 99):02d}",
                    phone_type=PhoneType.MOBILE,
                )
            )
        if i % 2 == 0:
            city, region, postal_code = rng.choice(CITIES)
            addresses.append(
                ContactAddress(
                    contact=contact,
                    label="Office",
                    is_primary=True,
                    city=city,
                    region=region,
                    postal_code=postal_code,
                    country="US",
                )
            )
    ContactEmail.objects.bulk_create(emails, batch_size=BATCH)
    ContactPhone.objects.bulk_create(phones, batch_size=BATCH)
    ContactAddress.objects.bulk_create(addresses, batch_size=BATCH)
    accounts = Account.objects.bulk_create(
        Account(organization=organization, owner=owners[i % len(owners)], name=f"Bench account {i:02d}")
        for i in range(25)
    )
    membership = Account.contacts.through
    membership.objects.bulk_create(
        (
            membership(account_id=accounts[i % len(accounts)].pk, contact_id=contact.pk)
            for i, contact in enumerate(contacts)
        ),
        batch_size=BATCH,
    )


@pytest.fixture
def bench_crm(db) -> BenchCrm:
    """10,000 contacts in one organization (and some in another), and a rep with an API key."""
    rng = random.Random(2026)
    organization = OrganizationFactory(name="Bench Org")
    user = UserFactory(username="bench-rep", organization=organization, role=Role.REP)
    owners = [
        user,
        UserFactory(organization=organization, role=Role.REP),
        UserFactory(organization=organization, role=Role.MANAGER),
    ]
    _make_contacts(organization, owners, BENCH_CONTACTS, rng)
    other = OrganizationFactory(name="Bench Other Org")
    _make_contacts(other, [UserFactory(organization=other)], OTHER_ORGANIZATION_CONTACTS, rng)
    raw_key = api_key_issue(user=user).raw
    if connection.vendor == "postgresql":
        # A live database has planner statistics for its tables; freshly bulk-inserted ones do not yet.
        tables = [model._meta.db_table for model in (Contact, ContactEmail, ContactPhone, ContactAddress, Account)]
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {', '.join(tables)}, {Account.contacts.through._meta.db_table}")
    return BenchCrm(
        organization=organization, user=user, authorization=basic_auth(user.username, raw_key), contacts=BENCH_CONTACTS
    )


def interleaved_medians(
    variants: dict[str, Callable[[], object]], *, rounds: int = 30, warmup: int = 5
) -> dict[str, float]:
    """Median wall time in milliseconds of each variant, run in turn so that drift hits them all alike."""
    for _ in range(warmup):
        for run in variants.values():
            run()
    samples: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(rounds):
        for name, run in variants.items():
            started = time.perf_counter()
            run()
            samples[name].append((time.perf_counter() - started) * 1000)
    return {name: statistics.median(values) for name, values in samples.items()}


@pytest.fixture
def bench_timer():
    """The interleaving timer (see interleaved_medians)."""
    return interleaved_medians


@pytest.fixture(scope="session")
def large_crms(django_db_setup, django_db_blocker) -> dict[int, "LargeCrm"]:
    """The same organization at 1,000 and at 100,000 opportunities, built once per run and committed.

    Benchmarks that use it take `db` (not `transactional_db`, whose flush would empty it); work they
    must commit for real runs in threads of its own.
    """
    from tests.bench.large_crm import large_crm_build

    if connection.vendor != "postgresql":
        pytest.skip("the large data set is built with PostgreSQL's generate_series")
    sizes = {}
    with django_db_blocker.unblock():
        for size in (1_000, 100_000):
            started = time.perf_counter()
            sizes[size] = large_crm_build(opportunities=size, name=f"Large {size}")
            print(f"\nbench large_crm_build opportunities={size} seconds={time.perf_counter() - started:.1f}")
    return sizes
