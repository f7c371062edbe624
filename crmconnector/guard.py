"""What every connector call goes through, whoever wrote the connector.

- The configured timeout bounds the whole call (retry included): the call runs in a worker thread and
  the caller stops waiting at the deadline, so even a CRM that trickles its answer, or a connector
  that forgets its timeout, cannot hold a cashier longer.
- Reads (search, get, health check) are retried once after a network error (a refused or dropped
  connection), within the same deadline. Writes are never retried: the CRM may have done them.
- A circuit breaker per configuration, kept in the shared cache so every web process and worker sees
  it: after N consecutive failures (unavailable, timeout) it opens and calls fail at once; after a
  pause one call is let through (half-open) and its success closes the circuit again.
- The log gets the operation, the outcome, the duration and a hash of the reference: never a value a
  connector received or returned.
"""

import hashlib
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from django.conf import settings as django_settings
from django.core.cache import cache

from crmconnector.connectors.base import (
    CrmConnector,
    CrmCustomer,
    CrmError,
    CrmNetworkError,
    CrmPage,
    CrmTimeout,
    CrmUnavailable,
)

logger = logging.getLogger("crmconnector.calls")

# Threads that run connector calls; a call waits for at most its deadline whatever they are doing.
_executor = ThreadPoolExecutor(max_workers=32, thread_name_prefix="crm-connector")


class CircuitOpen(CrmUnavailable):
    """Calls to this CRM are paused after repeated failures; it is tried again shortly."""

    default_message = "The CRM is not available right now (it failed repeatedly; it is tried again shortly)."


def circuit_failures() -> int:
    return int(django_settings.CRM_CONNECTOR_CIRCUIT_FAILURES)


def circuit_pause_seconds() -> float:
    return float(django_settings.CRM_CONNECTOR_CIRCUIT_PAUSE_SECONDS)


def reference_hash(reference: str | None) -> str:
    """A short, stable, non-reversible tag of a reference for the log."""
    if not reference:
        return "-"
    return hashlib.sha256(str(reference).encode()).hexdigest()[:12]


class CircuitBreaker:
    """Consecutive failures and the open-until time of one configuration, in the shared cache."""

    def __init__(self, name: str):
        self.failures_key = f"crmconnector:circuit:{name}:failures"
        self.open_key = f"crmconnector:circuit:{name}:open_until"
        self.probe_key = f"crmconnector:circuit:{name}:probe"

    def before_call(self, timeout: float) -> tuple[bool, bool]:
        """(state to clear on success, this call is the half-open probe); raises CircuitOpen while open."""
        state = cache.get_many([self.failures_key, self.open_key])
        open_until = state.get(self.open_key)
        if open_until is None:
            return bool(state), False
        if time.time() < open_until:
            raise CircuitOpen()
        # Half-open: one call, in any process, tries the CRM; the others keep failing fast meanwhile.
        if not cache.add(self.probe_key, 1, timeout=max(1, int(timeout) + 2)):
            raise CircuitOpen()
        return True, True

    def succeeded(self) -> None:
        cache.delete_many([self.failures_key, self.open_key, self.probe_key])

    def failed(self, probe: bool) -> None:
        cache.add(self.failures_key, 0, timeout=24 * 3600)
        try:
            failures = cache.incr(self.failures_key)
        except ValueError:  # expired between add and incr
            failures = 1
            cache.set(self.failures_key, 1, timeout=24 * 3600)
        if probe or failures >= circuit_failures():
            pause = circuit_pause_seconds()
            cache.set(self.open_key, time.time() + pause, timeout=int(pause) + 3600)
            cache.delete(self.probe_key)

    def is_open(self) -> bool:
        open_until = cache.get(self.open_key)
        return open_until is not None and time.time() < open_until


class GuardedConnector:
    """A connector with the product's timeout, retry, circuit breaker and privacy-safe logging."""

    READS = frozenset({"search", "get", "health_check"})

    def __init__(self, connector: CrmConnector, *, name: str, timeout: float):
        self.connector = connector
        self.name = name
        self.timeout = float(timeout)
        self.circuit = CircuitBreaker(name)

    def _attempts(self, operation: str, args: tuple, kwargs: dict, deadline: float) -> Any:
        method = getattr(self.connector, operation)
        try:
            return method(*args, **kwargs)
        except CrmNetworkError:
            if operation not in self.READS or time.monotonic() >= deadline:
                raise
            return method(*args, **kwargs)

    def _call(self, operation: str, *args, reference: str | None = None, started: float | None = None, **kwargs) -> Any:
        # `started`: when the caller began (time.monotonic()), so that its own preparation counts against the timeout.
        started = time.monotonic() if started is None else started
        deadline = started + self.timeout
        outcome = "ok"
        try:
            try:
                had_state, probe = self.circuit.before_call(self.timeout)
            except CircuitOpen:
                outcome = "circuit_open"
                raise
            future = _executor.submit(self._attempts, operation, args, kwargs, deadline)
            try:
                result = future.result(timeout=max(0.0, deadline - time.monotonic()))
            except FutureTimeout:
                future.cancel()
                outcome = "timeout"
                self.circuit.failed(probe)
                raise CrmTimeout() from None
            except CrmUnavailable as error:
                outcome = "timeout" if isinstance(error, CrmTimeout) else "unavailable"
                self.circuit.failed(probe)
                raise
            except CrmError as error:
                # The CRM answered (not found, refused values, conflict): it is up.
                outcome = type(error).__name__
                if had_state:
                    self.circuit.succeeded()
                raise
            except Exception:
                # A connector's own bug: reported as unavailable, counted as a failure, traced without values.
                outcome = "connector_error"
                self.circuit.failed(probe)
                logger.error("crm connector %s raised an unexpected error in %s", self.name, operation)
                raise CrmUnavailable("The CRM connector failed.") from None
            if had_state:
                self.circuit.succeeded()
            return result
        finally:
            logger.info(
                "crm call configuration=%s operation=%s outcome=%s duration_ms=%.1f reference=%s",
                self.name,
                operation,
                outcome,
                (time.monotonic() - started) * 1000,
                reference_hash(reference),
            )

    def search(
        self, *, filters: dict[str, str], page: int = 1, page_size: int = 20, started: float | None = None
    ) -> CrmPage:
        return self._call("search", filters=filters, page=page, page_size=page_size, started=started)

    def get(self, reference: str, *, started: float | None = None) -> CrmCustomer:
        return self._call("get", reference, reference=reference, started=started)

    def create(self, values: dict[str, Any], *, started: float | None = None) -> CrmCustomer:
        return self._call("create", values, started=started)

    def update(self, reference: str, values: dict[str, Any], *, started: float | None = None) -> CrmCustomer:
        return self._call("update", reference, values, reference=reference, started=started)

    def health_check(self, *, started: float | None = None) -> None:
        return self._call("health_check", started=started)
