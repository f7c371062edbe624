"""Customers moving between accounts, one at a time or a whole batch: their value moves with them.

A customer's value in an account is its orders (in the Commerce channel) and the won deals that name
it; the deals follow the customer to its new account, as a business customer's do. Both accounts'
totals, channel values and value history change in the same transaction.
"""

from collections import defaultdict
from decimal import Decimal

from django.db.models import Case, F, IntegerField, Value, When
from django.utils import timezone

from accounts.models import ZERO, Account, Opportunity
from accounts.services.lifetime import lifetime_apply_deltas
from backoffice.changes import change_context
from backoffice.db import service_atomic
from commerce.models import CommerceCustomer
from commerce.services.lifetime import customer_type_id, customers_order_values, won_opportunity_sums


def _case(mapping: dict[int, int | None], *, key: str = "pk", default: str | None = None) -> Case:
    """A per-row value: `mapping[row's key]`, else the row's own `default` column."""
    return Case(
        *(When(**{key: pk}, then=Value(value)) for pk, value in mapping.items()),
        default=F(default) if default else None,
        output_field=IntegerField(),
    )


@service_atomic
def customers_relate_accounts(
    *,
    moves: dict[int, int],
    previous: dict[int, int | None] | None = None,
    actor=None,
) -> int:
    """Point customers at new accounts ({customer id: account id}), their value and deals with them.

    The caller holds the customers' locks (taken in id order). `previous` sets what each customer
    remembers as its previous account. Set-based: a handful of statements whatever the number of
    customers. Returns how many customers changed account.
    """
    previous = previous or {}
    current = {
        pk: (account_id, channel_id)
        for pk, account_id, channel_id in CommerceCustomer.objects.filter(pk__in=list(moves)).values_list(
            "pk", "account_id", "channel_id"
        )
    }
    moving = {pk: account_id for pk, account_id in moves.items() if pk in current and current[pk][0] != account_id}
    remember = {pk: value for pk, value in previous.items() if pk in current}
    if not moving and not remember:
        return 0
    accounts: dict[int, Decimal] = defaultdict(lambda: ZERO)
    channels: dict[tuple[int, int | None], Decimal] = defaultdict(lambda: ZERO)
    if moving:
        type_id = customer_type_id()
        deals = Opportunity.objects.filter(customer_type_id=type_id, customer_id__in=list(moving))
        # The deals are locked before the accounts, as the CRM's own customer moves do.
        list(deals.order_by("pk").select_for_update().values_list("pk", flat=True))
        for pk, amount in customers_order_values(moving).items():
            old_account, channel_id = current[pk]
            if old_account is not None:
                accounts[old_account] -= amount
                channels[(old_account, channel_id)] -= amount
            accounts[moving[pk]] += amount
            channels[(moving[pk], channel_id)] += amount
        for row in won_opportunity_sums(moving):
            pk, total = row["customer_id"], row["total"]
            channel_id = current[pk][1]
            if row["account_id"] == moving[pk]:
                continue
            accounts[row["account_id"]] -= total
            channels[(row["account_id"], channel_id)] -= total
            accounts[moving[pk]] += total
            channels[(moving[pk], channel_id)] += total
    with change_context(actor=actor):
        _write_customer_accounts(moving, remember, {pk: current[pk][0] for pk in moving})
        if moving:
            deals.update(account_id=_case(moving, key="customer_id"))
    lifetime_apply_deltas(accounts=accounts, channels=channels, customers={}, actor=actor)
    return len(moving)


def _write_customer_accounts(moving: dict[int, int], remember: dict[int, int | None], old: dict[int, int]) -> None:
    """Write new accounts and remembered accounts of many customers: one UPDATE from a list of values.

    A changed account is a change a person sees (a new version and a change log entry, all entries in
    one INSERT); a remembered account is bookkeeping of the strategy and is written without either.
    """
    from django.db import connection

    from backoffice.changes import ChangeAction
    from backoffice.models.changelog import change_log_write

    ids = sorted({*moving, *remember})
    if not ids:
        return
    quote = connection.ops.quote_name
    table = quote(CommerceCustomer._meta.db_table)
    rows, params = [], []
    for pk in ids:
        rows.append("(%s, %s, %s, %s)")
        params += [pk, moving.get(pk), pk in remember, remember.get(pk)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} c SET "  # noqa: S608
            "account_id = COALESCE(CAST(v.account AS bigint), c.account_id), "
            "previous_account_id = CASE WHEN CAST(v.remember AS boolean) THEN CAST(v.previous AS bigint) "
            "ELSE c.previous_account_id END, "
            "version = c.version + CASE WHEN v.account IS NULL THEN 0 ELSE 1 END, "
            "updated_at = CASE WHEN v.account IS NULL THEN c.updated_at ELSE CAST(%s AS timestamptz) END "
            f"FROM (VALUES {', '.join(rows)}) AS v(id, account, remember, previous) "
            "WHERE c.id = CAST(v.id AS bigint) "
            "RETURNING c.id, c.organization_id, c.version, c.owner_id, c.name",
            [timezone.now(), *params],
        )
        written = cursor.fetchall()
    change_log_write(
        CommerceCustomer,
        [
            {
                "pk": pk,
                "organization_id": organization_id,
                "version": version,
                "owner_id": owner_id,
                "repr": name,
                "action": ChangeAction.UPDATE,
                "changes": {"account": [old[pk], moving[pk]]},
            }
            for pk, organization_id, version, owner_id, name in written
            if pk in moving
        ],
    )


def accounts_create_for(*, customers: list[dict], actor=None) -> list[int]:
    """New accounts named after customers, owned by the customers' owners: one INSERT, one change log write."""
    if not customers:
        return []
    with change_context(actor=actor):
        created = Account.objects.bulk_create(
            [
                Account(organization_id=row["organization_id"], owner_id=row["owner_id"], name=row["name"])
                for row in customers
            ]
        )
    return [account.pk for account in created]
