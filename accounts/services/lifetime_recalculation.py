"""Lifetime sales values recomputed from their sources (`recalculate_lifetime`, the admin's job), beside live
traffic: batches of accounts read without locks, and only what is wrong locked and rewritten, in the
order the incremental upkeep (accounts.services.lifetime) locks rows, so the two never deadlock.
"""

import uuid
from contextlib import closing, suppress
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, transaction
from django.utils import timezone

from accounts.choices import OpportunityStatus
from accounts.models import Account, AccountChannelValue, AccountValueChange, Channel, Opportunity
from accounts.registry import customer_types, lifetime_sources
from backoffice.models import Organization


@dataclass
class Corrections:
    """What a recalculation had to correct: account totals, per-channel values and customers' values."""

    accounts: int = 0
    channel_values: int = 0
    customers: int = 0

    @property
    def total(self) -> int:
        return self.accounts + self.channel_values + self.customers

    def as_dict(self) -> dict[str, int]:
        return {"accounts": self.accounts, "channel_values": self.channel_values, "customers": self.customers}

    def __iadd__(self, other: "Corrections") -> "Corrections":
        self.accounts += other.accounts
        self.channel_values += other.channel_values
        self.customers += other.customers
        return self


def opportunity_lifetime_sql(connection) -> str:
    """Won opportunities with a close revenue, in their customer's channel (no customer: no channel)."""
    quote = connection.ops.quote_name
    joins, channels = [], []
    for index, registered in enumerate(customer_types):
        model = registered.model
        type_id = ContentType.objects.get_for_model(model).pk
        alias = f"c{index}"
        joins.append(
            f"LEFT JOIN {quote(model._meta.db_table)} {alias} ON o.customer_type_id = {int(type_id)} "
            f"AND {alias}.{quote(model._meta.pk.column)} = o.customer_id"
        )
        channels.append(f"{alias}.{quote(model._meta.get_field(registered.channel_field).column)}")
    channel = f"COALESCE({', '.join(channels)}, NULL)" if channels else "NULL"
    opportunities = quote(Opportunity._meta.db_table)
    return (
        f"SELECT o.account_id, {channel} AS channel_id, o.customer_type_id, o.customer_id, "  # noqa: S608
        f"o.close_revenue_base AS amount, NULL AS stored FROM {opportunities} o {' '.join(joins)} "
        f"WHERE o.organization_id = %(org)s AND o.account_id BETWEEN %(first)s AND %(last)s "
        f"AND o.status = '{OpportunityStatus.WON.value}' AND o.close_revenue_base IS NOT NULL"
    )


def _sources_sql(connection) -> str:
    return " UNION ALL ".join(source.sql(connection) for source in lifetime_sources)


def _organization_column(model) -> str | None:
    try:
        return model._meta.get_field("organization").column
    except Exception:  # noqa: BLE001 - a customer type without an organization is scoped by its accounts
        return None


def _covered_customers() -> set[str]:
    """The customer types (by model label) whose values a source gives on its rows; at most one source each."""
    covered: set[str] = set()
    for source in lifetime_sources:
        if source.customers is None:
            continue
        label = source.customers._meta.label_lower
        if label in covered:
            raise ValueError(f"Two lifetime sources give the stored values of {label}.")
        covered.add(label)
    return covered


def _stored_customers_sql(connection) -> str:
    """A row per customer of the batch whose type no source covers: its stored value, nothing computed."""
    quote = connection.ops.quote_name
    accounts = quote(Account._meta.db_table)
    covered = _covered_customers()
    parts = []
    for registered in customer_types:
        model = registered.model
        if model._meta.label_lower in covered:
            continue
        table = quote(model._meta.db_table)
        account = quote(model._meta.get_field(registered.account_field).column)
        channel = quote(model._meta.get_field(registered.channel_field).column)
        field = quote(model._meta.get_field(registered.lifetime_field).column)
        organization = _organization_column(model)
        scope = (
            f"c.{quote(organization)} = %(org)s AND c.{account} BETWEEN %(first)s AND %(last)s"
            if organization
            else f"c.{account} IN (SELECT a.id FROM {accounts} a WHERE a.organization_id = %(org)s "  # noqa: S608
            "AND a.id BETWEEN %(first)s AND %(last)s)"
        )
        parts.append(
            f"SELECT c.{account}, c.{channel}, {int(ContentType.objects.get_for_model(model).pk)}, c.id, "  # noqa: S608
            f"NULL, c.{field} FROM {table} c WHERE {scope}"
        )
    return "".join(f" UNION ALL {part}" for part in parts)


def _check_sql(connection, channels: list[int]) -> str:
    """One read naming, in id order, the accounts from %(first)s to %(last)s with anything to correct:
    account totals, channel values (wrong, missing or left over) and their customers' values.

    The sources are read once, a row per customer (with its stored value) or per deal, into one aggregate
    per account: its sums in each of the organization's `channels` and in none, and whether a customer's
    row disagrees with its stored value (the deals naming the customer added, read apart from the sources
    that cover customers) or a row is in a channel not among `channels` (one made since). The account's
    channel values are then compared with those sums by key, its total with the sum of its channels. A sum
    and a stored value (two places) are compared once the sum is rounded to two places, as the incremental
    upkeep keeps them. Nothing is locked nor written.
    """
    quote = connection.ops.quote_name
    accounts = quote(Account._meta.db_table)
    values = quote(AccountChannelValue._meta.db_table)
    channel_table = quote(Channel._meta.db_table)
    deals = " UNION ALL ".join(source.sql(connection) for source in lifetime_sources if source.customers is None)
    in_range = "account_id BETWEEN %(first)s AND %(last)s"
    keys = [("none", "IS NULL")] + [(str(index), f"= {int(pk)}") for index, pk in enumerate(channels)]
    known = ", ".join(str(int(pk)) for pk in channels)
    other = f"s.channel_id NOT IN ({known})" if channels else "s.channel_id IS NOT NULL"
    sums = [f"SUM(CASE WHEN s.channel_id {match} THEN s.amount END) AS c_{key}" for key, match in keys]
    sums.append(
        "MAX(CASE WHEN (s.stored IS NOT NULL AND ROUND(COALESCE(s.amount, 0) + COALESCE(n.amount, 0), 2) "
        f"<> s.stored) OR {other} THEN 1 ELSE 0 END) AS rows_wrong"
    )
    joins = " ".join(
        f"LEFT JOIN {values} v_{key} ON v_{key}.account_id = a.id AND v_{key}.channel_id {match} AND v_{key}.{in_range}"
        for key, match in keys
    )
    total = " + ".join(f"COALESCE(w.c_{key}, 0)" for key, _ in keys)
    wrong = ["w.rows_wrong = 1", f"ROUND({total}, 2) <> a.lifetime_value"] + [
        f"ROUND(COALESCE(w.c_{key}, 0), 2) <> COALESCE(v_{key}.amount, 0)" for key, _ in keys
    ]
    named = (
        f"SELECT customer_type_id, customer_id, SUM(amount) AS amount FROM ({deals}) d "  # noqa: S608
        "WHERE customer_id IS NOT NULL GROUP BY customer_type_id, customer_id"
        if deals
        else "SELECT NULL AS customer_type_id, NULL AS customer_id, NULL AS amount WHERE 1 = 0"
    )
    return (
        # Deals naming a customer add to the customer's value too.
        f"WITH named AS ({named}), "  # noqa: S608
        f"w AS (SELECT s.account_id, {', '.join(sums)} "
        f"FROM ({_sources_sql(connection)}{_stored_customers_sql(connection)}) s LEFT JOIN named n "
        "ON n.customer_type_id = s.customer_type_id AND n.customer_id = s.customer_id GROUP BY s.account_id) "
        f"SELECT a.id FROM {accounts} a LEFT JOIN w ON w.account_id = a.id {joins} "
        f"WHERE a.organization_id = %(org)s AND a.id BETWEEN %(first)s AND %(last)s AND ({' OR '.join(wrong)}) "
        # Values in a channel of the organization made since `channels` was read.
        f"UNION SELECT v.account_id FROM {channel_table} c JOIN {values} v ON v.channel_id = c.id "
        f"WHERE c.organization_id = %(org)s {f'AND c.id NOT IN ({known}) ' if channels else ''}"
        f"AND v.{in_range} AND v.amount <> 0 ORDER BY 1"
    )


def _recalculation_parts(connection, scope: str) -> tuple[str, dict[str, str]]:
    """The recompute of the accounts whose ids `scope` lists (SQL), from the batch's source rows (`s`)
    and their sums per channel (`wanted`): one write each for customers, channel values (set, then zeroed
    where nothing adds up) and accounts.

    Each write compares before it writes (IS DISTINCT FROM), so nothing right is rewritten; sums are
    rounded to the money fields' two places, as the incremental upkeep keeps them. Only quoted
    identifiers, content type ids and the sources' SQL are interpolated; values are parameters.
    """
    quote = connection.ops.quote_name
    materialized = "MATERIALIZED " if connection.vendor == "postgresql" else ""
    accounts = quote(Account._meta.db_table)
    values = quote(AccountChannelValue._meta.db_table)
    history = quote(AccountValueChange._meta.db_table)
    common = (
        f"WITH s AS {materialized}({_sources_sql(connection)}), "  # noqa: S608
        f"wanted AS {materialized}(SELECT account_id, channel_id, ROUND(SUM(amount), 2) AS amount FROM s "
        f"WHERE account_id IN ({scope}) GROUP BY account_id, channel_id), "
        f"totals AS (SELECT a.id, COALESCE(SUM(w.amount), 0) AS total FROM {accounts} a "
        f"LEFT JOIN wanted w ON w.account_id = a.id WHERE a.id IN ({scope}) GROUP BY a.id)"
    )
    writes = {}
    for index, registered in enumerate(customer_types):
        model = registered.model
        table = quote(model._meta.db_table)
        field = quote(model._meta.get_field(registered.lifetime_field).column)
        account = quote(model._meta.get_field(registered.account_field).column)
        type_id = int(ContentType.objects.get_for_model(model).pk)
        per_customer = (
            f"SELECT c.id, COALESCE(ROUND(SUM(s.amount), 2), 0) AS total "  # noqa: S608
            f"FROM {table} c LEFT JOIN s ON s.customer_type_id = {type_id} AND s.customer_id = c.id "
            f"WHERE c.{account} IN ({scope}) GROUP BY c.id"
        )
        writes[f"customers_{index}"] = (
            f"UPDATE {table} SET {field} = t.total FROM ({per_customer}) t "  # noqa: S608
            f"WHERE {table}.id = t.id AND {table}.{field} IS DISTINCT FROM t.total RETURNING 1"
        )
    writes["channels"] = (
        f"INSERT INTO {values} (account_id, channel_id, amount) "  # noqa: S608
        "SELECT account_id, channel_id, amount FROM wanted WHERE channel_id IS NOT NULL AND amount <> 0 "
        "ON CONFLICT (account_id, channel_id) DO UPDATE SET amount = excluded.amount "
        f"WHERE {values}.amount IS DISTINCT FROM excluded.amount RETURNING 1"
    )
    writes["no_channel"] = (
        f"INSERT INTO {values} (account_id, channel_id, amount) "  # noqa: S608
        "SELECT account_id, NULL, amount FROM wanted WHERE channel_id IS NULL AND amount <> 0 "
        "ON CONFLICT (account_id) WHERE channel_id IS NULL DO UPDATE SET amount = excluded.amount "
        f"WHERE {values}.amount IS DISTINCT FROM excluded.amount RETURNING 1"
    )
    writes["zeroed"] = (
        f"UPDATE {values} SET amount = 0 WHERE account_id IN ({scope}) AND amount <> 0 "  # noqa: S608
        f"AND NOT EXISTS (SELECT 1 FROM wanted w WHERE w.account_id = {values}.account_id "
        f"AND w.channel_id IS NOT DISTINCT FROM {values}.channel_id AND w.amount <> 0) RETURNING 1"
    )
    writes["accounts"] = (
        f"UPDATE {accounts} SET lifetime_value = t.total FROM totals t "  # noqa: S608
        f"WHERE {accounts}.id = t.id AND {accounts}.lifetime_value IS DISTINCT FROM t.total "
        f"RETURNING {accounts}.id, {accounts}.lifetime_value"
    )
    # Each corrected total is a point of the account's value chart.
    writes["history"] = (
        f"INSERT INTO {history} (account_id, lifetime_value, changed_at, changed_by_id) "  # noqa: S608
        "SELECT id, lifetime_value, %(now)s, %(actor)s FROM accounts RETURNING 1"
    )
    return common, writes


def without_jit(cursor) -> None:
    """A batch's statements are short: PostgreSQL's JIT compilation would cost them more than it saves (in
    the transaction only)."""
    tune_batch(cursor)


def tune_batch(cursor, *, read: bool = False) -> None:
    """Settings for the current transaction only: no JIT compilation (it costs a batch's statements more
    than it saves) and, for the read of a whole batch, memory enough to keep its sums per group in memory."""
    if cursor.db.vendor == "postgresql":
        cursor.execute("SET LOCAL jit = off")
        if read:
            cursor.execute(f"SET LOCAL work_mem = '{READ_WORK_MEM}'")


def _correct(connection, params: dict, account_ids: list[int]) -> Corrections:
    """Rewrite what differs for these (locked) accounts: one statement on PostgreSQL, one per write elsewhere."""
    if connection.vendor == "postgresql":
        # One array parameter: hundreds of placeholders would make the driver parse the statement anew each time.
        scope = "SELECT unnest(%(accounts)s::bigint[])"
        params = {**params, "accounts": list(account_ids)}
    else:
        scope_params = {f"account_{index}": pk for index, pk in enumerate(account_ids)}
        scope = ", ".join(f"%({name})s" for name in scope_params)
        params = {**params, **scope_params}
    common, writes = _recalculation_parts(connection, scope)
    counts = {}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            ctes = ", ".join(f"{name} AS ({sql})" for name, sql in writes.items())
            totals = ", ".join(f"(SELECT count(*) FROM {name})" for name in writes)  # noqa: S608
            cursor.execute(f"{common}, {ctes} SELECT {totals}", params)
            counts = dict(zip(writes, cursor.fetchone(), strict=True))
        else:
            writes.pop("history")  # SQLite: RETURNING rows cannot feed another statement's INSERT
            for name, sql in writes.items():
                cursor.execute(f"{common} {sql}", params)
                rows = cursor.fetchall()
                counts[name] = len(rows)
                if name == "accounts":
                    AccountValueChange.objects.bulk_create(
                        AccountValueChange(
                            account_id=pk, lifetime_value=value, changed_at=params["now"], changed_by_id=params["actor"]
                        )
                        for pk, value in rows
                    )
    return Corrections(
        accounts=counts["accounts"],
        channel_values=counts["channels"] + counts["no_channel"] + counts["zeroed"],
        customers=sum(count for name, count in counts.items() if name.startswith("customers_")),
    )


def _wrong_accounts(connection, params: dict):
    """The ids of the batch's accounts with anything to correct, in id order, CORRECTION_CHUNK at a time.

    On PostgreSQL the read is a cursor held on the server (WITH HOLD: it outlives the transactions that
    correct what it found), so memory stays the same however many accounts are wrong.
    """
    channels = list(Channel.objects.filter(organization_id=params["org"]).order_by("pk").values_list("pk", flat=True))
    sql = _check_sql(connection, channels)
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            wrong = [row[0] for row in cursor.fetchall()]
        for start in range(0, len(wrong), CORRECTION_CHUNK):
            yield wrong[start : start + CORRECTION_CHUNK]
        return
    name = f"lifetime_check_{uuid.uuid4().hex}"
    with transaction.atomic(), connection.cursor() as cursor:
        tune_batch(cursor, read=True)
        cursor.execute(f"DECLARE {name} NO SCROLL CURSOR WITH HOLD FOR {sql}", params)
    try:
        while True:
            with connection.cursor() as cursor:
                cursor.execute(f"FETCH FORWARD {CORRECTION_CHUNK} FROM {name}")
                wrong = [row[0] for row in cursor.fetchall()]
            if not wrong:
                return
            yield wrong
    finally:
        # In a transaction that failed the cursor goes with it; otherwise it is closed here, not at session end.
        if not connection.needs_rollback and connection.connection is not None:
            with suppress(DatabaseError), connection.cursor() as cursor:
                cursor.execute(f"CLOSE {name}")


def _chunks(wrong: list[int]):
    """Split ids (in order) so that each chunk spans at most CORRECTION_SPAN ids: its sources are read for
    that range of accounts only."""
    chunk: list[int] = []
    for pk in wrong:
        if chunk and pk - chunk[0] >= CORRECTION_SPAN:
            yield chunk
            chunk = []
        chunk.append(pk)
    if chunk:
        yield chunk


def lifetime_recalculate_accounts(*, organization_id: int, first_id: int, last_id: int, actor=None) -> Corrections:
    """Recompute the lifetime values of an organization's accounts with ids from first_id to last_id, and of
    the customers they hold, from every lifetime source. Returns what it corrected.

    One read finds the accounts with anything to correct, without locks. Only those are then locked and
    recomputed, CORRECTION_CHUNK accounts per short transaction, locked in id order as every incremental
    write locks accounts before it touches channel values and customers, so the two never deadlock. A
    write waiting on those locks adds its change after the chunk commits, onto the recomputed value. A
    write that is under way during the read is invisible to it and keeps the values it has not yet
    committed consistent, so the read never misses an account that is wrong.
    """
    from django.db import connection

    params = {
        "org": organization_id,
        "first": first_id,
        "last": last_id,
        "now": timezone.now(),
        "actor": getattr(actor, "pk", None),
    }
    corrections = Corrections()
    # Closed on the way out, even when a correction fails: the read's cursor is released at once.
    with closing(_wrong_accounts(connection, params)) as batches:
        for wrong in batches:
            for chunk in _chunks(wrong):
                with transaction.atomic():
                    locked = list(
                        Account.objects.filter(organization_id=organization_id, pk__in=chunk)
                        .order_by("pk")
                        .select_for_update()
                        .values_list("pk", flat=True)
                    )
                    if locked:
                        corrections += _correct(connection, {**params, "first": locked[0], "last": locked[-1]}, locked)
    return corrections


# Accounts read per batch (one read, no locks: the sources give a row per customer, and a batch's sums
# per group stay small enough to be fast), and accounts locked and rewritten per transaction, within a
# range of CORRECTION_SPAN ids: a write waiting on them waits for one chunk at most.
RECALCULATION_BATCH = 20_000
CORRECTION_CHUNK = 500
CORRECTION_SPAN = 2000
# Memory for each sum or sort of a batch's read (on the server): a batch's sums stay in memory.
READ_WORK_MEM = "32MB"


def lifetime_recalculation_batches(*, organization_id: int, after: int = 0, size: int = RECALCULATION_BATCH):
    """The organization's accounts after id `after`, as (first id, last id, count) ranges of `size` accounts,
    each found by one aggregate (no list of ids in memory)."""
    from django.db import connection

    table = connection.ops.quote_name(Account._meta.db_table)
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT MIN(id), MAX(id), COUNT(*) FROM (SELECT id FROM {table} "  # noqa: S608
                "WHERE organization_id = %s AND id > %s ORDER BY id LIMIT %s) batch",
                [organization_id, after, size],
            )
            first, last, count = cursor.fetchone()
        if not count:
            return
        yield first, last, count
        if count < size:
            return
        after = last


def lifetime_recalculate(*, organization=None, actor=None) -> int:
    """Recompute every lifetime value from its sources (of one organization or all), batch by batch.

    Each batch of accounts is its own short transaction, so the work runs beside live writes. Returns
    how many values it corrected (account totals, channel values, customers' values). The admin runs
    the same work as a job with progress.
    """
    organizations = [organization] if organization is not None else Organization.objects.order_by("pk")
    changed = 0
    for org in organizations:
        for first, last, _ in lifetime_recalculation_batches(organization_id=org.pk):
            changed += lifetime_recalculate_accounts(
                organization_id=org.pk, first_id=first, last_id=last, actor=actor
            ).total
    return changed
