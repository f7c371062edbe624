"""A run as the rep sees it: preview, counts and history, no echo, changes made while a run applies."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from outlooksync.engine import ChangedMeanwhile, Side, SyncSettings, apply_plan
from outlooksync.engine.memory import MemoryOutlookStore
from tests.outlooksync.engine.harness import (
    BI,
    C2O,
    COLUMN_IDS,
    CONTACT,
    CRM_WINS,
    EVENT,
    O2C,
    OUTLOOK_WINS,
    SETTINGS_COLUMNS,
    TASK,
    World,
    contact,
)

ROOT = Path(__file__).resolve().parents[3]


def test_preview_writes_nothing_and_counts_what_a_run_would_do():
    world = World.with_settings(BI)
    world.crm.add(CONTACT, contact("Ann", "Lee"))
    world.crm.add(CONTACT, contact("Carl", "Diaz"))
    world.outlook.add(CONTACT, contact("ann", "lee"))
    world.outlook.add(CONTACT, contact("Ann", "Lee "))
    world.outlook.add(CONTACT, contact("Bob", "Ray"))
    before = (dict(world.crm.records), dict(world.outlook.items), world.crm.links(CONTACT))

    summary = world.plan().summary()

    assert (dict(world.crm.records), dict(world.outlook.items), world.crm.links(CONTACT)) == before
    assert summary.counts[(Side.OUTLOOK, CONTACT, "create")] == 1  # Carl
    assert summary.counts[(Side.CRM, CONTACT, "create")] == 1  # Bob
    assert summary.matched_by_key[CONTACT] == 2
    [(_, ambiguous)] = summary.ambiguous_matches
    assert (ambiguous.name, ambiguous.matched_names) == ("Ann Lee", ("ann lee", "Ann Lee"))
    as_data = json.loads(json.dumps(summary.as_dict()))
    assert as_data["ambiguous_matches"] == [
        {"entity": "contact", "side": "crm", "name": "Ann Lee", "matches": ["ann lee", "Ann Lee"]}
    ]

    report = world.sync()
    assert report.count(Side.OUTLOOK, CONTACT, "created") == 1
    assert report.count(Side.CRM, CONTACT, "created") == 1


def test_report_counts_conflicts_and_history_per_record():
    world = World.with_settings(BI, CRM_WINS)
    record_id, item_id = world.linked_pair("Ann", "Lee", job_title="Buyer", notes="n")
    world.crm.edit(CONTACT, record_id, job_title="Director")
    world.outlook.edit(CONTACT, item_id, job_title="Chef", mobile_phone="555")

    report = world.sync()

    assert report.count(Side.OUTLOOK, CONTACT, "updated") == 1
    assert report.count(Side.CRM, CONTACT, "updated") == 1
    assert report.conflicts[CONTACT] == 1
    changes = {(entry.side, entry.action): entry.changed_fields for entry in report.history}
    assert changes[(Side.OUTLOOK, "update")] == ("job_title",)  # CRM won the conflict on the job title
    assert changes[(Side.CRM, "update")] == ("mobile_phone",)  # Outlook changed the phone
    assert all(entry.crm_id == record_id for entry in report.history if entry.side is Side.CRM)


@pytest.mark.parametrize(("direction", "winner"), SETTINGS_COLUMNS, ids=COLUMN_IDS)
def test_a_run_right_after_a_run_changes_nothing_for_every_entity(direction, winner):
    world = World(settings=SyncSettings(direction=direction, conflict=winner), entities=(CONTACT, TASK, EVENT))
    monday = datetime(2026, 3, 2, 9, tzinfo=UTC)
    world.crm.add(CONTACT, contact("Ann", "Lee", birthday=date(1990, 5, 1)))
    world.outlook.add(CONTACT, contact("Bob", "Ray", emails=("bob@example.com",)))
    world.crm.add(TASK, {"subject": "Call Ann", "due_at": monday, "status": "not_started"})
    world.outlook.add(TASK, {"subject": "Send quote", "due_at": monday, "importance": "high"})
    world.crm.add(EVENT, {"title": "Review", "start": monday, "end": monday, "all_day": False})
    world.outlook.add(
        EVENT,
        {
            "title": "Offsite",
            "start": date(2026, 3, 3),
            "end": date(2026, 3, 4),
            "all_day": True,
            "recurrence_rule": "",
        },
    )
    world.sync()
    crm_before, outlook_before = dict(world.crm.records), dict(world.outlook.items)

    report = world.sync()

    assert sum(report.counts.values()) == 0
    assert (dict(world.crm.records), dict(world.outlook.items)) == (crm_before, outlook_before)
    assert world.plan().steps == ()


@pytest.mark.parametrize("winner", [CRM_WINS, OUTLOOK_WINS])
def test_outlook_edit_while_the_run_applies_is_merged_not_overwritten(winner):
    world = World.with_settings(BI, winner)
    record_id, item_id = world.linked_pair("Ann", "Lee", job_title="Buyer")
    world.crm.edit(CONTACT, record_id, job_title="Director")
    plan = world.plan()
    world.outlook.edit(CONTACT, item_id, mobile_phone="555")  # after the plan was read: a 412 on write

    report = apply_plan(plan, settings=world.settings, crm=world.crm, outlook=world.outlook)

    assert report.errors == []
    for read, target in ((world.crm_field, record_id), (world.outlook_field, item_id)):
        assert read(target, "job_title") == "Director"
        assert read(target, "mobile_phone") == "555"


def test_crm_edit_while_the_run_applies_is_merged_not_overwritten():
    world = World.with_settings(BI, OUTLOOK_WINS)
    record_id, item_id = world.linked_pair("Ann", "Lee", job_title="Buyer")
    world.outlook.edit(CONTACT, item_id, mobile_phone="555")
    plan = world.plan()
    world.crm.edit(CONTACT, record_id, job_title="Director")  # the stored version moved on

    report = apply_plan(plan, settings=world.settings, crm=world.crm, outlook=world.outlook)

    assert report.errors == []
    assert world.crm_field(record_id, "job_title") == "Director"
    assert world.crm_field(record_id, "mobile_phone") == "555"
    assert world.outlook_field(item_id, "job_title") == "Director"


class AlwaysChangedOutlook(MemoryOutlookStore):
    """An item that changes under every write (a busy mailbox): every update answers 412."""

    busy_id = ""

    def update_item(self, entity, outlook_id, fields, *, stamp, expected_change_key):
        if outlook_id == self.busy_id:
            raise ChangedMeanwhile(Side.OUTLOOK, entity, outlook_id)
        return super().update_item(entity, outlook_id, fields, stamp=stamp, expected_change_key=expected_change_key)


def test_second_change_meanwhile_is_reported_and_the_changes_are_seen_again_next_run():
    world = World(settings=World.with_settings(C2O).settings, outlook=AlwaysChangedOutlook())
    busy_record, busy_item = world.linked_pair("Ann", "Lee")
    calm_record, calm_item = world.linked_pair("Bob", "Ray")
    world.outlook.busy_id = busy_item
    world.crm.edit(CONTACT, busy_record, notes="one")
    world.crm.edit(CONTACT, calm_record, notes="two")

    report = world.sync()

    assert len(report.errors) == 1 and busy_item in report.errors[0]
    assert world.outlook_field(calm_item, "notes") == "two"  # the other records went through
    world.outlook.busy_id = ""
    world.sync()
    assert world.outlook_field(busy_item, "notes") == "one"  # not lost: the cursor was kept


@pytest.mark.parametrize("winner", [CRM_WINS, OUTLOOK_WINS])
def test_conflict_winner_holds_when_new_items_share_the_records_key(winner):
    world = World.with_settings(BI, winner)
    record_id, item_id = world.linked_pair("Ann", "Lee", notes="first")
    world.crm.edit(CONTACT, record_id, notes="CRM notes")
    world.outlook.edit(CONTACT, item_id, notes="Outlook notes")
    new_items = [world.outlook.add(CONTACT, contact("Ann", "Lee", mobile_phone="555")).id for _ in range(2)]

    world.sync()
    world.sync()

    expected = "CRM notes" if winner is CRM_WINS else "Outlook notes"
    assert world.crm_field(record_id, "notes") == expected
    for outlook_id in [item_id, *new_items]:
        assert world.outlook_field(outlook_id, "notes") == expected
        assert world.outlook_field(outlook_id, "mobile_phone") == "555"
    assert world.linked_pairs() == {(record_id, outlook_id) for outlook_id in [item_id, *new_items]}


def test_the_engine_imports_no_django_and_no_http_client():
    forbidden = "{'django', 'rest_framework', 'httpx', 'requests'}"
    code = (
        "import sys, outlooksync.engine, outlooksync.engine.memory;"
        f"print(sorted({{name.split('.')[0] for name in sys.modules}} & {forbidden}))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert result.stdout.strip() == "[]"


def test_a_write_rolled_back_by_a_change_meanwhile_is_counted_once():
    world = World.with_settings(O2C)
    older = world.crm.add(CONTACT, contact("Ann", "Lee"))
    newer = world.crm.add(CONTACT, contact("Ann", "Lee"))
    world.sync()
    world.outlook.add(CONTACT, contact("Ann", "Lee", mobile_phone="555"))
    plan = world.plan()
    world.crm.edit(CONTACT, newer.id, job_title="edited meanwhile")  # the second write of the step is refused

    report = apply_plan(plan, settings=world.settings, crm=world.crm, outlook=world.outlook)

    assert report.errors == []
    assert report.count(Side.CRM, CONTACT, "updated") == 2
    assert [entry.crm_id for entry in report.history if entry.action == "update"] == [older.id, newer.id]
    assert world.crm_field(older.id, "mobile_phone") == world.crm_field(newer.id, "mobile_phone") == "555"
