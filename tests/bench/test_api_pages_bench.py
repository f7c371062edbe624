"""API lists at 100,000 opportunities: the last page against the first (target: at most 1.2 times).

A cursor (the next link of a page) reads the page from the last row of the one before, so the last page
of the opportunities list costs what the first does; the count stops at the exact-count limit and takes the
planner's estimate past it. The accounts list's deep page (5,000 accounts) is timed the same way, and
`?page=N` at the same depth for comparison (it reads and drops every row before the page).
"""

from accounts.selectors import account_list, opportunity_list
from backoffice.api.pagination import PageNumberPagination, cursor_after, list_ordering

TARGET = 1.2
PAGE_SIZE = PageNumberPagination.page_size


def _verdict(ratio: float) -> str:
    return f"ratio={ratio:.2f} target<={TARGET} {'PASS' if ratio <= TARGET else 'MISS'}"


def _get(client, url, params, authorization):
    def run():
        response = client.get(url, params, HTTP_AUTHORIZATION=authorization)
        assert response.status_code == 200, response.content
        return response.json()

    return run


def _last_page_cursor(queryset) -> tuple[str, int]:
    """The cursor of the list's last full page (the one after the row just before it), and the row count."""
    rows = queryset.filter(archived_at__isnull=True)
    ordering = list_ordering(rows)
    backwards = [key[1:] if key.startswith("-") else f"-{key}" for key in ordering]
    before_last = rows.order_by(*backwards)[PAGE_SIZE]
    return cursor_after(rows.order_by(*ordering), before_last), rows.count()


def _compare(client, timer, url, queryset, authorization, name: str) -> None:
    cursor, total = _last_page_cursor(queryset)
    first = _get(client, url, {}, authorization)
    last = _get(client, url, {"cursor": cursor}, authorization)
    first_body, last_body = first(), last()
    assert len(first_body["results"]) == len(last_body["results"]) == PAGE_SIZE
    assert last_body["next"] is None and last_body["previous"] and first_body["next"]
    variants = {
        "first": first,
        "last": last,
        "page_number_last": _get(client, url, {"page": -(-total // PAGE_SIZE)}, authorization),
    }
    medians = timer(variants, rounds=15, warmup=3)
    for variant, value in medians.items():
        print(f"\nbench {name}_{variant}_page_100k median_ms={value:.1f}", end="")
    print(f"\nbench {name}_count={first_body['count']} count_is_estimate={first_body['count_is_estimate']}")
    print(f"bench {name}_last_vs_first_page_100k {_verdict(medians['last'] / medians['first'])}")
    page_ratio = medians["page_number_last"] / medians["first"]
    print(f"bench {name}_page_number_last_vs_first_100k ratio={page_ratio:.2f} (informational: ?page=N)")


def test_last_page_of_the_api_lists_against_the_first(db, client, large_crms, bench_timer):
    crm = large_crms[100_000]
    _compare(
        client,
        bench_timer,
        "/api/crm/opportunities/",
        opportunity_list(actor=crm.manager),
        crm.manager_authorization,
        "opportunities_api",
    )
    _compare(
        client,
        bench_timer,
        "/api/crm/accounts/",
        account_list(actor=crm.manager),
        crm.manager_authorization,
        "accounts_api",
    )
