"""The Commerce channel's lifetime sales value (LSV).

An order counts, in the organization's base currency, its subtotal less what was refunded when it is
paid in full or partially refunded and not cancelled; otherwise nothing. A customer's LSV is the sum of
its orders (plus the won opportunities that name it, which the CRM keeps); its account's value in the
Commerce channel is the sum over the account's customers. Every service that changes what an order
counts calls `commerce_lifetime_apply` in its own transaction, with the customers locked; the
recalculation joins `order_lifetime_sql`, which gives exactly the same figures from the rows.
"""

from collections import defaultdict
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Sum

from accounts.choices import OpportunityStatus
from accounts.models import ZERO, Opportunity
from accounts.services.lifetime import lifetime_apply_deltas
from backoffice.db import service_atomic
from commerce.choices import COUNTING_PAYMENT_STATUSES, OrderStatus, PaymentStatus
from commerce.models import CommerceCustomer, Order, Refund


def order_lifetime_amount(order: Order) -> Decimal:
    """What one order adds to its customer's lifetime sales value (base currency)."""
    if order.pk is None or order.status == OrderStatus.CANCELLED:
        return ZERO
    if order.payment_status not in COUNTING_PAYMENT_STATUSES:
        return ZERO
    return order.base_subtotal - order.refunded_base


def customer_type_id() -> int:
    return ContentType.objects.get_for_model(CommerceCustomer).pk


def _counting_orders_sql(quote) -> str:
    """Each counting order's customer and amount, from the orders and their refunds (alias `o`)."""
    orders, refunds = quote(Order._meta.db_table), quote(Refund._meta.db_table)
    statuses = ", ".join(f"'{status.value}'" for status in COUNTING_PAYMENT_STATUSES)
    refunded = f"'{PaymentStatus.PARTIALLY_REFUNDED.value}'"
    return (
        f"SELECT o.customer_id, o.base_subtotal - CASE WHEN o.payment_status = {refunded} "  # noqa: S608
        f"THEN COALESCE((SELECT SUM(r.amount_base) FROM {refunds} r WHERE r.order_id = o.id), 0) ELSE 0 END "
        f"AS amount FROM {orders} o WHERE o.status <> '{OrderStatus.CANCELLED.value}' "
        f"AND o.payment_status IN ({statuses})"
    )


def counting_orders_sql() -> str:
    """Each counting order's customer and amount (alias `o`), to be narrowed by further `AND` conditions."""
    return _counting_orders_sql(connection.ops.quote_name)


def order_lifetime_sql(connection) -> str:
    """The lifetime source of commerce orders, for the recalculation (see accounts.registry.LifetimeSource):
    one row per customer of the batch (by its account's id range), the sum of its counting orders, with the
    customer's stored value (the source covers commerce customers).

    Each customer sums its orders by the `order_counting` index (a lookup per customer, never a scan of
    every order per batch), so the recalculation aggregates a row per customer, not per order.
    """
    quote = connection.ops.quote_name
    customers = quote(CommerceCustomer._meta.db_table)
    orders, refunds = quote(Order._meta.db_table), quote(Refund._meta.db_table)
    statuses = ", ".join(f"'{status.value}'" for status in COUNTING_PAYMENT_STATUSES)
    refunded = f"'{PaymentStatus.PARTIALLY_REFUNDED.value}'"
    return (
        f"SELECT c.account_id, c.channel_id, {int(customer_type_id())} AS customer_type_id, "  # noqa: S608
        f"c.id AS customer_id, (SELECT SUM(o.base_subtotal - CASE WHEN o.payment_status = {refunded} "
        f"THEN COALESCE((SELECT SUM(r.amount_base) FROM {refunds} r WHERE r.order_id = o.id), 0) ELSE 0 END) "
        f"FROM {orders} o WHERE o.customer_id = c.id AND o.status <> '{OrderStatus.CANCELLED.value}' "
        f"AND o.payment_status IN ({statuses})) AS amount, c.lifetime_value AS stored FROM {customers} c "
        "WHERE c.organization_id = %(org)s AND c.account_id BETWEEN %(first)s AND %(last)s"
    )


def customers_order_values(customer_ids) -> dict[int, Decimal]:
    """Each customer's orders' lifetime value, summed from the rows (customers with none are left out)."""
    ids = sorted(set(customer_ids))
    if not ids:
        return {}
    quote = connection.ops.quote_name
    placeholders = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT t.customer_id, SUM(t.amount) FROM ({_counting_orders_sql(quote)} "  # noqa: S608
            f"AND o.customer_id IN ({placeholders})) t GROUP BY t.customer_id",
            ids,
        )
        return {customer_id: Decimal(total) for customer_id, total in cursor.fetchall() if total}


@service_atomic
def commerce_lifetime_apply(*, deltas: dict[int, Decimal], actor=None) -> None:
    """Add amounts to customers' lifetime values and to their accounts' Commerce channel values.

    The caller holds the customers' locks, so their accounts cannot change underneath. Accounts,
    channel values and customers are then written in the CRM's lock order (accounts.services.lifetime).
    """
    deltas = {pk: amount for pk, amount in deltas.items() if amount}
    if not deltas:
        return
    type_id = customer_type_id()
    accounts: dict[int, Decimal] = defaultdict(lambda: ZERO)
    channels: dict[tuple[int, int | None], Decimal] = defaultdict(lambda: ZERO)
    customers: dict[tuple[int, int], Decimal] = {}
    for pk, account_id, channel_id in CommerceCustomer.objects.filter(pk__in=list(deltas)).values_list(
        "pk", "account_id", "channel_id"
    ):
        amount = deltas[pk]
        customers[(type_id, pk)] = amount
        if account_id is not None:
            accounts[account_id] += amount
            channels[(account_id, channel_id)] += amount
    lifetime_apply_deltas(accounts=accounts, channels=channels, customers=customers, actor=actor)


def won_opportunity_sums(customer_ids) -> list[dict]:
    """Won deals naming these customers, summed per (deal's account, customer)."""
    return list(
        Opportunity.objects.filter(
            customer_type_id=customer_type_id(),
            customer_id__in=list(customer_ids),
            status=OpportunityStatus.WON,
            close_revenue_base__isnull=False,
        )
        .values("account_id", "customer_id")
        .annotate(total=Sum("close_revenue_base"))
        .order_by()
    )
