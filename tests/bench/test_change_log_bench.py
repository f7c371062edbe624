"""The change log's cost: a contact update with its entry against the same update without it (target: at
most 1.3 times), and the changes feed read through 10,000 entries in pages of 500 (target: the same
number of queries on every page)."""

import itertools
import statistics
import time

from django.db import connection, models, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Contact
from backoffice.models import ChangeLogEntry

TARGET_RATIO = 1.3
FEED_PAGE = 500


def _number_now():
    if connection.vendor == "postgresql":
        # Entries are numbered at commit; inside the benchmark's transaction, at each statement instead,
        # so the numbering is part of what is timed.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS backoffice_changelog_sequence IMMEDIATE")


def _update_variants(logged, plain):
    logged_titles = itertools.cycle(["Buyer", "Head of purchasing"])
    plain_titles = itertools.cycle(["Buyer", "Head of purchasing"])

    def update_logged():
        with transaction.atomic():
            logged.job_title = next(logged_titles)
            logged.save()

    def update_plain():
        # The same UPDATE of the same columns, through Django's own save, with no entry written.
        with transaction.atomic():
            plain.job_title = next(plain_titles)
            plain.version = F("version") + 1
            plain.updated_at = timezone.now()
            models.Model.save(plain, update_fields=["job_title", "version", "updated_at"])

    return {"logged": update_logged, "plain": update_plain}


def _report(name: str, medians: dict) -> None:
    ratio = medians["logged"] / medians["plain"]
    print(f"\nbench {name}_logged median_ms={medians['logged']:.3f}")
    print(f"bench {name}_plain median_ms={medians['plain']:.3f}")
    print(f"bench {name}_ratio ratio={ratio:.2f} target<={TARGET_RATIO} {'PASS' if ratio <= TARGET_RATIO else 'MISS'}")


def test_contact_update_with_its_change_log_entry_committed(transactional_db, bench_timer):
    """What a user's save costs: the update and its entry committed (entries are numbered at commit)."""
    from tests.factories import ContactFactory, UserFactory

    owner = UserFactory()
    logged, plain = ContactFactory(owner=owner), ContactFactory(owner=owner)
    logged, plain = Contact.objects.get(pk=logged.pk), Contact.objects.get(pk=plain.pk)
    before = ChangeLogEntry.objects.count()
    medians = bench_timer(_update_variants(logged, plain), rounds=200, warmup=20)
    assert ChangeLogEntry.objects.count() - before == 220  # one entry per logged update, none for the plain one
    assert ChangeLogEntry.objects.filter(sequence__isnull=True).count() == 0  # all numbered at commit
    _report("contact_update_committed", medians)


def test_contact_update_statements_with_its_change_log_entry(bench_crm, bench_timer):
    """The statements alone, inside one open transaction (no commit to share the cost with)."""
    _number_now()
    logged = Contact.objects.filter(organization=bench_crm.organization).order_by("pk")[10]
    plain = Contact.objects.filter(organization=bench_crm.organization).order_by("pk")[11]
    before = ChangeLogEntry.objects.count()
    medians = bench_timer(_update_variants(logged, plain), rounds=200, warmup=20)
    assert ChangeLogEntry.objects.count() - before == 220
    _report("contact_update_in_transaction", medians)


def test_changes_feed_reads_10000_entries_in_constant_queries(bench_crm, client):
    _number_now()
    entries = ChangeLogEntry.objects.filter(organization=bench_crm.organization, sequence__isnull=False).count()
    assert entries >= 10_000
    cursor, pages, queries, times = 0, 0, [], []
    while True:
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(
                "/api/crm/changes/", {"after": cursor, "limit": FEED_PAGE}, HTTP_AUTHORIZATION=bench_crm.authorization
            )
            times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.content[:300]
        body = response.json()
        pages += 1
        queries.append(len(captured))
        cursor = body["next_after"]
        if not body["has_more"]:
            break
    assert pages >= 20
    steady = queries[1:]  # the first request also stamps the API key's first use
    constant = len(set(steady)) == 1
    print(
        f"\nbench changes_feed pages={pages} entries={entries} queries_first={queries[1]} queries_last={queries[-1]} "
        f"median_ms={statistics.median(times[1:]):.1f} ms_last={times[-1]:.1f} "
        f"target=constant {'PASS' if constant else 'MISS'}"
    )
