"""Keyset (cursor) pagination of the API lists: every row once, in order, both ways, at a cost that does not grow."""

import base64
import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backoffice.api.pagination import PageNumberPagination
from tests.accounts.test_api_queries import LISTS
from tests.factories import (
    AccountFactory,
    CalendarEventFactory,
    ContactFactory,
    NoteFactory,
    OpportunityFactory,
    TaskFactory,
)
from tests.factories.api import CRM_API, error_attrs, ids

pytestmark = pytest.mark.django_db


def walk(api, url, params, *, backwards_from=None) -> tuple[list[int], list[dict]]:
    """The ids of every page following the next links (or previous links from a page), and the bodies."""
    bodies = []
    body = api.get(url, params).json() if backwards_from is None else backwards_from
    while True:
        bodies.append(body)
        link = body["previous" if backwards_from is not None else "next"]
        if link is None:
            break
        response = api.get(link)
        assert response.status_code == 200, response.content
        body = response.json()
    if backwards_from is not None:
        bodies.reverse()
    return [row["id"] for body in bodies for row in body["results"]], bodies


def _opportunities_with_ties(rep):
    # Equal names, equal and missing close dates, equal creation instants: the ordering needs the id to be unique.
    for i in range(13):
        OpportunityFactory(
            owner=rep,
            name=f"Deal {i % 3}",
            expected_close_date=None if i % 4 == 0 else dt.date(2031, 1, 1 + i % 2),
        )


@pytest.mark.parametrize(
    "ordering", [None, "name", "-name", "expected_close_date", "-expected_close_date", "-probability,name"]
)
def test_following_the_cursors_gives_every_row_once_in_the_lists_order(key_client, rep, ordering):
    _opportunities_with_ties(rep)
    api = key_client(rep)
    url = f"{CRM_API}/opportunities/"
    params = {"page_size": 4, **({"ordering": ordering} if ordering else {})}
    whole = ids(api.get(url, {**params, "page_size": 100}))
    forward, bodies = walk(api, url, params)
    assert forward == whole and len(whole) == 13
    assert bodies[0]["previous"] is None and all("cursor=" in body["next"] for body in bodies[:-1])
    # And back from the last page, through the previous links, to the first.
    backward, _ = walk(api, url, params, backwards_from=bodies[-1])
    assert backward == whole


def test_previous_of_a_page_reached_backwards_still_leads_forward(key_client, rep):
    AccountFactory.create_batch(9, owner=rep)
    api = key_client(rep)
    url = f"{CRM_API}/accounts/"
    _, bodies = walk(api, url, {"page_size": 3})
    back = api.get(bodies[2]["previous"]).json()
    assert ids_of(back) == ids_of(bodies[1])
    assert ids_of(api.get(back["next"]).json()) == ids_of(bodies[2])
    assert ids_of(api.get(back["previous"]).json()) == ids_of(bodies[0])


def ids_of(body) -> list[int]:
    return [row["id"] for row in body["results"]]


def test_the_cursor_keeps_the_filters_and_a_wrong_cursor_is_a_404(key_client, rep):
    TaskFactory.create_batch(5, owner=rep, priority="high")
    TaskFactory.create_batch(3, owner=rep, priority="low")
    api = key_client(rep)
    url = f"{CRM_API}/tasks/"
    found, _ = walk(api, url, {"page_size": 2, "priority": "high"})
    assert len(found) == 5
    for cursor in ("nonsense", "eyJvIjogWyJpZCJdfQ", "e30"):
        response = api.get(url, {"cursor": cursor})
        assert response.status_code == 404 and response.json()["type"] == "client_error"
    # A cursor of another ordering is not followed in this one.
    cursor = api.get(url, {"page_size": 2}).json()["next"].split("cursor=")[1]
    assert api.get(url, {"page_size": 2, "cursor": cursor, "ordering": "-due_at"}).status_code == 404
    assert error_attrs(api.get(url, {"cursor": "x" * 2001})) == {"cursor"}


def test_page_numbers_still_work_and_link_by_number(key_client, rep):
    AccountFactory.create_batch(7, owner=rep)
    api = key_client(rep)
    second = api.get(f"{CRM_API}/accounts/", {"page_size": 3, "page": 2}).json()
    assert second["count"] == 7 and second["count_is_estimate"] is False
    assert "page=3" in second["next"] and "cursor" not in second["next"]
    assert api.get(f"{CRM_API}/accounts/", {"page": 9}).status_code == 404


def test_a_long_list_counts_up_to_the_limit_then_gives_the_planners_estimate(key_client, rep, monkeypatch):
    AccountFactory.create_batch(6, owner=rep)
    api = key_client(rep)
    body = api.get(f"{CRM_API}/accounts/").json()
    assert (body["count"], body["count_is_estimate"]) == (6, False)
    monkeypatch.setattr(PageNumberPagination, "exact_count_limit", 4)
    body = api.get(f"{CRM_API}/accounts/").json()
    assert body["count_is_estimate"] is True and body["count"] >= 5 and len(body["results"]) == 6


# Queries of a list page, pinned: the caller's API key, the count, the page, then what the list prefetches
# (a constant number per page). A cursor page runs the very same ones. Activities read their related records
# once per record type on the page (test_api_queries.py mixes the types); here they are all accounts.
LIST_QUERIES = {
    "accounts": 4,
    "contacts": 3,
    "business-customers": 5,
    "leads": 3,
    "opportunities": 4,
    "tasks": 4,
    "events": 5,
    "notes": 4,
    "channels": 3,
}


def _activities_of_accounts(factory, **extra):
    def make(rep, n):
        for _ in range(n):
            activity = factory(owner=rep, related=AccountFactory(owner=rep))
            if extra.get("attendees"):
                activity.attendees.set(ContactFactory.create_batch(2, owner=rep))

    return make


MAKERS = {
    **LISTS,
    "tasks": _activities_of_accounts(TaskFactory),
    "events": _activities_of_accounts(CalendarEventFactory, attendees=True),
    "notes": _activities_of_accounts(NoteFactory),
}


def _queries(api, url, params) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as queries:
        response = api.get(url, params)
    assert response.status_code == 200
    return len(queries), response.json()


@pytest.mark.parametrize("path", list(LISTS))
def test_list_queries_are_pinned_at_two_sizes_on_first_and_cursor_pages(key_client, rep, path):
    api = key_client(rep)
    url, params = f"{CRM_API}/{path}/", {"page_size": 2}
    api.get(url, params)  # first use: the API key's last-use stamp and content-type cache are filled here
    counts = []
    for rows in (3, 30):
        MAKERS[path](rep, rows if not counts else rows - 3)
        first, body = _queries(api, url, params)
        cursor, _ = _queries(api, body["next"], {})
        counts.append((first, cursor))
    assert counts == [(LIST_QUERIES[path], LIST_QUERIES[path])] * 2, counts


BY_PROBABILITY = {"ordering": "-probability,name"}
PROBABILITY_KEYS = ["-probability", "name", "id"]


def _cursor(payload: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("path", "params", "payload"),
    [
        ("tasks", {}, {"o": ["due_at", "id"], "v": [None, 2**70], "b": 0}),
        ("tasks", {}, {"o": ["due_at", "id"], "v": ["2025-01-01T00:00:00", 1], "b": 0}),
        ("tasks", {}, {"o": ["due_at", "id"], "v": [None, None], "b": 0}),
        ("tasks", {}, {"o": ["due_at", "id"], "v": ["2025-01-01T00:00:00Z"], "b": 0}),
        ("tasks", {}, {"o": ["due_at", "id"], "v": ["2025-01-01T00:00:00Z", 1], "b": 2}),
        (
            "opportunities",
            BY_PROBABILITY,
            {"o": PROBABILITY_KEYS, "v": ["Infinity", "x", 1], "b": 0},
        ),
        (
            "opportunities",
            BY_PROBABILITY,
            {"o": PROBABILITY_KEYS, "v": ["1", "x\u0000", 1], "b": 1},
        ),
        (
            "opportunities",
            BY_PROBABILITY,
            {"o": PROBABILITY_KEYS, "v": ["1", ["x"], 1], "b": 0},
        ),
        ("opportunities", BY_PROBABILITY, {"o": PROBABILITY_KEYS, "v": [None, "x", 1], "b": 0}),
    ],
)
def test_a_forged_cursor_is_a_404_not_a_database_error(key_client, rep, path, params, payload):
    response = key_client(rep).get(f"{CRM_API}/{path}/", {**params, "cursor": _cursor(payload)})
    assert response.status_code == 404


def test_a_well_formed_cursor_of_a_row_that_is_gone_still_leads_on(key_client, rep):
    first, *rest = OpportunityFactory.create_batch(3, owner=rep, probability=10)
    cursor = _cursor({"o": PROBABILITY_KEYS, "v": ["10.00", first.name, first.pk], "b": 0})
    first.delete()
    response = key_client(rep).get(f"{CRM_API}/opportunities/", {**BY_PROBABILITY, "cursor": cursor})
    assert response.status_code == 200
    assert set(ids(response)) <= {row.pk for row in rest}
