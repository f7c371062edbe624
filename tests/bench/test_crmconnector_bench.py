"""CRM connector: the latency a search through the connector adds over the raw HTTP round trip to a local CRM
(target: at most 5 ms), and the time to answer while the circuit is open (target: under 10 ms)."""

import statistics
import time

import httpx
import pytest
from django.test import override_settings

from crmconnector.connectors import CrmUnavailable
from crmconnector.customers import crm_customer_search
from crmconnector.guard import CircuitOpen
from tests.crmconnector.conftest import make_configuration
from tests.crmconnector.rest_server import RestCrmServer

ROUNDS = 300
TARGET_ADDED_MS = 5.0
TARGET_OPEN_MS = 10.0


@pytest.fixture
def crm():
    with RestCrmServer() as server:
        server.state.api_key = "bench-key"
        for number in range(200):
            server.state.add(
                first_name=f"First{number}",
                last_name=f"Last{number % 40}",
                email=f"customer{number}@example.com",
                phone=f"+34 600 000 {number:03d}",
                category="VIP" if number % 10 == 0 else "STD",
            )
        yield server


@pytest.mark.django_db
def test_added_latency_of_a_search_and_the_open_circuit(org_admin, crm):
    configuration = make_configuration(org_admin, url=crm.url, secret="bench-key", timeout=5)
    filters = {"last_name": "Last7"}
    raw_client = httpx.Client(base_url=crm.url, headers={"X-Api-Key": "bench-key"}, timeout=5)
    params = {"page": 1, "page_size": 20, "last_name": "Last7"}

    def raw():
        response = raw_client.get("/customers", params=params)
        assert response.status_code == 200
        return response.json()

    def through_connector():
        return crm_customer_search(configuration=configuration, filters=filters, page=1, page_size=20)

    assert len(through_connector().customers) == 5 and len(raw()["results"]) == 5
    for _ in range(20):  # warm both connections
        raw()
        through_connector()
    raw_times, connector_times = [], []
    for _ in range(ROUNDS):  # interleaved, so that both see the same machine load
        started = time.perf_counter()
        raw()
        raw_times.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        through_connector()
        connector_times.append((time.perf_counter() - started) * 1000)
    raw_median, connector_median = statistics.median(raw_times), statistics.median(connector_times)
    added = connector_median - raw_median
    print(
        f"\nbench crmconnector_search_added_latency median_added_ms={added:.2f} "
        f"connector_median_ms={connector_median:.2f} raw_http_median_ms={raw_median:.2f} target_ms={TARGET_ADDED_MS}"
    )
    raw_client.close()

    with override_settings(CRM_CONNECTOR_CIRCUIT_FAILURES=3, CRM_CONNECTOR_CIRCUIT_PAUSE_SECONDS=600):
        crm.state.fail_status = 503
        for _ in range(3):
            with pytest.raises(CrmUnavailable):
                through_connector()
        requests_before = crm.state.requests
        open_times = []
        for _ in range(ROUNDS):
            started = time.perf_counter()
            with pytest.raises(CircuitOpen):
                through_connector()
            open_times.append((time.perf_counter() - started) * 1000)
        assert crm.state.requests == requests_before
    open_median = statistics.median(open_times)
    open_p99 = sorted(open_times)[int(len(open_times) * 0.99) - 1]
    print(
        f"bench crmconnector_circuit_open_answer median_ms={open_median:.3f} p99_ms={open_p99:.3f} "
        f"target_ms={TARGET_OPEN_MS}"
    )
    assert added <= TARGET_ADDED_MS
    assert open_median < TARGET_OPEN_MS
