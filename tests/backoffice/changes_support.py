"""What tests of the change log share: numbering entries inside a test transaction, and the record state
the changes feed must replay to."""

import pytest
from django.db import connection

from accounts.models import Account, CalendarEvent, Contact
from backoffice.changelog import change_types
from backoffice.changes import jsonable

ADDRESS_FIELDS = ("label", "street", "city", "region", "postal_code", "country")


@pytest.fixture
def numbered_now(db):
    """Entries are numbered when their transaction commits; a test's transaction never does, so number them
    at the end of each statement instead (PostgreSQL; SQLite numbers them on insert anyway)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS backoffice_changelog_sequence IMMEDIATE")


def record_state(organization_id: int) -> dict[tuple[str, int], dict]:
    """Every record of the organization in the feed's types, as the change log describes it, with its version."""
    state = {}
    for name, model in change_types.types.items():
        children = ["emails", "phones", "addresses"] if model is Contact else []
        rows = model._base_manager.filter(organization_id=organization_id).prefetch_related(
            *model.tracked_m2m, *children
        )
        for row in rows:
            values = row.tracked_values()
            for list_name in model.tracked_m2m:
                values[list_name] = sorted(item.pk for item in getattr(row, list_name).all())
            if model is Contact:
                emails = sorted(row.emails.all(), key=lambda e: (not e.is_primary, e.pk))
                phones = sorted(row.phones.all(), key=lambda p: (not p.is_primary, p.pk))
                addresses = sorted(row.addresses.all(), key=lambda a: (not a.is_primary, a.pk))
                values["emails"] = [e.email for e in emails]
                values["phones"] = [[str(p.number), p.phone_type] for p in phones]
                values["addresses"] = jsonable([{f: getattr(a, f) for f in ADDRESS_FIELDS} for a in addresses])
            state[(name, row.pk)] = {"values": values, "version": row.version}
    return state


LIST_DEFAULTS = {"emails": [], "phones": [], "addresses": [], "contacts": [], "accounts": [], "attendees": []}


def replay(entries: list[dict]) -> dict[tuple[str, int], dict]:
    """Apply feed entries (API dicts, in order) to an empty state: what a plug-in following the feed holds."""
    state: dict[tuple[str, int], dict] = {}
    for entry in entries:
        key = (entry["type"], entry["id"])
        if entry["action"] == "delete":
            state.pop(key, None)
            continue
        if entry["action"] == "create":
            state[key] = {"values": {}, "version": 0}
        record = state[key]
        record["values"].update(entry["values"])
        record["version"] = entry["version"]
    return state


def with_list_defaults(state: dict, model_lists=(Account, Contact, CalendarEvent)) -> dict:
    """Lists never written (a record made without e-mails) are empty lists, as the database shows them."""
    for (name, _), record in state.items():
        model = change_types.types[name]
        names = list(model.tracked_m2m) + (["emails", "phones", "addresses"] if model is Contact else [])
        for list_name in names:
            record["values"].setdefault(list_name, LIST_DEFAULTS[list_name])
    return state
