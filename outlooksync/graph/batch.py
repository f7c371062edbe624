"""JSON $batch writes (and reads): up to 20 requests per batch, each inner answer handled on its own.

An inner 429 or 503 is sent again after its Retry-After, another 5xx after a back-off, a 424 (its
dependency failed) again together with its dependency; a 412 comes back as GraphConflict for the caller
to re-read the item. Batches are sent in parallel, bounded by the mailbox's semaphore.
"""

import itertools
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from outlooksync.graph.errors import GraphError, GraphOutcomeUnknown, GraphProtocolError, GraphUnavailable
from outlooksync.graph.transport import (
    IMMUTABLE_IDS,
    MAX_IN_FLIGHT_PER_MAILBOX,
    RETRY_STATUSES,
    GraphTransport,
    error_from,
    retry_after_seconds,
)

MAX_BATCH = 20


@dataclass
class BatchRequest:
    """One inner request; `url` is relative to the version root (such as "/users/{id}/contacts")."""

    id: str
    method: str
    url: str
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    depends_on: Sequence[str] = ()
    # False for a create Graph cannot recognize when sent twice (contacts, tasks): see GraphOutcomeUnknown.
    idempotent: bool = True


@dataclass
class BatchResult:
    """The final answer to one inner request: its body on success, its typed error otherwise."""

    id: str
    status: int
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    error: GraphError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def run_batch(transport: GraphTransport, requests: Iterable[BatchRequest]) -> dict[str, BatchResult]:
    """Send `requests` in batches of up to 20 and return the final result of each, by request id."""
    pending = {request.id: request for request in requests}
    for request in pending.values():
        if not request.url.startswith("/") or request.url.startswith("//"):
            raise ValueError(f"batch request {request.id} needs a relative url")
        missing = [dep for dep in request.depends_on if dep not in pending]
        if missing:
            raise ValueError(f"batch request {request.id} depends on unknown {missing}")
    results: dict[str, BatchResult] = {}
    if not pending:
        return results
    policy = transport.retry
    attempt = 0
    with ThreadPoolExecutor(max_workers=MAX_IN_FLIGHT_PER_MAILBOX) as pool:
        while pending:
            attempt += 1
            chunks = _chunks(pending, results)
            answers = list(pool.map(lambda chunk: _send(transport, chunk), chunks))
            retry, wait = {}, 0.0
            for chunk, answer in zip(chunks, answers, strict=True):
                for request in chunk:
                    inner = answer.get(request.id)
                    if inner is None:
                        inner = BatchResult(request.id, 0, error=GraphProtocolError("no answer in the batch"))
                    if not request.idempotent and inner.status >= 500 and inner.status != 503:
                        unknown = GraphOutcomeUnknown(str(inner.error), status=inner.status)
                        inner = BatchResult(request.id, inner.status, inner.body, inner.headers, unknown)
                    retryable = isinstance(inner.error, GraphOutcomeUnknown) is False and (
                        inner.status in RETRY_STATUSES or inner.status == 424
                    )
                    if retryable and attempt < policy.max_attempts:
                        retry[request.id] = request
                        if inner.status in (429, 503):
                            seconds = retry_after_seconds(inner.headers.get("retry-after"), cap=policy.max_retry_after)
                            wait = max(wait, policy.backoff(attempt) if seconds is None else seconds)
                        elif inner.status != 424:
                            wait = max(wait, policy.backoff(attempt))
                    else:
                        results[request.id] = inner
            # A 424 whose dependency is final (failed for good) is final too, with the dependency's error.
            for request_id, request in list(retry.items()):
                failed = [dep for dep in request.depends_on if dep in results and not results[dep].ok]
                if failed:
                    del retry[request_id]
                    cause = results[failed[0]].error
                    results[request_id] = BatchResult(
                        request_id, 424, error=GraphError(f"dependency failed: {cause}", status=424)
                    )
            pending = retry
            if pending and wait:
                policy.sleep(wait)
    return results


def _chunks(pending: dict[str, BatchRequest], done: dict[str, BatchResult]) -> list[list[BatchRequest]]:
    """Pending requests in chunks of 20, each request in the chunk of the dependencies still pending."""
    groups: list[list[BatchRequest]] = []
    group_of: dict[str, int] = {}
    for request in pending.values():
        deps = [dep for dep in request.depends_on if dep in pending]
        index = next((group_of[dep] for dep in deps if dep in group_of), None)
        if index is None or len(groups[index]) >= MAX_BATCH:
            if deps and index is not None:
                raise GraphError("a dependency chain longer than one batch")
            groups.append([])
            index = len(groups) - 1
        groups[index].append(request)
        group_of[request.id] = index
    # Merge small groups into full batches.
    chunks: list[list[BatchRequest]] = []
    for group in sorted(groups, key=len, reverse=True):
        target = next((chunk for chunk in chunks if len(chunk) + len(group) <= MAX_BATCH), None)
        if target is None:
            chunks.append(list(group))
        else:
            target.extend(group)
    return chunks


def _send(transport: GraphTransport, chunk: list[BatchRequest]) -> dict[str, BatchResult]:
    """One $batch request; its inner answers by id (a failed outer request fails every inner one)."""
    ids = {request.id for request in chunk}
    payload = {"requests": [_inner(request, ids) for request in chunk]}
    idempotent = all(request.idempotent for request in chunk)
    try:
        # Graph runs up to four requests of a batch at a time against the mailbox: the batch takes as many slots.
        response = transport.request(
            "POST",
            "$batch",
            json_body=payload,
            headers={"Content-Type": "application/json"},
            idempotent=idempotent,
            weight=min(MAX_IN_FLIGHT_PER_MAILBOX, len(chunk)),
        )
    except GraphOutcomeUnknown as error:
        return {request.id: _unknown_or_retry(request, error) for request in chunk}
    except GraphUnavailable as error:
        return {request.id: BatchResult(request.id, 503, error=error) for request in chunk}
    if not response.ok:
        error = error_from(response.status, response.body)
        if not idempotent and response.status >= 500 and response.status not in (429, 503):
            unknown = GraphOutcomeUnknown(str(error), status=response.status, code=error.code)
            return {request.id: _unknown_or_retry(request, unknown) for request in chunk}
        return {request.id: BatchResult(request.id, response.status, error=error) for request in chunk}
    answers = response.body.get("responses") if isinstance(response.body, dict) else None
    if not isinstance(answers, list) or len(answers) > MAX_BATCH:
        raise GraphProtocolError("$batch answer without a bounded responses list")
    results: dict[str, BatchResult] = {}
    for answer in itertools.islice(answers, MAX_BATCH):
        if not isinstance(answer, dict) or str(answer.get("id")) not in ids:
            continue
        status = answer.get("status")
        if not isinstance(status, int):
            continue
        headers = answer.get("headers") if isinstance(answer.get("headers"), dict) else {}
        headers = {str(k).lower(): str(v)[:200] for k, v in itertools.islice(headers.items(), 50)}
        body = answer.get("body")
        result = BatchResult(str(answer["id"]), status, body, headers)
        if not 200 <= status < 300:
            result.error = error_from(status, body)
        results[result.id] = result
    return results


def _unknown_or_retry(request: BatchRequest, error: GraphOutcomeUnknown) -> BatchResult:
    """An idempotent request of a failed batch is simply sent again; the others are reported as unknown."""
    if request.idempotent:
        return BatchResult(request.id, 503, error=error)
    return BatchResult(request.id, 0, error=error)


def _inner(request: BatchRequest, ids: set[str]) -> dict[str, Any]:
    inner: dict[str, Any] = {"id": request.id, "method": request.method, "url": request.url}
    # Headers of the $batch request do not reach the inner requests: each asks for immutable ids itself.
    headers = {"Prefer": IMMUTABLE_IDS, **request.headers}
    if request.body is not None:
        inner["body"] = request.body
        headers.setdefault("Content-Type", "application/json")
    if headers:
        inner["headers"] = headers
    depends = [dep for dep in request.depends_on if dep in ids]
    if depends:
        inner["dependsOn"] = depends
    return inner
