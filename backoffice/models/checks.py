"""Validation that needs no query: check constraints read from the row itself, foreign keys already loaded.

Django validates a check constraint by asking the database (`SELECT 1 WHERE ...` in a savepoint)
and a foreign key by looking its row up, three and one round trips a save. A condition made only of
comparisons of the row's own fields with constants or with another field of the row (`F("start")`)
(`isnull`, `exact`, `gt`, `gte`, `lt`, `lte`, `in`) is evaluated here instead, with SQL's rule that an
unknown result (a null) passes; anything else still goes to the database. The database enforces every
constraint on write regardless.
"""

import operator

from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, ValidationError
from django.db import models
from django.db.models.expressions import Combinable

_COMPARISONS = {
    "exact": operator.eq,
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}


class Unevaluable(Exception):
    """The condition needs the database."""


def _own_value(instance: models.Model, name: str, exclude: set[str]):
    try:
        field = instance._meta.get_field(name)
    except FieldDoesNotExist:
        raise Unevaluable(name) from None
    if not field.concrete or field.name in exclude:
        raise Unevaluable(name)
    return getattr(instance, field.attname)


def _leaf(instance: models.Model, lookup: str, value, exclude: set[str]) -> bool | None:
    name, _, kind = lookup.partition("__")
    kind = kind or "exact"
    if "__" in kind:
        raise Unevaluable(lookup)
    if type(value) is models.F:  # another field of the same row, such as end >= F("start")
        value = _own_value(instance, value.name, exclude)
    elif isinstance(value, Combinable | models.Q):
        raise Unevaluable(lookup)
    try:
        field = instance._meta.get_field(name)
    except FieldDoesNotExist:
        raise Unevaluable(lookup) from None
    if not field.concrete or field.name in exclude:
        raise Unevaluable(lookup)
    current = getattr(instance, field.attname)
    if kind == "isnull":
        return (current is None) == bool(value)
    if current is None or value is None:
        return None  # SQL: a comparison with null is unknown
    try:
        current, value = field.to_python(current), field.to_python(value) if kind != "in" else value
        if kind == "in":
            return current in [field.to_python(item) for item in value]
        if kind not in _COMPARISONS:
            raise Unevaluable(lookup)
        return _COMPARISONS[kind](current, value)
    except (TypeError, ValidationError):
        raise Unevaluable(lookup) from None


def evaluate(condition: models.Q, instance: models.Model, exclude: set[str]) -> bool | None:
    """The condition's SQL truth value on this row (None: unknown); raises Unevaluable when it needs SQL."""
    results = []
    for child in condition.children:
        if isinstance(child, models.Q):
            results.append(evaluate(child, instance, exclude))
        elif isinstance(child, tuple):
            results.append(_leaf(instance, child[0], child[1], exclude))
        else:
            raise Unevaluable(child)
    if condition.connector == models.Q.AND:
        result = False if False in results else (None if None in results else True)
    else:
        result = True if True in results else (None if None in results else False)
    if condition.negated and result is not None:
        result = not result
    return result


def check_constraints_in_python(instance: models.Model, exclude: set[str]) -> tuple[set[str], dict]:
    """Evaluate the row's check constraints that need no query: (names evaluated, errors found)."""
    evaluated, errors = set(), {}
    for _, constraints in instance.get_constraints():
        for constraint in constraints:
            if not isinstance(constraint, models.CheckConstraint):
                continue
            try:
                result = evaluate(constraint.condition, instance, exclude)
            except Unevaluable:
                continue
            evaluated.add(constraint.name)
            if result is False:
                error = ValidationError(constraint.get_violation_error_message(), code=constraint.violation_error_code)
                errors.setdefault(NON_FIELD_ERRORS, []).append(error)
    return evaluated, errors


def known_foreign_keys(instance: models.Model, stored: dict) -> set[str]:
    """Foreign keys with no need to look their row up: one the caller loaded from the database already,
    or one the stored row holds already (the database's foreign key vouches for it)."""
    names = set()
    for field in instance._meta.concrete_fields:
        if not field.is_relation or not field.many_to_one or field.remote_field.limit_choices_to:
            continue
        value = getattr(instance, field.attname)
        if value is None:
            continue
        cached = instance._state.fields_cache.get(field.name)
        if cached is not None and not cached._state.adding and cached.pk == value:
            names.add(field.name)
        elif not instance._state.adding and field.attname in stored and stored[field.attname] == value:
            names.add(field.name)
    return names
