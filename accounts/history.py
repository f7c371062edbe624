"""An opportunity's change history, read from django-simple-history as who changed what and when."""

from collections import defaultdict

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.text import capfirst

from accounts.models import Opportunity

# Bookkeeping columns that say nothing a rep would want to read.
SKIPPED_FIELDS = {"id", "organization", "created_at", "updated_at", "version", "customer_type", "customer_id"}
LABELS = {
    "budget_amount_base": "Budget in base currency",
    "close_revenue_base": "Close revenue in base currency",
}
CUSTOMER = "customer"


def _tracked_fields() -> list[models.Field]:
    historical = Opportunity.history.model
    tracked = {field.name for field in historical._meta.get_fields()}
    return [
        field
        for field in Opportunity._meta.concrete_fields
        if field.name not in SKIPPED_FIELDS and field.name in tracked
    ]


def _label(name: str) -> str:
    if name == CUSTOMER:
        return "Customer"
    if name in LABELS:
        return LABELS[name]
    return capfirst(Opportunity._meta.get_field(name).verbose_name)


def _raw_values(record, fields: list[models.Field]) -> dict:
    values = {field.name: getattr(record, field.attname) for field in fields}
    customer = (record.customer_type_id, record.customer_id)
    values[CUSTOMER] = customer if customer[0] is not None else None
    return values


def _resolver(records: list, fields: list[models.Field]):
    """A function turning a raw value into what a reader recognises, with one query per related model."""
    ids_by_model: dict[type[models.Model], set] = defaultdict(set)
    customer_ids: dict[int, set] = defaultdict(set)
    for record in records:
        for field in fields:
            value = getattr(record, field.attname)
            if field.is_relation and value is not None:
                ids_by_model[field.related_model].add(value)
        if record.customer_type_id is not None:
            customer_ids[record.customer_type_id].add(record.customer_id)
    objects: dict[type[models.Model], dict] = {
        model: model._base_manager.in_bulk(ids) for model, ids in ids_by_model.items()
    }
    customers: dict[tuple[int, int], models.Model] = {}
    for type_id, ids in customer_ids.items():
        model = ContentType.objects.get_for_id(type_id).model_class()
        if model is not None:
            for pk, customer in model._base_manager.in_bulk(ids).items():
                customers[(type_id, pk)] = customer
    choice_fields = {field.name: dict(field.flatchoices) for field in fields if field.choices}
    relation_fields = {field.name: field.related_model for field in fields if field.is_relation}

    def resolve(name: str, value):
        if value is None or value == "":
            return None
        if name == CUSTOMER:
            return customers.get(value, f"#{value[1]} (deleted)")
        if name in relation_fields:
            related = objects[relation_fields[name]].get(value)
            return related if related is not None else f"#{value} (deleted)"
        if name in choice_fields:
            return choice_fields[name].get(value, value)
        return value

    return resolve


def _who(record) -> str:
    user = record.history_user
    if user is None:
        return ""
    return user.get_full_name() or user.username


def opportunity_history_entries(*, opportunity: Opportunity) -> list[dict]:
    """Changes of the opportunity, newest first: {when, who, action, changes: [(field label, old, new)]}.

    Consecutive historical records are compared field by field; the first one is its creation.
    The caller has already checked that the actor may read the opportunity.
    """
    records = list(
        Opportunity.history.filter(id=opportunity.pk)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    fields = _tracked_fields()
    resolve = _resolver(records, fields)
    names = [field.name for field in fields]
    if CUSTOMER not in names:
        # The customer reads as one value, shown after the account it belongs to.
        names.insert(names.index("account") + 1 if "account" in names else len(names), CUSTOMER)
    entries = []
    previous = None
    for record in records:
        values = _raw_values(record, fields)
        if previous is None or record.history_type == "+":
            action, changes = "created", []
        elif record.history_type == "-":
            action, changes = "deleted", []
        else:
            action = "changed"
            changes = [
                (_label(name), resolve(name, previous[name]), resolve(name, values[name]))
                for name in names
                if previous[name] != values[name]
            ]
        previous = values
        if action == "changed" and not changes:
            continue  # a save that touched only bookkeeping columns
        entries.append(
            {
                "when": record.history_date,
                "who": _who(record),
                "action": action,
                "changes": changes,
                "reason": record.history_change_reason or "",
            }
        )
    entries.reverse()
    return entries
