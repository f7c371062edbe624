"""Reads of an account's lifetime sales value: by channel and its history.

The history grows with every change (every won deal, every status change that moves a value), so the
account page's chart gets it downsampled in SQL to at most `CHART_POINTS` points: the time from the
first change to the last cut into that many equal buckets, keeping each bucket's last value (a step
chart's value at the bucket's end), the last change always among them. The full history is the CSV
export, read in chunks.
"""

from django.db import connection
from django.db.models import QuerySet

from accounts.models import Account, AccountChannelValue, AccountValueChange


def account_lifetime_by_channel(*, account: Account) -> list[dict]:
    """The account's lifetime sales value per channel ("No channel" for won deals without customer)."""
    rows = AccountChannelValue.objects.filter(account=account).select_related("channel").order_by("channel__name")
    return [
        {
            "channel": row.channel.name if row.channel else "No channel",
            "channel_type": getattr(row.channel, "channel_type", ""),
            "amount": row.amount,
        }
        for row in rows
        if row.amount
    ]


CHART_POINTS = 200

_CHART_SQL = """
WITH span AS (
    SELECT extract(epoch FROM min(changed_at)) AS first, extract(epoch FROM max(changed_at)) AS last
    FROM {table} WHERE account_id = %(account)s
)
SELECT DISTINCT ON (bucket) changed_at, lifetime_value
FROM (
    SELECT v.changed_at, v.lifetime_value, v.id,
           floor((extract(epoch FROM v.changed_at) - span.first) * (%(points)s - 1)
                 / greatest(span.last - span.first, 1)) AS bucket
    FROM {table} v CROSS JOIN span WHERE v.account_id = %(account)s
) bucketed
ORDER BY bucket, changed_at DESC, id DESC
"""


def account_lifetime_history(*, account: Account) -> QuerySet[AccountValueChange]:
    """Every recorded change of the account's lifetime sales value, oldest first."""
    return AccountValueChange.objects.filter(account=account).order_by("changed_at", "id")


def account_lifetime_chart(*, account: Account, points: int = CHART_POINTS) -> list[dict]:
    """The account's value history for its chart: at most `points` {at, value}, oldest first (one query)."""
    if connection.vendor != "postgresql":
        changes = list(account_lifetime_history(account=account).values_list("changed_at", "lifetime_value"))
        step = max(1, -(-len(changes) // points))
        rows = changes[step - 1 :: step] if changes else []
        if changes and rows[-1:] != changes[-1:]:
            rows.append(changes[-1])
        rows = rows[-points:]
    else:
        sql = _CHART_SQL.format(table=connection.ops.quote_name(AccountValueChange._meta.db_table))
        with connection.cursor() as cursor:
            cursor.execute(sql, {"account": account.pk, "points": points})
            rows = cursor.fetchall()
    return [{"at": changed_at.isoformat(), "value": str(value)} for changed_at, value in rows]
