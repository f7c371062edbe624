"""A CRM that is slow, failing or dropping connections: every call answers within the timeout plus 100 ms, the
circuit opens after repeated failures (for every process) and closes again when the CRM recovers."""

import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import override_settings

from crmconnector.connectors import CrmNetworkError, CrmTimeout, CrmUnavailable
from crmconnector.customers import crm_customer_create, crm_customer_get, crm_customer_search, crm_customer_update
from crmconnector.guard import CircuitOpen
from crmconnector.services import crm_runtime

pytestmark = pytest.mark.django_db
TIMEOUT = 1.0  # the configurations of these tests (see conftest: timeout=...)
MARGIN = 0.1
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def configuration(org_admin, rest_crm):
    from tests.crmconnector.conftest import make_configuration

    return make_configuration(org_admin, url=rest_crm.url, secret="test-crm-key", timeout=int(TIMEOUT))


def _timed(call):
    started = time.monotonic()
    try:
        call()
    except Exception as error:
        return error, time.monotonic() - started
    return None, time.monotonic() - started


def _search(configuration):
    return lambda: crm_customer_search(configuration=configuration, filters={"email": "x@example.com"})


def test_a_crm_answering_beyond_the_timeout(configuration, rest_crm):
    rest_crm.state.delay = 3
    error, elapsed = _timed(_search(configuration))
    assert isinstance(error, CrmTimeout)
    assert elapsed < TIMEOUT + MARGIN


def test_a_crm_trickling_its_answer_is_cut_at_the_timeout(configuration, rest_crm):
    rest_crm.state.add(last_name="Slow", email="slow@example.com")
    rest_crm.state.trickle = 0.05  # each byte comes well within the read timeout, the whole answer does not
    error, elapsed = _timed(_search(configuration))
    assert isinstance(error, CrmTimeout)
    assert elapsed < TIMEOUT + MARGIN


def test_a_crm_answering_500(configuration, rest_crm):
    rest_crm.state.fail_status = 500
    error, elapsed = _timed(_search(configuration))
    assert isinstance(error, CrmUnavailable) and str(error) == "The CRM failed (HTTP 500)."
    assert elapsed < TIMEOUT + MARGIN
    assert rest_crm.state.requests == 1  # a 500 is an answer: not retried


def test_a_closed_connection_is_retried_once_for_reads_and_never_for_writes(configuration, rest_crm):
    rest_crm.state.close_connection = True
    error, elapsed = _timed(_search(configuration))
    assert isinstance(error, CrmNetworkError) and elapsed < TIMEOUT + MARGIN
    assert rest_crm.state.requests == 2
    error, elapsed = _timed(lambda: crm_customer_get(configuration=configuration, reference="C00001"))
    assert isinstance(error, CrmNetworkError) and rest_crm.state.requests == 4
    error, _ = _timed(lambda: crm_customer_create(configuration=configuration, values={"last_name": "Once"}))
    assert isinstance(error, CrmNetworkError) and rest_crm.state.requests == 5
    error, _ = _timed(
        lambda: crm_customer_update(configuration=configuration, reference="C00001", values={"last_name": "Once"})
    )
    assert isinstance(error, CrmNetworkError) and rest_crm.state.requests == 6


def test_a_read_succeeds_when_only_the_first_connection_drops(configuration, rest_crm):
    customer = rest_crm.state.add(last_name="Retry", email="retry@example.com")
    rest_crm.state.close_next = 1
    found = crm_customer_get(configuration=configuration, reference=customer["id"])
    assert found.values["last_name"] == "Retry"
    assert rest_crm.state.requests == 2


@override_settings(CRM_CONNECTOR_CIRCUIT_FAILURES=3, CRM_CONNECTOR_CIRCUIT_PAUSE_SECONDS=1)
def test_the_circuit_opens_after_repeated_failures_and_closes_when_the_crm_recovers(configuration, rest_crm):
    rest_crm.state.fail_status = 503
    for _ in range(3):
        error, _ = _timed(_search(configuration))
        assert isinstance(error, CrmUnavailable) and not isinstance(error, CircuitOpen)
    assert rest_crm.state.requests == 3
    error, elapsed = _timed(_search(configuration))
    assert isinstance(error, CircuitOpen) and elapsed < 0.05  # no request: the cache only
    assert rest_crm.state.requests == 3  # the CRM was not called
    assert "tried again shortly" in str(error)

    # Another process sees the same circuit (it is in the shared cache, not in this process).
    circuit = crm_runtime(configuration).connector.circuit
    assert _circuit_seen_by_another_process(circuit) == repr(cache.get(circuit.open_key))

    # Still failing after the pause: the one probe fails and the circuit opens again.
    time.sleep(1.05)
    error, _ = _timed(_search(configuration))
    assert isinstance(error, CrmUnavailable) and rest_crm.state.requests == 4
    error, _ = _timed(_search(configuration))
    assert isinstance(error, CircuitOpen) and rest_crm.state.requests == 4

    # Recovered: the probe after the pause succeeds and closes the circuit.
    rest_crm.state.reset_faults()
    time.sleep(1.05)
    page = crm_customer_search(configuration=configuration, filters={})
    assert page.customers == []
    assert not crm_runtime(configuration).connector.circuit.is_open()
    crm_customer_search(configuration=configuration, filters={})
    assert rest_crm.state.requests == 6


@override_settings(CRM_CONNECTOR_CIRCUIT_FAILURES=2, CRM_CONNECTOR_CIRCUIT_PAUSE_SECONDS=30)
def test_timeouts_open_the_circuit_and_answers_that_refuse_do_not(configuration, rest_crm):
    from crmconnector.connectors import CrmNotFound

    for _ in range(3):
        with pytest.raises(CrmNotFound):
            crm_customer_get(configuration=configuration, reference="C404")
    assert not crm_runtime(configuration).connector.circuit.is_open()
    rest_crm.state.delay = 2
    for _ in range(2):
        _, elapsed = _timed(_search(configuration))
        assert elapsed < TIMEOUT + MARGIN
    error, elapsed = _timed(_search(configuration))
    assert isinstance(error, CircuitOpen) and elapsed < 0.05  # no request: the cache only


def _circuit_seen_by_another_process(circuit) -> str:
    cache_location = settings.CACHES["default"]["LOCATION"]
    env = {**os.environ, "REDIS_URL": cache_location if cache_location.startswith("redis") else ""}
    code = (
        "import django; django.setup(); from django.core.cache import cache; "
        f"print(repr(cache.get({circuit.open_key!r})))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "backoffice.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.strip()


def test_nothing_personal_is_logged(configuration, rest_crm, caplog):
    personal = ["alice@example.com", "Alice", "Martin", "+34 600 111 222", "Carol", "Kingsley", "carol@example.com"]
    alice = rest_crm.state.add(
        first_name="Alice", last_name="Martin", email="alice@example.com", phone="+34 600 111 222"
    )
    caplog.set_level(logging.DEBUG)
    crm_customer_search(configuration=configuration, filters={"email": "alice@example.com", "last_name": "Martin"})
    crm_customer_get(configuration=configuration, reference=alice["id"])
    created = crm_customer_create(
        configuration=configuration,
        values={"first_name": "Carol", "last_name": "Kingsley", "email": "carol@example.com"},
    )
    crm_customer_update(configuration=configuration, reference=created.reference, values={"phone": "+34 600 111 222"})
    with pytest.raises(Exception):
        crm_customer_update(configuration=configuration, reference=created.reference, values={"email": "c@k.invalid"})
    rest_crm.state.fail_status = 500
    with pytest.raises(CrmUnavailable):
        crm_customer_search(configuration=configuration, filters={"email": "alice@example.com"})
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "crm call" in text and "operation=search" in text and "reference=" in text
    for value in [*personal, "c@k.invalid", "alice%40example.com"]:
        assert value not in text, value
    assert alice["id"] not in "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("crmconnector"))
