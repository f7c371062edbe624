"""A local server that speaks the Microsoft Graph protocol the Outlook sync uses, over TLS.

For tests and for watching a real sync without a Microsoft tenant:

    python -m tests.outlooksync.graph_server --port 8443

prints the Graph base URL, the authority and the CA bundle to put in GRAPH_BASE_URL, GRAPH_AUTHORITY
and GRAPH_CA_BUNDLE. It serves, per mailbox and in memory: contacts, To Do lists and tasks (with linked
resources) and calendar events, with delta rounds (pages, next and delta links, @removed, an item
repeated within a round, expirable tokens), $batch (up to 20 requests, each answered on its own),
single-value extended properties and $filter on them, change keys with If-Match (412), and the
OpenID configuration and token endpoint msal uses for client credentials. Tests can inject faults
(a status such as 429 with Retry-After or 500, a dropped connection at the Nth request) and read
request counters.
"""

import argparse
import base64
import collections
import copy
import datetime as dt
import functools
import itertools
import json
import re
import secrets
import socket
import ssl
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit
from zoneinfo import ZoneInfo

import trustme
from dateutil import rrule as dateutil_rrule

from outlooksync.graph.mapping import event_from_graph, from_graph_datetime

MAX_BATCH = 20
MAX_BODY = 4 * 1024 * 1024
MAX_OCCURRENCES = 500
# Items with a property of that id and value, or (no value clause) items that have the property at all.
_EXT_FILTER = re.compile(
    r"^singleValueExtendedProperties/any\((\w+):\s*\1/id eq '((?:[^']|'')*)'(?: and \1/value eq '((?:[^']|'')*)')?\)$",
    re.IGNORECASE,
)
_NAME_FILTER = re.compile(r"^displayName eq '((?:[^']|'')*)'$")
_INSTANCE_KEYS = ("id", "type", "seriesMasterId", "originalStart", "start", "end", "subject", "@odata.etag")
_TENANT_PATH = re.compile(r"^/([\w.-]+)/(?:v2\.0/\.well-known/openid-configuration|oauth2/v2\.0/token)$")
_EXPAND_IDS = re.compile(r"id eq '((?:[^']|'')*)'", re.IGNORECASE)


class GraphFailure(Exception):
    def __init__(self, status: int, code: str, message: str = "", headers: dict[str, str] | None = None):
        super().__init__(message or code)
        self.status, self.code, self.message, self.headers = status, code, message or code, headers or {}


@dataclass
class Fault:
    """An injected failure: a status (with Retry-After) or a dropped connection, for matching requests."""

    status: int = 0
    drop: bool = False
    retry_after: int | None = None
    at_request: int | None = None
    path_contains: str = ""
    method: str = ""
    inner: bool = False
    times: int = 1
    after: bool = False  # drop after applying the request (the client cannot tell it happened)


class Collection:
    """Items of one kind with a change sequence, so delta rounds can tell what changed since a token."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.items: dict[str, dict[str, Any]] = {}
        self.seq: dict[str, int] = {}
        self.tombstones: dict[str, tuple[int, dict[str, Any]]] = {}
        self.counter = 0
        self.epoch = 1
        self.parent_folder_id: str | None = None
        self.expired_code = "SyncStateNotFound"

    def touch(self, item_id: str) -> None:
        self.counter += 1
        self.seq[item_id] = self.counter
        self.tombstones.pop(item_id, None)

    def remove(self, item_id: str) -> dict[str, Any]:
        item = self.items.pop(item_id)
        self.seq.pop(item_id, None)
        self.counter += 1
        self.tombstones[item_id] = (self.counter, item)
        return item


class Mailbox:
    def __init__(self, address: str) -> None:
        self.address = address
        self.contacts = Collection(f"{address}/contacts")
        self.contact_folder_id = new_id()  # the default Contacts folder, the parent of every contact here
        self.contacts.parent_folder_id = self.contact_folder_id
        self.events = Collection(f"{address}/events")
        self.lists: dict[str, dict[str, Any]] = {}
        self.task_collections: dict[str, Collection] = {}


def new_id() -> str:
    """An id in the shape of Graph's immutable ids (opaque, URL-safe base64)."""
    return "AAMkAG" + base64.urlsafe_b64encode(secrets.token_bytes(33)).decode().rstrip("=")


def new_change_key() -> str:
    return base64.b64encode(secrets.token_bytes(12)).decode()


def _token_encode(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")


def _token_decode(text: str) -> dict[str, Any]:
    try:
        return json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except ValueError:
        raise GraphFailure(400, "BadRequest", "malformed state token") from None


class GraphState:
    """Everything the server knows: app registration, tokens, mailboxes, faults and counters."""

    def __init__(
        self,
        *,
        tenant: str = "local-tenant",
        client_id: str = "local-client",
        client_secret: str = "local-secret",
        auto_mailboxes: bool = True,
    ) -> None:
        self.tenant, self.client_id, self.client_secret = tenant, client_id, client_secret
        self.auto_mailboxes = auto_mailboxes
        self.lock = threading.RLock()
        self.tokens: dict[str, float] = {}
        self.token_lifetime = 3600
        self.mailboxes: dict[str, Mailbox] = {}
        self.faults: list[Fault] = []
        self.counts: collections.Counter[str] = collections.Counter()
        self.request_number = 0
        self.in_flight: collections.Counter[str] = collections.Counter()
        self.max_in_flight: collections.Counter[str] = collections.Counter()
        self.latency = 0.0
        self.default_page_size = 100
        self.max_page_size = 200
        self.repeat_in_round = False
        self.base_url = ""

    # Set-up and inspection for tests

    def mailbox(self, address: str, *, create: bool | None = None) -> Mailbox:
        key = address.lower()
        with self.lock:
            if key not in self.mailboxes:
                if not (self.auto_mailboxes if create is None else create):
                    raise GraphFailure(404, "ErrorInvalidUser", "The requested user is invalid.")
                self.mailboxes[key] = Mailbox(address)
            return self.mailboxes[key]

    def fail(self, status: int, *, retry_after: int | None = None, **match: Any) -> Fault:
        fault = Fault(status=status, retry_after=retry_after, **match)
        with self.lock:
            self.faults.append(fault)
        return fault

    def drop(self, **match: Any) -> Fault:
        fault = Fault(drop=True, **match)
        with self.lock:
            self.faults.append(fault)
        return fault

    def expire_delta_tokens(self, address: str, *, code: str = "SyncStateNotFound") -> None:
        """Every delta token of the mailbox becomes unknown: 410 with `code` (syncStateNotFound, resyncRequired)."""
        with self.lock:
            box = self.mailbox(address)
            for collection in [box.contacts, box.events, *box.task_collections.values()]:
                collection.epoch += 1
                collection.expired_code = code

    def reset_counts(self) -> None:
        with self.lock:
            self.counts.clear()
            self.max_in_flight.clear()

    def _take_fault(self, method: str, path: str, *, inner: bool) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.times <= 0 or fault.inner != inner:
                    continue
                if fault.at_request is not None and fault.at_request != self.request_number:
                    continue
                if fault.path_contains and fault.path_contains not in path:
                    continue
                if fault.method and fault.method != method:
                    continue
                fault.times -= 1
                return fault
        return None

    # Token endpoint

    def issue_token(self, form: dict[str, str]) -> dict[str, Any]:
        if form.get("grant_type") != "client_credentials":
            raise GraphFailure(400, "unsupported_grant_type")
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            raise GraphFailure(401, "invalid_client", "AADSTS7000215: Invalid client secret provided.")
        token = secrets.token_urlsafe(32)
        with self.lock:
            self.tokens[token] = time.time() + self.token_lifetime
            self.counts["token"] += 1
        return {
            "token_type": "Bearer",
            "expires_in": self.token_lifetime,
            "ext_expires_in": self.token_lifetime,
            "access_token": token,
        }

    def check_token(self, header: str | None) -> None:
        token = (header or "").removeprefix("Bearer ").strip()
        with self.lock:
            expires = self.tokens.get(token)
        if not expires or expires < time.time():
            raise GraphFailure(401, "InvalidAuthenticationToken", "Access token is empty or invalid.")

    # Graph requests

    def handle(self, method: str, target: str, headers: dict[str, str], body: Any) -> tuple[int, dict[str, str], Any]:
        """Answer one Graph request (`target` is the path after the version, with its query)."""
        parts = urlsplit(target)
        path = unquote(parts.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        prefer = headers.get("prefer", "")
        with self.lock:
            self.counts["requests"] += 1
            self.counts[f"{method} {_kind(path)}"] += 1
            if 'IdType="ImmutableId"' not in prefer:
                self.counts["without immutable ids"] += 1
        try:
            if path == "/$batch" and method == "POST":
                return 200, {}, self._batch(body)
            return self._route(method, path, query, headers, body, prefer)
        except GraphFailure as failure:
            return failure.status, failure.headers, _error(failure.code, failure.message)

    def _batch(self, body: Any) -> dict[str, Any]:
        requests = body.get("requests") if isinstance(body, dict) else None
        if not isinstance(requests, list) or not requests:
            raise GraphFailure(400, "BadRequest", "Invalid batch payload format.")
        if len(requests) > MAX_BATCH:
            raise GraphFailure(400, "BadRequest", "Unable to deserialize content: more than 20 requests.")
        ids = [str(r.get("id")) for r in requests if isinstance(r, dict)]
        if len(set(ids)) != len(requests):
            raise GraphFailure(400, "BadRequest", "Request ids must be unique.")
        status_by_id: dict[str, int] = {}
        responses = []
        with self.lock:
            self.counts["batch inner"] += len(requests)
        for request in requests:
            request_id = str(request["id"])
            depends = request.get("dependsOn") or []
            if any(status_by_id.get(str(dep), 0) // 100 != 2 for dep in depends):
                status, headers, answer = 424, {}, _error("FailedDependency", "The dependency failed.")
            else:
                inner_headers = {str(k).lower(): str(v) for k, v in (request.get("headers") or {}).items()}
                method, url = str(request.get("method", "GET")).upper(), str(request.get("url", ""))
                if not url.startswith("/"):
                    url = "/" + url
                fault = self._take_fault(method, url, inner=True)
                if fault and fault.status:
                    retry = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
                    status, headers, answer = fault.status, retry, _error(_code(fault.status), "Injected failure.")
                    with self.lock:
                        self.counts[f"injected {fault.status}"] += 1
                else:
                    status, headers, answer = self.handle(method, url, inner_headers, request.get("body"))
            status_by_id[request_id] = status
            entry: dict[str, Any] = {"id": request_id, "status": status, "headers": headers}
            if answer is not None:
                entry["body"] = answer
                entry["headers"] = {**headers, "Content-Type": "application/json"}
            responses.append(entry)
        return {"responses": responses}

    def _route(self, method, path, query, headers, body, prefer) -> tuple[int, dict[str, str], Any]:
        segments = [s for s in path.split("/") if s]
        if len(segments) < 3 or segments[0] != "users":
            raise GraphFailure(400, "BadRequest", f"Resource not found for the segment '{path}'.")
        box = self.mailbox(segments[1])
        rest = segments[2:]
        with self.lock:
            if rest[0] == "contactFolders" and rest[2:3] == ["contacts"]:
                if rest[1] != box.contact_folder_id:
                    raise GraphFailure(404, "ErrorItemNotFound", "The specified folder could not be found.")
                rest = rest[2:]
            if rest[0] == "contacts":
                return self._collection_route(box.contacts, "contact", method, rest[1:], query, headers, body, prefer)
            if rest[0] == "events":
                return self._collection_route(box.events, "event", method, rest[1:], query, headers, body, prefer)
            if rest == ["calendarView", "delta"] and method == "GET":
                return 200, {}, self._calendar_delta(box, path, query, prefer)
            if rest[:2] == ["todo", "lists"]:
                return self._todo_route(box, method, rest[2:], query, headers, body, prefer)
        raise GraphFailure(400, "BadRequest", f"Resource not found for the segment '{rest[0]}'.")

    def _todo_route(self, box, method, rest, query, headers, body, prefer):
        if not rest:
            if method == "GET":
                lists = list(box.lists.values())
                if "$filter" in query:
                    match = _NAME_FILTER.match(query["$filter"].strip())
                    if not match:
                        raise GraphFailure(400, "BadRequest", "Unsupported filter.")
                    lists = [v for v in lists if v["displayName"] == match.group(1).replace("''", "'")]
                return 200, {}, {"value": copy.deepcopy(lists)}
            if method == "POST":
                if not isinstance(body, dict) or not body.get("displayName"):
                    raise GraphFailure(400, "invalidRequest", "displayName is required.")
                list_id = new_id()
                box.lists[list_id] = {
                    "id": list_id,
                    "displayName": str(body["displayName"]),
                    "wellknownListName": "none",
                }
                box.task_collections[list_id] = Collection(f"{box.address}/lists/{list_id}")
                return 201, {}, copy.deepcopy(box.lists[list_id])
            raise GraphFailure(405, "MethodNotAllowed")
        list_id = rest[0]
        if list_id not in box.lists:
            raise GraphFailure(404, "ErrorItemNotFound", "The specified object was not found in the store.")
        if len(rest) == 1:
            if method == "DELETE":
                del box.lists[list_id]
                del box.task_collections[list_id]
                return 204, {}, None
            return 200, {}, copy.deepcopy(box.lists[list_id])
        if rest[1] != "tasks":
            raise GraphFailure(400, "BadRequest")
        collection = box.task_collections[list_id]
        if len(rest) == 4 and rest[3] == "linkedResources":
            task = collection.items.get(rest[2])
            if task is None:
                raise GraphFailure(404, "ErrorItemNotFound")
            if method == "GET":
                return 200, {}, {"value": copy.deepcopy(task.get("linkedResources", []))}
            if method == "POST" and isinstance(body, dict):
                link = {**body, "id": new_id()}
                task.setdefault("linkedResources", []).append(link)
                collection.touch(task["id"])
                return 201, {}, copy.deepcopy(link)
            raise GraphFailure(405, "MethodNotAllowed")
        return self._collection_route(collection, "task", method, rest[2:], query, headers, body, prefer)

    def _collection_route(self, collection: Collection, kind, method, rest, query, headers, body, prefer):
        if rest == ["delta"] and method == "GET":
            return (
                200,
                {},
                self._delta(collection, kind, "/".join(["", *self._path_of(collection), "delta"]), query, prefer),
            )
        if not rest:
            if method == "GET":
                return 200, {}, self._list(collection, kind, query)
            if method == "POST":
                return 201, {}, self._create(collection, kind, body)
            raise GraphFailure(405, "MethodNotAllowed")
        item_id = rest[0]
        if kind == "event" and rest[1:] == ["instances"] and method == "GET":
            return 200, {}, self._event_instances(collection, item_id, query)
        if len(rest) > 1:
            raise GraphFailure(400, "BadRequest")
        if kind == "event" and ".OCC." in item_id and method == "DELETE":
            return self._delete_occurrence(collection, item_id)
        if kind == "event" and ".OCC." in item_id and method == "PATCH":
            return self._update_occurrence(collection, item_id, body)
        item = collection.items.get(item_id)
        if item is None:
            raise GraphFailure(404, "ErrorItemNotFound", "The specified object was not found in the store.")
        if method in ("PATCH", "DELETE"):
            expected = headers.get("if-match")
            if expected and expected not in (item["@odata.etag"], item.get("changeKey")) and expected != "*":
                raise GraphFailure(
                    412,
                    "ErrorIrresolvableConflict",
                    "The change key passed in the request does not match the current change key for the item.",
                )
        if method == "GET":
            return 200, {}, self._render(item, kind, query)
        if method == "DELETE":
            collection.remove(item_id)
            return 204, {}, None
        if method == "PATCH":
            if not isinstance(body, dict):
                raise GraphFailure(400, "BadRequest")
            self._apply(item, kind, body, creating=False)
            collection.touch(item_id)
            return 200, {}, self._render(item, kind, {"$expand": "all"})
        raise GraphFailure(405, "MethodNotAllowed")

    def _path_of(self, collection: Collection) -> list[str]:
        address, _, rest = collection.key.partition("/")
        if rest.startswith("lists/"):
            return ["users", address, "todo", "lists", rest.split("/")[1], "tasks"]
        return ["users", address, rest]

    def _create(self, collection: Collection, kind: str, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise GraphFailure(400, "BadRequest", "Empty payload.")
        if kind == "event" and body.get("transactionId"):
            for existing in collection.items.values():
                if existing.get("transactionId") == body["transactionId"]:
                    return self._render(existing, kind, {"$expand": "all"})
        item: dict[str, Any] = {"id": new_id(), "createdDateTime": _now()}
        if kind == "task":
            item.update(status="notStarted", importance="normal", isReminderOn=False, linkedResources=[])
        if collection.parent_folder_id:
            item["parentFolderId"] = collection.parent_folder_id
        self._apply(item, kind, body, creating=True)
        collection.items[item["id"]] = item
        collection.touch(item["id"])
        return self._render(item, kind, {"$expand": "all"})

    def _apply(self, item: dict[str, Any], kind: str, body: dict[str, Any], *, creating: bool) -> None:
        for key, value in body.items():
            if key in ("id", "@odata.etag", "changeKey", "createdDateTime", "lastModifiedDateTime"):
                continue
            if key == "singleValueExtendedProperties":
                props = {p["id"].lower(): p for p in item.get(key, [])}
                for prop in value or []:
                    props[str(prop["id"]).lower()] = {"id": str(prop["id"]), "value": str(prop.get("value"))}
                item[key] = list(props.values())
            elif key == "linkedResources":
                if creating:
                    item[key] = [{**link, "id": new_id()} for link in value or []]
            else:
                item[key] = copy.deepcopy(value)
        if kind == "event" and creating:
            item["originalStartTimeZone"] = (body.get("start") or {}).get("timeZone", "UTC")
            item["originalEndTimeZone"] = (body.get("end") or {}).get("timeZone", "UTC")
            item.setdefault("cancelledOccurrences", [])
        if kind == "event":
            item["type"] = "seriesMaster" if item.get("recurrence") else "singleInstance"
        item["changeKey"] = new_change_key()
        item["@odata.etag"] = f'W/"{item["changeKey"]}"'
        item["lastModifiedDateTime"] = _now()

    def _render(self, item: dict[str, Any], kind: str, query: dict[str, str]) -> dict[str, Any]:
        out = copy.deepcopy(item)
        expand = query.get("$expand", "")
        if kind == "event" and not item.get("isAllDay"):
            for name in ("start", "end"):
                instant = from_graph_datetime(item.get(name))
                if instant:
                    out[name] = {"dateTime": instant.strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "UTC"}
        props = out.pop("singleValueExtendedProperties", [])
        if expand == "all":
            out["singleValueExtendedProperties"] = props
        elif "singleValueExtendedProperties" in expand:
            wanted = {m.replace("''", "'").lower() for m in _EXPAND_IDS.findall(expand)}
            out["singleValueExtendedProperties"] = [p for p in props if p["id"].lower() in wanted]
        links = out.pop("linkedResources", None)
        if kind == "task" and (expand == "all" or "linkedResources" in expand):
            out["linkedResources"] = links or []
        exceptions = out.pop("_exceptions", {})
        if kind == "event" and ("exceptionOccurrences" in expand or expand == "all"):
            out["exceptionOccurrences"] = [self._render(e, "event", {}) for _, e in sorted(exceptions.items())]
        select = query.get("$select")
        if select:
            keep = {s.strip() for s in select.split(",")} | {
                "id",
                "@odata.etag",
                "singleValueExtendedProperties",
                "linkedResources",
                "exceptionOccurrences",
            }
            out = {k: v for k, v in out.items() if k in keep}
        return out

    def _list(self, collection: Collection, kind: str, query: dict[str, str]) -> dict[str, Any]:
        items = list(collection.items.values())
        text = query.get("$filter", "").strip()
        if text:
            match = _EXT_FILTER.match(text)
            if not match:
                raise GraphFailure(400, "BadRequest", "Invalid filter clause.")
            prop_id = match.group(2).replace("''", "'").lower()
            value = None if match.group(3) is None else match.group(3).replace("''", "'")
            items = [
                i
                for i in items
                if any(
                    p["id"].lower() == prop_id and (value is None or p["value"] == value)
                    for p in i.get("singleValueExtendedProperties", [])
                )
            ]
        top = min(int(query.get("$top", "10") or 10), 1000)
        skip = int(query.get("$skip", "0") or 0)
        page = items[skip : skip + top]
        answer: dict[str, Any] = {"value": [self._render(i, kind, query) for i in page]}
        if skip + top < len(items):
            rest = {k: v for k, v in query.items() if k != "$skip"}
            link_query = "&".join(f"{quote(k)}={quote(v)}" for k, v in rest.items())
            answer["@odata.nextLink"] = (
                f"{self.base_url}{'/'.join(['', *self._path_of(collection)])}?{link_query}&$skip={skip + top}"
            )
        return answer

    # Delta

    def _page_size(self, prefer: str) -> int:
        match = re.search(r"odata\.maxpagesize=(\d+)", prefer)
        size = int(match.group(1)) if match else self.default_page_size
        return max(1, min(size, self.max_page_size))

    def _delta(
        self, collection: Collection, kind: str, path: str, query: dict[str, str], prefer: str
    ) -> dict[str, Any]:
        state = self._delta_state(collection, query, {"sel": query.get("$select", "")})
        keep = {f.strip() for f in state["sel"].split(",")} | {"id", "@odata.etag"} if state["sel"] else None

        def entry(item_id: str) -> Callable[[], dict[str, Any]]:
            def render() -> dict[str, Any]:
                if item_id not in collection.items:
                    return {"id": item_id, "@removed": {"reason": "deleted"}}
                rendered = self._render(collection.items[item_id], kind, {})
                return {k: v for k, v in rendered.items() if k in keep} if keep else rendered

            return render

        keyed = [((seq, 0), entry(item_id)) for seq, item_id in self._changed(collection, state)]
        answer = self._delta_page(state, keyed, path, prefer)
        self.counts[f"delta entries {kind}"] += len(answer["value"])
        return answer

    def _changed(self, collection: Collection, state: dict[str, Any]) -> list[tuple[int, str]]:
        """(seq, id) of the items and removals of the round, in change order; a removal only after a first round."""
        since, upto = state["s"], state["u"]
        live = [(seq, i) for i, seq in collection.seq.items() if since < seq <= upto]
        first_round = state.get("f", not since)
        gone = [] if first_round else [(seq, i) for i, (seq, _) in collection.tombstones.items() if since < seq <= upto]
        return sorted(live + gone)

    def _delta_state(self, collection: Collection, query: dict[str, str], initial: dict[str, Any]) -> dict[str, Any]:
        token = query.get("$skiptoken") or query.get("$deltatoken")
        if not token:
            return {
                "k": collection.key,
                "e": collection.epoch,
                "s": 0,
                "u": collection.counter,
                "c": None,
                "f": 1,  # the first round lists what exists; removals come from the next round on
                **initial,
            }
        state = _token_decode(token)
        if state.get("k") != collection.key:
            raise GraphFailure(400, "BadRequest", "The state token belongs to another collection.")
        if state.get("e") != collection.epoch:
            raise GraphFailure(410, collection.expired_code, "The sync state generation is not found.")
        if "$deltatoken" in query:
            # A new round: what changed after the last one, up to now. Changes made while it pages get a
            # later sequence number and come in the next round, so paging never skips or loses one.
            state.update(u=collection.counter, c=None, f=0)
        return state

    def _delta_page(
        self,
        state: dict[str, Any],
        keyed: list[tuple[tuple[int, int], Callable[[], dict[str, Any]]]],
        path: str,
        prefer: str,
    ) -> dict[str, Any]:
        """One page of a round: the entries after the state's cursor (keys are in change order)."""
        size = self._page_size(prefer)
        cursor = tuple(state["c"]) if state.get("c") else None
        rest = [(key, render) for key, render in keyed if cursor is None or key > cursor]
        page: list[dict[str, Any]] = []
        if self.repeat_in_round and cursor is not None and size > 1:
            # Graph may return an item more than once within a round: here the last one of the page before.
            previous = [render for key, render in keyed if key == cursor]
            if previous:
                page.append(previous[0]())
                size -= 1
        taken = rest[:size]
        page += [render() for _, render in taken]
        answer: dict[str, Any] = {"value": page}
        if len(rest) > len(taken):
            after = {**state, "c": list(taken[-1][0])}
            answer["@odata.nextLink"] = f"{self.base_url}{path}?$skiptoken={_token_encode(after)}"
        else:
            after = {k: v for k, v in state.items() if k not in ("u", "c")}
            after["s"] = state["u"]
            answer["@odata.deltaLink"] = f"{self.base_url}{path}?$deltatoken={_token_encode(after)}"
        return answer

    def _calendar_delta(self, box: Mailbox, path: str, query: dict[str, str], prefer: str) -> dict[str, Any]:
        collection = box.events
        state = self._delta_state(
            collection, query, {"lo": query.get("startDateTime", ""), "hi": query.get("endDateTime", "")}
        )
        if not state.get("lo") or not state.get("hi"):
            raise GraphFailure(
                400,
                "ErrorInvalidParameter",
                "This request requires a time window: the StartDateTime and EndDateTime parameters.",
            )
        low = dt.datetime.fromisoformat(state["lo"].replace("Z", "+00:00"))
        high = dt.datetime.fromisoformat(state["hi"].replace("Z", "+00:00"))
        keyed = []
        for seq, item_id in self._changed(collection, state):
            removed = item_id not in collection.items
            item = collection.tombstones[item_id][1] if removed else collection.items[item_id]
            for index, instance in enumerate(_instances(item, low, high)):
                entry = {"id": instance["id"], "@removed": {"reason": "deleted"}} if removed else instance
                keyed.append(((seq, index), functools.partial(dict, entry)))
        answer = self._delta_page(state, keyed, path, prefer)
        self.counts["delta entries event"] += len(answer["value"])
        return answer

    def _event_instances(self, collection: Collection, item_id: str, query: dict[str, str]) -> dict[str, Any]:
        item = collection.items.get(item_id)
        if item is None:
            raise GraphFailure(404, "ErrorItemNotFound")
        try:
            low = dt.datetime.fromisoformat(query["startDateTime"].replace("Z", "+00:00"))
            high = dt.datetime.fromisoformat(query["endDateTime"].replace("Z", "+00:00"))
        except (KeyError, ValueError):
            raise GraphFailure(400, "ErrorInvalidParameter", "startDateTime and endDateTime are required.") from None
        return {"value": _instances(item, low, high)}

    def _update_occurrence(self, collection: Collection, occurrence_id: str, body: Any):
        """Changing one occurrence of a series makes it an exception of the series, under the same id."""
        master_id, _, day = occurrence_id.partition(".OCC.")
        master = collection.items.get(master_id)
        if master is None or not isinstance(body, dict):
            raise GraphFailure(404, "ErrorItemNotFound")
        exceptions = master.setdefault("_exceptions", {})
        if day not in exceptions:
            fields = event_from_graph(master)
            zone = ZoneInfo(fields["time_zone"])
            local = dt.datetime.combine(
                dt.date.fromisoformat(day), fields["start"].astimezone(zone).time(), tzinfo=zone
            )
            if f"OID.{master_id}.{day}" in (master.get("cancelledOccurrences") or []) or not any(
                i["id"] == occurrence_id
                for i in _instances(master, local - dt.timedelta(minutes=1), local + dt.timedelta(minutes=1))
            ):
                raise GraphFailure(404, "ErrorItemNotFound", "The occurrence could not be found.")
            instant, duration = local.astimezone(dt.UTC), fields["end"] - fields["start"]
            exceptions[day] = {
                "id": occurrence_id,
                "type": "exception",
                "seriesMasterId": master_id,
                "originalStart": instant.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "subject": master.get("subject", ""),
                "body": copy.deepcopy(master.get("body")),
                "location": copy.deepcopy(master.get("location")),
                "isAllDay": bool(master.get("isAllDay")),
                "start": {"dateTime": instant.strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "UTC"},
                "end": {"dateTime": (instant + duration).strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "UTC"},
            }
        exception = exceptions[day]
        for key in ("subject", "body", "location", "start", "end"):
            if key in body:
                exception[key] = copy.deepcopy(body[key])
        exception["changeKey"] = new_change_key()
        exception["@odata.etag"] = f'W/"{exception["changeKey"]}"'
        master["changeKey"] = new_change_key()
        master["@odata.etag"] = f'W/"{master["changeKey"]}"'
        collection.touch(master_id)
        return 200, {}, self._render(exception, "event", {})

    def _delete_occurrence(self, collection: Collection, occurrence_id: str):
        master_id, _, day = occurrence_id.partition(".OCC.")
        master = collection.items.get(master_id)
        if master is None:
            raise GraphFailure(404, "ErrorItemNotFound")
        master.get("_exceptions", {}).pop(day, None)
        cancelled = master.setdefault("cancelledOccurrences", [])
        oid = f"OID.{master_id}.{day}"
        if oid not in cancelled:
            cancelled.append(oid)
        master["changeKey"] = new_change_key()
        master["@odata.etag"] = f'W/"{master["changeKey"]}"'
        collection.touch(master_id)
        return 204, {}, None


def _instances(item: dict[str, Any], low: dt.datetime, high: dt.datetime) -> list[dict[str, Any]]:
    """What the calendar view shows of an event between two instants: itself, or its series' occurrences."""
    fields = event_from_graph(item)
    start, end = fields["start"], fields["end"]
    if start is None or end is None:
        return []
    base = {
        "@odata.etag": item["@odata.etag"],
        "subject": item.get("subject", ""),
        "isAllDay": bool(item.get("isAllDay")),
    }
    if not fields["recurrence_rule"]:
        if start < high and end > low:
            return [
                {**base, "id": item["id"], "type": "singleInstance", "start": item.get("start"), "end": item.get("end")}
            ]
        return []
    zone = ZoneInfo(fields["time_zone"])
    local_start = start.astimezone(zone).replace(tzinfo=None)
    rule_text = ";".join(p for p in fields["recurrence_rule"].split(";") if not p.startswith("UNTIL="))
    rule = dateutil_rrule.rrulestr(rule_text, dtstart=local_start)
    end_date = ((item.get("recurrence") or {}).get("range") or {}).get("endDate")
    if end_date and (item.get("recurrence") or {}).get("range", {}).get("type") == "endDate":
        rule = rule.replace(until=dt.datetime.combine(dt.date.fromisoformat(end_date), dt.time(23, 59, 59)))
    cancelled = set(item.get("cancelledOccurrences") or [])
    duration = end - start
    instances = []
    lo_local = (low - duration).astimezone(zone).replace(tzinfo=None)
    for occurrence in itertools.islice(rule.xafter(lo_local, inc=True), MAX_OCCURRENCES):
        instant = occurrence.replace(tzinfo=zone).astimezone(dt.UTC)
        if instant >= high:
            break
        if f"OID.{item['id']}.{occurrence.date().isoformat()}" in cancelled:
            continue
        exception = (item.get("_exceptions") or {}).get(occurrence.date().isoformat())
        if exception is not None:
            moved_start, moved_end = from_graph_datetime(exception["start"]), from_graph_datetime(exception["end"])
            if moved_start and moved_end and moved_start < high and moved_end > low:
                instances.append({**base, **{k: v for k, v in exception.items() if k in _INSTANCE_KEYS}})
            continue
        if instant + duration <= low:
            continue
        instances.append(
            {
                **base,
                "id": f"{item['id']}.OCC.{occurrence.date().isoformat()}",
                "type": "occurrence",
                "seriesMasterId": item["id"],
                "originalStart": instant.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "start": {"dateTime": instant.strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "UTC"},
                "end": {"dateTime": (instant + duration).strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "UTC"},
            }
        )
    return instances


def _kind(path: str) -> str:
    segments = [s for s in path.split("/") if s]
    if segments and segments[-1] == "delta":
        return "delta"
    if segments == ["$batch"]:
        return "$batch"
    named = [s for s in segments[2:] if s in ("contacts", "events", "lists", "tasks", "linkedResources")]
    return named[-1] if named else "other"


def _code(status: int) -> str:
    return {429: "TooManyRequests", 500: "InternalServerError", 503: "ServiceUnavailable", 504: "GatewayTimeout"}.get(
        status, "Error"
    )


def _error(code: str, message: str) -> dict[str, Any]:
    return {
        "error": {"code": code, "message": message, "innerError": {"request-id": secrets.token_hex(8), "date": _now()}}
    }


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _mailbox_of(path: str, body: Any) -> str:
    if path.startswith("/v1.0/$batch") and isinstance(body, dict):
        requests = body.get("requests") or [{}]
        path = "/v1.0" + str((requests[0] or {}).get("url", "")) if isinstance(requests[0], dict) else ""
    segments = [s for s in path.split("/") if s]
    return unquote(segments[2]).lower() if len(segments) > 2 and segments[1] == "users" else ""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: without this, Nagle's algorithm and delayed ACKs add 40 ms to each.
    disable_nagle_algorithm = True
    server: "_Server"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base class names it so)
        if self.server.verbose:
            super().log_message(format, *args)

    def do_GET(self) -> None:  # noqa: N802
        self._serve("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._serve("POST")

    def do_PATCH(self) -> None:  # noqa: N802
        self._serve("PATCH")

    def do_DELETE(self) -> None:  # noqa: N802
        self._serve("DELETE")

    def _serve(self, method: str) -> None:
        state = self.server.state
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._send(413, {}, _error("RequestEntityTooLarge", "Request too large."))
            return
        raw = self.rfile.read(length) if length else b""
        path = urlsplit(self.path).path
        with state.lock:
            state.request_number += 1
        fault = state._take_fault(method, self.path, inner=False)
        if fault and fault.drop and not fault.after:
            self._drop()
            return
        if fault and fault.status:
            retry = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
            with state.lock:
                state.counts[f"injected {fault.status}"] += 1
            self._send(fault.status, retry, _error(_code(fault.status), "Injected failure."))
            return
        # Any tenant id is accepted, so that whatever an admin types in the settings page works.
        tenant_match = _TENANT_PATH.match(path)
        tenant = f"/{tenant_match.group(1)}" if tenant_match else f"/{state.tenant}"
        if path == f"{tenant}/v2.0/.well-known/openid-configuration" and method == "GET":
            base = f"{state.base_url.rsplit('/v1.0', 1)[0]}{tenant}"
            self._send(
                200,
                {},
                {
                    "issuer": f"{base}/v2.0",
                    "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                    "token_endpoint": f"{base}/oauth2/v2.0/token",
                    "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
                    "jwks_uri": f"{base}/discovery/v2.0/keys",
                    "response_types_supported": ["code", "id_token", "token"],
                    "scopes_supported": ["openid"],
                    "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
                },
            )
            return
        if path == f"{tenant}/oauth2/v2.0/token" and method == "POST":
            form = {k: v[-1] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}
            try:
                self._send(200, {}, state.issue_token(form))
            except GraphFailure as failure:
                self._send(failure.status, {}, {"error": failure.code, "error_description": failure.message})
            return
        if not path.startswith("/v1.0/"):
            self._send(404, {}, _error("NotFound", "Unknown path."))
            return
        try:
            state.check_token(self.headers.get("Authorization"))
            body = json.loads(raw) if raw else None
        except GraphFailure as failure:
            self._send(failure.status, {}, _error(failure.code, failure.message))
            return
        except ValueError:
            self._send(400, {}, _error("BadRequest", "Malformed JSON."))
            return
        mailbox = _mailbox_of(path, body)
        # As Outlook counts: a batch runs up to four of its requests at a time against the mailbox.
        weight = min(4, len(body.get("requests") or [])) if path == "/v1.0/$batch" and isinstance(body, dict) else 1
        with state.lock:
            state.in_flight[mailbox] += weight
            state.max_in_flight[mailbox] = max(state.max_in_flight[mailbox], state.in_flight[mailbox])
        try:
            if state.latency:
                time.sleep(state.latency)
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, answer_headers, answer = state.handle(method, self.path[len("/v1.0") :], headers, body)
        finally:
            with state.lock:
                state.in_flight[mailbox] -= weight
        if fault and fault.drop:
            self._drop()
            return
        if 'IdType="ImmutableId"' in self.headers.get("Prefer", ""):
            answer_headers = {**answer_headers, "Preference-Applied": 'IdType="ImmutableId"'}
        self._send(status, answer_headers, answer)

    def _drop(self) -> None:
        with self.server.state.lock:
            self.server.state.counts["dropped"] += 1
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _send(self, status: int, headers: dict[str, str], body: Any) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: GraphState
    verbose = False


class GraphServer:
    """The server on a thread: `base_url`, `authority` and `ca_bundle` are what the client needs."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        state: GraphState | None = None,
        verbose: bool = False,
        ca_bundle: str | None = None,
    ) -> None:
        self.state = state or GraphState()
        self._dir = tempfile.TemporaryDirectory(prefix="graph-server-")
        ca = trustme.CA()
        cert = ca.issue_cert(host, "localhost")
        self.ca_bundle = str(Path(ca_bundle).resolve()) if ca_bundle else str(Path(self._dir.name) / "graph-ca.pem")
        Path(self.ca_bundle).parent.mkdir(parents=True, exist_ok=True)
        ca.cert_pem.write_to_path(self.ca_bundle)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(context)
        self._httpd = _Server((host, port), _Handler)
        self._httpd.socket = context.wrap_socket(self._httpd.socket, server_side=True)
        self._httpd.state = self.state
        self._httpd.verbose = verbose
        self.url = f"https://{host}:{self._httpd.server_address[1]}"
        self.base_url = f"{self.url}/v1.0"
        self.authority = f"{self.url}/{self.state.tenant}"
        self.state.base_url = self.base_url
        self._thread: threading.Thread | None = None

    def start(self) -> "GraphServer":
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="graph-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._dir.cleanup()

    def __enter__(self) -> "GraphServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="A local Microsoft Graph-protocol server for the Outlook sync.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8443)
    parser.add_argument("--verbose", action="store_true", help="log every request")
    parser.add_argument("--ca-bundle", help="where to write the CA certificate (default: a temporary file)")
    parser.add_argument("--client-id", default="local-client", help="the app registration's client id to accept")
    parser.add_argument("--client-secret", default="local-secret", help="the client secret to accept")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every Graph request")
    parser.add_argument("--page-size", type=int, default=200, help="most items per delta page")
    args = parser.parse_args()
    state = GraphState(client_id=args.client_id, client_secret=args.client_secret)
    state.latency, state.max_page_size = args.latency, max(1, args.page_size)
    server = GraphServer(host=args.host, port=args.port, verbose=args.verbose, ca_bundle=args.ca_bundle, state=state)
    print(f"GRAPH_BASE_URL={server.base_url}")
    print(f"GRAPH_AUTHORITY={server.url}")
    print(f"GRAPH_CA_BUNDLE={server.ca_bundle}")
    print(f"App registration: any tenant id, client id {state.client_id}, client secret {state.client_secret}")
    print("Any mailbox address is accepted; stop with Ctrl+C.", flush=True)
    server.start()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
