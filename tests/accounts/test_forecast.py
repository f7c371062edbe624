"""The forecast: figures on a hand-computed data set, "compare to date" from the history, the page and the API."""

import datetime as dt
import zoneinfo
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.choices import OpportunityStatus
from accounts.forecast import forecast_compare, forecast_end_of_day, forecast_get
from accounts.models import Opportunity
from accounts.services import opportunity_change_status
from tests.factories import OpportunityFactory, UserFactory
from tests.factories.api import CRM_API, error_attrs

pytestmark = pytest.mark.django_db

UTC = dt.UTC
FORECAST_API = f"{CRM_API}/forecast/"
MARCH_1, APRIL_30 = dt.date(2025, 3, 1), dt.date(2025, 4, 30)


def D(value: str) -> Decimal:
    return Decimal(value)


def figures(count, total, weighted) -> dict:
    return {"count": count, "total": D(total), "weighted": D(weighted)}


@pytest.fixture
def rep2(organization):
    return UserFactory(username="rep2", organization=organization)


@pytest.fixture
def deals(rep, rep2, manager, outsider):
    """Open deals at and just outside the range edges, two with no close date, closed ones and another org's.

    weighted = budget x probability / 100:
      A rep   2025-03-01  1000.00 x 10 % =  100.00
      B rep   2025-04-30  2500.50 x 35 % =  875.175
      C rep2  2025-03-15   333.33 x 33 % =  109.9989
      D mgr   2025-02-28  5000.00 x 50 % = 2500.00   (day before the range)
      E mgr   2025-05-01  7000.00 x 80 % = 5600.00   (day after the range)
      J rep   2025-04-01  no budget x 40 % =   0.00
      F rep   no date     1200.00 x 25 % =  300.00   (indeterminate)
      G rep2  no date      800.10 x 60 % =  480.06   (indeterminate)
    """

    def make(key, owner, close, budget, probability, **extra):
        budget = None if budget is None else D(budget)
        return OpportunityFactory(
            name=key,
            owner=owner,
            expected_close_date=close,
            budget_amount=budget,
            budget_amount_base=budget,
            probability=D(probability),
            **extra,
        )

    rows = {
        "A": make("A", rep, MARCH_1, "1000.00", "10"),
        "B": make("B", rep, APRIL_30, "2500.50", "35"),
        "C": make("C", rep2, dt.date(2025, 3, 15), "333.33", "33"),
        "D": make("D", manager, dt.date(2025, 2, 28), "5000.00", "50"),
        "E": make("E", manager, dt.date(2025, 5, 1), "7000.00", "80"),
        "J": make("J", rep, dt.date(2025, 4, 1), None, "40"),
        "F": make("F", rep, None, "1200.00", "25"),
        "G": make("G", rep2, None, "800.10", "60"),
        # Closed deals never count, whatever their dates.
        "won": make("won", rep, dt.date(2025, 3, 10), "9999.00", "100", status=OpportunityStatus.WON),
        "lost": make("lost", rep, dt.date(2025, 3, 10), "4444.00", "0", status=OpportunityStatus.LOST),
        "lost-nodate": make("lost-nodate", rep, None, "4444.00", "0", status=OpportunityStatus.LOST),
        "other-org": make("other-org", outsider, dt.date(2025, 3, 10), "100000.00", "90"),
    }
    return SimpleNamespace(**{key.replace("-", "_"): row for key, row in rows.items()})


def only_figures(result: dict) -> dict:
    return {key: result[key] for key in ("count", "total", "weighted")}


def test_forecast_of_every_open_deal(rep, deals):
    result = forecast_get(actor=rep)
    assert only_figures(result) == figures(6, "15833.83", "9185.17")
    assert result["indeterminate"] == figures(2, "2000.10", "780.06")
    assert result["currency"] == "USD" and result["as_of"] is None


def test_close_date_range_includes_both_ends_and_keeps_the_indeterminate(rep, deals):
    result = forecast_get(actor=rep, date_from=MARCH_1, date_to=APRIL_30)
    assert only_figures(result) == figures(4, "3833.83", "1085.17")
    assert result["indeterminate"] == figures(2, "2000.10", "780.06")
    # By month for the chart; the totals add the exact values, not the rounded months (210.00 + 875.18).
    assert result["months"] == [
        {"month": dt.date(2025, 3, 1), **figures(2, "1333.33", "210.00")},
        {"month": dt.date(2025, 4, 1), **figures(2, "2500.50", "875.18")},
    ]
    open_ended = forecast_get(actor=rep, date_from=dt.date(2025, 4, 30))
    assert only_figures(open_ended) == figures(2, "9500.50", "6475.18")


def test_owner_filter(rep, rep2, manager, deals):
    mine = forecast_get(actor=manager, owners=[rep], date_from=MARCH_1, date_to=APRIL_30)
    assert only_figures(mine) == figures(3, "3500.50", "975.18")  # 975.175 rounds half up
    assert mine["indeterminate"] == figures(1, "1200.00", "300.00")
    both = forecast_get(actor=rep, owners=[rep2.pk, manager.pk])
    assert only_figures(both) == figures(3, "12333.33", "8210.00")  # 8209.9989
    assert both["indeterminate"] == figures(1, "800.10", "480.06")


def test_other_organization_sees_only_its_own(outsider, deals):
    result = forecast_get(actor=outsider)
    assert only_figures(result) == figures(1, "100000.00", "90000.00")
    assert result["indeterminate"] == figures(0, "0.00", "0.00")


def test_forecast_is_one_query_per_snapshot(rep, deals, django_assert_num_queries):
    with django_assert_num_queries(1):
        forecast_get(actor=rep, owners=[rep], date_from=MARCH_1, date_to=APRIL_30)
    # The current figures, then `SET LOCAL jit = off` and the correction for what changed since.
    with django_assert_num_queries(3):
        forecast_compare(actor=rep, compare_to=dt.date(2024, 6, 10))


# ---------------------------------------------------------------- compare to date


def backdate(opportunity_id: int, when: dt.datetime) -> None:
    """Move the opportunity's latest history row to `when`, as if the change had happened then."""
    history = Opportunity.history.filter(id=opportunity_id).order_by("-history_id")
    history.model.objects.filter(history_id=history.values("history_id")[:1]).update(history_date=when)


@pytest.fixture
def story(rep, manager, deals):
    """Everything was entered on 2024-06-10; B's budget grew on the 11th; today C was won, F deleted, N opened.

    The organization is in Europe/Berlin: 23:30 there on the 10th is still the 10th, 00:30 on the 11th is not.
    """
    day_one = dt.datetime(2024, 6, 10, 8, 0, tzinfo=UTC)
    Opportunity.history.model.objects.update(history_date=day_one)
    # A's probability changed late in the evening of the 10th, Berlin time (21:30 UTC).
    deals.A.probability = D("20")
    deals.A.save()
    backdate(deals.A.pk, dt.datetime(2024, 6, 10, 21, 30, tzinfo=UTC))
    # B's budget grew half an hour after midnight on the 11th, Berlin time (22:30 UTC on the 10th).
    deals.B.budget_amount = deals.B.budget_amount_base = D("4000.00")
    deals.B.save()
    backdate(deals.B.pk, dt.datetime(2024, 6, 10, 22, 30, tzinfo=UTC))
    opportunity_change_status(actor=manager, opportunity=deals.C, status=OpportunityStatus.WON)
    deals.F.delete()
    OpportunityFactory(
        name="N",
        owner=rep,
        expected_close_date=dt.date(2025, 4, 2),
        budget_amount=D("600.00"),
        budget_amount_base=D("600.00"),
        probability=D("50"),
    )
    return deals


def test_compare_to_gives_the_figures_as_they_stood_at_the_end_of_that_day(rep, story):
    # End of the 10th: A at 20 %, B still 2500.50, C open, F there, N not yet.
    result = forecast_compare(actor=rep, date_from=MARCH_1, date_to=APRIL_30, compare_to=dt.date(2024, 6, 10))
    earlier = result["earlier"]
    assert only_figures(earlier) == figures(4, "3833.83", "1185.17")  # 200 + 875.175 + 109.9989
    assert earlier["indeterminate"] == figures(2, "2000.10", "780.06")
    assert earlier["as_of"] == forecast_end_of_day(actor=rep, day=dt.date(2024, 6, 10))
    assert earlier["as_of"] == dt.datetime(2024, 6, 10, 22, 0, tzinfo=UTC)

    # Now: A 20 % (200), B 4000 x 35 % (1400), J, N 600 x 50 % (300); C won, F deleted.
    current = result["current"]
    assert only_figures(current) == figures(4, "5600.00", "1900.00")
    assert current["indeterminate"] == figures(1, "800.10", "480.06")
    assert result["difference"] == {
        "count": 0,
        "total": D("1766.17"),
        "weighted": D("714.83"),
        "indeterminate": figures(-1, "-1200.00", "-300.00"),
    }


def test_compare_to_the_next_day_sees_the_later_change(rep, story):
    earlier = forecast_get(actor=rep, date_from=MARCH_1, date_to=APRIL_30, as_of=dt.date(2024, 6, 11))
    # B at 4000 (1400 weighted), C still open, N not yet: 200 + 1400 + 109.9989.
    assert only_figures(earlier) == figures(4, "5333.33", "1710.00")
    assert earlier["indeterminate"] == figures(2, "2000.10", "780.06")


def test_compare_to_before_anything_existed_is_empty(rep, story):
    earlier = forecast_get(actor=rep, as_of=dt.date(2024, 6, 9))
    assert only_figures(earlier) == figures(0, "0.00", "0.00")
    assert earlier["indeterminate"] == figures(0, "0.00", "0.00") and earlier["months"] == []


def test_compare_to_filters_on_the_owner_as_it_was(rep, rep2, manager, story):
    # G moves from rep2 to rep today; on the 10th it was still rep2's.
    story.G.owner = rep
    story.G.save()
    earlier = forecast_get(actor=manager, owners=[rep], as_of=dt.date(2024, 6, 10))
    assert earlier["indeterminate"] == figures(1, "1200.00", "300.00")
    now = forecast_get(actor=manager, owners=[rep])
    assert now["indeterminate"] == figures(1, "800.10", "480.06")


def test_compare_to_ignores_other_organizations_history(outsider, story):
    earlier = forecast_get(actor=outsider, as_of=dt.date(2024, 6, 10))
    assert only_figures(earlier) == figures(1, "100000.00", "90000.00")


# ---------------------------------------------------------------- the page


def test_forecast_page_shows_the_figures_and_the_comparison(session_client, rep, story):
    client = session_client(rep)
    response = client.get(
        reverse("accounts:forecast"),
        {"date_from": "2025-03-01", "date_to": "2025-04-30", "compare_to": "2024-06-10", "owner": [rep.pk]},
    )
    assert response.status_code == 200
    html = response.content.decode()
    # rep's deals now: A 1000 (200), B 4000 (1400), J, N 600 (300).
    assert 'data-figure="total">5,600.00 USD' in html
    assert 'data-figure="weighted">1,900.00 USD' in html
    assert "As it stood at the end of 2024-06-10" in html
    # rep's deals then: A 1000 (200), B 2500.50 (875.175), J.
    assert 'data-figure="total">3,500.50 USD' in html
    assert 'data-difference="total">+2,099.50 since 2024-06-10' in html
    assert "vendor/plotly/plotly.min.js" in html and 'id="forecast-data"' in html
    assert response.context["chart"]["earlier"]


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"date_from": "2025-05-01", "date_to": "2025-03-01"}, "date_to", "before its start"),
        ({"date_from": "2025-13-45"}, "date_from", "valid date"),
        ({"compare_to": "2999-01-01"}, "compare_to", "earlier date"),
        ({"owner": ["999999"]}, "owner", "not one of the available choices"),
    ],
)
def test_forecast_page_explains_bad_filters(session_client, rep, deals, query, field, message):
    response = session_client(rep).get(reverse("accounts:forecast"), query)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-error-for="{field}"' in html and message in html
    assert 'id="forecast-invalid"' in html


def test_forecast_page_owner_choices_are_the_organizations_users(session_client, rep, outsider, deals):
    response = session_client(rep).get(reverse("accounts:forecast"), {"owner": [outsider.pk]})
    assert 'data-error-for="owner"' in response.content.decode()
    owner_choices = {user.username for user in response.context["form"].fields["owner"].queryset}
    assert "outsider" not in owner_choices and "rep1" in owner_choices


# Pinned at two data sizes: the current figures, `SET LOCAL jit = off` and the correction for what changed
# since the date, with the session, the user and the filters around them.
# The owner picker reads only the owners chosen (none here): it searches the others as one types.
FORECAST_PAGE_QUERIES = 6
FORECAST_API_QUERIES = 4


def count_queries(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params or {}).status_code == 200
    return len(queries)


def test_forecast_page_queries_do_not_grow_with_the_deals(session_client, rep):
    client = session_client(rep)
    params = {"compare_to": (timezone.localdate() - dt.timedelta(days=1)).isoformat()}
    OpportunityFactory.create_batch(3, owner=rep)
    assert count_queries(client, reverse("accounts:forecast"), params) == FORECAST_PAGE_QUERIES
    OpportunityFactory.create_batch(27, owner=rep, expected_close_date=None)
    OpportunityFactory.create_batch(3, owner=rep, expected_close_date=dt.date(2031, 1, 5))
    assert count_queries(client, reverse("accounts:forecast"), params) == FORECAST_PAGE_QUERIES


# ---------------------------------------------------------------- the API


def test_forecast_api_gives_the_same_figures(key_client, rep, rep2, story):
    response = key_client(rep).get(
        FORECAST_API,
        {"owner": [rep.pk, rep2.pk], "date_from": "2025-03-01", "date_to": "2025-04-30", "compare_to": "2024-06-10"},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    current, earlier = body["current"], body["earlier"]
    assert (current["count"], current["total"], current["weighted"]) == (4, "5600.00", "1900.00")
    assert current["indeterminate"] == {"count": 1, "total": "800.10", "weighted": "480.06"}
    assert current["currency"] == "USD" and current["as_of"] is None
    assert [month["month"] for month in current["months"]] == ["2025-03-01", "2025-04-01"]
    assert (earlier["count"], earlier["total"], earlier["weighted"]) == (4, "3833.83", "1185.17")
    assert body["compare_to"] == "2024-06-10"
    assert body["difference"]["total"] == "1766.17"
    assert body["difference"]["indeterminate"] == {"count": -1, "total": "-1200.00", "weighted": "-300.00"}


def test_forecast_api_without_comparison(key_client, rep, deals):
    body = key_client(rep).get(FORECAST_API).json()
    assert (body["current"]["count"], body["current"]["total"], body["current"]["weighted"]) == (
        6,
        "15833.83",
        "9185.17",
    )
    assert body["earlier"] is None and body["difference"] is None and body["compare_to"] is None


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"date_from": "yesterday"}, "date_from"),
        ({"date_to": "2025-02-30"}, "date_to"),
        ({"compare_to": "2025/01/01"}, "compare_to"),
        ({"owner": "abc"}, "owner.0"),
        ({"owner": "0"}, "owner.0"),
        ({"date_from": "2025-05-01", "date_to": "2025-03-01"}, "date_to"),
    ],
)
def test_forecast_api_names_the_bad_parameter(key_client, rep, query, field):
    response = key_client(rep).get(FORECAST_API, query)
    assert response.status_code == 400
    assert error_attrs(response) == {field}


def test_forecast_api_takes_an_empty_date_as_none(key_client, rep, deals):
    # As the forecast form sends them, and as the schema says (a date, or empty).
    client = key_client(rep)
    unfiltered = client.get(FORECAST_API).json()
    response = client.get(FORECAST_API, {"date_from": "", "date_to": "", "compare_to": ""})
    assert response.status_code == 200 and response.json() == unfiltered


def test_forecast_api_compares_a_day_to_come_with_today(key_client, rep, deals):
    # Nobody knows the figures of a day to come: as far as anyone can tell they are today's, with no difference.
    body = key_client(rep).get(FORECAST_API, {"compare_to": "2999-01-01"}).json()
    assert body["compare_to"] == timezone.localdate(timezone=zoneinfo.ZoneInfo(rep.time_zone)).isoformat()
    earlier, current = body["earlier"], body["current"]
    assert (earlier["count"], earlier["total"], earlier["weighted"]) == (
        current["count"],
        current["total"],
        current["weighted"],
    )
    assert (body["difference"]["count"], body["difference"]["total"]) == (0, "0.00")


def test_forecast_api_counts_nothing_for_another_organizations_owner(key_client, rep, outsider):
    # Like an id of no user at all: nothing of theirs is counted, and nothing tells them apart.
    OpportunityFactory(owner=outsider)
    OpportunityFactory(owner=rep)
    for owner in (outsider.pk, 2**40):
        response = key_client(rep).get(FORECAST_API, {"owner": owner})
        assert response.status_code == 200 and response.json()["current"]["count"] == 0


def test_forecast_api_needs_a_signed_in_user(api_client, deals):
    assert api_client.get(FORECAST_API).status_code in (401, 403)


def test_forecast_api_runs_a_constant_number_of_queries(key_client, rep):
    client = key_client(rep)
    OpportunityFactory.create_batch(3, owner=rep)
    params = {"compare_to": "2024-01-01", "owner": [rep.pk]}
    client.get(FORECAST_API)  # the first request of a key also stamps its last use
    assert count_queries(client, FORECAST_API, params) == FORECAST_API_QUERIES
    OpportunityFactory.create_batch(27, owner=rep)
    assert count_queries(client, FORECAST_API, params) == FORECAST_API_QUERIES
