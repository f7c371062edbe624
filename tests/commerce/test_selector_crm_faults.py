"""The selector's endpoints when the CRM is slow, failing, dropping connections or stopped: each answers 503 with
a clear message within the configured timeout plus 100 ms (also when one typed query needs several searches),
the circuit opens after repeated failures and closes when the CRM recovers, and the sale goes on with the
anonymous customer."""

import time

import pytest
from django.test import override_settings

from commerce.models import Order
from tests.commerce.crm_support import SELECTOR, crm_switch_on, sell
from tests.crmconnector.rest_server import RestCrmServer

pytestmark = pytest.mark.django_db
TIMEOUT = 1.0
MARGIN = 0.1


@pytest.fixture
def crm_on(org_admin, rest_crm):
    return crm_switch_on(org_admin, rest_crm.url, timeout=int(TIMEOUT))


def _timed_search(api, q="alice@example.com"):
    started = time.monotonic()
    response = api.get(f"{SELECTOR}/customers/", {"q": q})
    return response, time.monotonic() - started


def _unavailable(response) -> str:
    assert response.status_code == 503, response.content
    [error] = response.json()["errors"]
    assert error["code"] == "unavailable"
    return error["detail"]


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ({"delay": 3}, "The CRM did not answer in time."),
        ({"trickle": 0.05}, "The CRM did not answer in time."),
        ({"fail_status": 500}, "The CRM failed (HTTP 500)."),
        ({"close_connection": True}, "The CRM could not be reached (the connection failed)."),
    ],
)
def test_a_failing_crm_is_answered_within_the_timeout(key_client, rep, rest_crm, crm_on, fault, message):
    rest_crm.state.add(last_name="Slow", email="alice@example.com")
    for name, value in fault.items():
        setattr(rest_crm.state, name, value)
    api = key_client(rep)
    api.get(f"{SELECTOR}/")  # the session and the connector are set up before the clock starts
    response, elapsed = _timed_search(api)
    assert _unavailable(response) == message
    assert elapsed < TIMEOUT + MARGIN


def test_one_query_that_needs_several_searches_still_answers_within_one_timeout(key_client, rep, rest_crm, crm_on):
    rest_crm.state.delay = 0.4  # each search answers in time; the three two words need would not
    api = key_client(rep)
    api.get(f"{SELECTOR}/")
    response, elapsed = _timed_search(api, q="Nobody Here")
    assert _unavailable(response) == "The CRM did not answer in time."
    assert elapsed < TIMEOUT + MARGIN
    assert rest_crm.state.requests == 3


def test_customers_found_by_a_first_search_are_shown_when_no_time_is_left_for_the_next(
    key_client, rep, rest_crm, crm_on, people
):
    rest_crm.state.delay = 0.6  # in time once; a second search would not be
    api = key_client(rep)
    api.get(f"{SELECTOR}/")
    requests_before = rest_crm.state.requests
    response, elapsed = _timed_search(api, q="Martin")  # by last name first, then by first name
    assert response.status_code == 200, response.content
    assert [row["label"] for row in response.json()["results"]] == ["Alice Martin", "Bob Martinez"]
    assert elapsed < TIMEOUT + MARGIN
    assert rest_crm.state.requests == requests_before + 1  # no search started that could only time out


def test_get_create_and_update_say_so_too(key_client, rep, rest_crm, crm_on):
    customer = rest_crm.state.add(last_name="Kept", email="kept@example.com")
    rest_crm.state.fail_status = 503
    api = key_client(rep)
    assert _unavailable(api.get(f"{SELECTOR}/customers/{customer['id']}/"))
    assert _unavailable(api.post(f"{SELECTOR}/customers/", {"values": {"last_name": "New"}}, format="json"))
    patch = api.patch(f"{SELECTOR}/customers/{customer['id']}/", {"values": {"first_name": "X"}}, format="json")
    assert _unavailable(patch)


@override_settings(CRM_CONNECTOR_CIRCUIT_FAILURES=3, CRM_CONNECTOR_CIRCUIT_PAUSE_SECONDS=1)
def test_the_circuit_opens_after_repeated_failures_and_closes_when_the_crm_recovers(key_client, rep, rest_crm, crm_on):
    rest_crm.state.add(last_name="Back", email="alice@example.com")
    rest_crm.state.fail_status = 500
    api = key_client(rep)
    for _ in range(3):
        assert _unavailable(_timed_search(api)[0]) == "The CRM failed (HTTP 500)."
    response, elapsed = _timed_search(api)
    assert "tried again shortly" in _unavailable(response)
    assert elapsed < 0.1 and rest_crm.state.requests == 3  # answered from the shared cache, the CRM not called

    rest_crm.state.reset_faults()
    assert _timed_search(api)[0].status_code == 503  # still paused
    time.sleep(1.05)
    response, _ = _timed_search(api)
    assert response.status_code == 200 and [r["label"] for r in response.json()["results"]] == ["Back"]
    assert _timed_search(api)[0].status_code == 200 and rest_crm.state.requests == 5


def test_with_the_crm_stopped_the_sale_completes_on_the_anonymous_customer(key_client, org_admin, rep, pen):
    with RestCrmServer() as stopped:
        crm_switch_on(org_admin, stopped.url, timeout=int(TIMEOUT))
    api = key_client(rep)
    response, elapsed = _timed_search(api)
    assert _unavailable(response) == "The CRM could not be reached (the connection failed)."
    assert elapsed < TIMEOUT + MARGIN
    refused = sell(api, pen, customer="C00001")  # a customer the CRM cannot confirm now: nothing is sold
    assert refused.status_code == 503 and Order.objects.count() == 0

    sold = sell(api, pen, anonymous=True)
    assert sold.status_code == 201, sold.content
    order = Order.objects.get(pk=sold.json()["order"])
    assert order.customer.is_anonymous and order.crm_reference == "" and order.crm_category_keys == {}
    assert sold.json()["crm_reference"] == "" and order.paid_amount == order.total == 20
    both = sell(api, pen, customer="C00001", anonymous=True)
    assert both.status_code == 400
