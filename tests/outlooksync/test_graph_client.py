"""The Graph client against the local Graph-protocol server: tokens, delta rounds, $batch, retries, limits."""

import random
import threading
import time

import pytest
import trustme

from outlooksync.graph import (
    BatchRequest,
    Create,
    Delete,
    DeltaExpired,
    Entity,
    GraphAuthenticationError,
    GraphClient,
    GraphConflict,
    GraphProtocolError,
    GraphTransport,
    GraphUnavailable,
    RetryPolicy,
    Update,
    delta_round,
    run_batch,
)
from outlooksync.graph.mapping import CRM_ID_PROPERTY
from outlooksync.graph.transport import retry_after_seconds
from tests.outlooksync.conftest import MAILBOX


def contact(number: int, **extra) -> dict:
    return {"first_name": f"Ada{number}", "last_name": "Lovelace", "gender": "female", **extra}


def create_contacts(graph_client: GraphClient, count: int) -> dict:
    results = graph_client.write(
        Entity.CONTACTS, [Create(key=str(n), fields=contact(n), crm_id=f"crm-{n}") for n in range(count)]
    )
    assert all(result.ok for result in results.values())
    return results


def test_tokens_come_from_msal_over_tls_and_are_cached(graph_server, make_graph_client, monkeypatch):
    # The environment's CA bundle would make requests distrust the local CA: the client must not read it.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/nonexistent/ca.pem")
    graph_client = make_graph_client()
    create_contacts(graph_client, 3)
    graph_client.changes(Entity.CONTACTS)
    assert graph_server.state.counts["token"] == 1

    # A new client with the stored cache needs no new token.
    stored = graph_client.token_cache_dump()
    assert stored
    second = make_graph_client(token_cache=stored)
    second.changes(Entity.CONTACTS)
    assert graph_server.state.counts["token"] == 1
    assert second.token_cache_dump() is None


def test_a_wrong_client_secret_is_an_authentication_error(graph_server):
    graph_client = GraphClient.connect(
        base_url=graph_server.base_url,
        authority=graph_server.authority,
        client_id=graph_server.state.client_id,
        client_secret="wrong",
        mailbox=MAILBOX,
        ca_bundle=graph_server.ca_bundle,
    )
    with pytest.raises(GraphAuthenticationError):
        graph_client.changes(Entity.CONTACTS)
    graph_client.close()


def test_delta_rounds_page_to_the_delta_link_and_report_changes_and_removals(graph_server, graph_client):
    graph_server.state.default_page_size = 10
    graph_server.state.max_page_size = 10
    created = create_contacts(graph_client, 45)
    graph_server.state.reset_counts()

    first = graph_client.changes(Entity.CONTACTS)
    assert len(first.items) == 45
    assert {item.crm_id for item in first.items.values()} == {f"crm-{n}" for n in range(45)}
    assert first.removed == {}
    assert graph_server.state.counts["GET delta"] == 5  # 45 ids, 10 a page

    changed, deleted = created["1"].item, created["2"].item
    results = graph_client.write(
        Entity.CONTACTS,
        [Update(key="u", item_id=changed.id, fields={"job_title": "Analyst"}), Delete(key="d", item_id=deleted.id)],
    )
    assert all(r.ok for r in results.values())

    second = graph_client.changes(Entity.CONTACTS, first.delta_link)
    assert list(second.items) == [changed.id]
    assert second.items[changed.id].fields["job_title"] == "Analyst"
    assert second.removed == {deleted.id: "deleted"}

    graph_server.state.reset_counts()
    idle = graph_client.changes(Entity.CONTACTS, second.delta_link)
    assert (idle.items, idle.removed) == ({}, {})
    assert graph_server.state.counts["requests"] == 1  # one delta request, nothing else


def test_an_item_repeated_within_a_round_is_reported_once_with_its_last_state(graph_server, graph_client):
    graph_server.state.max_page_size = 7
    graph_server.state.repeat_in_round = True
    create_contacts(graph_client, 30)
    found = delta_round(graph_client.transport, f"/users/{MAILBOX}/contacts/delta", params={"$select": "id"})
    assert found.pages > 4
    assert len(found.items) == 30


@pytest.mark.parametrize("code", ["SyncStateNotFound", "resyncRequired"])
def test_an_expired_delta_token_raises_delta_expired(graph_server, graph_client, code):
    create_contacts(graph_client, 3)
    first = graph_client.changes(Entity.CONTACTS)
    graph_server.state.expire_delta_tokens(MAILBOX, code=code)
    with pytest.raises(DeltaExpired) as raised:
        graph_client.changes(Entity.CONTACTS, first.delta_link)
    assert (raised.value.status, raised.value.code) == (410, code)
    # A full round (no token) works again.
    assert len(graph_client.changes(Entity.CONTACTS).items) == 3


def test_45_writes_go_in_3_batch_requests(graph_server, graph_client):
    graph_server.state.reset_counts()
    create_contacts(graph_client, 45)
    assert graph_server.state.counts["POST $batch"] == 3
    assert graph_server.state.counts["batch inner"] == 45


def test_429_waits_for_retry_after_on_requests_and_inner_requests(graph_server, graph_client, graph_waits):
    create_contacts(graph_client, 2)
    graph_server.state.fail(429, retry_after=7, path_contains="delta")
    graph_client.changes(Entity.CONTACTS)
    assert graph_waits == [7]

    graph_waits.clear()
    graph_server.state.fail(429, retry_after=3, inner=True, times=2, method="POST")
    results = create_contacts(graph_client, 5)
    assert len(results) == 5
    assert graph_waits == [3]  # both throttled inner requests waited once, together
    assert len(graph_client.changes(Entity.CONTACTS).items) == 7  # and none was created twice


def test_retry_after_is_bounded():
    assert retry_after_seconds("86400") == 120
    assert retry_after_seconds("-5") == 0
    assert retry_after_seconds("soon") is None


def test_a_real_retry_after_is_waited_for(graph_server, make_graph_client):
    graph_client = make_graph_client(retry=RetryPolicy())
    graph_server.state.fail(503, retry_after=1, path_contains="delta")
    started = time.monotonic()
    graph_client.changes(Entity.CONTACTS)
    assert time.monotonic() - started >= 1


def test_a_changed_item_is_reported_as_a_conflict_and_the_rest_applies(graph_server, graph_client):
    created = create_contacts(graph_client, 2)
    first, second = created["0"].item, created["1"].item
    stale = first.change_key
    graph_client.write(Entity.CONTACTS, [Update(key="edit", item_id=first.id, fields={"job_title": "Engineer"})])

    results = graph_client.write(
        Entity.CONTACTS,
        [
            Update(key="stale", item_id=first.id, fields={"job_title": "Overwritten"}, change_key=stale),
            Update(key="fresh", item_id=second.id, fields={"job_title": "Poet"}, change_key=second.change_key),
        ],
    )
    assert isinstance(results["stale"].error, GraphConflict)
    assert results["fresh"].ok and results["fresh"].item.fields["job_title"] == "Poet"
    assert graph_client.get_items(Entity.CONTACTS, [first.id])[first.id].fields["job_title"] == "Engineer"


def test_a_dropped_connection_is_retried(graph_server, graph_client, graph_waits):
    create_contacts(graph_client, 4)
    graph_server.state.drop(path_contains="delta")
    assert len(graph_client.changes(Entity.CONTACTS).items) == 4
    assert graph_server.state.counts["dropped"] == 1
    assert len(graph_waits) == 1


def test_5xx_backs_off_exponentially_and_gives_up(graph_server, graph_client, graph_waits):
    graph_server.state.fail(500, path_contains="delta", times=100)
    with pytest.raises(GraphUnavailable):
        graph_client.changes(Entity.CONTACTS)
    assert len(graph_waits) == graph_client.transport.retry.max_attempts - 1
    assert graph_waits[-1] > graph_waits[0]


def test_an_inner_failed_dependency_is_sent_again_with_its_dependency(graph_server, graph_client):
    mailbox = f"/users/{MAILBOX}"
    graph_server.state.fail(429, retry_after=1, inner=True, path_contains="/contacts", method="POST")
    requests = [
        BatchRequest("a", "POST", f"{mailbox}/contacts", body={"surname": "First"}),
        BatchRequest("b", "POST", f"{mailbox}/contacts", body={"surname": "Second"}, depends_on=["a"]),
    ]
    results = run_batch(graph_client.transport, requests)
    assert results["a"].status == 201 and results["b"].status == 201
    assert graph_server.state.counts["POST contacts"] == 2


def test_every_request_asks_for_immutable_ids(graph_server, graph_client):
    created = create_contacts(graph_client, 3)
    graph_client.changes(Entity.CONTACTS)
    graph_client.find_by_crm_id(Entity.CONTACTS, ["crm-1"])
    item = created["0"].item
    graph_client.write(Entity.CONTACTS, [Update(key="x", item_id=item.id, fields={"last_name": "Byron"})])
    assert graph_server.state.counts["requests"] > 5
    assert graph_server.state.counts["without immutable ids"] == 0
    # The id does not change when the item does.
    assert item.id in graph_client.get_items(Entity.CONTACTS, [item.id])


def test_items_are_found_by_the_crm_id_stamped_on_them(graph_client):
    create_contacts(graph_client, 25)
    found = graph_client.find_by_crm_id(Entity.CONTACTS, ["crm-3", "crm-24", "crm-missing"])
    assert [item.fields["first_name"] for item in found["crm-3"]] == ["Ada3"]
    assert [item.fields["first_name"] for item in found["crm-24"]] == ["Ada24"]
    assert found["crm-missing"] == []


def test_at_most_four_requests_are_in_flight_per_mailbox(graph_server, make_graph_client):
    """Outlook allows an app four concurrent requests per mailbox, and runs up to four of a batch at a time."""
    graph_server.state.latency = 0.05
    writers = [make_graph_client(), make_graph_client()]
    reader = make_graph_client()
    create_contacts(reader, 4)

    def read_many():
        for _ in range(5):
            reader.transport.call("GET", f"/users/{MAILBOX}/contacts/delta", params={"$select": "id"})

    threads = [threading.Thread(target=create_contacts, args=(writer, 60)) for writer in writers]
    threads += [threading.Thread(target=read_many) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert graph_server.state.max_in_flight[MAILBOX] == 4
    assert graph_server.state.counts["POST contacts"] == 124
    # Another mailbox has four slots of its own.
    other = make_graph_client(mailbox="other@example.com")
    create_contacts(other, 1)


def test_a_link_to_another_service_is_refused(graph_client):
    with pytest.raises(GraphProtocolError):
        graph_client.changes(Entity.CONTACTS, "https://elsewhere.example.com/v1.0/users/x/contacts/delta?$deltatoken=1")


@pytest.mark.parametrize("after", [False, True], ids=["dropped before applying", "dropped after applying"])
@pytest.mark.parametrize("entity", [Entity.CONTACTS, Entity.TASKS])
def test_creates_cut_off_by_a_dropped_connection_are_made_exactly_once(graph_server, graph_client, entity, after):
    fields = (lambda n: contact(n)) if entity is Entity.CONTACTS else (lambda n: {"subject": f"Call {n}"})
    graph_client.task_list_id()
    graph_server.state.drop(path_contains="$batch", method="POST", after=after)
    results = graph_client.write(entity, [Create(key=str(n), fields=fields(n), crm_id=f"crm-{n}") for n in range(30)])
    assert all(result.ok and result.item.crm_id == f"crm-{key}" for key, result in results.items())
    assert graph_server.state.counts["dropped"] == 1
    items = graph_client.changes(entity).items.values()
    assert sorted(item.crm_id for item in items) == sorted(f"crm-{n}" for n in range(30))


def test_a_create_answered_500_inside_a_batch_is_looked_up_before_being_sent_again(
    graph_server, graph_client, graph_waits
):
    graph_server.state.fail(500, inner=True, method="POST", times=2)
    results = create_contacts(graph_client, 5)
    assert len(results) == 5
    assert graph_server.state.counts["GET contacts"] == 2  # the two answered 500 were looked up by their stamp,
    assert graph_server.state.counts["POST contacts"] == 5  # not found (they were not applied), and sent again
    assert len(graph_client.changes(Entity.CONTACTS).items) == 5


def test_a_revoked_token_is_replaced_once(graph_server, graph_client):
    create_contacts(graph_client, 1)
    graph_server.state.tokens.clear()
    assert len(graph_client.changes(Entity.CONTACTS).items) == 1
    assert graph_server.state.counts["token"] == 2


def test_the_tenant_can_be_given_apart_from_the_authority_root(graph_server, make_graph_client):
    graph_client = make_graph_client(authority=graph_server.url, tenant_id="contoso.onmicrosoft.com")
    assert graph_client.changes(Entity.CONTACTS).items == {}
    assert graph_server.state.counts["token"] == 1


def test_bodies_over_the_size_limit_are_refused(graph_server, graph_client):
    create_contacts(graph_client, 30)
    graph_client.transport.max_body_bytes = 2_000
    with pytest.raises(GraphProtocolError):
        graph_client.changes(Entity.CONTACTS)


def test_500_creates_interrupted_at_20_random_requests_end_with_500_contacts_and_no_duplicate(
    graph_server, graph_client
):
    """The client-level half of the sync's fault test: whatever fails, running again converges."""
    rng = random.Random(20261126)
    for request_number in sorted(rng.sample(range(2, 80), 20)):
        kind = rng.choice(["drop before", "drop after", "500", "inner 500"])
        if kind.startswith("drop"):
            graph_server.state.drop(at_request=request_number, after=kind == "drop after")
        elif kind == "500":
            graph_server.state.fail(500, at_request=request_number)
        else:
            graph_server.state.fail(500, at_request=request_number, inner=True)
    wanted = {f"crm-{n}": contact(n) for n in range(500)}
    for _run in range(10):
        try:
            existing = graph_client.find_by_crm_id(Entity.CONTACTS, sorted(wanted))
            missing = [crm_id for crm_id, items in existing.items() if not items]
            if not missing:
                break
            graph_client.write(Entity.CONTACTS, [Create(key=c, fields=wanted[c], crm_id=c) for c in missing])
        except GraphUnavailable:
            continue  # the run stops; the next one starts over, as a sync run would
    stored = graph_server.state.mailbox(MAILBOX).contacts.items.values()
    stamps = sorted(mapping_stamp(item) for item in stored)
    assert stamps == sorted(wanted)
    assert graph_server.state.counts["dropped"] + graph_server.state.counts["injected 500"] == 20


def mapping_stamp(item: dict) -> str:
    return next(p["value"] for p in item["singleValueExtendedProperties"] if p["id"] == CRM_ID_PROPERTY)


def test_items_changed_while_a_round_pages_come_in_that_round_or_the_next_never_lost(graph_server, graph_client):
    graph_server.state.max_page_size = 5
    created = create_contacts(graph_client, 20)
    transport = graph_client.transport
    page = transport.call("GET", f"/users/{MAILBOX}/contacts/delta", params={"$select": "id"})
    seen = {item["id"] for item in page["value"]}
    served, unserved = next(iter(seen)), next(r.item.id for r in created.values() if r.item.id not in seen)
    graph_client.write(
        Entity.CONTACTS,
        [
            Update(key="a", item_id=served, fields={"job_title": "Changed"}),
            Update(key="b", item_id=unserved, fields={"job_title": "Changed"}),
        ],
    )
    while "@odata.nextLink" in page:
        page = transport.call("GET", page["@odata.nextLink"])
        seen |= {item["id"] for item in page["value"]}
    next_round = graph_client.changes(Entity.CONTACTS, page["@odata.deltaLink"])
    assert seen | set(next_round.items) == {r.item.id for r in created.values()}
    assert {served, unserved} <= set(next_round.items)


def test_an_untrusted_certificate_fails_at_once(graph_server, graph_waits, tmp_path):
    other_ca = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other_ca))
    transport = GraphTransport(
        base_url=graph_server.base_url,
        mailbox=MAILBOX,
        token=lambda: "unused",
        ca_bundle=str(other_ca),
        retry=RetryPolicy(sleep=graph_waits),
    )
    with pytest.raises(GraphUnavailable, match="not trusted"):
        transport.call("GET", f"/users/{MAILBOX}/contacts")
    assert graph_waits == []
    transport.close()


def test_a_first_round_can_list_the_collection_instead_of_reading_items_by_20(graph_server, make_graph_client):
    graph_client = make_graph_client(list_first_rounds=True)
    create_contacts(graph_client, 450)
    graph_server.state.reset_counts()
    first = graph_client.changes(Entity.CONTACTS)
    assert len(first.items) == 450 and all(item.crm_id for item in first.items.values())
    assert graph_server.state.counts["requests"] == 3 + 1  # delta pages of 200, one listing page of 1,000
    assert graph_client.changes(Entity.CONTACTS, first.delta_link).items == {}
