"""One rep's mailbox as the sync engine's `OutlookStore`, over the Microsoft Graph client.

Two things happen here and nowhere else:

- **Translation** between the Graph client's field dicts (`outlooksync.graph.mapping`, named after
  the CRM's columns) and the engine's field names and values (`DEFAULT_MAPPED_FIELDS`). It is one
  table per entity (`TRANSLATIONS`); a row covers engine fields that Graph writes together (a
  contact's three kinds of phone are one Graph list; an event's start, end, all-day, zone and
  recurrence are one Graph write), so an update of part of a row is completed from the item as
  last read, never sent half-empty.
- **Reads and writes for the engine's rules**: a delta round per entity, or a full listing when
  there is no delta link yet or it expired (the engine then reconciles by stored link, stamp and
  key, so an expired token never re-creates anything); key look-ups answered from one listing
  per run, and so are stamp look-ups of contacts and tasks (events are listed in the calendar
  window only, so their stamps are looked up by Graph's $filter: 20 per $batch, or, when there
  are more to look up than that listing would take pages, one listing of every stamped event of
  the mailbox, kept for the run); creates that
  reuse an item already stamped with the record's id (events also carry a transactionId).

Engine values (plain data; what the Django store hands the engine as well):

- contact `emails`: tuple of addresses, primary first (Outlook keeps three);
  `business_phones`, `home_phones`: tuples of numbers (two each); `mobile_phone`: text;
  `addresses`: tuple of mappings with label, street, city, region, postal_code, country
  (Outlook's business, home and other slots); `gender`: unspecified, female or male;
- task `status`: not_started, in_progress, completed, waiting, deferred; `importance`: low,
  normal or high; instants are aware UTC datetimes;
- event `time_zone`: an IANA name; `cancelled_starts`: sorted tuple of aware UTC datetimes;
  `exceptions`: tuple of mappings (original_start, title, body, location, start, end), the
  series' moved or changed occurrences, ordered by original start.

The adapter keeps its state (delta links, the "CRM tasks" list id, the calendar window of the
delta links, the recurring series seen) in a `GraphStoreState` that the caller persists between
runs as JSON (`to_dict` / `from_dict`); `commit_cursor` updates it and calls `on_state_change`.
The msal token cache stays with the client (`token_cache_dump`), to be stored encrypted. Build
one store per run (`GraphOutlookStore.connect(state=..., window=calendar_window(settings, now),
**graph_connect_options)`): its listings and look-ups are cached for the run.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote

from outlooksync.engine.records import Entity, FieldValues, OutlookItem, Side
from outlooksync.engine.settings import SyncSettings
from outlooksync.engine.stores import (
    ChangedMeanwhile,
    ItemCreate,
    ItemDelete,
    ItemUpdate,
    ItemWrite,
    OutlookChange,
    OutlookChanges,
)
from outlooksync.graph import (
    Create,
    Delete,
    DeltaExpired,
    GraphClient,
    GraphConflict,
    GraphNotFound,
    Update,
)
from outlooksync.graph import Entity as GraphEntity
from outlooksync.graph import OutlookItem as GraphItem
from outlooksync.graph.mapping import TASK_LINK_APPLICATION

GRAPH_ENTITY: Mapping[Entity, GraphEntity] = {
    Entity.CONTACT: GraphEntity.CONTACTS,
    Entity.TASK: GraphEntity.TASKS,
    Entity.EVENT: GraphEntity.EVENTS,
}

Values = Mapping[str, Any]
# Stamp look-ups per `$batch` request, and items per page of a listing of stamped items.
LOOKUPS_PER_BATCH = 20
LIST_PAGE = 1000


# -- translation ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldTranslation:
    """Engine fields that Graph writes together, and how they become the client's fields and back.

    `to_graph` receives every engine field of the row; `from_graph` the client's item fields and
    returns every engine field of the row.
    """

    engine: tuple[str, ...]
    to_graph: Callable[[Values], dict[str, Any]]
    from_graph: Callable[[Values], dict[str, Any]]


def same(name: str) -> FieldTranslation:
    """A field the client names and shapes as the engine does."""
    return renamed(name, name)


def renamed(engine: str, client: str) -> FieldTranslation:
    """A field with another name on the client's side and the same value."""
    return FieldTranslation(
        (engine,),
        lambda values: {client: values[engine]},
        lambda fields: {engine: fields.get(client)},
    )


def _text(value: Any) -> str:
    return str(value or "").strip()


def _emails_to_graph(values: Values) -> dict[str, Any]:
    addresses = [_text(address) for address in values["emails"] or () if _text(address)]
    return {"emails": [{"email": address, "is_primary": index == 0} for index, address in enumerate(addresses)]}


def _emails_from_graph(fields: Values) -> dict[str, Any]:
    # The client lists the primary address first.
    return {"emails": tuple(entry["email"] for entry in fields.get("emails") or ())}


PHONE_FIELDS = {"business_phones": "business", "home_phones": "home"}


def _phones_to_graph(values: Values) -> dict[str, Any]:
    phones = []
    for name, phone_type in PHONE_FIELDS.items():
        phones += [
            {"number": _text(number), "phone_type": phone_type} for number in values[name] or () if _text(number)
        ]
    if _text(values["mobile_phone"]):
        phones.append({"number": _text(values["mobile_phone"]), "phone_type": "mobile"})
    return {"phones": [{**phone, "is_primary": index == 0} for index, phone in enumerate(phones)]}


def _phones_from_graph(fields: Values) -> dict[str, Any]:
    phones = fields.get("phones") or ()
    mobile = [phone["number"] for phone in phones if phone.get("phone_type") == "mobile"]
    values: dict[str, Any] = {
        name: tuple(phone["number"] for phone in phones if phone.get("phone_type") == phone_type)
        for name, phone_type in PHONE_FIELDS.items()
    }
    values["mobile_phone"] = mobile[0] if mobile else ""
    return values


ADDRESS_PARTS = ("label", "street", "city", "region", "postal_code", "country")


def _addresses_to_graph(values: Values) -> dict[str, Any]:
    return {
        "addresses": [
            {part: _text(address.get(part)) for part in ADDRESS_PARTS} for address in values["addresses"] or ()
        ]
    }


def _addresses_from_graph(fields: Values) -> dict[str, Any]:
    return {
        "addresses": tuple(
            {part: address.get(part) or "" for part in ADDRESS_PARTS} for address in fields.get("addresses") or ()
        )
    }


def _instant(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC) if value.tzinfo else None
    try:
        parsed = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed.astimezone(dt.UTC) if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _cancelled_to_graph(values: Values) -> dict[str, Any]:
    starts = (_instant(value) for value in values["cancelled_starts"] or ())
    return {"cancelled_starts": sorted(start.isoformat() for start in starts if start)}


def _cancelled_from_graph(fields: Values) -> dict[str, Any]:
    starts = (_instant(value) for value in fields.get("cancelled_starts") or ())
    return {"cancelled_starts": tuple(sorted(start for start in starts if start))}


EVENT_TIMING = ("start", "end", "all_day", "time_zone", "recurrence_rule")
# A moved or changed occurrence of a series: engine name -> the client's name.
EXCEPTION_FIELDS = {
    "original_start": "original_start",
    "title": "title",
    "body": "description",
    "location": "location",
    "start": "start",
    "end": "end",
}


def _exceptions_to_graph(values: Values) -> dict[str, Any]:
    return {
        "exceptions": [
            {client: exception.get(engine) for engine, client in EXCEPTION_FIELDS.items()}
            for exception in values["exceptions"] or ()
        ]
    }


def _exceptions_from_graph(fields: Values) -> dict[str, Any]:
    # The client orders them by original start.
    return {
        "exceptions": tuple(
            {engine: exception.get(client) for engine, client in EXCEPTION_FIELDS.items()}
            for exception in fields.get("exceptions") or ()
        )
    }


TRANSLATIONS: Mapping[Entity, tuple[FieldTranslation, ...]] = {
    Entity.CONTACT: (
        same("name_prefix"),
        same("first_name"),
        same("middle_name"),
        same("last_name"),
        same("gender"),
        same("birthday"),
        same("job_title"),
        same("company_name"),
        FieldTranslation(("emails",), _emails_to_graph, _emails_from_graph),
        FieldTranslation(("business_phones", "home_phones", "mobile_phone"), _phones_to_graph, _phones_from_graph),
        FieldTranslation(("addresses",), _addresses_to_graph, _addresses_from_graph),
        renamed("notes", "description"),
    ),
    Entity.TASK: (
        same("subject"),
        renamed("body", "description"),
        same("start_at"),
        same("due_at"),
        same("status"),
        renamed("importance", "priority"),
        same("reminder_at"),
        same("completed_at"),
    ),
    Entity.EVENT: (
        same("title"),
        renamed("body", "description"),
        same("location"),
        FieldTranslation(
            EVENT_TIMING,
            lambda values: {name: values[name] for name in EVENT_TIMING},
            lambda fields: {name: fields.get(name) for name in EVENT_TIMING},
        ),
        FieldTranslation(("cancelled_starts",), _cancelled_to_graph, _cancelled_from_graph),
        FieldTranslation(("exceptions",), _exceptions_to_graph, _exceptions_from_graph),
    ),
}


def engine_fields(entity: Entity, fields: Values) -> dict[str, Any]:
    """Every engine field of an item, from the Graph client's fields."""
    values: dict[str, Any] = {}
    for translation in TRANSLATIONS[entity]:
        values.update(translation.from_graph(fields))
    return values


def incomplete_rows(entity: Entity, names: Iterable[str]) -> set[str]:
    """The engine fields missing from rows that `names` only partly covers (to be read from the item)."""
    given = set(names)
    missing: set[str] = set()
    for translation in TRANSLATIONS[entity]:
        if given & set(translation.engine):
            missing |= set(translation.engine) - given
    return missing


def graph_fields(entity: Entity, values: Values) -> dict[str, Any]:
    """The Graph client's fields for the rows of `values` (each row complete, see `incomplete_rows`)."""
    missing = incomplete_rows(entity, values)
    if missing:
        raise ValueError(f"{entity} fields written without {sorted(missing)}, which Graph writes with them")
    known = {name for translation in TRANSLATIONS[entity] for name in translation.engine}
    unknown = set(values) - known
    if unknown:
        raise ValueError(f"{entity} fields {sorted(unknown)} have no Outlook counterpart")
    fields: dict[str, Any] = {}
    for translation in TRANSLATIONS[entity]:
        if set(translation.engine) <= set(values):
            fields.update(translation.to_graph(values))
    return fields


def engine_item(entity: Entity, item: GraphItem) -> OutlookItem:
    """The engine's record of an item the Graph client read or wrote."""
    return OutlookItem(
        entity=entity,
        id=item.id,
        fields=engine_fields(entity, item.fields),
        change_key=item.change_key or "",
        crm_id=item.crm_id or None,
        updated_at=item.last_modified,
    )


# -- state the caller keeps between runs ------------------------------------------------------


@dataclass
class GraphStoreState:
    """What the adapter needs from one run to the next, as JSON-ready data.

    `delta_links` per entity; `window` the calendar window the events' delta link was started with
    (a new window starts a new, reconciling round); `series_ids` the recurring events seen, whose
    removal Graph reports only through their occurrences; `task_list_id` the "CRM tasks" list.
    """

    delta_links: dict[str, str] = field(default_factory=dict)
    task_list_id: str | None = None
    window: tuple[str, str] | None = None
    series_ids: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "delta_links": dict(self.delta_links),
            "task_list_id": self.task_list_id,
            "window": list(self.window) if self.window else None,
            "series_ids": list(self.series_ids),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> GraphStoreState:
        data = data or {}
        window = data.get("window")
        return cls(
            delta_links={str(k): str(v) for k, v in (data.get("delta_links") or {}).items()},
            task_list_id=data.get("task_list_id") or None,
            window=(str(window[0]), str(window[1])) if window else None,
            series_ids=[str(each) for each in data.get("series_ids") or ()],
        )


@dataclass(frozen=True)
class DeltaCursor:
    """What `read_changes` hands the engine and `commit_cursor` gets back: where the next round starts."""

    delta_link: str
    window: tuple[str, str] | None = None
    series_ids: tuple[str, ...] = ()


def calendar_window(settings: SyncSettings, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The calendar window of a run: whole days around `now` in the rep's zone, so it moves once a day."""
    today = now.astimezone(settings.zone).date()
    low = dt.datetime.combine(today - dt.timedelta(days=settings.calendar_days_back), dt.time(), tzinfo=settings.zone)
    high = dt.datetime.combine(
        today + dt.timedelta(days=settings.calendar_days_ahead + 1), dt.time(), tzinfo=settings.zone
    )
    return low.astimezone(dt.UTC), high.astimezone(dt.UTC)


# -- the store ---------------------------------------------------------------------------


@dataclass
class _Listing:
    """Every item of an entity as listed in this run, kept up to date with the run's own writes."""

    items: dict[str, OutlookItem]
    # Whether a stamp absent from the listing is absent from the mailbox (events are listed in the window only).
    has_every_stamp: bool


class GraphOutlookStore:
    """The engine's `OutlookStore` for one rep's mailbox, over a `GraphClient` of that mailbox.

    Build one per run: listings and look-ups are cached for the run. `window` is the calendar
    window of events (`calendar_window`), required when events are synced.
    """

    def __init__(
        self,
        client: GraphClient,
        *,
        state: GraphStoreState | Mapping[str, Any] | None = None,
        window: tuple[dt.datetime, dt.datetime] | None = None,
        on_state_change: Callable[[GraphStoreState], None] | None = None,
        read_only: bool = False,
        known_change_keys: Callable[[Entity], Mapping[str, str]] | None = None,
    ) -> None:
        self.client = client
        # {item id: change key} as the stored links have them: a delta entry at that version is the sync's
        # own write read back, and is not read again.
        self.known_change_keys = known_change_keys
        # For a preview: nothing is written, not even the "CRM tasks" list a first read would create.
        self.read_only = read_only
        self.state = state if isinstance(state, GraphStoreState) else GraphStoreState.from_dict(state)
        self.window = window
        self.on_state_change = on_state_change
        self._listings: dict[Entity, _Listing] = {}
        # Stamps looked up on the server in this run, with what was found (kept up to date with writes).
        self._stamps: dict[Entity, dict[str, dict[str, OutlookItem]]] = {entity: {} for entity in Entity}
        # Entities whose every stamped item was listed in this run: a CRM id absent from `_stamps` has none.
        self._stamps_complete: set[Entity] = set()
        self._linked_counts: dict[Entity, int] = {}
        # The last version of each item read or written in this run, to complete partial updates.
        self._seen: dict[tuple[Entity, str], OutlookItem] = {}
        self._keys = itertools.count(1)
        # Recurring series this run read, wrote or deleted, for the series ids kept with the events' delta link.
        self._series_seen: set[str] = set()
        self._series_gone: set[str] = set()

    @classmethod
    def connect(
        cls,
        *,
        state: GraphStoreState | Mapping[str, Any] | None = None,
        window: tuple[dt.datetime, dt.datetime] | None = None,
        on_state_change: Callable[[GraphStoreState], None] | None = None,
        read_only: bool = False,
        **connect_options: Any,
    ) -> GraphOutlookStore:
        """A store over `GraphClient.connect(**connect_options)`, given the stored task list id."""
        state = state if isinstance(state, GraphStoreState) else GraphStoreState.from_dict(state)
        client = GraphClient.connect(task_list_id=state.task_list_id, **connect_options)
        return cls(client, state=state, window=window, on_state_change=on_state_change, read_only=read_only)

    def close(self) -> None:
        self.client.close()

    def token_cache_dump(self) -> str | None:
        """The msal token cache when it changed (store it encrypted), else None."""
        return self.client.token_cache_dump()

    # -- bookkeeping -----------------------------------------------------------------------

    def _remember(self, item: OutlookItem, *, created: bool = False) -> OutlookItem:
        previous = self._seen.get((item.entity, item.id))
        self._seen[(item.entity, item.id)] = item
        listing = self._listings.get(item.entity)
        # An item read directly may be outside the listing (an event out of the window): it stays out.
        if listing is not None and (created or item.id in listing.items):
            listing.items[item.id] = item
        stamps = self._stamps[item.entity]
        if previous is not None and previous.crm_id in stamps and previous.crm_id != item.crm_id:
            stamps[previous.crm_id].pop(item.id, None)
        if item.crm_id and (item.crm_id in stamps or item.entity in self._stamps_complete):
            stamps.setdefault(item.crm_id, {})[item.id] = item
        if item.entity is Entity.EVENT and item.fields.get("recurrence_rule"):
            self._series_seen.add(item.id)
            self._series_gone.discard(item.id)
        return item

    def _forget(self, entity: Entity, outlook_id: str, *, gone: bool) -> None:
        if entity is Entity.EVENT and gone:
            self._series_gone.add(outlook_id)
        self._seen.pop((entity, outlook_id), None)
        listing = self._listings.get(entity)
        if listing is not None:
            listing.items.pop(outlook_id, None)
        for found in self._stamps[entity].values():
            found.pop(outlook_id, None)

    def _window_key(self) -> tuple[str, str] | None:
        if self.window is None:
            return None
        low, high = self.window
        return low.astimezone(dt.UTC).isoformat(), high.astimezone(dt.UTC).isoformat()

    def _require_window(self) -> tuple[dt.datetime, dt.datetime]:
        if self.window is None:
            raise ValueError("events need the calendar window: pass window=calendar_window(settings, now)")
        return self.window

    def _task_path(self, task_id: str) -> str:
        mailbox = quote(self.client.transport.mailbox, safe="@")
        list_id = quote(self.client.task_list_id(), safe="")
        return f"/users/{mailbox}/todo/lists/{list_id}/tasks/{quote(task_id, safe='')}"

    # -- reads -----------------------------------------------------------------------------

    def read_changes(self, entity: Entity, *, full: bool) -> OutlookChanges:
        """A delta round; a full listing when asked, when there is no delta link yet, or when it expired."""
        self._listings.pop(entity, None)
        self._stamps[entity] = {}
        self._stamps_complete.discard(entity)
        link = None if full else self.state.delta_links.get(entity)
        if entity is Entity.EVENT and self.state.window != self._window_key():
            link = None  # a delta link keeps the window it was started with
        if link:
            try:
                return self._delta(entity, link)
            except DeltaExpired:
                pass  # (or the task list was deleted) the engine reconciles by stored link, then stamp, then key
        return self._full_listing(entity)

    def _delta(self, entity: Entity, link: str) -> OutlookChanges:
        series = set(self.state.series_ids)
        changes = self.client.changes(
            GRAPH_ENTITY[entity],
            link,
            window=self.window if entity is Entity.EVENT else None,
            series_ids=sorted(series) if entity is Entity.EVENT else (),
            known=self.known_change_keys(entity) if self.known_change_keys else None,
        )
        entries = []
        for graph_item in changes.items.values():
            item = self._remember(engine_item(entity, graph_item))
            entries.append(OutlookChange(item=item))
            if entity is Entity.EVENT and item.fields.get("recurrence_rule"):
                series.add(item.id)
        for removed_id in changes.removed:
            entries.append(OutlookChange(removed_id=removed_id))
            series.discard(removed_id)
        cursor = DeltaCursor(changes.delta_link, self._window_key(), tuple(sorted(series)))
        return OutlookChanges(entries=entries, cursor=cursor)

    def _no_task_list_yet(self) -> bool:
        """Whether a read-only store finds no "CRM tasks" list (looked up by name, never created)."""
        if not self.read_only or self.state.task_list_id:
            return False
        name = self.client.task_list_name
        mailbox = quote(self.client.transport.mailbox, safe="@")
        escaped = name.replace("'", "''")
        found = self.client.transport.call(
            "GET", f"/users/{mailbox}/todo/lists", params={"$filter": f"displayName eq '{escaped}'"}
        )
        values = found.get("value", []) if isinstance(found, dict) else []
        return not any(isinstance(each, dict) and each.get("displayName") == name for each in values)

    def _full_listing(self, entity: Entity) -> OutlookChanges:
        if entity is Entity.TASK and self._no_task_list_yet():
            self._listings[entity] = _Listing({}, has_every_stamp=True)
            return OutlookChanges(entries=[], cursor=None, full=True)
        # A first delta round lists every item (events: the window's series) and ends with a delta link.
        window = self._require_window() if entity is Entity.EVENT else None
        try:
            changes = self.client.changes(GRAPH_ENTITY[entity], window=window)
        except DeltaExpired:
            if entity is not Entity.TASK:
                raise
            # The stored "CRM tasks" list was deleted: the client forgot its id and finds or creates it again.
            changes = self.client.changes(GRAPH_ENTITY[entity])
        link = changes.delta_link
        items = [self._remember(engine_item(entity, graph_item)) for graph_item in changes.items.values()]
        self._listings[entity] = _Listing({item.id: item for item in items}, has_every_stamp=entity is not Entity.EVENT)
        series = tuple(
            sorted(item.id for item in items if entity is Entity.EVENT and item.fields.get("recurrence_rule"))
        )
        cursor = DeltaCursor(link, self._window_key() if entity is Entity.EVENT else None, series)
        return OutlookChanges(entries=[OutlookChange(item=item) for item in items], cursor=cursor, full=True)

    def _listing(self, entity: Entity) -> _Listing:
        """This run's listing of the entity, made on first use."""
        if entity not in self._listings:
            self._full_listing(entity)
        return self._listings[entity]

    def get_items(self, entity: Entity, outlook_ids: Collection[str]) -> Mapping[str, OutlookItem]:
        """A direct read; an item that answers 404 is left out."""
        if not outlook_ids:
            return {}
        found = self.client.get_items(GRAPH_ENTITY[entity], list(outlook_ids))
        return {item_id: self._remember(engine_item(entity, item)) for item_id, item in found.items()}

    def find_by_stamps(self, entity: Entity, crm_ids: Collection[str]) -> Sequence[OutlookItem]:
        """Items stamped with these CRM ids: from this run's listing when it has every stamp, else from Graph."""
        wanted = list(dict.fromkeys(str(crm_id) for crm_id in crm_ids))
        listing = self._listings.get(entity)
        if listing is None and entity is Entity.TASK:
            listing = self._listing(entity)  # Graph cannot filter tasks by their linked resource
        if listing is not None and listing.has_every_stamp:
            wanted_set = set(wanted)
            return [item for item in listing.items.values() if item.crm_id in wanted_set]
        stamps = self._stamps[entity]
        if entity in self._stamps_complete:
            return [item for crm_id in wanted for item in stamps.get(crm_id, {}).values()]
        unknown = [crm_id for crm_id in wanted if crm_id not in stamps]
        if unknown and self._listing_is_cheaper(entity, len(unknown)):
            self._list_every_stamp(entity)
            return [item for crm_id in wanted for item in stamps.get(crm_id, {}).values()]
        if unknown:
            for crm_id, graph_items in self.client.find_by_crm_id(GRAPH_ENTITY[entity], unknown).items():
                stamps[crm_id] = {}
                for graph_item in graph_items:
                    item = self._remember(engine_item(entity, graph_item))
                    stamps[crm_id][item.id] = item
        return [item for crm_id in wanted for item in stamps[crm_id].values()]

    def _listing_is_cheaper(self, entity: Entity, lookups: int) -> bool:
        """Whether one listing of every stamped item likely takes fewer requests than looking these CRM ids
        up (20 to a `$batch` request): the mailbox holds about as many stamped items as the rep has links
        (1,000 to a page). Either way the answer is complete; only the number of requests differs."""
        if entity not in self._linked_counts:
            self._linked_counts[entity] = len(self.known_change_keys(entity)) if self.known_change_keys else 0
        pages = self._linked_counts[entity] // LIST_PAGE + 1
        return -(-lookups // LOOKUPS_PER_BATCH) > pages

    def _list_every_stamp(self, entity: Entity) -> None:
        listed: dict[str, dict] = {}
        for graph_item in self.client.list_stamped(GRAPH_ENTITY[entity]):
            item = self._remember(engine_item(entity, graph_item))
            listed.setdefault(str(item.crm_id), {})[item.id] = item
        # Complete only once the whole listing came back: a listing cut short must not say "nothing stamped".
        stamps = self._stamps[entity]
        stamps.clear()  # (the same dict: callers hold it)
        stamps.update(listed)
        self._stamps_complete.add(entity)

    def find_key_candidates(self, entity: Entity, probes: Sequence[FieldValues]) -> Iterable[OutlookItem]:
        """Every item of this run's listing (one listing per run, whatever the number of probes)."""
        return list(self._listing(entity).items.values())

    def list_stamped(self, entity: Entity) -> Sequence[OutlookItem]:
        """Items that carry a CRM id (events: within the calendar window)."""
        return [item for item in self._listing(entity).items.values() if item.crm_id]

    # -- writes ----------------------------------------------------------------------------

    def _check_writable(self) -> None:
        if self.read_only:
            raise RuntimeError("a read-only Graph store (a preview) writes nothing")

    def _key(self) -> str:
        return f"w{next(self._keys)}"

    def _complete(self, entity: Entity, outlook_id: str, fields: FieldValues) -> dict[str, Any]:
        """`fields` with the rest of each Graph row they touch, from the item as last read."""
        values = dict(fields)
        missing = incomplete_rows(entity, values)
        if missing:
            current = self._seen.get((entity, outlook_id)) or self._read(entity, outlook_id)
            values.update({name: current.fields.get(name) for name in missing})
        return values

    def create_item(self, entity: Entity, fields: FieldValues, *, stamp: str) -> OutlookItem:
        """Create an item stamped with `stamp`, or write the item already stamped with it (an interrupted run's)."""
        self._check_writable()
        existing = self.find_by_stamps(entity, [stamp])
        if existing:
            return self.update_item(entity, existing[0].id, fields, stamp=stamp, expected_change_key=None)
        key = self._key()
        operation = Create(key=key, fields=graph_fields(entity, fields), crm_id=stamp)
        result = self.client.write(GRAPH_ENTITY[entity], [operation])[key]
        if result.error is not None:
            raise result.error
        assert result.item is not None
        item = engine_item(entity, result.item)
        self._stamps[entity].setdefault(stamp, {})
        return self._remember(item, created=True)

    def update_item(
        self,
        entity: Entity,
        outlook_id: str,
        fields: FieldValues,
        *,
        stamp: str | None,
        expected_change_key: str | None,
    ) -> OutlookItem:
        """Write `fields` and the stamp; a stale change key (412) or a gone item is ChangedMeanwhile."""
        self._check_writable()
        values = self._complete(entity, outlook_id, fields)
        if entity is not Entity.TASK:
            return self._write_update(entity, outlook_id, values, stamp, expected_change_key)
        # A task's stamp is a linked resource, its own collection: written apart from the task.
        if values or expected_change_key:
            item = self._write_update(entity, outlook_id, values, None, expected_change_key)
        else:
            item = self._seen.get((entity, outlook_id)) or self._read(entity, outlook_id)
        if stamp and item.crm_id != stamp:
            self._set_task_stamp(outlook_id, stamp, replacing=item.crm_id is not None)
            # The task's own change key may move with its linked resources: a later run that finds it
            # moved compares the fields and finds nothing to do.
            item = self._remember(replace(item, crm_id=stamp))
        return item

    def _read(self, entity: Entity, outlook_id: str) -> OutlookItem:
        read = self.get_items(entity, [outlook_id])
        if outlook_id not in read:
            raise ChangedMeanwhile(Side.OUTLOOK, entity, outlook_id)
        return read[outlook_id]

    def _write_update(
        self, entity: Entity, outlook_id: str, values: Values, crm_id: str | None, expected_change_key: str | None
    ) -> OutlookItem:
        key = self._key()
        operation = Update(
            key=key,
            item_id=outlook_id,
            fields=graph_fields(entity, values),
            change_key=expected_change_key or None,
            crm_id=crm_id,
        )
        result = self.client.write(GRAPH_ENTITY[entity], [operation])[key]
        if isinstance(result.error, GraphConflict | GraphNotFound):
            self._forget(entity, outlook_id, gone=isinstance(result.error, GraphNotFound))
            raise ChangedMeanwhile(Side.OUTLOOK, entity, outlook_id)
        if result.error is not None:
            raise result.error
        assert result.item is not None
        return self._remember(engine_item(entity, result.item))

    def _set_task_stamp(self, task_id: str, crm_id: str, *, replacing: bool) -> None:
        """Give a task our linked resource with `crm_id`; `replacing` the one it has for another record."""
        path = f"{self._task_path(task_id)}/linkedResources"
        link = {"applicationName": TASK_LINK_APPLICATION, "externalId": crm_id, "displayName": "CRM task"}
        try:
            if not replacing:
                # Not sent twice by the transport: a second linked resource would be harmless, but clutter.
                self.client.transport.call("POST", path, json_body=link, idempotent=False)
                return
            body = self.client.transport.call("GET", path)
            ours = [
                each
                for each in (body or {}).get("value", [])
                if isinstance(each, dict) and each.get("applicationName") == TASK_LINK_APPLICATION
            ]
            if not ours:
                self.client.transport.call("POST", path, json_body=link, idempotent=False)
            elif ours[0].get("externalId") != crm_id:
                self.client.transport.call("PATCH", f"{path}/{quote(str(ours[0].get('id')), safe='')}", json_body=link)
        except GraphNotFound:
            raise ChangedMeanwhile(Side.OUTLOOK, Entity.TASK, task_id) from None

    def write_batch(self, entity: Entity, writes: Sequence[ItemWrite]) -> list[OutlookItem | Exception | None]:
        """Several writes in `$batch` requests of 20: each answer is the item written, None for a deletion,
        or that write's error (`ChangedMeanwhile` for a stale change key or a gone item). A task's stamp
        is a linked resource of its own, so a task update that stamps goes on its own, as update_item does."""
        self._check_writable()
        results: list[OutlookItem | Exception | None] = [None] * len(writes)
        operations: list[Create | Update | Delete] = []
        sent: list[tuple[int, str, ItemWrite]] = []
        alone: list[int] = []
        for index, write in enumerate(writes):
            key = self._key()
            if isinstance(write, ItemCreate):
                operations.append(Create(key=key, fields=graph_fields(entity, write.fields), crm_id=write.stamp))
            elif isinstance(write, ItemUpdate):
                if entity is Entity.TASK and write.stamp:
                    alone.append(index)
                    continue
                try:
                    values = self._complete(entity, write.outlook_id, write.fields)
                except ChangedMeanwhile as error:
                    results[index] = error
                    continue
                operations.append(
                    Update(
                        key=key,
                        item_id=write.outlook_id,
                        fields=graph_fields(entity, values),
                        change_key=write.expected_change_key or None,
                        crm_id=write.stamp,
                    )
                )
            else:
                operations.append(Delete(key=key, item_id=write.outlook_id))
            sent.append((index, key, write))
        answers = self.client.write(GRAPH_ENTITY[entity], operations) if operations else {}
        for index, key, write in sent:
            answer = answers[key]
            if isinstance(write, ItemDelete):
                if answer.error is not None and not isinstance(answer.error, GraphNotFound):
                    results[index] = answer.error
                else:
                    self._forget(entity, write.outlook_id, gone=True)
            elif isinstance(write, ItemUpdate) and isinstance(answer.error, GraphConflict | GraphNotFound):
                self._forget(entity, write.outlook_id, gone=isinstance(answer.error, GraphNotFound))
                results[index] = ChangedMeanwhile(Side.OUTLOOK, entity, write.outlook_id)
            elif answer.error is not None:
                results[index] = answer.error
            else:
                assert answer.item is not None
                item = engine_item(entity, answer.item)
                if isinstance(write, ItemCreate):
                    self._stamps[entity].setdefault(write.stamp, {})
                    results[index] = self._remember(item, created=True)
                else:
                    results[index] = self._remember(item)
        for index in alone:
            write = writes[index]
            assert isinstance(write, ItemUpdate)
            try:
                results[index] = self.update_item(
                    entity,
                    write.outlook_id,
                    write.fields,
                    stamp=write.stamp,
                    expected_change_key=write.expected_change_key,
                )
            except ChangedMeanwhile as error:
                results[index] = error
        return results

    def delete_item(self, entity: Entity, outlook_id: str) -> None:
        """Delete the item; one already gone is fine."""
        self._check_writable()
        key = self._key()
        result = self.client.write(GRAPH_ENTITY[entity], [Delete(key=key, item_id=outlook_id)])[key]
        if result.error is not None and not isinstance(result.error, GraphNotFound):
            raise result.error
        self._forget(entity, outlook_id, gone=True)

    def commit_cursor(self, entity: Entity, cursor: Any) -> None:
        """Keep the delta link of the round the run applied (and what goes with it), then tell the caller."""
        if self.read_only or not isinstance(cursor, DeltaCursor) or not cursor.delta_link:
            return
        self.state.delta_links[str(entity)] = cursor.delta_link
        if entity is Entity.TASK:
            self.state.task_list_id = self.client.task_list_id()  # known since the round: no request
        if entity is Entity.EVENT:
            self.state.window = cursor.window
            series = (set(cursor.series_ids) | self._series_seen) - self._series_gone
            self.state.series_ids = sorted(series)
        if self.on_state_change is not None:
            self.on_state_change(self.state)
