"""One batch of the re-relation job on PostgreSQL, set-based: a handful of statements whatever its size.

The customers of the batch and their roots are locked and read by one statement, the strategy's rules
are applied to them (commerce.services.strategy), and every move is written by one more statement: the
customers with their change log entries, their deals, and the values moving between accounts (totals,
Commerce channel values and their history). Rows are locked in the order of every other write of
lifetime values (customers, deals, then accounts by id; channel values only under their account's lock),
so the batch never deadlocks with them.
"""

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.utils import timezone

from accounts.choices import OpportunityStatus
from accounts.models import Account, AccountChannelValue, AccountValueChange, Opportunity
from backoffice.changes import ChangeAction, change_committed, current_change_context
from backoffice.models.changelog import OBJECT_REPR_LENGTH, ChangeLogEntry, change_log_announce
from commerce.models import CommerceCustomer
from commerce.services.lifetime import counting_orders_sql, customer_type_id

COLUMNS = ("id", "organization_id", "owner_id", "name", "root_id", "account_id", "previous_account_id", "channel_id")


def _quote(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def customers_lock_read(*, organization_id: int, ids: list[int]) -> dict[int, dict]:
    """Lock the batch's customers and their roots in id order (one statement) and read them as locked.

    A customer that changed hierarchy before its lock names a root outside the set: that root is locked too.
    """
    table = _quote(CommerceCustomer)
    columns = ", ".join(f"c.{connection.ops.quote_name(column)}" for column in COLUMNS)
    sql = (
        f"SELECT {columns} FROM {table} c WHERE c.organization_id = %(org)s AND c.id = ANY(%(ids)s::bigint[] "  # noqa: S608
        f"|| ARRAY(SELECT root_id FROM {table} WHERE id = ANY(%(ids)s::bigint[]) AND root_id IS NOT NULL)) "
        "ORDER BY c.id FOR UPDATE"
    )
    rows: dict[int, dict] = {}
    wanted = list(ids)
    with connection.cursor() as cursor:
        while wanted:
            cursor.execute(sql, {"org": organization_id, "ids": wanted})
            for values in cursor.fetchall():
                rows[values[0]] = dict(zip(COLUMNS, values, strict=True))
            wanted = sorted({row["root_id"] for row in rows.values() if row["root_id"]} - set(rows))
    return rows


def _lock_deals_and_accounts(moving: dict[int, int], current: dict[int, dict]) -> None:
    """The deals naming the moving customers, then every account whose value may change, each in id order."""
    deals, accounts = _quote(Opportunity), _quote(Account)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT account_id FROM {deals} WHERE customer_type_id = %s AND customer_id = ANY(%s) "  # noqa: S608
            "ORDER BY id FOR UPDATE",
            [customer_type_id(), list(moving)],
        )
        touched = {row[0] for row in cursor.fetchall()}
        touched.update(moving.values())
        touched.update(current[pk]["account_id"] for pk in moving if current[pk]["account_id"] is not None)
        cursor.execute(
            f"SELECT id FROM {accounts} WHERE id = ANY(%s) ORDER BY id FOR UPDATE",  # noqa: S608
            [sorted(touched)],
        )


def _entry_columns() -> tuple[str, str]:
    """The change log columns an entry of a moved customer fills, and their values from the `written` rows."""
    quote = connection.ops.quote_name
    values = {
        "organization_id": "w.organization_id",
        "content_type_id": "%(content_type)s",
        "object_id": "w.id",
        "object_repr": f"LEFT(w.name, {OBJECT_REPR_LENGTH})",
        "action": "%(action)s",
        "version": "w.version",
        "changes": "jsonb_build_object('account', jsonb_build_array(w.old_account, w.new_account))",
        "old_owner_id": "NULL",
        "new_owner_id": "NULL",
        "actor_id": "%(actor)s",
        "origin": "%(origin)s",
        "created_at": "%(now)s",
    }
    fields = {field.attname: field.column for field in ChangeLogEntry._meta.concrete_fields}
    return ", ".join(quote(fields[name]) for name in values), ", ".join(values.values())


def _write_sql() -> str:
    """Moves given as arrays, one item per customer written: whether it moves, its new account, its account
    and channel as locked, whether it remembers an account, and which."""
    customers, deals, orders_counting = _quote(CommerceCustomer), _quote(Opportunity), counting_orders_sql()
    accounts, values, history = _quote(Account), _quote(AccountChannelValue), _quote(AccountValueChange)
    entry_columns, entry_values = _entry_columns()
    won = f"'{OpportunityStatus.WON.value}'"
    return f"""
WITH v AS (SELECT * FROM unnest(%(ids)s::bigint[], %(moves)s::boolean[], %(targets)s::bigint[],
        %(olds)s::bigint[], %(channels)s::bigint[], %(remember)s::boolean[], %(previous)s::bigint[])
        AS v(id, moves, account, old_account, channel_id, remember, previous)),
    moving AS (SELECT id, old_account, account AS new_account, channel_id FROM v WHERE moves),
    written AS (UPDATE {customers} c SET account_id = CASE WHEN v.moves THEN v.account ELSE c.account_id END,
            previous_account_id = CASE WHEN v.remember THEN v.previous ELSE c.previous_account_id END,
            version = c.version + CASE WHEN v.moves THEN 1 ELSE 0 END,
            updated_at = CASE WHEN v.moves THEN %(now)s ELSE c.updated_at END
        FROM v WHERE c.id = v.id
        RETURNING c.id, c.organization_id, c.version, c.name, v.moves AS moved, v.old_account,
            v.account AS new_account),
    entries AS (INSERT INTO {_quote(ChangeLogEntry)} ({entry_columns})
        SELECT {entry_values} FROM written w WHERE w.moved RETURNING id),
    order_values AS (SELECT t.customer_id, SUM(t.amount) AS amount FROM ({orders_counting}
        AND o.customer_id IN (SELECT id FROM moving)) t GROUP BY t.customer_id),
    deals_before AS (SELECT d.account_id, d.customer_id, d.status, d.close_revenue_base FROM {deals} d
        WHERE d.customer_type_id = %(customer_type)s AND d.customer_id IN (SELECT id FROM moving)),
    deals_written AS (UPDATE {deals} d SET account_id = m.new_account FROM moving m
        WHERE d.customer_type_id = %(customer_type)s AND d.customer_id = m.id AND d.account_id <> m.new_account
        RETURNING 1),
    moved_values AS (
        SELECT m.old_account, m.new_account, m.channel_id, ov.amount FROM moving m
            JOIN order_values ov ON ov.customer_id = m.id
        UNION ALL
        SELECT d.account_id, m.new_account, m.channel_id, d.close_revenue_base FROM deals_before d
            JOIN moving m ON m.id = d.customer_id
        WHERE d.status = {won} AND d.close_revenue_base IS NOT NULL AND d.account_id <> m.new_account),
    deltas AS (
        SELECT old_account AS account_id, channel_id, -amount AS amount FROM moved_values WHERE old_account IS NOT NULL
        UNION ALL SELECT new_account, channel_id, amount FROM moved_values),
    per_channel AS (SELECT account_id, channel_id, SUM(amount) AS amount FROM deltas
        GROUP BY account_id, channel_id HAVING SUM(amount) <> 0),
    totals AS (UPDATE {accounts} a SET lifetime_value = a.lifetime_value + d.amount
        FROM (SELECT account_id, SUM(amount) AS amount FROM deltas GROUP BY account_id HAVING SUM(amount) <> 0) d
        WHERE a.id = d.account_id RETURNING a.id, a.lifetime_value),
    channels AS (INSERT INTO {values} (account_id, channel_id, amount)
        SELECT account_id, channel_id, amount FROM per_channel WHERE channel_id IS NOT NULL
        ON CONFLICT (account_id, channel_id) DO UPDATE SET amount = {values}.amount + excluded.amount RETURNING 1),
    no_channel AS (INSERT INTO {values} (account_id, channel_id, amount)
        SELECT account_id, NULL, amount FROM per_channel WHERE channel_id IS NULL
        ON CONFLICT (account_id) WHERE channel_id IS NULL DO UPDATE SET amount = {values}.amount + excluded.amount
        RETURNING 1),
    points AS (INSERT INTO {history} (account_id, lifetime_value, changed_at, changed_by_id)
        SELECT id, lifetime_value, %(now)s, %(history_actor)s FROM totals RETURNING 1)
SELECT (SELECT count(*) FROM written WHERE moved), (SELECT array_agg(id) FROM entries),
    (SELECT count(*) FROM deals_written), (SELECT count(*) FROM channels), (SELECT count(*) FROM no_channel),
    (SELECT count(*) FROM points)
"""  # noqa: S608


def customers_relate_set_based(
    *, moves: dict[int, int], previous: dict[int, int | None], current: dict[int, dict], actor=None
) -> int:
    """Point locked customers (`current`: their rows as locked) at new accounts, remembering `previous`, with
    their value and deals: the deals and accounts are locked, then everything is written by one statement.
    Returns how many customers changed account."""
    moving = {pk: account for pk, account in moves.items() if pk in current and current[pk]["account_id"] != account}
    remember = {pk: value for pk, value in previous.items() if pk in current}
    if not moving and not remember:
        return 0
    if moving:
        _lock_deals_and_accounts(moving, current)
    ids = sorted({*moving, *remember})
    context = current_change_context()
    acting = actor if actor is not None else context.actor
    # The customers are locked: their rows as read under the lock are what the statement changes.
    params = {
        "ids": ids,
        "moves": [pk in moving for pk in ids],
        "targets": [moving.get(pk) for pk in ids],
        "olds": [current[pk]["account_id"] for pk in ids],
        "channels": [current[pk]["channel_id"] for pk in ids],
        "remember": [pk in remember for pk in ids],
        "previous": [remember.get(pk) for pk in ids],
        "now": timezone.now(),
        "actor": acting.pk if getattr(acting, "is_authenticated", False) else None,
        "history_actor": getattr(actor, "pk", None),
        "content_type": ContentType.objects.get_for_model(CommerceCustomer).pk,
        "customer_type": customer_type_id(),
        "action": ChangeAction.UPDATE.value,
        "origin": context.origin,
    }
    with connection.cursor() as cursor:
        cursor.execute(_write_sql(), params)
        moved, entry_ids, *_ = cursor.fetchone()
    if entry_ids and change_committed.has_listeners(ChangeLogEntry):
        change_log_announce(list(ChangeLogEntry.objects.filter(pk__in=entry_ids)))
    return moved
