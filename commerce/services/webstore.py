"""Ingestion of the external web store channel: customers and orders upserted by their ids in the store.

A batch is one transaction. Customers come first (so the batch's orders may name them), then orders.
Each record's result is told apart: created, updated, unchanged, or refused with its reasons (the
others are still written). Sending the same batch again changes nothing: a record equal to the stored
one writes nothing, not even a new version. Rows are read, inserted and updated set-based, so the
statements of a batch do not grow with its size.

A customer's lifetime sales value is the sum, in the base currency, of subtotal less discount over its
orders not cancelled; its account's value in the web store channel is the sum over its customers. Each
order's base value is fixed at the rate of the day it first arrives (`base_net`).
"""

import zlib
from collections import defaultdict
from datetime import datetime
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from accounts.choices import ChannelType
from accounts.models import ZERO, Account, Channel
from accounts.services.lifetime import lifetime_apply_deltas
from backoffice.changes import ChangeAction, change_context
from backoffice.db import retry_on_conflict, service_atomic
from backoffice.models import ExternalReference, Organization, User
from backoffice.models.changelog import change_log_write
from backoffice.money import quantize
from commerce.models import WebStoreCustomer, WebStoreOrder, WebStoreOrderStatus
from commerce.services.accounts import accounts_create_for
from commerce.services.orders import base_rate

SYSTEM = "web_store"
WEB_STORE_CHANNEL_NAME = "Web store"
# Records of one kind per call: enough for a store's sync, small enough to answer within a request.
MAX_BATCH = 1000

CREATED, UPDATED, UNCHANGED, REFUSED = "created", "updated", "unchanged", "refused"


def web_store_channel_get(*, organization_id: int) -> Channel:
    """The organization's web store channel, made on first use."""
    channel, _ = Channel.objects.get_or_create(
        organization_id=organization_id, channel_type=ChannelType.WEB_STORE, name=WEB_STORE_CHANNEL_NAME
    )
    return channel


def web_store_order_amount(order: WebStoreOrder | None) -> Decimal:
    """What one web store order adds to its customer's lifetime sales value (base currency)."""
    if order is None or order.status == WebStoreOrderStatus.CANCELLED:
        return ZERO
    return order.base_net


def web_store_customer_type_id() -> int:
    return ContentType.objects.get_for_model(WebStoreCustomer).pk


def web_store_lifetime_sql(connection) -> str:
    """The lifetime source of web store orders, for the recalculation (see accounts.registry.LifetimeSource):
    one row per customer of the batch, the sum of its orders not cancelled (read by their counting index),
    with the customer's stored value (the source covers web store customers)."""
    quote = connection.ops.quote_name
    customers = quote(WebStoreCustomer._meta.db_table)
    orders = quote(WebStoreOrder._meta.db_table)
    return (
        f"SELECT c.account_id, c.channel_id, {int(web_store_customer_type_id())} AS customer_type_id, "  # noqa: S608
        f"c.id AS customer_id, (SELECT SUM(o.base_net) FROM {orders} o WHERE o.customer_id = c.id "
        f"AND o.status <> '{WebStoreOrderStatus.CANCELLED.value}') AS amount, c.lifetime_value AS stored "
        f"FROM {customers} c "
        "WHERE c.organization_id = %(org)s AND c.account_id BETWEEN %(first)s AND %(last)s"
    )


def _serialize_ingestion(organization_id: int) -> None:
    """Batches of one organization run one after the other: two never create the same external id twice."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        key = zlib.crc32(b"web_store_ingest") - 2**31  # the two-key form takes two 32-bit integers
        cursor.execute("SELECT pg_advisory_xact_lock(%s::integer, %s::integer)", [key, organization_id])


def _references(organization_id: int, model, external_ids) -> dict[str, int]:
    return dict(
        ExternalReference.objects.filter(
            organization_id=organization_id,
            system=SYSTEM,
            content_type=ContentType.objects.get_for_model(model),
            external_id__in=list(external_ids),
        ).values_list("external_id", "object_id")
    )


def _refuse_repeats(records: list[dict], results: list[dict]) -> None:
    seen: dict[str, int] = {}
    for index, record in enumerate(records):
        if record["external_id"] in seen:
            results[index] = {
                "result": REFUSED,
                "errors": {"external_id": [f"Also given at position {seen[record['external_id']]} of this batch."]},
            }
        else:
            seen[record["external_id"]] = index


def _reference_rows(organization_id: int, model, pairs: list[tuple[str, int]]) -> None:
    content_type = ContentType.objects.get_for_model(model)
    ExternalReference.objects.bulk_create(
        [
            ExternalReference(
                organization_id=organization_id,
                system=SYSTEM,
                content_type=content_type,
                external_id=external_id,
                object_id=pk,
            )
            for external_id, pk in pairs
        ]
    )


def _write_updates(model, rows: list, changes: dict[int, dict], fields: list[str]) -> None:
    """Write changed rows in one UPDATE, each with a new version and its change log entry."""
    if not rows:
        return
    now = timezone.now()
    for row in rows:
        row.version += 1
        row.updated_at = now
    model.objects.bulk_update(rows, [*fields, "version", "updated_at"])
    change_log_write(
        model,
        [
            {
                "pk": row.pk,
                "organization_id": row.organization_id,
                "version": row.version,
                "owner_id": getattr(row, "owner_id", None),
                "repr": str(row),
                "action": ChangeAction.UPDATE,
                "changes": changes[row.pk],
            }
            for row in rows
        ],
    )


def _jsonable(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _ingest_customers(*, actor: User, organization_id: int, records: list[dict], moves: dict) -> list[dict]:
    results: list[dict | None] = [None] * len(records)
    _refuse_repeats(records, results)
    references = _references(organization_id, WebStoreCustomer, [r["external_id"] for r in records])
    stored = {
        row.pk: row
        for row in WebStoreCustomer.objects.filter(organization_id=organization_id, pk__in=list(references.values()))
        .order_by("pk")
        .select_for_update()
    }
    new, changed, changes = [], [], {}
    for index, record in enumerate(records):
        if results[index] is not None:
            continue
        row = stored.get(references.get(record["external_id"], 0))
        if row is None:
            new.append(index)
            continue
        diff = {}
        for field in ("name", "email", "account"):
            if field not in record or (field == "account" and record[field] is None):
                continue
            value = record[field].pk if field == "account" else record[field]
            old = getattr(row, f"{field}_id" if field == "account" else field)
            if value != old:
                diff[field] = [old, value]
        if not diff:
            results[index] = {"result": UNCHANGED, "id": row.pk}
            continue
        if "account" in diff:
            moves[row.pk] = (diff["account"][0], diff["account"][1], row.channel_id, row.lifetime_value)
            row.account_id = diff["account"][1]
        for field in ("name", "email"):
            if field in diff:
                setattr(row, field, diff[field][1])
        changed.append(row)
        changes[row.pk] = diff
        results[index] = {"result": UPDATED, "id": row.pk}
    _write_updates(WebStoreCustomer, changed, changes, ["name", "email", "account"])
    if new:
        channel = web_store_channel_get(organization_id=organization_id)
        needing = [index for index in new if records[index].get("account") is None]
        account_ids = dict(
            zip(
                needing,
                accounts_create_for(
                    customers=[
                        {"organization_id": organization_id, "owner_id": actor.pk, "name": records[index]["name"]}
                        for index in needing
                    ],
                    actor=actor,
                ),
                strict=True,
            )
        )
        with change_context(actor=actor):
            created = WebStoreCustomer.objects.bulk_create(
                [
                    WebStoreCustomer(
                        organization_id=organization_id,
                        owner=actor,
                        name=records[index]["name"],
                        email=records[index].get("email", ""),
                        account_id=account_ids.get(index) or records[index]["account"].pk,
                        channel=channel,
                    )
                    for index in new
                ]
            )
        _reference_rows(
            organization_id,
            WebStoreCustomer,
            [(records[index]["external_id"], row.pk) for index, row in zip(new, created, strict=True)],
        )
        for index, row in zip(new, created, strict=True):
            results[index] = {"result": CREATED, "id": row.pk}
    return results


ORDER_FIELDS = ("number", "currency", "subtotal", "discount", "status", "placed_at")


def _ingest_orders(*, actor: User, organization_id: int, records: list[dict], deltas: dict) -> list[dict]:
    results: list[dict | None] = [None] * len(records)
    _refuse_repeats(records, results)
    customer_refs = _references(organization_id, WebStoreCustomer, {r["customer_external_id"] for r in records})
    order_refs = _references(organization_id, WebStoreOrder, [r["external_id"] for r in records])
    stored = {
        row.pk: row
        for row in WebStoreOrder.objects.filter(organization_id=organization_id, pk__in=list(order_refs.values()))
        .order_by("pk")
        .select_for_update()
    }
    organization = Organization.objects.get(pk=organization_id)
    today = timezone.localdate()
    rates: dict[str, Decimal | ValidationError] = {}

    def rate_of(currency: str):
        if currency not in rates:
            try:
                rates[currency] = base_rate(organization=organization, currency=currency, on=today)
            except ValidationError as error:
                rates[currency] = error
        return rates[currency]

    new, changed, changes = [], [], {}
    for index, record in enumerate(records):
        if results[index] is not None:
            continue
        errors = {}
        customer_id = customer_refs.get(record["customer_external_id"])
        if customer_id is None:
            errors["customer_external_id"] = [f"No web store customer {record['customer_external_id']!r}."]
        if record["discount"] > record["subtotal"]:
            errors["discount"] = ["A discount cannot be more than the subtotal."]
        row = stored.get(order_refs.get(record["external_id"], 0))
        rate = row.base_rate if row is not None and row.currency == record["currency"] else rate_of(record["currency"])
        if isinstance(rate, ValidationError):
            errors["currency"] = rate.message_dict["currency"]
        if errors:
            results[index] = {"result": REFUSED, "errors": errors}
            continue
        base_net = quantize((record["subtotal"] - record["discount"]) * rate)
        if row is None:
            new.append((index, customer_id, rate, base_net))
            continue
        diff = {
            field: [_jsonable(getattr(row, field)), _jsonable(record[field])]
            for field in ORDER_FIELDS
            if getattr(row, field) != record[field]
        }
        if row.customer_id != customer_id:
            diff["customer"] = [row.customer_id, customer_id]
        if not diff:
            results[index] = {"result": UNCHANGED, "id": row.pk}
            continue
        deltas[row.customer_id] -= web_store_order_amount(row)
        for field in ORDER_FIELDS:
            setattr(row, field, record[field])
        row.customer_id, row.base_rate, row.base_net = customer_id, rate, base_net
        deltas[row.customer_id] += web_store_order_amount(row)
        changed.append(row)
        changes[row.pk] = diff
        results[index] = {"result": UPDATED, "id": row.pk}
    _write_updates(WebStoreOrder, changed, changes, [*ORDER_FIELDS, "customer", "base_rate", "base_net"])
    if new:
        with change_context(actor=actor):
            created = WebStoreOrder.objects.bulk_create(
                [
                    WebStoreOrder(
                        organization_id=organization_id,
                        customer_id=customer_id,
                        base_rate=rate,
                        base_net=base_net,
                        **{field: records[index][field] for field in ORDER_FIELDS},
                    )
                    for index, customer_id, rate, base_net in new
                ]
            )
        _reference_rows(
            organization_id,
            WebStoreOrder,
            [(records[index]["external_id"], row.pk) for (index, *_), row in zip(new, created, strict=True)],
        )
        for (index, *_), row in zip(new, created, strict=True):
            results[index] = {"result": CREATED, "id": row.pk}
            deltas[row.customer_id] += web_store_order_amount(row)
    return results


def _apply_values(*, moves: dict, deltas: dict, actor) -> None:
    """Customers' new order values and moved customers' values, into customers, accounts and channel values."""
    type_id = web_store_customer_type_id()
    accounts: dict[int, Decimal] = defaultdict(lambda: ZERO)
    channels: dict[tuple[int, int | None], Decimal] = defaultdict(lambda: ZERO)
    for old_account, new_account, channel_id, value in moves.values():
        accounts[old_account] -= value
        channels[(old_account, channel_id)] -= value
        accounts[new_account] += value
        channels[(new_account, channel_id)] += value
    deltas = {pk: amount for pk, amount in deltas.items() if amount}
    for pk, account_id, channel_id in WebStoreCustomer.objects.filter(pk__in=list(deltas)).values_list(
        "pk", "account_id", "channel_id"
    ):
        accounts[account_id] += deltas[pk]
        channels[(account_id, channel_id)] += deltas[pk]
    lifetime_apply_deltas(
        accounts=accounts,
        channels=channels,
        customers={(type_id, pk): amount for pk, amount in deltas.items()},
        actor=actor,
    )


@retry_on_conflict
@service_atomic
def web_store_ingest(*, actor: User, customers: list[dict], orders: list[dict]) -> dict:
    """Upsert web store customers and orders by their external ids; each record's result, in the order given.

    A customer record: external_id, name, and optionally email and account (an Account; without one a new
    customer gets a new account named after it). An order record: external_id, customer_external_id (a
    customer of this or an earlier batch), number, currency, subtotal, discount, status, placed_at.
    """
    if not actor.organization_id:
        raise ValidationError("Web store records belong to an organization; this user has none.")
    for name, records in (("customers", customers), ("orders", orders)):
        if len(records) > MAX_BATCH:
            raise ValidationError({name: f"At most {MAX_BATCH} records per call."})
    accounts = [r["account"] for r in customers if r.get("account") is not None]
    if any(
        not isinstance(account, Account) or account.organization_id != actor.organization_id for account in accounts
    ):
        raise ValidationError({"customers": "An account belongs to another organization."})
    organization_id = actor.organization_id
    _serialize_ingestion(organization_id)
    moves: dict[int, tuple] = {}
    deltas: dict[int, Decimal] = defaultdict(lambda: ZERO)
    with change_context(actor=actor):
        customer_results = _ingest_customers(
            actor=actor, organization_id=organization_id, records=customers, moves=moves
        )
        order_results = _ingest_orders(actor=actor, organization_id=organization_id, records=orders, deltas=deltas)
    _apply_values(moves=moves, deltas=deltas, actor=actor)

    def shaped(records, results):
        return [
            {"index": index, "external_id": record["external_id"], "id": None, "errors": {}, **result}
            for index, (record, result) in enumerate(zip(records, results, strict=True))
        ]

    return {"customers": shaped(customers, customer_results), "orders": shaped(orders, order_results)}
