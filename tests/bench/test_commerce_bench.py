"""Commerce at scale on PostgreSQL, each figure against a hand-written set-based SQL baseline on the same data:
- a full account-creation strategy change each way (the re-relation job) over 100,000 customers in 20,000
  hierarchies with their orders' values moving, against one SQL statement per direction (target: at most 2);
- `recalculate_lifetime` over 1,000,000 orders with nothing to correct, against a plain GROUP BY of the
  same figures (target: at most 1.5);
- the peak memory of both, on this data set and on one ten times smaller (target: flat as the data grows);
- the queries of placing one order and paying it, on both data sets (target: constant).
"""

import time
import tracemalloc

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.models import Account, AccountChannelValue
from accounts.services import lifetime_recalculate
from backoffice.celery import app as celery_app
from backoffice.choices import Role
from backoffice.models import Job, JobState
from commerce.models import CommerceCustomer, Order, Refund
from commerce.services import LineInput, account_strategy_update, channel_commerce_get, order_pay, order_place
from commerce.services.strategy import RELATION_JOB
from tests.factories import OrganizationFactory, UserFactory
from tests.factories.commerce import ProductFactory

CUSTOMERS = 100_000
HIERARCHY = 5  # a root, two children, a grandchild and a great-grandchild: 20,000 hierarchies
ORDERS = 1_000_000
STRATEGY_TARGET = 2.0
RECALCULATION_TARGET = 1.5

# Committed for real (the job's batches are transactions of their own), so the test flushes its data at its end.
pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="benchmarks run on PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]


def _tables():
    quote = connection.ops.quote_name
    return {
        "customers": quote(CommerceCustomer._meta.db_table),
        "accounts": quote(Account._meta.db_table),
        "orders": quote(Order._meta.db_table),
        "refunds": quote(Refund._meta.db_table),
        "values": quote(AccountChannelValue._meta.db_table),
    }


def _build(name: str, customers: int = CUSTOMERS, orders: int = ORDERS):
    """Accounts, customers in hierarchies (each its own account: the `each` state), orders in every payment state."""
    organization = OrganizationFactory(name=name)
    admin = UserFactory(organization=organization, role=Role.ADMIN, username=f"{name}-admin".lower())
    channel = channel_commerce_get(organization_id=organization.pk)
    t = _tables()
    params = {"org": organization.pk, "owner": admin.pk, "channel": channel.pk, "n": customers, "m": orders}
    statements = [
        f"""INSERT INTO {t["accounts"]} (created_at, updated_at, organization_id, version, owner_id, name,
            description, lifetime_value)
            SELECT now(), now(), %(org)s, 1, %(owner)s, 'Customer ' || i, '', 0 FROM generate_series(0, %(n)s - 1) i""",
        f"""INSERT INTO {t["customers"]} (created_at, updated_at, organization_id, version, owner_id, name, phone,
            depth, account_id, channel_id, lifetime_value, is_anonymous)
            SELECT now(), now(), %(org)s, 1, %(owner)s, a.name, '', 0, a.id, %(channel)s, 0, false
            FROM {t["accounts"]} a WHERE a.organization_id = %(org)s ORDER BY a.id""",
        f"""WITH numbered AS (SELECT id, (row_number() OVER (ORDER BY id) - 1) AS k FROM {t["customers"]}
                WHERE organization_id = %(org)s),
            placed AS (SELECT id, k / {HIERARCHY} AS h, k %% {HIERARCHY} AS pos FROM numbered),
            heads AS (SELECT h, max(id) FILTER (WHERE pos = 0) AS root, max(id) FILTER (WHERE pos = 1) AS first,
                max(id) FILTER (WHERE pos = 3) AS third FROM placed GROUP BY h)
            UPDATE {t["customers"]} c SET
                parent_id = CASE p.pos WHEN 0 THEN NULL WHEN 3 THEN f.first WHEN 4 THEN f.third ELSE f.root END,
                root_id = CASE WHEN p.pos = 0 THEN NULL ELSE f.root END,
                depth = CASE p.pos WHEN 0 THEN 0 WHEN 3 THEN 2 WHEN 4 THEN 3 ELSE 1 END
            FROM placed p JOIN heads f ON f.h = p.h WHERE p.id = c.id""",
        f"""WITH numbered AS (SELECT id, (row_number() OVER (ORDER BY id) - 1) AS k FROM {t["customers"]}
                WHERE organization_id = %(org)s),
            amounts AS (SELECT j, (1 + (j * 37) %% 50000 / 100.0)::numeric(18, 2) AS subtotal
                FROM generate_series(0, %(m)s - 1) j)
            INSERT INTO {t["orders"]} (created_at, updated_at, organization_id, version, owner_id, number, customer_id,
                currency, subtotal, discount, total, base_rate, base_subtotal, paid_amount, refunded_amount,
                refunded_base, status, payment_status, placed_at, crm_reference, crm_category_keys)
            SELECT now(), now(), %(org)s, 1, %(owner)s, 'B-' || a.j, n.id, 'USD', a.subtotal, 0, a.subtotal, 1,
                a.subtotal,
                CASE WHEN a.j %% 10 = 8 THEN 0 ELSE a.subtotal END,
                CASE WHEN a.j %% 10 = 7 THEN round(a.subtotal / 4, 2) ELSE 0 END,
                CASE WHEN a.j %% 10 = 7 THEN round(a.subtotal / 4, 2) ELSE 0 END,
                CASE WHEN a.j %% 10 = 9 THEN 'cancelled' WHEN a.j %% 10 < 4 THEN 'closed' ELSE 'open' END,
                CASE a.j %% 10 WHEN 7 THEN 'partially_refunded' WHEN 8 THEN 'pending' ELSE 'paid' END,
                now(), '', '{{}}'::jsonb
            FROM amounts a JOIN numbered n ON n.k = a.j %% %(n)s""",
        f"""INSERT INTO {t["refunds"]} (created_at, updated_at, organization_id, version, order_id, amount,
            amount_base, reason, refunded_at)
            SELECT now(), now(), %(org)s, 1, id, refunded_amount, refunded_base, '', now() FROM {t["orders"]}
            WHERE organization_id = %(org)s AND payment_status = 'partially_refunded'""",
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement, params)
            # Each statement planned with the rows the previous ones wrote (a second data set is built after one).
            cursor.execute(f"ANALYZE {', '.join(t.values())}")
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {', '.join(t.values())}")
    lifetime_recalculate(organization=organization)
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {', '.join(t.values())}")
    return organization, admin


# The re-relation as one hand-written statement per direction, with the orders' values moving between
# accounts (account totals and Commerce channel values): what the job does, without its batches, locks,
# change log and history.
ORDER_VALUES = """order_values AS (
    SELECT o.customer_id, SUM(o.base_subtotal - CASE WHEN o.payment_status = 'partially_refunded'
        THEN COALESCE((SELECT SUM(r.amount_base) FROM {refunds} r WHERE r.order_id = o.id), 0) ELSE 0 END) AS amount
    FROM {orders} o WHERE o.organization_id = %(org)s AND o.status <> 'cancelled'
        AND o.payment_status IN ('paid', 'partially_refunded') GROUP BY o.customer_id)"""
MOVE_VALUES = """deltas AS (
    SELECT account, channel_id, SUM(amount) AS amount FROM (
        SELECT m.old_account AS account, m.channel_id, -COALESCE(v.amount, 0) AS amount FROM moved m
            LEFT JOIN order_values v ON v.customer_id = m.id
        UNION ALL
        SELECT m.new_account, m.channel_id, COALESCE(v.amount, 0) FROM moved m
            LEFT JOIN order_values v ON v.customer_id = m.id) d GROUP BY account, channel_id),
    account_totals AS (UPDATE {accounts} a SET lifetime_value = a.lifetime_value + d.amount
        FROM (SELECT account, SUM(amount) AS amount FROM deltas GROUP BY account) d WHERE a.id = d.account RETURNING 1),
    channel_values AS (INSERT INTO {values} (account_id, channel_id, amount)
        SELECT account, channel_id, amount FROM deltas
        ON CONFLICT (account_id, channel_id) DO UPDATE SET amount = {values}.amount + excluded.amount RETURNING 1)
    SELECT (SELECT count(*) FROM moved), (SELECT count(*) FROM account_totals), (SELECT count(*) FROM channel_values)"""
TO_ROOT_SQL = (
    "WITH "
    + ORDER_VALUES
    + """, moved AS (
    UPDATE {customers} c SET previous_account_id = c.account_id, account_id = r.account_id
    FROM {customers} r WHERE r.id = c.root_id AND c.organization_id = %(org)s AND c.account_id <> r.account_id
    RETURNING c.id, c.previous_account_id AS old_account, c.account_id AS new_account, c.channel_id), """
    + MOVE_VALUES
)
TO_EACH_SQL = (
    "WITH "
    + ORDER_VALUES
    + """, wanted AS (
    SELECT c.id, c.account_id AS old_account, c.previous_account_id AS new_account FROM {customers} c
    JOIN {customers} r ON r.id = c.root_id WHERE c.organization_id = %(org)s
        AND c.previous_account_id IS NOT NULL AND c.previous_account_id <> c.account_id
        AND c.previous_account_id <> r.account_id),
    moved AS (UPDATE {customers} c SET account_id = w.new_account FROM wanted w WHERE c.id = w.id
        RETURNING c.id, w.old_account, w.new_account, c.channel_id), """
    + MOVE_VALUES
)


def _sql(statement: str, organization) -> tuple:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement.format(**_tables()), {"org": organization.pk})
        return cursor.fetchone()


def _switch(admin, strategy: str) -> Job:
    """Save the setting; the job runs in this process as a worker would run it (eager), in batches."""
    account_strategy_update(actor=admin, strategy=strategy)
    job = Job.objects.filter(organization=admin.organization, kind=RELATION_JOB).order_by("-id").first()
    assert job.state == JobState.SUCCEEDED, (job.state, job.error)
    return job


def _line(name: str, ours: float, baseline: float, target: float, baseline_name: str) -> str:
    ratio = ours / baseline
    verdict = "PASS" if ratio <= target else "MISS"
    return (
        f"\nbench {name} median_ms={ours:.0f} {baseline_name}_ms={baseline:.0f} "
        f"ratio={ratio:.2f} target<={target} {verdict}"
    )


def _timed(run) -> tuple[float, object]:
    started = time.perf_counter()
    result = run()
    return (time.perf_counter() - started) * 1000, result


def _build_both() -> tuple:
    started = time.perf_counter()
    large = _build("Commerce Bench")
    print(f"\nbench commerce_build customers={CUSTOMERS} orders={ORDERS} seconds={time.perf_counter() - started:.1f}")
    return large, _build("Commerce Bench Small", CUSTOMERS // 10, ORDERS // 10)


def test_recalculate_lifetime_at_scale():
    """`recalculate_lifetime` against the GROUP BY, then its peak memory on both data sets."""
    (organization, _), (small, _) = _build_both()
    _recalculation_against_group_by(organization)
    # Memory apart from the timings (tracing allocations slows Python down), each measured warm: what a first
    # call loads and caches is not the data's memory.
    peaks = {}
    for size, org in (("small", small), ("large", organization)):
        lifetime_recalculate(organization=org)
        peaks[size] = _peak_growth(lambda org=org: lifetime_recalculate(organization=org))
    print(_memory_line("recalculation", peaks["small"], peaks["large"]))


def test_commerce_at_scale():
    (organization, admin), small = _build_both()
    _strategy_change_each_way(organization, admin)
    # Memory apart from the timings, each measured warm (see test_recalculate_lifetime_at_scale).
    peaks = {}
    for size, (org, actor) in (("small", small), ("large", (organization, admin))):
        if size == "small":
            _switch_both_ways(org, actor)
        peaks[size] = _peak_growth(lambda org=org, actor=actor: _switch_both_ways(org, actor))
    print(_memory_line("strategy", peaks["small"], peaks["large"]))
    queries = {size: _order_queries(*built) for size, built in (("small", small), ("large", (organization, admin)))}
    verdict = "PASS" if queries["small"] == queries["large"] else "MISS"
    print(
        f"\nbench order_place_and_pay_queries orders_{ORDERS // 10000}k={queries['small']} "
        f"orders_{ORDERS // 1000}k={queries['large']} target=constant {verdict}"
    )


def _peak_growth(run) -> int:
    """The most memory `run` held allocated in Python at once, above what was allocated before it."""
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        run()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return max(0, peak - before)


def _memory_line(name: str, small: int, large: int) -> str:
    # Flat: ten times the data costs at most twice the memory (and a few megabytes are noise of the allocator).
    verdict = "PASS" if large <= 2 * max(small, 4 * 2**20) else "MISS"
    return (
        f"\nbench {name}_peak_memory customers_{CUSTOMERS // 10000}k_mb={small / 2**20:.1f} "
        f"customers_{CUSTOMERS // 1000}k_mb={large / 2**20:.1f} target=flat {verdict}"
    )


def _order_queries(organization, admin) -> int:
    """Statements run to place one order of two lines for a customer of the data set and pay it in full (after
    one such order, so that both data sets are measured warm)."""
    customer = CommerceCustomer.objects.filter(organization=organization, root__isnull=True).order_by("pk").first()
    products = [ProductFactory(organization=organization) for _ in range(2)]

    def place_and_pay():
        order = order_place(actor=admin, customer=customer, lines=[LineInput(product=p, quantity=1) for p in products])
        order_pay(actor=admin, order=order, amount=order.total)

    place_and_pay()
    with CaptureQueriesContext(connection) as queries:
        place_and_pay()
    return len(queries)


def _switch_both_ways(organization, admin) -> None:
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        _switch(admin, "root")
        _switch(admin, "each")
    finally:
        celery_app.conf.task_always_eager = eager


def _strategy_change_each_way(organization, admin) -> None:
    """Both directions timed against their statements, on the same data."""
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        ours_root, job = _timed(lambda: _switch(admin, "root"))
        moved = job.result["moved"]
        assert moved == CUSTOMERS - CUSTOMERS // HIERARCHY
        ours_each, job = _timed(lambda: _switch(admin, "each"))
        assert job.result["moved"] == moved and job.result["accounts_created"] == 0
        # The same changes by hand, from the same starting state.
        sql_root, counts = _timed(lambda: _sql(TO_ROOT_SQL, organization))
        assert counts[0] == moved
        sql_each, counts = _timed(lambda: _sql(TO_EACH_SQL, organization))
        assert counts[0] == moved
        assert lifetime_recalculate(organization=organization) == 0  # both left right values
    finally:
        celery_app.conf.task_always_eager = eager
    print(
        _line(f"strategy_to_root_{CUSTOMERS // 1000}k_customers", ours_root, sql_root, STRATEGY_TARGET, "sql_statement")
    )
    print(
        _line(f"strategy_to_each_{CUSTOMERS // 1000}k_customers", ours_each, sql_each, STRATEGY_TARGET, "sql_statement")
    )


GROUP_BY_SQL = """
SELECT c.account_id, SUM(o.base_subtotal - CASE WHEN o.payment_status = 'partially_refunded'
    THEN COALESCE((SELECT SUM(r.amount_base) FROM {refunds} r WHERE r.order_id = o.id), 0) ELSE 0 END)
FROM {orders} o JOIN {customers} c ON c.id = o.customer_id
WHERE c.organization_id = %(org)s AND o.status <> 'cancelled' AND o.payment_status IN ('paid', 'partially_refunded')
GROUP BY c.account_id
"""


def _recalculation_against_group_by(organization) -> None:
    samples = {"ours": [], "group_by": []}
    assert Order.objects.filter(organization=organization).count() == ORDERS
    for _ in range(3):
        ms, corrected = _timed(lambda: lifetime_recalculate(organization=organization))
        assert corrected == 0
        samples["ours"].append(ms)
        ms, rows = _timed(lambda: _group_by(organization))
        samples["group_by"].append(ms)
    # The same figures: the GROUP BY gives each account's Commerce channel value.
    kept = dict(
        AccountChannelValue.objects.filter(account__organization=organization, amount__gt=0).values_list(
            "account_id", "amount"
        )
    )
    assert dict(rows) == kept and len(kept) > CUSTOMERS // 2
    ours, baseline = sorted(samples["ours"])[1], sorted(samples["group_by"])[1]
    print(_line(f"recalculate_lifetime_{ORDERS // 1000}k_orders", ours, baseline, RECALCULATION_TARGET, "group_by"))


def _group_by(organization) -> list:
    with connection.cursor() as cursor:
        cursor.execute(GROUP_BY_SQL.format(**_tables()), {"org": organization.pk})
        return cursor.fetchall()
