"""Stored recurrence rules brought to the form the product accepts.

A rule that parses is stored in its normalized text. One that does not (a secondly rule, an EXRULE or
DTSTART line, a negative interval, a rule that never matches) is cleared, so the event is a single
event again, and its old text is kept at the end of the description for the owner to see.
"""

import zoneinfo

from django.core.exceptions import ValidationError
from django.db import migrations

BATCH = 500


def repair_rules(apps, schema_editor):
    from accounts.recurrence import rule_first_occurrence, rule_parse

    CalendarEvent = apps.get_model("accounts", "CalendarEvent")
    changed = []
    for event in CalendarEvent.objects.exclude(recurrence_rule="").only(
        "id", "recurrence_rule", "description", "start", "time_zone"
    ):
        old = event.recurrence_rule
        try:
            zone = zoneinfo.ZoneInfo(event.time_zone or "UTC")
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            zone = zoneinfo.ZoneInfo("UTC")
        try:
            rule = rule_parse(old)
            local_start = event.start.astimezone(zone).replace(tzinfo=None)
            if rule_first_occurrence(rule, local_start, zone) is None:
                raise ValidationError("no occurrence")
        except (ValidationError, OverflowError):
            event.recurrence_rule = ""
            note = f"Repeat rule removed as not supported: {old}"
            event.description = f"{event.description}\n\n{note}" if event.description else note
        else:
            if rule.text() == old:
                continue
            event.recurrence_rule = rule.text()
        changed.append(event)
        if len(changed) >= BATCH:
            CalendarEvent.objects.bulk_update(changed, ["recurrence_rule", "description"])
            changed = []
    CalendarEvent.objects.bulk_update(changed, ["recurrence_rule", "description"])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_money_not_negative")]

    operations = [migrations.RunPython(repair_rules, migrations.RunPython.noop)]
