"""Contacts, To Do tasks and calendar events through the Graph client and back, against the local server."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from outlooksync.graph import Create, Delete, DeltaExpired, Entity, Update
from outlooksync.graph.mapping import CRM_ID_PROPERTY, GENDER_PROPERTY
from tests.outlooksync.conftest import MAILBOX

UTC = dt.UTC
BERLIN = ZoneInfo("Europe/Berlin")
WINDOW = (dt.datetime(2026, 1, 1, tzinfo=UTC), dt.datetime(2027, 1, 1, tzinfo=UTC))

FULL_CONTACT = {
    "name_prefix": "Dr.",
    "first_name": "Grace",
    "middle_name": "Brewster",
    "last_name": "Hopper",
    "gender": "female",
    "birthday": dt.date(1906, 12, 9),
    "job_title": "Rear admiral",
    "company_name": "US Navy",
    "description": "Wrote the first compiler.",
    "emails": [
        {"email": "grace@navy.example", "is_primary": True},
        {"email": "hopper@home.example", "is_primary": False},
    ],
    "phones": [
        {"number": "+12025550100", "phone_type": "business", "is_primary": True},
        {"number": "+12025550101", "phone_type": "mobile", "is_primary": False},
        {"number": "+12025550102", "phone_type": "home", "is_primary": False},
    ],
    "addresses": [
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
    ],
}


def test_a_contact_round_trips_with_every_synced_field(graph_server, graph_client):
    result = graph_client.write(Entity.CONTACTS, [Create(key="c", fields=FULL_CONTACT, crm_id="42")])["c"]
    assert result.ok
    (item,) = graph_client.changes(Entity.CONTACTS).items.values()
    assert item.crm_id == "42"
    assert item.fields == FULL_CONTACT

    # Gender travels as the MAPI property, the CRM id as the product's named property.
    stored = graph_server.state.mailbox(MAILBOX).contacts.items[item.id]
    properties = {p["id"]: p["value"] for p in stored["singleValueExtendedProperties"]}
    assert properties == {GENDER_PROPERTY: "1", CRM_ID_PROPERTY: "42"}
    assert stored["mobilePhone"] == "+12025550101"


def test_an_update_sends_only_the_fields_given(graph_server, graph_client):
    item = graph_client.write(Entity.CONTACTS, [Create(key="c", fields=FULL_CONTACT, crm_id="42")])["c"].item
    updated = graph_client.write(Entity.CONTACTS, [Update(key="u", item_id=item.id, fields={"gender": "male"})])[
        "u"
    ].item
    assert updated.fields == {**FULL_CONTACT, "gender": "male"}
    assert updated.crm_id == "42"


def test_the_task_list_is_created_once(graph_server, make_graph_client):
    first, second = make_graph_client(), make_graph_client()
    assert first.task_list_id() == second.task_list_id()
    lists = graph_server.state.mailbox(MAILBOX).lists
    assert [v["displayName"] for v in lists.values()] == ["CRM tasks"]


def test_a_task_round_trips_with_its_crm_id_as_a_linked_resource(graph_server, make_graph_client):
    graph_client = make_graph_client(time_zone="America/New_York")
    fields = {
        "subject": "Call Grace",
        "description": "About the compiler",
        "start_at": dt.datetime(2026, 3, 1, 8, 0, tzinfo=UTC),
        "due_at": dt.datetime(2026, 3, 2, 17, 0, tzinfo=UTC),
        "status": "waiting",
        "priority": "high",
        "reminder_at": dt.datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
        "completed_at": None,
    }
    created = graph_client.write(Entity.TASKS, [Create(key="t", fields=fields, crm_id="task-7")])["t"]
    assert created.ok and created.item.crm_id == "task-7"
    stored = graph_server.state.mailbox(MAILBOX).task_collections[graph_client.task_list_id()].items[created.item.id]
    # To Do shows the due date the rep means: in the rep's zone.
    assert stored["dueDateTime"] == {"dateTime": "2026-03-02T12:00:00.0000000", "timeZone": "Eastern Standard Time"}
    changes = graph_client.changes(Entity.TASKS)
    (item,) = changes.items.values()
    assert item.fields == fields
    assert item.crm_id == "task-7"
    assert graph_client.find_by_crm_id(Entity.TASKS, ["task-7"])["task-7"][0].id == item.id

    done = {"status": "completed", "completed_at": dt.datetime(2026, 3, 2, 12, 0, tzinfo=UTC)}
    graph_client.write(Entity.TASKS, [Update(key="u", item_id=item.id, fields=done, change_key=item.change_key)])
    again = graph_client.changes(Entity.TASKS, changes.delta_link)
    assert again.items[item.id].fields == {**fields, **done}
    assert again.items[item.id].crm_id == "task-7"

    graph_client.write(Entity.TASKS, [Delete(key="d", item_id=item.id)])
    assert graph_client.changes(Entity.TASKS, again.delta_link).removed == {item.id: "deleted"}


def test_an_event_keeps_its_zone_and_an_all_day_event_runs_midnight_to_midnight_in_it(graph_server, graph_client):
    timed = {
        "title": "Review",
        "description": "Quarterly",
        "location": "Room 1",
        "start": dt.datetime(2026, 3, 2, 8, 0, tzinfo=UTC),
        "end": dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
        "all_day": False,
        "time_zone": "Europe/Berlin",
        "recurrence_rule": "",
        "cancelled_starts": [],
        "exceptions": [],
    }
    all_day = {
        **timed,
        "title": "Trade fair",
        "start": dt.datetime(2026, 3, 4, tzinfo=BERLIN).astimezone(UTC),
        "end": dt.datetime(2026, 3, 6, tzinfo=BERLIN).astimezone(UTC),
        "all_day": True,
    }
    results = graph_client.write(
        Entity.EVENTS, [Create(key="timed", fields=timed, crm_id="e1"), Create(key="day", fields=all_day, crm_id="e2")]
    )
    stored = graph_server.state.mailbox(MAILBOX).events.items[results["day"].item.id]
    assert stored["start"] == {"dateTime": "2026-03-04T00:00:00.0000000", "timeZone": "W. Europe Standard Time"}
    assert stored["end"] == {"dateTime": "2026-03-06T00:00:00.0000000", "timeZone": "W. Europe Standard Time"}
    stored = graph_server.state.mailbox(MAILBOX).events.items[results["timed"].item.id]
    assert stored["start"] == {"dateTime": "2026-03-02T09:00:00.0000000", "timeZone": "W. Europe Standard Time"}

    items = graph_client.changes(Entity.EVENTS, window=WINDOW).items
    by_crm_id = {item.crm_id: item.fields for item in items.values()}
    assert by_crm_id == {"e1": timed, "e2": all_day}


def test_a_series_comes_back_with_its_rule_and_cancelled_occurrences(graph_server, graph_client):
    series = {
        "title": "Stand-up",
        "description": "",
        "location": "",
        "start": dt.datetime(2026, 3, 2, 9, 0, tzinfo=BERLIN).astimezone(UTC),
        "end": dt.datetime(2026, 3, 2, 9, 15, tzinfo=BERLIN).astimezone(UTC),
        "all_day": False,
        "time_zone": "Europe/Berlin",
        "recurrence_rule": "FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20260331T215959Z",
        "cancelled_starts": [],
        "exceptions": [],
    }
    created = graph_client.write(Entity.EVENTS, [Create(key="s", fields=series, crm_id="series-1")])["s"].item
    graph_server.state.max_page_size = 3
    graph_server.state.reset_counts()
    first = graph_client.changes(Entity.EVENTS, window=WINDOW)
    # The calendar view lists each occurrence; the client reads their series once.
    assert list(first.items) == [created.id]
    assert first.items[created.id].fields == series
    assert graph_server.state.counts["GET delta"] == 3  # 9 occurrences, 3 a page
    assert graph_server.state.counts["GET events"] == 1

    # Cancelling the occurrence of Wednesday 4 March (deleting it in Outlook) shows on the series.
    status, _, _ = graph_server.state.handle("DELETE", f"/users/{MAILBOX}/events/{created.id}.OCC.2026-03-04", {}, None)
    assert status == 204
    second = graph_client.changes(Entity.EVENTS, first.delta_link)
    cancelled = dt.datetime(2026, 3, 4, 9, 0, tzinfo=BERLIN).astimezone(UTC).isoformat()
    assert second.items[created.id].fields["cancelled_starts"] == [cancelled]

    # Deleting the series removes its occurrences from the view; the series is reported removed.
    graph_client.write(Entity.EVENTS, [Delete(key="d", item_id=created.id)])
    third = graph_client.changes(Entity.EVENTS, second.delta_link, series_ids=[created.id])
    assert third.items == {}
    assert third.removed[created.id] == "deleted"


def test_creating_an_event_twice_with_its_transaction_id_makes_one_event(graph_server, graph_client):
    fields = {
        "title": "Once",
        "start": dt.datetime(2026, 5, 1, 10, tzinfo=UTC),
        "end": dt.datetime(2026, 5, 1, 11, tzinfo=UTC),
        "time_zone": "UTC",
    }
    first = graph_client.write(Entity.EVENTS, [Create(key="a", fields=fields, crm_id="e9")])["a"].item
    again = graph_client.write(Entity.EVENTS, [Create(key="a", fields=fields, crm_id="e9")])["a"].item
    assert first.id == again.id
    assert len(graph_server.state.mailbox(MAILBOX).events.items) == 1


def test_cancelled_occurrences_written_from_the_crm_are_deleted_in_outlook(graph_server, graph_client):
    monday = dt.datetime(2026, 3, 2, 9, 0, tzinfo=BERLIN)
    cancelled = [(monday + dt.timedelta(days=2)).astimezone(UTC).isoformat()]
    series = {
        "title": "Stand-up",
        "start": monday.astimezone(UTC),
        "end": (monday + dt.timedelta(minutes=15)).astimezone(UTC),
        "time_zone": "Europe/Berlin",
        "recurrence_rule": "FREQ=WEEKLY;BYDAY=MO,WE;COUNT=6",
        "cancelled_starts": cancelled,
    }
    created = graph_client.write(Entity.EVENTS, [Create(key="s", fields=series, crm_id="series-2")])["s"]
    assert created.ok and created.item.fields["cancelled_starts"] == cancelled
    stored = graph_server.state.mailbox(MAILBOX).events.items[created.item.id]
    assert stored["cancelledOccurrences"] == [f"OID.{created.item.id}.2026-03-04"]

    # One more, on an update; the one already cancelled is not looked for again.
    more = [*cancelled, (monday + dt.timedelta(days=7)).astimezone(UTC).isoformat()]
    updated = graph_client.write(
        Entity.EVENTS, [Update(key="u", item_id=created.item.id, fields={"title": "Daily", "cancelled_starts": more})]
    )["u"]
    assert updated.item.fields["cancelled_starts"] == sorted(more)
    assert updated.item.fields["title"] == "Daily"
    (item,) = graph_client.changes(Entity.EVENTS, window=WINDOW).items.values()
    assert item.fields["cancelled_starts"] == sorted(more)


def test_a_deleted_task_list_expires_the_delta_and_is_created_again(graph_server, graph_client):
    graph_client.write(Entity.TASKS, [Create(key="t", fields={"subject": "Call"}, crm_id="t1")])
    first = graph_client.changes(Entity.TASKS)
    box = graph_server.state.mailbox(MAILBOX)
    (list_id,) = box.lists
    graph_server.state.handle("DELETE", f"/users/{MAILBOX}/todo/lists/{list_id}", {}, None)
    with pytest.raises(DeltaExpired):
        graph_client.changes(Entity.TASKS, first.delta_link)
    assert graph_client.changes(Entity.TASKS).items == {}
    assert [v["displayName"] for v in box.lists.values()] == ["CRM tasks"]


def test_a_stored_task_list_id_saves_the_lookup_on_an_idle_run(graph_server, graph_client, make_graph_client):
    graph_client.write(Entity.TASKS, [Create(key="t", fields={"subject": "Call"}, crm_id="t1")])
    first = graph_client.changes(Entity.TASKS)
    later = make_graph_client(task_list_id=graph_client.task_list_id())
    graph_server.state.reset_counts()
    idle = later.changes(Entity.TASKS, first.delta_link)
    assert (idle.items, idle.removed) == ({}, {})
    assert graph_server.state.counts["requests"] == 1  # the delta request, no list lookup


def test_moved_occurrences_go_both_ways_as_exceptions_of_their_series(graph_server, graph_client):
    monday = dt.datetime(2026, 3, 2, 9, 0, tzinfo=BERLIN)
    series = {
        "title": "Stand-up",
        "description": "",
        "location": "",
        "start": monday.astimezone(UTC),
        "end": (monday + dt.timedelta(minutes=15)).astimezone(UTC),
        "all_day": False,
        "time_zone": "Europe/Berlin",
        "recurrence_rule": "FREQ=DAILY;COUNT=5",
        "cancelled_starts": [],
    }
    moved = {
        "original_start": (monday + dt.timedelta(days=1)).astimezone(UTC),
        "title": "Stand-up, later",
        "description": "",
        "location": "Room 2",
        "start": (monday + dt.timedelta(days=1, hours=2)).astimezone(UTC),
        "end": (monday + dt.timedelta(days=1, hours=2, minutes=30)).astimezone(UTC),
    }
    written = graph_client.write(
        Entity.EVENTS, [Create(key="s", fields={**series, "exceptions": [moved]}, crm_id="s3")]
    )["s"]
    assert written.item.fields["exceptions"] == [moved]
    first = graph_client.changes(Entity.EVENTS, window=WINDOW)
    assert first.items[written.item.id].fields == {**series, "exceptions": [moved]}

    # Moved again in Outlook: the series comes back with the exception's new values.
    occurrence_id = written.item.occurrence_ids[moved["original_start"]]
    later = {"dateTime": "2026-03-03T13:00:00", "timeZone": "W. Europe Standard Time"}
    status, _, _ = graph_server.state.handle(
        "PATCH", f"/users/{MAILBOX}/events/{occurrence_id}", {}, {"start": later, "subject": "Stand-up, latest"}
    )
    assert status == 200
    (item,) = graph_client.changes(Entity.EVENTS, first.delta_link).items.values()
    (exception,) = item.fields["exceptions"]
    assert exception["title"] == "Stand-up, latest"
    assert exception["start"] == dt.datetime(2026, 3, 3, 12, 0, tzinfo=UTC)
    assert exception["original_start"] == moved["original_start"]


def test_contacts_can_be_kept_through_their_folder(graph_server, make_graph_client):
    folder_id = graph_server.state.mailbox(MAILBOX).contact_folder_id
    graph_client = make_graph_client(contact_folder_id=folder_id)
    created = graph_client.write(Entity.CONTACTS, [Create(key="c", fields=FULL_CONTACT, crm_id="42")])["c"]
    assert created.ok
    changes = graph_client.changes(Entity.CONTACTS)
    assert [item.crm_id for item in changes.items.values()] == ["42"]
    assert graph_client.find_by_crm_id(Entity.CONTACTS, ["42"])["42"][0].id == created.item.id
    assert graph_server.state.mailbox(MAILBOX).contacts.items[created.item.id]["parentFolderId"] == folder_id
