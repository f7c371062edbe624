"""Reads of an account's lifetime sales value: by channel and its history."""

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


def account_lifetime_history(*, account: Account) -> QuerySet[AccountValueChange]:
    """Every recorded change of the account's lifetime sales value, oldest first."""
    return AccountValueChange.objects.filter(account=account).order_by("changed_at", "id")
