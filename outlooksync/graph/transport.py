"""HTTP to Microsoft Graph: immutable ids, bounded retries, throttling and at most four requests per mailbox.

Every answer is treated as hostile until bounded: bodies are size-limited, Retry-After values capped,
and links Graph hands back (next pages, delta links) must point at the same service as `base_url`,
so that the access token is never sent anywhere else.
"""

import contextlib
import email.utils
import json
import random
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from outlooksync.graph.errors import (
    GraphConflict,
    GraphError,
    GraphNotFound,
    GraphOutcomeUnknown,
    GraphProtocolError,
    GraphUnavailable,
)

IMMUTABLE_IDS = 'IdType="ImmutableId"'
MAX_IN_FLIGHT_PER_MAILBOX = 4
MAX_BODY_BYTES = 16 * 1024 * 1024
# Graph asks for waits of seconds to a few minutes; a longer one is not honoured as is (the run gives up
# earlier and the next run tries again).
MAX_RETRY_AFTER_SECONDS = 120.0
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# Failures that happen before a request reaches Graph: sending it again cannot apply it twice.
NOT_SENT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class MailboxSlots:
    """The four concurrent requests Outlook allows one app per mailbox, taken all at once by weight.

    A plain request takes one slot; a $batch takes as many as Graph runs at a time from it (up to four),
    so that batches and single requests together never exceed the mailbox's limit. A weight is taken
    whole or waited for, so two callers cannot each hold part of what the other needs.
    """

    def __init__(self, size: int = MAX_IN_FLIGHT_PER_MAILBOX) -> None:
        self.size = size
        self._free = size
        self._condition = threading.Condition()

    @contextlib.contextmanager
    def taken(self, weight: int = 1) -> Iterator[None]:
        weight = max(1, min(weight, self.size))
        with self._condition:
            self._condition.wait_for(lambda: self._free >= weight)
            self._free -= weight
        try:
            yield
        finally:
            with self._condition:
                self._free += weight
                self._condition.notify_all()


_slots_lock = threading.Lock()
_slots: dict[tuple[str, str], MailboxSlots] = {}


def mailbox_slots(base_url: str, mailbox: str) -> MailboxSlots:
    """The slots shared by every client of one mailbox in this process."""
    key = (urlsplit(base_url).netloc.lower(), mailbox.lower())
    with _slots_lock:
        if key not in _slots:
            _slots[key] = MailboxSlots()
        return _slots[key]


def retry_after_seconds(value: str | None, *, cap: float = MAX_RETRY_AFTER_SECONDS) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), capped; None when absent."""
    if not value:
        return None
    value = value.strip()[:64]
    try:
        seconds = float(int(value))
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - time.time()
    return max(0.0, min(seconds, cap))


@dataclass
class GraphResponse:
    """A parsed Graph answer."""

    status: int
    headers: Mapping[str, str]
    body: Any = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


@dataclass
class RetryPolicy:
    """How often and how long to retry transient failures."""

    max_attempts: int = 6
    backoff_base: float = 0.5
    backoff_cap: float = 30.0
    max_retry_after: float = MAX_RETRY_AFTER_SECONDS
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)

    def backoff(self, attempt: int) -> float:
        """Exponential back-off with jitter for the given (1-based) failed attempt."""
        delay = min(self.backoff_cap, self.backoff_base * (2 ** (attempt - 1)))
        return delay * (0.5 + random.random() / 2)


def error_from(status: int, body: Any) -> GraphError:
    """The typed error for a Graph error answer."""
    code, message = "", ""
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        code = str(body["error"].get("code", ""))[:100]
        message = str(body["error"].get("message", ""))[:300]
    text = f"Graph answered {status} {code}".strip()
    if message:
        text = f"{text}: {message}"
    if status == 412:
        return GraphConflict(text, status=status, code=code)
    if status == 404:
        return GraphNotFound(text, status=status, code=code)
    if status in RETRY_STATUSES:
        return GraphUnavailable(text, status=status, code=code)
    return GraphError(text, status=status, code=code)


class GraphTransport:
    """Sends requests for one mailbox to Graph with a bearer token from `token`.

    `request` retries 429 and 503 after Retry-After, other 5xx, dropped connections and timeouts with
    exponential back-off, up to `retry.max_attempts` attempts; whatever else Graph answers is returned.
    """

    def __init__(
        self,
        *,
        base_url: str,
        mailbox: str,
        token: Callable[[], str],
        refresh_token: Callable[[], str] | None = None,
        ca_bundle: str | None = None,
        timeout: httpx.Timeout | None = None,
        retry: RetryPolicy | None = None,
        max_body_bytes: int = MAX_BODY_BYTES,
        total_timeout: float = 120.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.mailbox = mailbox
        self._origin = _origin(self.base_url)
        self._token = token
        self._refresh_token = refresh_token
        self.retry = retry or RetryPolicy()
        self.max_body_bytes = max_body_bytes
        self.total_timeout = total_timeout
        self._slots = mailbox_slots(self.base_url, mailbox)
        self._http = httpx.Client(
            verify=ssl.create_default_context(cafile=ca_bundle) if ca_bundle else True,
            trust_env=False,
            timeout=timeout or httpx.Timeout(30.0, connect=10.0),
            limits=httpx.Limits(max_connections=MAX_IN_FLIGHT_PER_MAILBOX * 2),
            follow_redirects=False,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "GraphTransport":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def url(self, path_or_url: str) -> str:
        """The absolute URL of a path under base_url, or a link Graph gave (checked to be the same service)."""
        if path_or_url.startswith(("https://", "http://")):
            if _origin(path_or_url) != self._origin:
                raise GraphProtocolError("Graph handed back a link to another service")
            return path_or_url
        return self.base_url + "/" + path_or_url.lstrip("/")

    def request(
        self,
        method: str,
        path_or_url: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
        prefer: tuple[str, ...] = (),
        idempotent: bool = True,
        weight: int = 1,
    ) -> GraphResponse:
        """Send one request with retries; the last answer is returned (`call` turns errors into exceptions).

        A request that is not `idempotent` (a create without a transactionId) is sent again only when
        Graph certainly did not apply it (the connection could not be made, 429, 503): after a dropped
        connection, a timeout or another 5xx it raises GraphOutcomeUnknown, and the caller looks first.
        `weight` is how many of the mailbox's concurrent requests it stands for (a $batch: up to four).
        """
        url = self.url(path_or_url)
        all_headers = {"Accept": "application/json", "Prefer": ", ".join((IMMUTABLE_IDS, *prefer))}
        all_headers.update(headers or {})
        attempt, refreshed = 0, False
        while True:
            attempt += 1
            try:
                response = self._send(method, url, params, json_body, all_headers, weight)
            except httpx.TransportError as error:
                if _tls_refused(error):
                    # A certificate the CA bundle does not trust stays untrusted: no point in retrying.
                    raise GraphUnavailable("Graph's TLS certificate is not trusted (check GRAPH_CA_BUNDLE)") from None
                if not idempotent and not isinstance(error, NOT_SENT_ERRORS):
                    raise GraphOutcomeUnknown(
                        f"Graph connection failed during the request: {type(error).__name__}"
                    ) from None
                if attempt >= self.retry.max_attempts:
                    raise GraphUnavailable(f"Graph unreachable: {type(error).__name__}") from None
                self.retry.sleep(self.retry.backoff(attempt))
                continue
            if response.status == 401 and self._refresh_token is not None and not refreshed:
                # The token was revoked or expired early: drop it from the cache and try once with a new one.
                refreshed = True
                self._refresh_token()
                continue
            if response.status not in RETRY_STATUSES or attempt >= self.retry.max_attempts:
                return response
            if not idempotent and response.status not in (429, 503):
                return response
            wait = None
            if response.status in (429, 503):
                wait = retry_after_seconds(response.headers.get("retry-after"), cap=self.retry.max_retry_after)
            self.retry.sleep(self.retry.backoff(attempt) if wait is None else wait)

    def call(self, method: str, path_or_url: str, **kwargs: Any) -> Any:
        """`request`, then the body of a success or the typed error."""
        response = self.request(method, path_or_url, **kwargs)
        if not response.ok:
            raise error_from(response.status, response.body)
        return response.body

    def _send(self, method, url, params, json_body, headers, weight) -> GraphResponse:
        request_headers = {**headers, "Authorization": f"Bearer {self._token()}"}
        with self._slots.taken(weight):
            with self._http.stream(method, url, params=params, json=json_body, headers=request_headers) as response:
                declared = response.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > self.max_body_bytes:
                    raise GraphProtocolError("Graph answered a body over the size limit", status=response.status_code)
                chunks, size, deadline = [], 0, time.monotonic() + self.total_timeout
                for chunk in response.iter_bytes():
                    if time.monotonic() > deadline:
                        # Each read is bounded by the read timeout; a body trickling in is bounded here.
                        raise httpx.ReadTimeout("Graph answer took longer than the total timeout")
                    size += len(chunk)
                    if size > self.max_body_bytes:
                        raise GraphProtocolError(
                            "Graph answered a body over the size limit", status=response.status_code
                        )
                    chunks.append(chunk)
                raw = b"".join(chunks)
                status, response_headers = response.status_code, response.headers
        body = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                if 200 <= status < 300:
                    raise GraphProtocolError("Graph answered a body that is not JSON", status=status) from None
        return GraphResponse(status=status, headers=response_headers, body=body)


def collection_values(body: Any, *, limit: int = 1000) -> list[dict[str, Any]]:
    """The items of a collection answer, at most `limit`; an answer without a value list is refused."""
    values = body.get("value") if isinstance(body, dict) else None
    if not isinstance(values, list):
        raise GraphProtocolError("collection answer without a value list")
    return [v for v in values[:limit] if isinstance(v, dict)]


def _tls_refused(error: BaseException) -> bool:
    cause: BaseException | None = error
    for _depth in range(5):
        if cause is None:
            return False
        if isinstance(cause, ssl.SSLCertVerificationError):
            return True
        cause = cause.__cause__ or cause.__context__
    return False


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()
