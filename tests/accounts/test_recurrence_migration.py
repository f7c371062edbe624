"""The data migration repairs stored rules: normalizes those it accepts, clears the others keeping their text."""

import datetime as dt
import importlib

import pytest
from django.apps import apps

from tests.factories import CalendarEventFactory

migration = importlib.import_module("accounts.migrations.0005_recurrence_rules_repaired")


@pytest.mark.django_db
def test_bad_rules_are_cleared_into_the_description_and_good_ones_normalized(rep):
    start = dt.datetime(2025, 1, 6, 9, tzinfo=dt.UTC)
    flood = CalendarEventFactory(
        owner=rep, start=start, end=start, description="Agenda", recurrence_rule="FREQ=SECONDLY"
    )
    never = CalendarEventFactory(
        owner=rep, start=start, end=start, recurrence_rule="FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30"
    )
    weekly = CalendarEventFactory(owner=rep, start=start, end=start, recurrence_rule="RRULE:freq=weekly;byday=mo")

    migration.repair_rules(apps, None)

    for event in (flood, never, weekly):
        event.refresh_from_db()
    assert flood.recurrence_rule == ""
    assert flood.description == "Agenda\n\nRepeat rule removed as not supported: FREQ=SECONDLY"
    assert never.recurrence_rule == ""
    assert "BYMONTHDAY=30" in never.description
    assert weekly.recurrence_rule == "FREQ=WEEKLY;BYDAY=MO"
