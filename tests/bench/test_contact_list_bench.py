"""The contact list endpoint with 10,000 contacts: median latency of a 100-row page, and its ratio to a
minimal Django view returning the same rows with values() (target: at most 3 times slower)."""

import os
import time
from contextlib import contextmanager

import pytest
from django.db import connection

from accounts.models import Contact

API_URL = "/api/crm/contacts/"
VALUES_URL = "/bench/contacts-values/"
PAGE_SIZE = 100
PAGE = 50  # a middle page: the database has to skip half the rows, as a user paging through would make it
TARGET_RATIO = 3.0
ROUNDS = 30


@contextmanager
def recorded_queries():
    """The SQL (and milliseconds) of each query run inside; request_started empties connection.queries."""
    queries: list[tuple[float, str]] = []

    def record(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            queries.append(((time.perf_counter() - started) * 1000, sql))

    with connection.execute_wrapper(record):
        yield queries


def _api_page(client, authorization: str):
    response = client.get(API_URL, {"page": PAGE, "page_size": PAGE_SIZE}, HTTP_AUTHORIZATION=authorization)
    if response.status_code == 404:
        pytest.fail(
            f"GET {API_URL} answered 404: the contact list endpoint is not routed "
            "(accounts/api/records_urls.py has no contacts route yet)."
        )
    assert response.status_code == 200, f"GET {API_URL} answered {response.status_code}: {response.content[:500]!r}"
    return response.json()


def test_contact_list_api_page_against_values_view(bench_crm, bench_timer, client, settings):
    settings.ROOT_URLCONF = "tests.bench.bench_urls"
    auth = bench_crm.authorization

    api_body = _api_page(client, auth)
    api_rows = api_body["results"]
    assert api_body["count"] == bench_crm.contacts
    assert len(api_rows) == PAGE_SIZE

    # The baseline returns the same rows and every column the API reads straight from the contact table.
    columns = {f.name for f in Contact._meta.concrete_fields}
    fields = [key for key in api_rows[0] if key in columns]
    values_query = {
        "organization": bench_crm.organization.pk,
        "page": PAGE,
        "page_size": PAGE_SIZE,
        "fields": ",".join(fields),
        "ordering": ",".join(Contact._meta.ordering),
    }
    values_rows = client.get(VALUES_URL, values_query).json()["results"]
    assert [row["id"] for row in values_rows] == [row["id"] for row in api_rows], "the two views page differently"

    with recorded_queries() as api_queries:
        _api_page(client, auth)
    with recorded_queries() as values_queries:
        client.get(VALUES_URL, values_query)
    if os.environ.get("BENCH_VERBOSE"):
        for label, queries in (("api", api_queries), ("values", values_queries)):
            for ms, sql in queries:
                print(f"  {label} {ms:7.2f} ms  {sql[:160]}")

    medians = bench_timer(
        {
            "api": lambda: _api_page(client, auth),
            "values": lambda: client.get(VALUES_URL, values_query),
        },
        rounds=ROUNDS,
    )
    ratio = medians["api"] / medians["values"]
    verdict = "PASS" if ratio <= TARGET_RATIO else "FAIL"
    vendor = connection.vendor
    print()
    print(
        f"bench contact_list_api_page{PAGE_SIZE} median_ms={medians['api']:.1f} "
        f"queries={len(api_queries)} contacts={bench_crm.contacts} db={vendor}"
    )
    print(f"bench contact_list_values_page{PAGE_SIZE} median_ms={medians['values']:.1f} queries={len(values_queries)}")
    print(f"bench contact_list_ratio ratio={ratio:.2f} target<={TARGET_RATIO:g} {verdict}")
    if ratio > TARGET_RATIO:
        pytest.fail(
            f"the contact list API is {ratio:.2f} times slower than values() (target {TARGET_RATIO:g})", pytrace=False
        )
