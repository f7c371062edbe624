"""Extension points through which other apps plug into the CRM without `accounts` importing them.

- `customer_types`: models that an opportunity may name as its customer, with the channel their
  value counts in and the field holding their lifetime sales value (commerce registers its customer).
- `account_registry.sections`: extra sections of the account page (commerce adds its Commerce channel).
- `account_registry.activity`: records whose activities appear in an account's activity list.
- `lifetime_sources`: what adds to lifetime sales values (won opportunities here; commerce adds its
  orders), each a SQL aggregate that the recalculation joins, which may also carry its customers' values.

Each is keyed (a customer type and an activity source by their model's "app_label.model", a
section by its key); registering a key twice raises ValueError instead of keeping one silently.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import models

from backoffice.registry import KeyedRegistry, check_not_registered


@dataclass(frozen=True)
class CustomerType:
    model: type[models.Model]
    label: str
    # Field on `model` naming the account, the channel, and holding the lifetime value.
    account_field: str = "account"
    channel_field: str = "channel"
    lifetime_field: str = "lifetime_value"
    # How to reach a record's own page: a URL name taking its primary key ("commerce:customer-detail"),
    # or a callable given the record and returning its URL (or None). Neither: the record is not linked.
    url_name: str = ""
    url: Callable[[models.Model], str | None] | None = None

    def record_url(self, record: models.Model) -> str | None:
        """The page of one of this type's records, or None when the type has none."""
        if self.url is not None:
            return self.url(record)
        if self.url_name:
            from django.urls import reverse

            return reverse(self.url_name, args=[record.pk])
        return None


@dataclass
class CustomerTypeRegistry:
    types: dict[str, CustomerType] = field(default_factory=dict)

    def register(self, customer_type: CustomerType) -> None:
        key = customer_type.model._meta.label_lower
        check_not_registered("customer type", key, self.types)
        self.types[key] = customer_type

    def for_model(self, model: type[models.Model]) -> CustomerType | None:
        return self.types.get(model._meta.label_lower)

    def for_content_type(self, content_type) -> CustomerType | None:
        return self.types.get(f"{content_type.app_label}.{content_type.model}")

    def __iter__(self):
        return iter(self.types.values())


@dataclass(frozen=True)
class AccountSection:
    """A block on the account page: `context(account, actor)` returns its template context, or None when
    the account has nothing for it (the section is then left out)."""

    key: str
    title: str
    template: str
    context: Callable
    order: int = 100


@dataclass(frozen=True)
class ActivitySource:
    """Records linked to an account whose activities belong to its list.

    `ids(account_id)` returns a queryset of primary keys of `model` (used as a subquery).
    """

    model: type[models.Model]
    ids: Callable


@dataclass
class Registry:
    sections: list[AccountSection] = field(default_factory=list)
    activity: list[ActivitySource] = field(default_factory=list)

    def add_section(self, section: AccountSection) -> None:
        check_not_registered("account section", section.key, [s.key for s in self.sections])
        self.sections.append(section)

    def add_activity_source(self, source: ActivitySource) -> None:
        key = source.model._meta.label_lower
        check_not_registered("activity source", key, [s.model._meta.label_lower for s in self.activity])
        self.activity.append(source)


@dataclass(frozen=True)
class LifetimeSource:
    """Rows that add to lifetime sales values, for the recalculation.

    `sql(connection)` returns one SELECT of `account_id, channel_id, customer_type_id, customer_id, amount,
    stored` (amount in the organization's base currency; channel and customer null when none) over the
    accounts of organization `%(org)s` with ids from `%(first)s` to `%(last)s`. It must give exactly what
    the source's incremental upkeep adds, so a recalculation with nothing to correct changes nothing. A
    plain SELECT (no ORDER BY or LIMIT): the sources are joined with UNION ALL.

    A source that gives exactly one row for every customer of one type in the batch and nothing else
    (`customers`: that type's model) puts the customer's stored lifetime value in `stored`, so that the
    check reads each customer once. Other sources (deals) give `stored` null; the rows of theirs that
    name a customer add to that customer's value. Customers of a type no source covers are read by the
    recalculation itself.
    """

    key: str
    sql: Callable
    customers: type[models.Model] | None = None


customer_types = CustomerTypeRegistry()
lifetime_sources: KeyedRegistry[LifetimeSource] = KeyedRegistry("lifetime source")
account_registry = Registry()
