"""The CRM at 100,000 opportunities: the compare-to-date forecast against the plain forecast (target: at
most 2 times), a typical account's activity list at 100,000 against 1,000 (target: at most 1.2 times),
and the account chart's point count on the key account (bounded)."""

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from accounts.models import Account, AccountValueChange
from accounts.selectors import account_lifetime_chart
from accounts.selectors.lifetime import CHART_POINTS

FORECAST_TARGET = 2.0
ACTIVITY_TARGET = 1.2


def _verdict(ratio: float, target: float) -> str:
    return f"ratio={ratio:.2f} target<={target} {'PASS' if ratio <= target else 'MISS'}"


def _get(client, url, params=None, **extra):
    def run():
        response = client.get(url, params or {}, **extra)
        assert response.status_code == 200

    return run


def test_compare_to_date_forecast_against_the_plain_one(db, client, large_crms, bench_timer):
    crm = large_crms[100_000]
    client.force_login(crm.rep)
    page = reverse("accounts:forecast")
    compare_to = (timezone.localdate() - dt.timedelta(days=30)).isoformat()
    year_ago = (timezone.localdate() - dt.timedelta(days=365)).isoformat()
    medians = bench_timer(
        {
            "plain": _get(client, page),
            "compare": _get(client, page, {"compare_to": compare_to}),
            "compare_year": _get(client, page, {"compare_to": year_ago}),
            "api_plain": _get(client, "/api/crm/forecast/", HTTP_AUTHORIZATION=crm.rep_authorization),
            "api_compare": _get(
                client, "/api/crm/forecast/", {"compare_to": compare_to}, HTTP_AUTHORIZATION=crm.rep_authorization
            ),
        },
        rounds=15,
        warmup=3,
    )
    for name, value in medians.items():
        print(f"\nbench forecast_{name}_100k median_ms={value:.1f}", end="")
    print()
    print(f"bench forecast_compare_vs_plain_100k {_verdict(medians['compare'] / medians['plain'], FORECAST_TARGET)}")
    print(
        "bench forecast_api_compare_vs_plain_100k "
        f"{_verdict(medians['api_compare'] / medians['api_plain'], FORECAST_TARGET)}"
    )
    print(
        "bench forecast_compare_year_ago_vs_plain_100k "
        f"ratio={medians['compare_year'] / medians['plain']:.2f} (informational: a year of changes)"
    )


def test_typical_account_activity_list_at_100k_against_1k(db, client, large_crms, bench_timer):
    small, large = large_crms[1_000], large_crms[100_000]
    variants = {}
    for size, crm in (("1k", small), ("100k", large)):
        url = reverse("accounts:account-activities", args=[crm.typical_account_id])

        def run(url=url, user=crm.rep):
            client.force_login(user)
            assert client.get(url, headers={"HX-Request": "true"}).status_code == 200

        variants[size] = run
    medians = bench_timer(variants, rounds=20, warmup=3)
    print(f"\nbench activity_list_typical_1k median_ms={medians['1k']:.1f}")
    print(f"bench activity_list_typical_100k median_ms={medians['100k']:.1f}")
    print(f"bench activity_list_typical_100k_vs_1k {_verdict(medians['100k'] / medians['1k'], ACTIVITY_TARGET)}")


def test_key_account_chart_is_bounded(db, large_crms):
    crm = large_crms[100_000]
    account = Account.objects.get(pk=crm.key_account_id)
    changes = AccountValueChange.objects.filter(account=account).count()
    points = len(account_lifetime_chart(account=account))
    verdict = "PASS" if points <= CHART_POINTS else "MISS"
    print(f"\nbench account_chart_key_account_100k changes={changes} points={points} target<={CHART_POINTS} {verdict}")
    assert points <= CHART_POINTS
