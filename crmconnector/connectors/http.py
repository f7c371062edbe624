"""What HTTP connectors share: an httpx client with the configured timeout, bounded answers, typed errors,
and reading and writing values at dotted JSON paths ("contact.email")."""

import json
import os
import ssl
from functools import cache
from typing import Any

import certifi
import httpx

from crmconnector.connectors.base import (
    CrmConflict,
    CrmNetworkError,
    CrmNotFound,
    CrmTimeout,
    CrmUnavailable,
    CrmValidationError,
)

# An answer larger than this is not a page of customers: refused rather than read into memory.
MAX_ANSWER_BYTES = 2 * 1024 * 1024
# A value longer than this is cut: no property of a customer is a book.
MAX_VALUE_CHARS = 10_000
MAX_MESSAGES_PER_FIELD = 5
MAX_MESSAGE_CHARS = 300


@cache
def _ssl_context() -> ssl.SSLContext:
    # Loading the CA bundle takes tens of milliseconds: once per process, not once per configuration.
    return ssl.create_default_context(cafile=os.environ.get("SSL_CERT_FILE") or certifi.where())


class JsonHttp:
    """One CRM's HTTP client: kept per configuration so connections are reused."""

    def __init__(
        self,
        *,
        base_url: str,
        timeout: float,
        auth: httpx.Auth | tuple[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ):
        self.client = httpx.Client(
            base_url=base_url.rstrip("/"),
            timeout=httpx.Timeout(timeout),
            auth=auth,
            headers={"Accept": "application/json", **(headers or {})},
            follow_redirects=False,
            verify=_ssl_context(),
        )

    def close(self) -> None:
        self.client.close()

    def request(self, method: str, path: str, *, params=None, json_body=None) -> tuple[int, Any]:
        """(status, decoded JSON answer or None). Network failures and timeouts become typed errors."""
        try:
            with self.client.stream(method, path, params=params, json=json_body) as response:
                body = bytearray()
                for chunk in response.iter_bytes():
                    body.extend(chunk)
                    if len(body) > MAX_ANSWER_BYTES:
                        raise CrmUnavailable("The CRM's answer is too large.")
                status = response.status_code
        except httpx.TimeoutException:
            raise CrmTimeout() from None  # the transport's error names the request: not carried along
        except httpx.TransportError:
            raise CrmNetworkError() from None
        if not body.strip():
            return status, None
        try:
            return status, json.loads(body)
        except (ValueError, RecursionError):
            if status >= 500:
                return status, None
            raise CrmUnavailable("The CRM's answer is not JSON.")


def raise_for_status(status: int, *, errors: dict[str, list[str]] | None = None) -> None:
    """The typed error of a failed answer (validation errors are the caller's: it knows their shape)."""
    if status < 300:
        return
    if status == 404:
        raise CrmNotFound()
    if status in (409, 412):
        raise CrmConflict()
    if status in (400, 422):
        raise CrmValidationError(errors or {"": ["The CRM refused the values."]})
    if status in (401, 403):
        raise CrmUnavailable("The CRM refused the configured credentials.")
    if status == 429:
        raise CrmUnavailable("The CRM is busy (too many requests).")
    raise CrmUnavailable(f"The CRM failed (HTTP {status}).")


def json_path_get(data: Any, path: str) -> Any:
    """The value at a dotted path ("" is the data itself); None when any step is missing."""
    if not path:
        return data
    for step in path.split("."):
        if isinstance(data, dict):
            data = data.get(step)
        elif isinstance(data, list) and step.isdigit() and int(step) < len(data):
            data = data[int(step)]
        else:
            return None
    return data


def json_path_set(data: dict, path: str, value: Any) -> None:
    """Set a value at a dotted path, making the objects on the way."""
    steps = path.split(".")
    for step in steps[:-1]:
        child = data.get(step)
        if not isinstance(child, dict):
            child = data[step] = {}
        data = child
    data[steps[-1]] = value


def scalar(value: Any) -> Any:
    """A value safe to show as one property: text cut to a bound, numbers and booleans kept, the rest dropped."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return value[:MAX_VALUE_CHARS]
    return None


def bounded_messages(raw: Any) -> list[str]:
    """Messages of one field from a CRM's error answer, as a short list of short texts."""
    items = raw if isinstance(raw, list) else [raw]
    messages = []
    for item in items[:MAX_MESSAGES_PER_FIELD]:
        if isinstance(item, dict):
            item = item.get("detail") or item.get("message")
        if isinstance(item, str) and item.strip():
            messages.append(item.strip()[:MAX_MESSAGE_CHARS])
    return messages
