"""The Graph client the Outlook sync uses: one mailbox, three entities, reads by delta and writes by $batch."""

import datetime as dt
import hashlib
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from outlooksync.graph import mapping
from outlooksync.graph.auth import GraphTokenProvider, graph_scope
from outlooksync.graph.batch import MAX_BATCH, BatchRequest, BatchResult, run_batch
from outlooksync.graph.delta import delta_round
from outlooksync.graph.errors import DeltaExpired, GraphNotFound, GraphOutcomeUnknown, GraphProtocolError
from outlooksync.graph.occurrences import SeriesOccurrences
from outlooksync.graph.records import Changes, Create, Delete, Entity, OutlookItem, Update, WriteResult
from outlooksync.graph.transport import GraphTransport, RetryPolicy, collection_values

TASK_LIST_NAME = "CRM tasks"
MAX_LIST_PAGES = 500
LIST_PAGE_SIZE = 1000
# transactionId of a created event: the same CRM record and values give the same id, so a create sent
# again after an interruption does not make a second event.
TRANSACTION_NAMESPACE = uuid.UUID("8f0c7e52-2a4b-4f57-9d0e-61b3c5a7d914")


class GraphClient(SeriesOccurrences):
    """Microsoft Graph for one rep's mailbox: contacts, To Do tasks in the "CRM tasks" list, calendar events.

    `time_zone` is the rep's IANA zone, used for events that name none.
    """

    def __init__(
        self,
        *,
        transport: GraphTransport,
        time_zone: str = "UTC",
        task_list_name: str = TASK_LIST_NAME,
        tokens: GraphTokenProvider | None = None,
        task_list_id: str | None = None,
        contact_folder_id: str | None = None,
        list_first_rounds: bool = False,
    ) -> None:
        self.transport = transport
        # A first round of contacts or tasks read by listing the collection (see `changes`).
        self.list_first_rounds = list_first_rounds
        # Graph documents contact delta per folder; without a folder id the mailbox's contacts are used.
        self.contact_folder_id = contact_folder_id
        self.time_zone = time_zone
        self.task_list_name = task_list_name
        self.tokens = tokens
        # Kept by the caller between runs, it saves looking the list up by name.
        self._task_list_id: str | None = task_list_id
        self._user = "/users/" + quote(transport.mailbox, safe="@")

    @classmethod
    def connect(
        cls,
        *,
        base_url: str,
        authority: str,
        tenant_id: str = "",
        client_id: str,
        client_secret: str,
        mailbox: str,
        ca_bundle: str | None = None,
        token_cache: str | None = None,
        time_zone: str = "UTC",
        retry: RetryPolicy | None = None,
        task_list_id: str | None = None,
        contact_folder_id: str | None = None,
        list_first_rounds: bool = False,
    ) -> "GraphClient":
        """A client authenticating with the app registration's client credentials through msal.

        `authority` is the identity platform's root (such as https://login.microsoftonline.com), with the
        tenant in it or given as `tenant_id`.
        """
        tokens = GraphTokenProvider(
            authority=f"{authority.rstrip('/')}/{tenant_id}" if tenant_id else authority,
            client_id=client_id,
            client_secret=client_secret,
            scope=graph_scope(base_url),
            ca_bundle=ca_bundle,
            cache_state=token_cache,
        )
        transport = GraphTransport(
            base_url=base_url,
            mailbox=mailbox,
            token=tokens.access_token,
            refresh_token=tokens.refresh,
            ca_bundle=ca_bundle,
            retry=retry,
        )
        return cls(
            transport=transport,
            time_zone=time_zone,
            tokens=tokens,
            task_list_id=task_list_id,
            contact_folder_id=contact_folder_id,
            list_first_rounds=list_first_rounds,
        )

    def token_cache_dump(self) -> str | None:
        """The msal token cache to store (encrypted) when it changed, else None."""
        return self.tokens.cache_dump() if self.tokens else None

    def close(self) -> None:
        self.transport.close()
        if self.tokens:
            self.tokens.close()

    def __enter__(self) -> "GraphClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # Task list

    def task_list_id(self) -> str:
        """The id of the rep's "CRM tasks" list, found by name or created (once, whatever the retries)."""
        if self._task_list_id:
            return self._task_list_id
        name = self.task_list_name.replace("'", "''")
        found = self.transport.call("GET", f"{self._user}/todo/lists", params={"$filter": f"displayName eq '{name}'"})
        lists = [v for v in (found or {}).get("value", [])[:100] if isinstance(v, dict) and v.get("id")]
        lists = [v for v in lists if v.get("displayName") == self.task_list_name]
        if lists:
            self._task_list_id = str(lists[0]["id"])
        else:
            created = self.transport.call(
                "POST", f"{self._user}/todo/lists", json_body={"displayName": self.task_list_name}
            )
            if not isinstance(created, dict) or not created.get("id"):
                raise GraphProtocolError("task list created without an id")
            self._task_list_id = str(created["id"])
        return self._task_list_id

    # Paths

    def _collection(self, entity: Entity) -> str:
        if entity is Entity.CONTACTS:
            if self.contact_folder_id:
                return f"{self._user}/contactFolders/{quote(self.contact_folder_id, safe='')}/contacts"
            return f"{self._user}/contacts"
        if entity is Entity.TASKS:
            return f"{self._user}/todo/lists/{self.task_list_id()}/tasks"
        return f"{self._user}/events"

    def _item_path(self, entity: Entity, item_id: str) -> str:
        return f"{self._collection(entity)}/{quote(item_id, safe='')}"

    def _read_query(self, entity: Entity) -> str:
        if entity is Entity.CONTACTS:
            expand = mapping.expand_properties(mapping.CRM_ID_PROPERTY, mapping.GENDER_PROPERTY)
            return f"?$select={mapping.CONTACT_SELECT}&$expand={expand}"
        if entity is Entity.TASKS:
            return f"?$select={mapping.TASK_SELECT}&$expand=linkedResources"
        expand = mapping.expand_properties(mapping.CRM_ID_PROPERTY) + ",exceptionOccurrences"
        return f"?$select={mapping.EVENT_SELECT}&$expand={expand}"

    # Reads

    def changes(
        self,
        entity: Entity,
        delta_link: str | None = None,
        *,
        window: tuple[dt.datetime, dt.datetime] | None = None,
        series_ids: Iterable[str] = (),
        known: Mapping[str, str] | None = None,
    ) -> Changes:
        """One delta round: every item changed since `delta_link` (all items without one), read in full.

        Delta pages carry ids only (they cannot expand extended properties or linked resources); the changed
        items are then read in $batch requests of 20, or, with `list_first_rounds`, a first round of more
        than 20 contacts or tasks by listing the collection (a request per 1,000 items instead of per 20).
        Events come from the calendar view between `window`'s instants: occurrences point at their series,
        which is read instead. A removed occurrence may be all
        that tells a series was deleted, so the `series_ids` known to the caller are checked when any is.
        An item whose version is the one in `known` ({id: change key} as last synced) is left out unread.
        Raises DeltaExpired when the delta link is no longer valid.
        """
        entity = Entity(entity)
        if delta_link:
            start, params = delta_link, None
        elif entity is Entity.EVENTS:
            if window is None:
                raise ValueError("events need a calendar window")
            low, high = (w.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ") for w in window)
            start = f"{self._user}/calendarView/delta"
            params = {"startDateTime": low, "endDateTime": high}
        else:
            start, params = f"{self._collection(entity)}/delta", {"$select": "id"}
        try:
            found = delta_round(self.transport, start, params=params)
        except GraphNotFound as error:
            if entity is not Entity.TASKS:
                raise
            # The rep deleted the "CRM tasks" list: a full sync creates it again and reconciles by stamp.
            self._task_list_id = None
            raise DeltaExpired(f"task list gone: {error}", status=error.status, code=error.code) from None
        if self.list_first_rounds and not delta_link and entity is not Entity.EVENTS and len(found.items) > MAX_BATCH:
            # A first round wants every item: past one batch of ids, reading the collection in pages of 1,000
            # with the stamps expanded costs one request per page instead of one per 20 ids. An item changed
            # since the round began comes again in the next round, as it would have anyway.
            listing = {item.id: item for item in self.list_items(entity)}
            return Changes(items=listing, removed={}, delta_link=found.delta_link)
        removed = dict(found.removed)
        wanted: list[str] = []
        for item_id, raw in found.items.items():
            master = raw.get("seriesMasterId") if entity is Entity.EVENTS else None
            if not master and known and _change_key(raw) is not None and known.get(item_id) == _change_key(raw):
                continue  # as it was when last synced (the sync's own write, read back): nothing to read
            wanted.append(str(master)[:512] if master else item_id)
        if entity is Entity.EVENTS and removed:
            wanted.extend(series_ids)
        wanted = list(dict.fromkeys(wanted))
        items = self.get_items(entity, wanted)
        for item_id in wanted:
            if item_id not in items:
                removed[item_id] = "deleted"
        for item_id in items:
            removed.pop(item_id, None)
        return Changes(items=items, removed=removed, delta_link=found.delta_link)

    def get_items(self, entity: Entity, item_ids: Sequence[str]) -> dict[str, OutlookItem]:
        """The items with these ids, read in full in $batch requests of 20; ids no longer there are left out."""
        entity = Entity(entity)
        query = self._read_query(entity)
        requests = [
            BatchRequest(id=str(index), method="GET", url=self._item_path(entity, item_id) + query)
            for index, item_id in enumerate(item_ids)
        ]
        results = run_batch(self.transport, requests)
        items: dict[str, OutlookItem] = {}
        for index, _item_id in enumerate(item_ids):
            result = results[str(index)]
            if isinstance(result.error, GraphNotFound):
                continue
            if result.error:
                raise result.error
            item = self._item(entity, result.body)
            items[item.id] = item
        return items

    def find_by_crm_id(self, entity: Entity, crm_ids: Sequence[str]) -> dict[str, list[OutlookItem]]:
        """The items stamped with each CRM id (several when duplicates exist), for rebuilding links.

        Contacts and events are found by a $filter on the stamp property, 20 ids per $batch; tasks by
        reading the task list with its linked resources (Graph cannot filter on them).
        """
        entity = Entity(entity)
        found: dict[str, list[OutlookItem]] = {crm_id: [] for crm_id in crm_ids}
        if entity is Entity.TASKS:
            for item in self.list_items(entity):
                if item.crm_id in found:
                    found[item.crm_id].append(item)
            return found
        query = self._read_query(entity)
        requests = [
            BatchRequest(
                id=str(index),
                method="GET",
                url=f"{self._collection(entity)}{query}&$filter={quote(mapping.stamp_filter(crm_id), safe='')}",
            )
            for index, crm_id in enumerate(crm_ids)
        ]
        results = run_batch(self.transport, requests)
        for index, crm_id in enumerate(crm_ids):
            result = results[str(index)]
            if result.error:
                raise result.error
            for raw in collection_values(result.body):
                item = self._item(entity, raw)
                if item.crm_id == str(crm_id):
                    found[crm_id].append(item)
        return found

    def list_stamped(self, entity: Entity) -> list[OutlookItem]:
        """Every contact or event of the mailbox that carries a stamp (events: series and single events,
        in or out of the calendar window), in pages of 1,000: one listing instead of a look-up per CRM id."""
        entity = Entity(entity)
        if entity is Entity.TASKS:
            return [item for item in self.list_items(entity) if item.crm_id]
        items = self.list_items(entity, filter=mapping.stamped_filter())
        return [item for item in items if item.crm_id]

    def list_items(self, entity: Entity, *, filter: str | None = None) -> list[OutlookItem]:  # noqa: A002
        """Every item of the collection, page by page (contacts, tasks, or events with their series);
        `filter` an OData $filter the collection takes."""
        entity = Entity(entity)
        items: list[OutlookItem] = []
        url = self._collection(entity) + self._read_query(entity) + f"&$top={LIST_PAGE_SIZE}"
        if filter:
            url += f"&$filter={quote(filter, safe='')}"
        for _page in range(MAX_LIST_PAGES):
            body = self.transport.call("GET", url)
            items.extend(self._item(entity, raw) for raw in collection_values(body))
            next_link = body.get("@odata.nextLink") if isinstance(body, dict) else None
            if not next_link:
                return items
            url = str(next_link)
        raise GraphProtocolError("list did not end within the page limit")

    # Writes

    def write(self, entity: Entity, operations: Sequence[Create | Update | Delete]) -> dict[str, WriteResult]:
        """Apply creates, updates and deletes in $batch requests of 20; the outcome of each, by its key."""
        entity = Entity(entity)
        requests: list[BatchRequest] = []
        keys: dict[str, Create | Update | Delete] = {}
        for index, operation in enumerate(operations):
            request_id = str(index)
            keys[request_id] = operation
            requests.append(self._write_request(entity, request_id, operation))
        results = run_batch(self.transport, requests)
        found = self._resolve_unknown_creates(entity, requests, keys, results)
        outcome = self._outcomes(entity, keys, results, found)
        if entity is Entity.EVENTS:
            self._apply_occurrence_changes(keys, outcome)
        return outcome

    def _outcomes(
        self,
        entity: Entity,
        keys: dict[str, Create | Update | Delete],
        results: dict[str, BatchResult],
        found: dict[str, OutlookItem],
    ) -> dict[str, WriteResult]:
        outcome: dict[str, WriteResult] = {}
        for request_id, operation in keys.items():
            result: BatchResult = results[request_id]
            if request_id in found:
                outcome[operation.key] = WriteResult(operation.key, item=found[request_id])
            elif result.error is not None:
                if isinstance(operation, Delete) and isinstance(result.error, GraphNotFound):
                    outcome[operation.key] = WriteResult(operation.key)
                else:
                    outcome[operation.key] = WriteResult(operation.key, error=result.error)
            elif isinstance(operation, Delete) or not isinstance(result.body, dict):
                outcome[operation.key] = WriteResult(operation.key)
            else:
                outcome[operation.key] = WriteResult(operation.key, item=self._item(entity, result.body))
        return outcome

    def _resolve_unknown_creates(
        self,
        entity: Entity,
        requests: list[BatchRequest],
        operations: dict[str, Create | Update | Delete],
        results: dict[str, BatchResult],
    ) -> dict[str, OutlookItem]:
        """Look up by their stamp the creates whose fate is unknown (the connection dropped after sending them),
        and send again only those Graph does not have, so that no item is created twice. Returns the found ones."""
        by_id = {request.id: request for request in requests}
        found_items: dict[str, OutlookItem] = {}
        for _round in range(self.transport.retry.max_attempts):
            unknown = [rid for rid, result in results.items() if isinstance(result.error, GraphOutcomeUnknown)]
            if not unknown:
                break
            stamps = {rid: str(getattr(operations[rid], "crm_id", "")) for rid in unknown}
            found = self.find_by_crm_id(entity, sorted(set(stamps.values())))
            again = []
            for rid in unknown:
                if found.get(stamps[rid]):
                    found_items[rid] = found[stamps[rid]][0]
                    results[rid] = BatchResult(rid, 201)
                else:
                    again.append(by_id[rid])
            if again:
                results.update(run_batch(self.transport, again))
        return found_items

    def _write_request(self, entity: Entity, request_id: str, operation: Create | Update | Delete) -> BatchRequest:
        headers: dict[str, str] = {}
        if isinstance(operation, Create):
            body = self._to_graph(entity, operation.fields, crm_id=operation.crm_id)
            if entity is Entity.EVENTS:
                body["transactionId"] = operation.transaction_id or self.transaction_id(operation)
            # Events carry a transactionId: Graph answers a repeated create with the first event.
            return BatchRequest(
                request_id, "POST", self._collection(entity), body=body, idempotent=entity is Entity.EVENTS
            )
        if operation.change_key:
            headers["If-Match"] = operation.change_key
        path = self._item_path(entity, operation.item_id)
        if isinstance(operation, Delete):
            return BatchRequest(request_id, "DELETE", path, headers=headers)
        body = self._to_graph(entity, operation.fields, crm_id=operation.crm_id)
        if entity is Entity.TASKS and "linkedResources" in body:
            # Linked resources are their own collection: the stamp is set when the task is created.
            body.pop("linkedResources")
        return BatchRequest(request_id, "PATCH", path, body=body, headers=headers)

    def transaction_id(self, operation: Create) -> str:
        """A transactionId that is the same for the same mailbox, CRM record and values."""
        digest = hashlib.sha256(repr(sorted((k, str(v)) for k, v in operation.fields.items())).encode()).hexdigest()
        return str(uuid.uuid5(TRANSACTION_NAMESPACE, f"{self.transport.mailbox}|{operation.crm_id}|{digest}"))

    # Mapping

    def _to_graph(self, entity: Entity, fields: Mapping[str, Any], *, crm_id: str | None) -> dict[str, Any]:
        if entity is Entity.CONTACTS:
            return mapping.contact_to_graph(fields, crm_id=crm_id)
        if entity is Entity.TASKS:
            return mapping.task_to_graph(fields, crm_id=crm_id, time_zone=self.time_zone)
        return mapping.event_to_graph(fields, crm_id=crm_id, default_time_zone=self.time_zone)

    def _item(self, entity: Entity, raw: Any) -> OutlookItem:
        """An item Graph answered, read into CRM field names; values outside the protocol are refused whole."""
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
            raise GraphProtocolError("item without an id")
        try:
            return self._read_item(entity, raw)
        except (ValueError, TypeError, AttributeError, KeyError, IndexError, OverflowError) as error:
            raise GraphProtocolError(f"{entity} item unreadable: {type(error).__name__}: {str(error)[:200]}") from None

    def _read_item(self, entity: Entity, raw: dict[str, Any]) -> OutlookItem:
        if entity is Entity.CONTACTS:
            fields = mapping.contact_from_graph(raw)
        elif entity is Entity.TASKS:
            fields = mapping.task_from_graph(raw)
        else:
            fields = mapping.event_from_graph(raw, default_time_zone=self.time_zone)
        occurrence_ids: dict[dt.datetime, str] = {}
        if entity is Entity.EVENTS and isinstance(raw.get("exceptionOccurrences"), list):
            for occurrence in raw["exceptionOccurrences"][: mapping.MAX_EXCEPTIONS]:
                original = mapping.event_original_start(occurrence) if isinstance(occurrence, dict) else None
                if original is not None and isinstance(occurrence.get("id"), str):
                    occurrence_ids[original] = occurrence["id"][:512]
        etag = _change_key(raw)
        return OutlookItem(
            id=raw["id"][:512],
            change_key=etag,
            crm_id=mapping.crm_id_of(raw),
            fields=fields,
            last_modified=mapping.instant_from_text(raw.get("lastModifiedDateTime")),
            occurrence_ids=occurrence_ids,
        )


def _change_key(raw: Mapping[str, Any]) -> str | None:
    """An item's version as Graph gives it (its ETag, else its change key), as the sync stores it."""
    etag = raw.get("@odata.etag") or raw.get("changeKey")
    return str(etag)[:200] if etag else None
