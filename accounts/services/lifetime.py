"""Lifetime sales value (LSV): kept incrementally in the transaction that changes an opportunity,
and recomputed from scratch by `recalculate_lifetime` (accounts.services.lifetime_recalculation), which
must give identical numbers.

A won opportunity contributes its close revenue (base currency) to its account, in the channel
of its customer (no customer: no channel), and to the customer's own lifetime value.
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db.models import F, Sum
from django.utils import timezone

from accounts.choices import OpportunityStatus
from accounts.models import ZERO, Account, AccountChannelValue, AccountValueChange, Opportunity
from accounts.registry import customer_types
from backoffice.db import service_atomic


@dataclass(frozen=True)
class Contribution:
    """What one opportunity adds to the lifetime values."""

    account_id: int
    customer_type_id: int | None
    customer_id: int | None
    amount: Decimal


def opportunity_contribution(opportunity: Opportunity) -> Contribution | None:
    if opportunity.pk is None or opportunity.status != OpportunityStatus.WON:
        return None
    if opportunity.close_revenue_base is None:
        return None
    return Contribution(
        account_id=opportunity.account_id,
        customer_type_id=opportunity.customer_type_id,
        customer_id=opportunity.customer_id,
        amount=opportunity.close_revenue_base,
    )


def _customer_model(customer_type_id: int):
    content_type = ContentType.objects.get_for_id(customer_type_id)
    registered = customer_types.for_content_type(content_type)
    return content_type.model_class(), registered


def _channel_id(contribution: Contribution) -> int | None:
    if contribution.customer_id is None:
        return None
    model, registered = _customer_model(contribution.customer_type_id)
    return (
        model._base_manager.filter(pk=contribution.customer_id)
        .values_list(f"{registered.channel_field}_id", flat=True)
        .first()
    )


def _add_channel_value(account_id: int, channel_id: int | None, delta: Decimal) -> None:
    """Add to an account's value in a channel: one upsert (the row is made on first use)."""
    from django.db import connection

    table = connection.ops.quote_name(AccountChannelValue._meta.db_table)
    target = "(account_id, channel_id)" if channel_id is not None else "(account_id) WHERE channel_id IS NULL"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (account_id, channel_id, amount) VALUES (%s, %s, %s) "  # noqa: S608
            f"ON CONFLICT {target} DO UPDATE SET amount = {table}.amount + excluded.amount",
            [account_id, channel_id, delta],
        )


def _record_totals(account_ids, actor) -> None:
    """Each account's new total becomes a point of its value chart: one INSERT ... SELECT."""
    from django.db import connection

    if not account_ids:
        return
    quote = connection.ops.quote_name
    history, accounts = quote(AccountValueChange._meta.db_table), quote(Account._meta.db_table)
    ids = list(account_ids)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {history} (account_id, lifetime_value, changed_at, changed_by_id) "  # noqa: S608
            f"SELECT id, lifetime_value, %s, %s FROM {accounts} WHERE id IN ({', '.join(['%s'] * len(ids))})",
            [timezone.now(), getattr(actor, "pk", None), *ids],
        )


def _sorted_channel_key(key: tuple[int, int | None]) -> tuple[int, int]:
    return (key[0], -1 if key[1] is None else key[1])


# From this many rows of one kind on, a delta write locks them in one statement and changes them in one
# more (bulk moves: a strategy change re-relating thousands of customers); below, one UPDATE per row.
BULK_ROWS = 8


def _values_sql(rows: list[tuple], columns: int) -> tuple[str, list]:
    row = "(" + ", ".join(["%s"] * columns) + ")"
    return ", ".join([row] * len(rows)), [value for values in rows for value in values]


def _bulk_add(model, field: str, deltas: list[tuple[int, Decimal]]) -> None:
    """Add deltas to a column of many rows: locked in id order by one SELECT, changed by one UPDATE."""
    from django.db import connection

    quote = connection.ops.quote_name
    table, column = quote(model._meta.db_table), quote(model._meta.get_field(field).column)
    ids = [pk for pk, _ in deltas]
    list(model._base_manager.filter(pk__in=ids).order_by("pk").select_for_update().values_list("pk", flat=True))
    values, params = _values_sql([(pk, str(delta)) for pk, delta in deltas], 2)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {column} = {table}.{column} + CAST(d.delta AS numeric) "  # noqa: S608
            f"FROM (VALUES {values}) AS d(id, delta) WHERE {table}.id = CAST(d.id AS bigint)",
            params,
        )


def _bulk_channel_values(rows: list[tuple[int, int | None, Decimal]]) -> None:
    """Add to many channel values in one upsert per conflict target, rows in (account, channel) order."""
    from django.db import connection

    table = connection.ops.quote_name(AccountChannelValue._meta.db_table)
    for with_channel in (True, False):
        chosen = [row for row in rows if (row[1] is not None) == with_channel]
        if not chosen:
            continue
        target = "(account_id, channel_id)" if with_channel else "(account_id) WHERE channel_id IS NULL"
        values, params = _values_sql(chosen, 3)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (account_id, channel_id, amount) VALUES {values} "  # noqa: S608
                f"ON CONFLICT {target} DO UPDATE SET amount = {table}.amount + excluded.amount",
                params,
            )


@service_atomic
def lifetime_apply_deltas(
    *,
    accounts: dict[int, Decimal],
    channels: dict[tuple[int, int | None], Decimal],
    customers: dict[tuple[int, int], Decimal],
    actor=None,
) -> None:
    """Add amounts to accounts, their channel values and customers, locking rows in one order everywhere.

    The order (accounts by id, then channel values, then customers by type and id) is the same for
    every write of lifetime values, so two of them never wait on each other in a circle.
    """
    touched = [account_id for account_id in sorted(accounts) if accounts[account_id]]
    if len(touched) >= BULK_ROWS:
        _bulk_add(Account, "lifetime_value", [(pk, accounts[pk]) for pk in touched])
    else:
        for account_id in touched:
            Account.objects.filter(pk=account_id).update(lifetime_value=F("lifetime_value") + accounts[account_id])
    channel_rows = [
        (key[0], key[1], channels[key]) for key in sorted(channels, key=_sorted_channel_key) if channels[key]
    ]
    if len(channel_rows) >= BULK_ROWS:
        _bulk_channel_values(channel_rows)
    else:
        for account_id, channel_id, delta in channel_rows:
            _add_channel_value(account_id, channel_id, delta)
    by_type: dict[int, list[tuple[int, Decimal]]] = defaultdict(list)
    for type_id, customer_id in sorted(customers):
        if customers[(type_id, customer_id)]:
            by_type[type_id].append((customer_id, customers[(type_id, customer_id)]))
    for type_id, deltas in by_type.items():
        model, registered = _customer_model(type_id)
        field = registered.lifetime_field
        if len(deltas) >= BULK_ROWS:
            _bulk_add(model, field, deltas)
        else:
            for customer_id, delta in deltas:
                model._base_manager.filter(pk=customer_id).update(**{field: F(field) + delta})
    if touched:
        _record_totals(touched, actor)


@service_atomic
def lifetime_apply_change(*, before: Contribution | None, after: Contribution | None, actor=None) -> None:
    """Move an opportunity's contribution from `before` to `after` (either may be None)."""
    if before == after:
        return
    accounts: dict[int, Decimal] = defaultdict(lambda: ZERO)
    channels: dict[tuple[int, int | None], Decimal] = defaultdict(lambda: ZERO)
    customers: dict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)
    for contribution, sign in ((before, -1), (after, 1)):
        if contribution is None or not contribution.amount:
            continue
        delta = contribution.amount * sign
        accounts[contribution.account_id] += delta
        channels[(contribution.account_id, _channel_id(contribution))] += delta
        if contribution.customer_id is not None:
            customers[(contribution.customer_type_id, contribution.customer_id)] += delta
    lifetime_apply_deltas(accounts=accounts, channels=channels, customers=customers, actor=actor)


@service_atomic
def lifetime_move_customer(*, customer, to_account_id: int, actor=None) -> None:
    """A customer moved to another account: its won deals' value moves with it, account by account.

    Only the accounts involved change (by the customer's value), never the whole organization.
    """
    registered = customer_types.for_model(type(customer))
    type_id = ContentType.objects.get_for_model(type(customer)).pk
    channel_id = getattr(customer, f"{registered.channel_field}_id")
    accounts: dict[int, Decimal] = defaultdict(lambda: ZERO)
    channels: dict[tuple[int, int | None], Decimal] = defaultdict(lambda: ZERO)
    for row in _won_sums(Opportunity.objects.filter(customer_type_id=type_id, customer_id=customer.pk)):
        if row["account_id"] == to_account_id:
            continue
        accounts[row["account_id"]] -= row["total"]
        accounts[to_account_id] += row["total"]
        channels[(row["account_id"], channel_id)] -= row["total"]
        channels[(to_account_id, channel_id)] += row["total"]
    lifetime_apply_deltas(accounts=accounts, channels=channels, customers={}, actor=actor)


def _won_sums(opportunities):
    return (
        opportunities.filter(status=OpportunityStatus.WON, close_revenue_base__isnull=False)
        .values("account_id", "customer_type_id", "customer_id")
        .annotate(total=Sum("close_revenue_base"))
        .order_by()
    )
