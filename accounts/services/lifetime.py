"""Lifetime sales value (LSV): kept incrementally in the transaction that changes an opportunity,
and recomputed from scratch by `recalculate_lifetime`, which must give identical numbers.

A won opportunity contributes its close revenue (base currency) to its account, in the channel
of its customer (no customer: no channel), and to the customer's own lifetime value.
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from accounts.choices import OpportunityStatus
from accounts.models import ZERO, Account, AccountChannelValue, AccountValueChange, Opportunity
from accounts.registry import customer_types


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
    row, _ = AccountChannelValue.objects.get_or_create(account_id=account_id, channel_id=channel_id)
    AccountChannelValue.objects.filter(pk=row.pk).update(amount=F("amount") + delta)


def _record_totals(account_ids, actor) -> None:
    now = timezone.now()
    totals = dict(Account.objects.filter(pk__in=account_ids).values_list("pk", "lifetime_value"))
    AccountValueChange.objects.bulk_create(
        AccountValueChange(account_id=pk, lifetime_value=value, changed_at=now, changed_by=actor)
        for pk, value in totals.items()
    )


def _sorted_channel_key(key: tuple[int, int | None]) -> tuple[int, int]:
    return (key[0], -1 if key[1] is None else key[1])


@transaction.atomic
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
    touched = []
    for account_id in sorted(accounts):
        if accounts[account_id]:
            Account.objects.filter(pk=account_id).update(lifetime_value=F("lifetime_value") + accounts[account_id])
            touched.append(account_id)
    for key in sorted(channels, key=_sorted_channel_key):
        if channels[key]:
            _add_channel_value(key[0], key[1], channels[key])
    for type_id, customer_id in sorted(customers):
        delta = customers[(type_id, customer_id)]
        if delta:
            model, registered = _customer_model(type_id)
            field = registered.lifetime_field
            model._base_manager.filter(pk=customer_id).update(**{field: F(field) + delta})
    if touched:
        _record_totals(touched, actor)


@transaction.atomic
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


@transaction.atomic
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


@transaction.atomic
def lifetime_recalculate_accounts(*, account_ids: list[int], actor=None) -> Corrections:
    """Recompute the lifetime values of these accounts and of the customers they hold, from the opportunities.

    Set-based (a few queries per customer type whatever the number of rows), and it writes only what
    differs, so a run with nothing to correct changes nothing. Returns what it corrected; each
    corrected account total is recorded for the chart.
    """
    account_ids = list(account_ids)
    accounts = Account.objects.filter(pk__in=account_ids)
    opportunities = Opportunity.objects.filter(account_id__in=account_ids)
    corrections = Corrections()

    per_account_channel: dict[tuple[int, int | None], Decimal] = defaultdict(lambda: ZERO)
    rows = list(_won_sums(opportunities))
    channel_of: dict[tuple[int, int], int | None] = {}
    by_type: dict[int, set[int]] = defaultdict(set)
    for row in rows:
        if row["customer_id"] is not None:
            by_type[row["customer_type_id"]].add(row["customer_id"])
    for type_id, ids in by_type.items():
        model, registered = _customer_model(type_id)
        for pk, channel_id in model._base_manager.filter(pk__in=ids).values_list(
            "pk", f"{registered.channel_field}_id"
        ):
            channel_of[(type_id, pk)] = channel_id
    for row in rows:
        key = (row["customer_type_id"], row["customer_id"])
        channel_id = channel_of.get(key) if row["customer_id"] is not None else None
        per_account_channel[(row["account_id"], channel_id)] += row["total"]

    # Customers of every registered type held by these accounts: their value is all their won deals.
    for registered in customer_types:
        type_id = ContentType.objects.get_for_model(registered.model).pk
        field = registered.lifetime_field
        customers = registered.model._base_manager.filter(**{f"{registered.account_field}_id__in": account_ids})
        stored = dict(customers.values_list("pk", field))
        totals = {
            row["customer_id"]: row["total"]
            for row in _won_sums(Opportunity.objects.filter(customer_type_id=type_id, customer_id__in=list(stored)))
        }
        wrong = [
            registered.model(pk=pk, **{field: totals.get(pk, ZERO)})
            for pk, value in stored.items()
            if value != totals.get(pk, ZERO)
        ]
        registered.model._base_manager.bulk_update(wrong, [field], batch_size=1000)
        corrections.customers += len(wrong)

    # Channel values: update, add and remove only the rows that differ.
    wanted = {key: amount for key, amount in per_account_channel.items() if amount}
    stored_rows = {
        (row.account_id, row.channel_id): row for row in AccountChannelValue.objects.filter(account_id__in=account_ids)
    }
    changed_rows = []
    for key, row in stored_rows.items():
        amount = wanted.get(key, ZERO)
        if row.amount != amount:
            row.amount = amount
            changed_rows.append(row)
    AccountChannelValue.objects.bulk_update(changed_rows, ["amount"], batch_size=1000)
    new_rows = [
        AccountChannelValue(account_id=a, channel_id=c, amount=v)
        for (a, c), v in wanted.items()
        if (a, c) not in stored_rows
    ]
    AccountChannelValue.objects.bulk_create(new_rows)
    corrections.channel_values += len(changed_rows) + len(new_rows)

    before = dict(accounts.values_list("pk", "lifetime_value"))
    totals: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for (account_id, _), amount in per_account_channel.items():
        totals[account_id] += amount
    changed = [pk for pk in before if before[pk] != totals.get(pk, ZERO)]
    Account.objects.bulk_update(
        [Account(pk=pk, lifetime_value=totals.get(pk, ZERO)) for pk in changed],
        ["lifetime_value"],
        batch_size=1000,
    )
    _record_totals(changed, actor)
    corrections.accounts += len(changed)
    return corrections


RECALCULATION_BATCH = 500


@transaction.atomic
def lifetime_recalculate(*, organization=None, actor=None) -> int:
    """Recompute every lifetime value from the opportunities (of one organization or all), in one transaction.

    Returns how many values it corrected (account totals, channel values, customers' values). The
    admin runs the same work as a job with progress.
    """
    accounts = Account.objects.order_by("pk")
    if organization is not None:
        accounts = accounts.filter(organization=organization)
    changed = 0
    last = 0
    while True:
        ids = list(accounts.filter(pk__gt=last).values_list("pk", flat=True)[:RECALCULATION_BATCH])
        if not ids:
            return changed
        changed += lifetime_recalculate_accounts(account_ids=ids, actor=actor).total
        last = ids[-1]
