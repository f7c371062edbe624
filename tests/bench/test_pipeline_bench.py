"""The pipeline board at 100,000 opportunities against the same board at 1,000, for a rep (their own deals,
the default) and for a manager (the whole team): median time (target: at most 1.5 times), page size
(target: under 500 KB), the memory one render allocates at its peak (target: under 50 MB), and the
"Load more" page of a column (target: at most 1.5 times)."""

import gc
import os
import tracemalloc

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

TARGET_RATIO = 1.5
TARGET_BYTES = 500 * 1024
TARGET_MEMORY = 50 * 1024 * 1024
ROUNDS = 15
BOARD = "/crm/pipeline/"
MORE = "/crm/pipeline/more/"


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def _get(client, url, query=None, **headers):
    response = client.get(url, query or {}, **headers)
    assert response.status_code == 200, f"GET {url} answered {response.status_code}: {response.content[:300]!r}"
    return response


def _render_peak(client, url, query=None) -> int:
    """Bytes allocated at the peak of one request, above what the idle process held before it."""
    gc.collect()
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        _get(client, url, query)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak - before


def _queries(client, url, query=None, **headers) -> int:
    with CaptureQueriesContext(connection) as captured:
        _get(client, url, query, **headers)
    if os.environ.get("BENCH_VERBOSE"):
        for query_run in captured.captured_queries:
            print(f"  {query_run['time']:>7} s  {query_run['sql'][:150]}")
            if "accounts_opportunity" in query_run["sql"]:
                with connection.cursor() as cursor:
                    cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {query_run['sql']}")
                    print("\n".join(f"    {line}" for (line,) in cursor.fetchall()))
    return len(captured)


def _clients(django_client_class, large_crms, role: str) -> dict:
    clients = {}
    for size, crm in large_crms.items():
        client = django_client_class()
        client.force_login(getattr(crm, role))
        _get(client, BOARD)  # the session's first read
        clients[size] = client
    return clients


@pytest.mark.parametrize("role", ["rep", "manager"])
def test_pipeline_board_at_100k_against_1k(db, large_crms, bench_timer, role):
    from django.test import Client

    clients = _clients(Client, large_crms, role)
    small, large = clients[1_000], clients[100_000]
    medians = bench_timer({"100k": lambda: _get(large, BOARD), "1k": lambda: _get(small, BOARD)}, rounds=ROUNDS)
    ratio = medians["100k"] / medians["1k"]
    pages = {size: _get(client, BOARD).content for size, client in clients.items()}
    cards = {size: page.count(b'data-opportunity-id="') for size, page in pages.items()}
    memory = {size: _render_peak(client, BOARD) for size, client in clients.items()}
    queries = {size: _queries(client, BOARD) for size, client in clients.items()}
    name = f"pipeline_{role}"
    print()
    print(f"bench {name}_100k median_ms={medians['100k']:.1f} cards={cards[100_000]} queries={queries[100_000]}")
    print(f"bench {name}_1k median_ms={medians['1k']:.1f} cards={cards[1_000]} queries={queries[1_000]}")
    print(f"bench {name}_100k_vs_1k ratio={ratio:.2f} target<={TARGET_RATIO:g} {_verdict(ratio <= TARGET_RATIO)}")
    size = len(pages[100_000])
    print(
        f"bench {name}_100k_page bytes={size} (1k: {len(pages[1_000])}) target<{TARGET_BYTES} "
        f"{_verdict(size < TARGET_BYTES)}"
    )
    peak = memory[100_000]
    print(
        f"bench {name}_100k_render_memory peak_mb={peak / 2**20:.1f} (1k: {memory[1_000] / 2**20:.1f}) "
        f"target<{TARGET_MEMORY // 2**20} {_verdict(peak < TARGET_MEMORY)}"
    )
    print(
        f"bench {name}_queries 100k={queries[100_000]} 1k={queries[1_000]} target=same "
        f"{_verdict(queries[100_000] == queries[1_000])}"
    )


@pytest.mark.parametrize("role", ["rep", "manager"])
def test_pipeline_load_more_at_100k_against_1k(db, large_crms, bench_timer, role):
    """The second page of a column, by keyset after the board's last card; the rep's whole-team board, as
    their own deals at 1,000 fit on one page."""
    import re

    from django.test import Client

    clients = _clients(Client, large_crms, role)
    links = {}
    for size, client in clients.items():
        page = _get(client, BOARD, {"everyone": "1"}).content.decode()
        found = re.findall(r'class="[^"]*pipeline-more"[^>]*hx-get="([^"]+)"', page)
        if not found:
            pytest.skip(f"no column has more than one page at {size}")
        links[size] = found[0].replace("&amp;", "&")
    hx = {"HTTP_HX_REQUEST": "true"}
    medians = bench_timer(
        {
            size_name: (lambda c=clients[size], u=links[size]: _get(c, u, **hx))
            for size, size_name in ((100_000, "100k"), (1_000, "1k"))
        },
        rounds=ROUNDS,
    )
    ratio = medians["100k"] / medians["1k"]
    queries = {size: _queries(client, links[size], **hx) for size, client in clients.items()}
    name = f"pipeline_more_{role}"
    print()
    print(f"bench {name}_100k median_ms={medians['100k']:.1f} queries={queries[100_000]}")
    print(f"bench {name}_1k median_ms={medians['1k']:.1f} queries={queries[1_000]}")
    print(f"bench {name}_100k_vs_1k ratio={ratio:.2f} target<={TARGET_RATIO:g} {_verdict(ratio <= TARGET_RATIO)}")
