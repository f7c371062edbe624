"""The sync engine against a real mailbox: the in-memory CRM store, `GraphOutlookStore`, the local Graph server.

No Django and no database: the CRM side is the engine's reference store, the Outlook side goes through
msal, TLS, delta rounds and $batch to the local Graph-protocol server, as a Celery run would.
"""

import datetime as dt
import math
import random
import time
from collections import Counter
from zoneinfo import ZoneInfo

import pytest

from outlooksync.engine import (
    Availability,
    ChangedMeanwhile,
    ConflictWinner,
    Entity,
    EntitySettings,
    Side,
    SyncSettings,
    apply_plan,
    plan_run,
    preview,
    synchronize,
)
from outlooksync.engine.hashing import values_equal
from outlooksync.engine.memory import MemoryCrmStore
from outlooksync.graph import Create, Delete, RetryPolicy, Update
from outlooksync.graph.mapping import crm_id_of
from outlooksync.stores.outlook import (
    GRAPH_ENTITY,
    GraphOutlookStore,
    GraphStoreState,
    calendar_window,
    engine_fields,
    graph_fields,
    incomplete_rows,
)
from tests.outlooksync.conftest import MAILBOX

UTC = dt.UTC
BERLIN = ZoneInfo("Europe/Berlin")
WINDOW = (dt.datetime(2026, 1, 1, tzinfo=UTC), dt.datetime(2027, 1, 1, tzinfo=UTC))
CONTACT, TASK, EVENT = Entity.CONTACT, Entity.TASK, Entity.EVENT

FULL_CONTACT = {
    "name_prefix": "Dr.",
    "first_name": "Grace",
    "middle_name": "Brewster",
    "last_name": "Hopper",
    "gender": "female",
    "birthday": dt.date(1906, 12, 9),
    "job_title": "Rear admiral",
    "company_name": "US Navy",
    "emails": ("grace@navy.example", "hopper@home.example"),
    "business_phones": ("+12025550100", "+12025550103"),
    "home_phones": ("+12025550102",),
    "mobile_phone": "+12025550101",
    "addresses": (
        {
            "label": "Business",
            "street": "1 Navy Way",
            "city": "Arlington",
            "region": "VA",
            "postal_code": "22202",
            "country": "US",
        },
        {
            "label": "Home",
            "street": "2 Elm St",
            "city": "New York",
            "region": "NY",
            "postal_code": "10001",
            "country": "US",
        },
    ),
    "notes": "Wrote the first compiler.",
}
FULL_TASK = {
    "subject": "Call Grace about the compiler",
    "body": "Ask for the manual.",
    "start_at": dt.datetime(2026, 3, 1, 8, tzinfo=UTC),
    "due_at": dt.datetime(2026, 3, 4, 17, tzinfo=UTC),
    "status": "in_progress",
    "importance": "high",
    "reminder_at": dt.datetime(2026, 3, 4, 9, tzinfo=UTC),
    "completed_at": None,
}
WEEKLY_SERIES = {
    "title": "Weekly review",
    "body": "Pipeline and forecast.",
    "location": "Room 4",
    "start": dt.datetime(2026, 3, 2, 9, tzinfo=BERLIN).astimezone(UTC),
    "end": dt.datetime(2026, 3, 2, 10, tzinfo=BERLIN).astimezone(UTC),
    "all_day": False,
    "time_zone": "Europe/Berlin",
    "recurrence_rule": "FREQ=WEEKLY;BYDAY=MO;COUNT=10",
    "cancelled_starts": (dt.datetime(2026, 3, 16, 9, tzinfo=BERLIN).astimezone(UTC),),
    "exceptions": (
        {
            "original_start": dt.datetime(2026, 3, 23, 9, tzinfo=BERLIN).astimezone(UTC),
            "title": "Weekly review (moved)",
            "body": "Pipeline and forecast.",
            "location": "Room 5",
            "start": dt.datetime(2026, 3, 24, 11, tzinfo=BERLIN).astimezone(UTC),
            "end": dt.datetime(2026, 3, 24, 12, tzinfo=BERLIN).astimezone(UTC),
        },
    ),
}
ALL_DAY_EVENT = {
    "title": "Trade fair",
    "body": "",
    "location": "Hanover",
    "start": dt.datetime(2026, 4, 20, tzinfo=BERLIN).astimezone(UTC),
    "end": dt.datetime(2026, 4, 22, tzinfo=BERLIN).astimezone(UTC),
    "all_day": True,
    "time_zone": "Europe/Berlin",
    "recurrence_rule": "",
    "cancelled_starts": (),
    "exceptions": (),
}
FULL_VALUES = [(CONTACT, FULL_CONTACT), (TASK, FULL_TASK), (EVENT, WEEKLY_SERIES), (EVENT, ALL_DAY_EVENT)]
VALUE_IDS = ["contact", "task", "recurring event", "all-day event"]
CONTACTS_ONLY = SyncSettings(
    entities={entity: EntitySettings.defaults(entity, enabled=False) for entity in (TASK, EVENT)}
)


def contact(first: str, last: str = "Lee", **extra) -> dict:
    values = {name: None for name in FULL_CONTACT}
    values.update(first_name=first, last_name=last, gender="female", **extra)
    return values


def task(subject: str, **extra) -> dict:
    return {**FULL_TASK, "subject": subject, "body": "", "status": "not_started", "importance": "normal", **extra}


def event(title: str, day: int, **extra) -> dict:
    start = dt.datetime(2026, 5, day, 14, tzinfo=UTC)
    return {
        **WEEKLY_SERIES,
        "title": title,
        "start": start,
        "end": start + dt.timedelta(hours=1),
        "recurrence_rule": "",
        "cancelled_starts": (),
        "time_zone": "UTC",
        **extra,
    }


def same_values(first, second) -> bool:
    """Whether two sets of field values mean the same (None, "" and () alike; instants in any zone)."""
    names = set(first) | set(second)
    return all(values_equal(first.get(name), second.get(name)) for name in names)


class Rep:
    """A rep's CRM (in memory) and mailbox (on the local server), synced as a Celery run would."""

    def __init__(self, graph_server, make_client, *, settings: SyncSettings | None = None, **client_options):
        self.server = graph_server
        self.make_client = make_client
        self.client_options = client_options
        self.settings = settings or SyncSettings()
        self.crm = MemoryCrmStore()
        # What the Django side keeps per connection: the adapter's state as JSON, the token cache encrypted.
        self.stored_state: dict = {}
        self.stored_token_cache: str | None = None
        # The rep, working in Outlook.
        self.user = make_client()

    def store(self) -> GraphOutlookStore:
        client = self.make_client(
            token_cache=self.stored_token_cache,
            task_list_id=self.stored_state.get("task_list_id"),
            **self.client_options,
        )
        return GraphOutlookStore(client, state=self.stored_state, window=WINDOW)

    def sync(self, *, store: GraphOutlookStore | None = None, **options):
        store = store or self.store()
        report = synchronize(settings=self.settings, crm=self.crm, outlook=store, **options)
        self.stored_state = store.state.to_dict()
        self.stored_token_cache = store.token_cache_dump() or self.stored_token_cache
        assert not report.errors, report.errors
        return report

    # What is in the mailbox, read on the server itself.

    def raw_items(self, entity: Entity) -> list[dict]:
        box = self.server.state.mailbox(MAILBOX)
        if entity is CONTACT:
            return list(box.contacts.items.values())
        if entity is EVENT:
            return list(box.events.items.values())
        return [item for tasks in box.task_collections.values() for item in tasks.items.values()]

    def outlook_stamps(self, entity: Entity) -> Counter:
        return Counter(crm_id_of(raw) for raw in self.raw_items(entity))

    def outlook_values(self, entity: Entity) -> dict[str, dict]:
        """The mailbox's items by id, in the engine's fields."""
        store = self.store()
        entries = store.read_changes(entity, full=True).entries
        return {entry.item.id: dict(entry.item.fields) for entry in entries if entry.item}

    def linked(self, entity: Entity) -> set[tuple[str, str]]:
        return {(link.crm_id, link.outlook_id) for link in self.crm.links(entity)}

    def crm_by_name(self, entity: Entity) -> dict[str, object]:
        name = {CONTACT: "first_name", TASK: "subject", EVENT: "title"}[entity]
        return {record.fields[name]: record for record in self.crm.all(entity)}

    # What the rep does in Outlook.

    def outlook_add(self, entity: Entity, fields: dict) -> str:
        result = self.user.write(
            GRAPH_ENTITY[entity], [Create(key="a", fields=graph_fields(entity, fields), crm_id=None)]
        )
        return result["a"].item.id

    def outlook_edit(self, entity: Entity, item_id: str, **fields) -> None:
        result = self.user.write(GRAPH_ENTITY[entity], [Update(key="e", item_id=item_id, fields=fields)])
        assert result["e"].ok

    def outlook_delete(self, entity: Entity, item_id: str) -> None:
        assert self.user.write(GRAPH_ENTITY[entity], [Delete(key="d", item_id=item_id)])["d"].ok


@pytest.fixture
def rep(graph_server, make_client):
    return Rep(graph_server, make_client)


# -- translation -----------------------------------------------------------------------------


@pytest.mark.parametrize(("entity", "values"), FULL_VALUES, ids=VALUE_IDS)
def test_every_mapped_field_round_trips_through_the_translation_table(entity, values):
    assert engine_fields(entity, graph_fields(entity, values)) == values


@pytest.mark.parametrize(("entity", "values"), FULL_VALUES, ids=VALUE_IDS)
def test_every_mapped_field_round_trips_through_graph(rep, entity, values):
    store = rep.store()
    created = store.create_item(entity, values, stamp="crm-1")
    assert created.crm_id == "crm-1"
    assert same_values(created.fields, values)

    read = rep.store().get_items(entity, [created.id])[created.id]
    assert read.crm_id == "crm-1"
    assert read.change_key == created.change_key
    assert same_values(read.fields, values)


def test_fields_graph_writes_together_are_completed_from_the_item():
    assert incomplete_rows(CONTACT, ["mobile_phone", "job_title"]) == {"business_phones", "home_phones"}
    assert incomplete_rows(EVENT, ["end"]) == {"start", "all_day", "time_zone", "recurrence_rule"}
    assert incomplete_rows(TASK, ["due_at"]) == set()
    with pytest.raises(ValueError, match="business_phones"):
        graph_fields(CONTACT, {"mobile_phone": "555"})


def test_an_update_of_one_phone_keeps_the_others(rep):
    created = rep.store().create_item(CONTACT, FULL_CONTACT, stamp="crm-1")
    store = rep.store()  # a new run: the item is read before it is written, as the engine does
    store.get_items(CONTACT, [created.id])
    updated = store.update_item(
        CONTACT, created.id, {"mobile_phone": "555"}, stamp=None, expected_change_key=created.change_key
    )
    assert same_values(updated.fields, {**FULL_CONTACT, "mobile_phone": "555"})

    # Without a read in the run the adapter reads the item itself; an all-day event stays all-day.
    event_item = rep.store().create_item(EVENT, ALL_DAY_EVENT, stamp="crm-2")
    later = ALL_DAY_EVENT["end"] + dt.timedelta(days=1)
    moved = rep.store().update_item(EVENT, event_item.id, {"end": later}, stamp=None, expected_change_key=None)
    assert same_values(moved.fields, {**ALL_DAY_EVENT, "end": later})


def test_a_write_over_an_item_changed_meanwhile_is_refused(rep):
    store = rep.store()
    created = store.create_item(CONTACT, FULL_CONTACT, stamp="crm-1")
    rep.outlook_edit(CONTACT, created.id, job_title="Commodore")
    with pytest.raises(ChangedMeanwhile):
        store.update_item(CONTACT, created.id, {"notes": "x"}, stamp=None, expected_change_key=created.change_key)
    rep.outlook_delete(CONTACT, created.id)
    with pytest.raises(ChangedMeanwhile):
        store.update_item(CONTACT, created.id, {"notes": "x"}, stamp=None, expected_change_key=None)
    store.delete_item(CONTACT, created.id)  # already gone: fine
    assert rep.store().get_items(CONTACT, [created.id]) == {}


@pytest.mark.parametrize("entity", [CONTACT, TASK, EVENT])
def test_a_create_sent_again_writes_the_item_already_stamped(rep, entity):
    values = dict(FULL_VALUES)[entity]
    first = rep.store().create_item(entity, values, stamp="crm-7")
    second = rep.store().create_item(
        entity, {**values, "body" if entity is not CONTACT else "notes": "again"}, stamp="crm-7"
    )
    assert second.id == first.id
    assert rep.outlook_stamps(entity) == Counter({"crm-7": 1})


def test_a_task_created_in_outlook_is_stamped_with_a_linked_resource(rep):
    task_id = rep.outlook_add(TASK, task("Outlook task"))
    stamped = rep.store().update_item(TASK, task_id, {}, stamp="crm-3", expected_change_key=None)
    assert stamped.crm_id == "crm-3"
    assert rep.outlook_stamps(TASK) == Counter({"crm-3": 1})


def test_the_state_survives_json_and_the_calendar_window_moves_by_whole_days():
    state = GraphStoreState(delta_links={"contact": "https://x/delta?t=1"}, task_list_id="L1", window=("a", "b"))
    assert GraphStoreState.from_dict(state.to_dict()) == state
    settings = SyncSettings(time_zone="Europe/Berlin", calendar_days_back=1, calendar_days_ahead=1)
    low, high = calendar_window(settings, dt.datetime(2026, 6, 10, 23, 30, tzinfo=UTC))  # June 11th in Berlin
    assert low == dt.datetime(2026, 6, 10, tzinfo=BERLIN)
    assert high == dt.datetime(2026, 6, 13, tzinfo=BERLIN)


# -- the engine end to end ---------------------------------------------------------------------


def first_sync_world(rep: Rep) -> None:
    rep.crm.add(CONTACT, contact("Ann", job_title="Buyer"))
    rep.crm.add(TASK, task("Send the quote"))
    rep.crm.add(EVENT, WEEKLY_SERIES)
    rep.outlook_add(CONTACT, contact("Bob", "Ray", mobile_phone="555"))
    rep.outlook_add(TASK, task("Book the hotel", importance="high"))
    rep.outlook_add(EVENT, event("Lunch with Bob", 12))
    rep.sync()


def test_a_first_sync_links_contacts_tasks_and_events_both_ways(rep):
    first_sync_world(rep)

    for entity, crm_name, outlook_name in [
        (CONTACT, "Ann", "Bob"),
        (TASK, "Send the quote", "Book the hotel"),
        (EVENT, "Weekly review", "Lunch with Bob"),
    ]:
        records = rep.crm_by_name(entity)
        assert set(records) == {crm_name, outlook_name}
        assert rep.outlook_stamps(entity) == Counter({record.id: 1 for record in records.values()})
        assert len(rep.linked(entity)) == 2
        items = rep.outlook_values(entity)
        for crm_id, outlook_id in rep.linked(entity):
            assert same_values(items[outlook_id], rep.crm.get(entity, crm_id).fields)
    assert rep.crm_by_name(CONTACT)["Bob"].fields["mobile_phone"] == "555"
    assert rep.crm_by_name(TASK)["Book the hotel"].fields["importance"] == "high"
    series = rep.outlook_values(EVENT)[dict(rep.linked(EVENT))[rep.crm_by_name(EVENT)["Weekly review"].id]]
    assert series["cancelled_starts"] == WEEKLY_SERIES["cancelled_starts"]

    # The next run finds nothing to do: no echo of its own writes.
    report = rep.sync()
    assert sum(report.counts.values()) == 0


def test_an_incremental_run_then_an_idle_run_of_one_delta_request_per_entity(rep):
    first_sync_world(rep)
    ann = rep.crm_by_name(CONTACT)["Ann"]
    bob = rep.crm_by_name(CONTACT)["Bob"]
    bob_item = {crm: item for crm, item in rep.linked(CONTACT)}[bob.id]
    rep.crm.edit(CONTACT, ann.id, job_title="Head buyer")
    rep.outlook_edit(CONTACT, bob_item, phones=[{"number": "777", "phone_type": "mobile"}])
    hotel = rep.crm_by_name(TASK)["Book the hotel"]
    rep.crm.edit(TASK, hotel.id, status="completed")

    rep.sync()
    assert rep.crm.get(CONTACT, bob.id).fields["mobile_phone"] == "777"
    ann_item = {crm: item for crm, item in rep.linked(CONTACT)}[ann.id]
    assert rep.outlook_values(CONTACT)[ann_item]["job_title"] == "Head buyer"
    hotel_item = {crm: item for crm, item in rep.linked(TASK)}[hotel.id]
    assert rep.outlook_values(TASK)[hotel_item]["status"] == "completed"

    rep.sync()  # the run that sees its own writes in the delta rounds, and does nothing with them
    rep.server.state.reset_counts()
    report = rep.sync()
    assert sum(report.counts.values()) == 0
    counts = rep.server.state.counts
    assert counts["requests"] == 3
    assert counts["GET delta"] == 3
    assert counts["token"] == 0  # the stored token cache is used


def test_deletions_each_way(rep):
    first_sync_world(rep)
    ann = rep.crm_by_name(CONTACT)["Ann"]
    bob = rep.crm_by_name(CONTACT)["Bob"]
    links = dict(rep.linked(CONTACT))
    lunch = rep.crm_by_name(EVENT)["Lunch with Bob"]
    lunch_item = dict(rep.linked(EVENT))[lunch.id]

    rep.crm.delete_for_good(CONTACT, ann.id)  # deleted in the CRM: its Outlook item goes
    rep.outlook_delete(CONTACT, links[bob.id])  # deleted in Outlook, CRM wins: the record stays, unlinked
    rep.outlook_delete(EVENT, lunch_item)
    rep.sync()

    assert rep.outlook_stamps(CONTACT) == Counter()
    assert rep.crm.get(CONTACT, ann.id) is None
    assert rep.crm.get(CONTACT, bob.id).availability is Availability.AVAILABLE
    assert rep.crm.get(EVENT, lunch.id).availability is Availability.AVAILABLE
    assert len(rep.raw_items(EVENT)) == 1

    # With CRM wins the record is created again in Outlook when it next changes.
    rep.crm.edit(CONTACT, bob.id, job_title="Owner")
    rep.sync()
    assert rep.outlook_stamps(CONTACT) == Counter({bob.id: 1})
    (item_id,) = [outlook_id for crm_id, outlook_id in rep.linked(CONTACT) if crm_id == bob.id]
    assert rep.outlook_values(CONTACT)[item_id]["job_title"] == "Owner"

    # Outlook wins: an Outlook deletion archives the CRM record.
    rep.settings = SyncSettings(conflict=ConflictWinner.OUTLOOK)
    hotel = rep.crm_by_name(TASK)["Book the hotel"]
    rep.outlook_delete(TASK, dict(rep.linked(TASK))[hotel.id])
    rep.sync()
    assert rep.crm.get(TASK, hotel.id).availability is Availability.ARCHIVED
    assert len(rep.raw_items(TASK)) == 1


def test_an_expired_delta_token_reconciles_without_duplicates(rep):
    first_sync_world(rep)
    ann = rep.crm_by_name(CONTACT)["Ann"]
    bob = rep.crm_by_name(CONTACT)["Bob"]
    rep.crm.edit(CONTACT, ann.id, job_title="Head buyer")
    rep.outlook_edit(CONTACT, dict(rep.linked(CONTACT))[bob.id], job_title="Owner")
    rep.outlook_add(CONTACT, contact("Cy"))
    rep.server.state.expire_delta_tokens(MAILBOX)

    rep.sync()
    names = rep.crm_by_name(CONTACT)
    assert set(names) == {"Ann", "Bob", "Cy"}
    assert names["Bob"].fields["job_title"] == "Owner"
    assert rep.outlook_stamps(CONTACT) == Counter({record.id: 1 for record in names.values()})
    for entity in (TASK, EVENT):
        assert len(rep.raw_items(entity)) == 2
        assert len(rep.crm.all(entity)) == 2

    # Links lost as well: rebuilt from the stamps, nothing created twice.
    before = {entity: set(rep.linked(entity)) for entity in Entity}
    rep.crm.stored_links.clear()
    rep.server.state.expire_delta_tokens(MAILBOX)
    rep.sync()
    assert {entity: set(rep.linked(entity)) for entity in Entity} == before
    for entity in Entity:
        assert len(rep.raw_items(entity)) == len(rep.crm.all(entity))


def http_requests(server) -> int:
    """HTTP requests Graph received (the server also counts each request inside a $batch)."""
    return server.state.counts["requests"] - server.state.counts["batch inner"]


class WorkerKilled(Exception):
    pass


class WorkerKilledAt:
    """A CRM store hook that stops the run before its nth write, as a killed worker would."""

    def __init__(self, writes: int) -> None:
        self.left = writes

    def __call__(self, operation: str) -> None:
        self.left -= 1
        if self.left == 0:
            raise WorkerKilled(operation)


def interrupt_first_sync(rep: Rep, entity: Entity, total: int, points: int, randomness: random.Random) -> int:
    """Run the first sync of `total` records again and again, each run cut at a random point; the runs cut."""
    state = rep.server.state
    collection = {CONTACT: "/contacts", TASK: "/tasks", EVENT: "/events"}[entity]
    aborted = attempts = 0
    # A fault the client absorbs (it looks a create up by its stamp and carries on) interrupts nothing: the
    # runs go on until `points` of them were cut.
    while aborted < points:
        attempts += 1
        assert attempts <= 3 * points, f"only {aborted} of {attempts} runs were cut"
        point = aborted
        # A point among the requests of the run: its listing (at least one delta page) or its writes, at most
        # an even share of those left, so that every point falls within the first sync. Two requests fail
        # in a row: the client absorbs one failure (it retries, or looks a create up by its stamp).
        store = rep.store()
        store.client.tokens.access_token()  # the token endpoint first: the points fall on Graph requests
        left = total - len(rep.linked(entity))
        writes = max(1, left // (points - point))
        steps = randomness.randint(1, writes)
        # Writes go 20 to a $batch request: a share of the writes left is a share of those requests, and a
        # point never lies beyond the requests the run still has to make (its listing, then its batches).
        at = state.request_number + randomness.randint(1, min(1 + math.ceil(writes / 20), 1 + math.ceil(left / 20)))
        kinds = ["drop before", "drop after", "500", "inner 500", "worker killed"] if left else ["drop before", "500"]
        kind = randomness.choice(kinds)
        faults = []
        if kind.startswith("drop"):  # the connection drops before or after the request was applied
            faults = [state.drop(at_request=at + n, after=kind == "drop after") for n in (0, 1)]
        elif kind == "500":
            faults = [state.fail(500, at_request=at + n) for n in (0, 1)]
        elif kind == "inner 500":  # inside a $batch, the next write answers 500, and again when sent again
            faults = [state.fail(500, path_contains=collection, inner=True, times=2)]
        else:  # the worker dies before its nth CRM write (records and links commit together)
            rep.crm.before_write = WorkerKilledAt(steps)
        try:
            rep.sync(store=store)
        except Exception:  # noqa: BLE001 - whatever the fault makes the run raise, the next run starts over
            aborted += 1

        assert not faults or faults[0].times == 0, f"fault {point} ({kind}) at request {at} was not reached"
        state.faults.clear()
        rep.crm.before_write = lambda operation: None
    rep.sync()
    return aborted


def assert_one_item_per_record(rep: Rep, entity: Entity, total: int) -> None:
    records = rep.crm.all(entity)
    assert len(records) == total
    assert len(rep.linked(entity)) == total
    assert len(rep.raw_items(entity)) == total
    assert rep.outlook_stamps(entity) == Counter({record.id: 1 for record in records})
    assert {outlook_id for _, outlook_id in rep.linked(entity)} == {raw["id"] for raw in rep.raw_items(entity)}
    assert sum(rep.sync().counts.values()) == 0


def test_a_first_sync_of_500_contacts_interrupted_at_20_random_points(graph_server, make_client, sleeps):
    started = time.monotonic()
    # One attempt per request: a fault the client would otherwise retry stops the run where it happens.
    rep = Rep(graph_server, make_client, retry=RetryPolicy(max_attempts=1, sleep=sleeps))
    rep.settings = CONTACTS_ONLY
    for number in range(500):
        rep.crm.add(CONTACT, contact(f"Ann{number:03d}", job_title=f"Buyer {number}"))

    aborted = interrupt_first_sync(rep, CONTACT, 500, 20, random.Random(20261126))
    assert aborted == 20
    assert_one_item_per_record(rep, CONTACT, 500)
    assert time.monotonic() - started < 60


@pytest.mark.parametrize("entity", [TASK, EVENT])
def test_a_first_sync_of_tasks_or_events_half_matched_by_key_interrupted_at_random_points(
    graph_server, make_client, sleeps, entity
):
    rep = Rep(graph_server, make_client, retry=RetryPolicy(max_attempts=1, sleep=sleeps))
    rep.settings = SyncSettings(
        entities={each: EntitySettings.defaults(each, enabled=each is entity) for each in (CONTACT, TASK, EVENT)}
    )
    for number in range(100):
        values = task(f"Task {number:03d}") if entity is TASK else event(f"Event {number:03d}", 1 + number % 28)
        rep.crm.add(entity, values)
        if number % 2:  # the rep has it in Outlook already: matched by key, stamped, not created again
            rep.outlook_add(entity, values)

    aborted = interrupt_first_sync(rep, entity, 100, 8, random.Random(1126))
    assert aborted == 8
    assert_one_item_per_record(rep, entity, 100)


def test_an_event_an_interrupted_run_created_is_found_by_its_stamp_out_of_the_calendar_window(rep, graph_server):
    """A first sync's creates look their stamps up in one listing of the stamped events (not 20 CRM ids to a
    $batch request), which also finds an event outside the calendar window: the one a run created before it
    was cut, since moved by the rep into another year and unlike the record now (so its transactionId differs)."""
    rep.settings = SyncSettings(
        entities={each: EntitySettings.defaults(each, enabled=each is EVENT) for each in (CONTACT, TASK, EVENT)}
    )
    records = [rep.crm.add(EVENT, event(f"Event {number:02d}", 1 + number)) for number in range(25)]
    moved = {**event("Event 00, first draft", 1), "start": dt.datetime(2028, 2, 1, 9, tzinfo=UTC)}
    moved["end"] = moved["start"] + dt.timedelta(hours=1)
    interrupted = rep.store().create_item(EVENT, moved, stamp=records[0].id)
    graph_server.state.reset_counts()

    rep.sync()

    assert rep.outlook_stamps(EVENT) == Counter({record.id: 1 for record in records})
    assert (records[0].id, interrupted.id) in rep.linked(EVENT)
    # The window's delta page, one page of stamped events, two $batch requests of writes.
    assert graph_server.state.counts["GET events"] == 1
    assert http_requests(graph_server) == 1 + 1 + 2


def test_a_few_stamps_are_looked_up_by_id_and_many_by_one_listing(rep, graph_server):
    store = rep.store()
    created = store.create_item(EVENT, event("Stamped", 3), stamp="crm-1")
    store = rep.store()
    store.read_changes(EVENT, full=True)
    graph_server.state.reset_counts()
    assert [item.id for item in store.find_by_stamps(EVENT, ["crm-1", "crm-2"])] == [created.id]
    assert graph_server.state.counts["POST $batch"] == 1 and graph_server.state.counts["batch inner"] == 2
    graph_server.state.reset_counts()
    many = [f"crm-{number}" for number in range(3, 60)]
    assert store.find_by_stamps(EVENT, many) == []
    assert [item.id for item in store.find_by_stamps(EVENT, ["crm-1", *many])] == [created.id]
    assert http_requests(graph_server) == 1 and graph_server.state.counts["GET events"] == 1
    # The run's own writes keep the listing true.
    again = store.create_item(EVENT, event("Stamped too", 4), stamp="crm-70")
    assert [item.id for item in store.find_by_stamps(EVENT, ["crm-70"])] == [again.id]


def test_graph_requests_of_a_first_sync_of_500_contacts(graph_server, make_client, record_property):
    rep = Rep(graph_server, make_client)
    rep.settings = CONTACTS_ONLY
    for number in range(500):
        rep.crm.add(CONTACT, contact(f"Ann{number:03d}"))
    graph_server.state.reset_counts()
    rep.sync()
    assert len(rep.linked(CONTACT)) == 500
    requests = http_requests(graph_server)
    record_property("graph_requests_first_sync_500_contacts", requests)
    # The fewest possible: one delta page lists the empty mailbox, then the creates go 20 to a $batch.
    assert requests == 1 + 500 // 20
    assert graph_server.state.counts["POST contacts"] == 500


def test_a_series_deleted_in_outlook_is_seen_through_its_occurrences(rep):
    rep.settings = SyncSettings(conflict=ConflictWinner.OUTLOOK)
    first_sync_world(rep)
    series = rep.crm_by_name(EVENT)["Weekly review"]
    series_item = dict(rep.linked(EVENT))[series.id]
    assert rep.stored_state["series_ids"] == [series_item]

    rep.outlook_delete(EVENT, series_item)  # the calendar view reports its occurrences removed, not the series
    rep.sync()
    assert rep.crm.get(EVENT, series.id).availability is Availability.ARCHIVED
    assert rep.stored_state["series_ids"] == []


def test_an_item_edited_while_the_run_applies_is_read_again_and_merged(rep):
    first_sync_world(rep)
    ann = rep.crm_by_name(CONTACT)["Ann"]
    ann_item = dict(rep.linked(CONTACT))[ann.id]
    rep.crm.edit(CONTACT, ann.id, job_title="Head buyer")
    store = rep.store()
    plan = plan_run(settings=rep.settings, crm=rep.crm, outlook=store)
    rep.outlook_edit(CONTACT, ann_item, description="Met at the fair")  # the planned write now answers 412

    report = apply_plan(plan, settings=rep.settings, crm=rep.crm, outlook=store)
    assert not report.errors
    values = rep.outlook_values(CONTACT)[ann_item]
    assert (values["job_title"], values["notes"]) == ("Head buyer", "Met at the fair")
    assert rep.crm.get(CONTACT, ann.id).fields["notes"] == "Met at the fair"


def test_the_store_connects_with_the_stored_state_and_reports_its_changes(graph_server, sleeps):
    saved = []
    options = {
        "base_url": graph_server.base_url,
        "authority": graph_server.authority,
        "client_id": graph_server.state.client_id,
        "client_secret": graph_server.state.client_secret,
        "mailbox": MAILBOX,
        "ca_bundle": graph_server.ca_bundle,
        "retry": RetryPolicy(sleep=sleeps),
    }
    crm = MemoryCrmStore()
    crm.add(TASK, task("Send the quote"))
    store = GraphOutlookStore.connect(state=None, window=WINDOW, on_state_change=saved.append, **options)
    synchronize(settings=SyncSettings(), crm=crm, outlook=store)
    store.close()
    state = saved[-1].to_dict()
    assert set(state["delta_links"]) == {"contact", "task", "event"}
    assert state["task_list_id"] and state["window"]

    graph_server.state.reset_counts()
    again = GraphOutlookStore.connect(state=state, window=WINDOW, **options)
    synchronize(settings=SyncSettings(), crm=crm, outlook=again)
    again.close()
    assert graph_server.state.counts["GET delta"] == 3
    assert graph_server.state.counts["GET lists"] == 0  # the stored list id spares looking the task list up


@pytest.mark.parametrize("delta_link_kept", [True, False], ids=["with its delta link", "without"])
def test_a_task_list_deleted_in_outlook_is_created_again(rep, delta_link_kept):
    first_sync_world(rep)
    old_list = rep.stored_state["task_list_id"]
    rep.user.transport.call("DELETE", f"/users/{MAILBOX}/todo/lists/{old_list}")
    if not delta_link_kept:
        del rep.stored_state["delta_links"]["task"]

    rep.sync()
    assert rep.stored_state["task_list_id"] not in (None, old_list)
    quote = rep.crm_by_name(TASK)["Send the quote"]
    rep.crm.edit(TASK, quote.id, status="in_progress")
    rep.sync()
    assert rep.outlook_stamps(TASK)[quote.id] == 1
    assert len(rep.crm.all(TASK)) == 2


def test_a_resync_replaces_every_stamped_item_once(rep):
    first_sync_world(rep)
    rep.outlook_add(CONTACT, contact("Cy"))  # not stamped yet: a resync matches it by key like any new item
    stamped_before = {raw["id"] for entity in Entity for raw in rep.raw_items(entity) if crm_id_of(raw)}

    rep.sync(resync=True)
    for entity in Entity:
        records = rep.crm.all(entity)
        assert rep.outlook_stamps(entity) == Counter({record.id: 1 for record in records})
        assert len(rep.linked(entity)) == len(records)
    assert not stamped_before & {raw["id"] for entity in Entity for raw in rep.raw_items(entity)}
    assert set(rep.crm_by_name(CONTACT)) == {"Ann", "Bob", "Cy"}
    assert sum(rep.sync().counts.values()) == 0


def test_a_preview_reads_the_mailbox_and_writes_nothing(rep):
    rep.crm.add(CONTACT, contact("Ann"))
    rep.crm.add(CONTACT, contact("Bob", "Ray"))
    rep.outlook_add(CONTACT, contact("Bob", "Ray", mobile_phone="555"))
    rep.server.state.reset_counts()

    store = rep.store()
    store.read_only = True
    summary = preview(settings=rep.settings, crm=rep.crm, outlook=store)
    assert summary.counts[(Side.OUTLOOK, CONTACT, "create")] == 1
    assert summary.matched_by_key[CONTACT] == 1
    counts = rep.server.state.counts
    assert not [kind for kind in counts if kind.split()[0] in ("POST", "PATCH", "DELETE") and kind != "POST $batch"]
    assert counts["batch inner"] == counts["GET contacts"] == 1  # the listing read Bob; it answered every look-up
    assert rep.stored_state == {} and rep.crm.links(CONTACT) == []
    assert rep.server.state.mailbox(MAILBOX).lists == {}  # not even the "CRM tasks" list
    with pytest.raises(RuntimeError):
        store.delete_item(CONTACT, "any")
