"""The customer selector's server side: one interface (fields, search, get, create, update) and a registry
that picks the implementation per organization.

The POS and its REST endpoints talk only to `CustomerSelector`; they never read customer rows themselves.
The standard implementation works on commerce customers. Another app (the CRM connector) registers an
implementation backed by an external CRM and a resolver that chooses it for the organizations that
enabled it; the front end then shows that implementation's fields with the same look and behaviour.
A customer is named by an opaque `reference` (a string) that only its implementation reads.
"""

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from backoffice.models import User
from backoffice.registry import KeyedRegistry

MAX_QUERY_LENGTH = 100
MAX_RESULTS = 50


class SelectorError(Exception):
    """Something the selector could not do, said to the cashier as is."""


class SelectorNotFound(SelectorError):
    """No customer has that reference (or the actor may not see it)."""


class SelectorUnavailable(SelectorError):
    """Where the customers live cannot be reached now (an external CRM down or too slow)."""


class SelectorValidationError(SelectorError):
    """Values refused, with the messages per field key (`"__all__"` for the customer as a whole)."""

    def __init__(self, errors: Mapping[str, list[str]]):
        self.errors = {key: list(messages) for key, messages in errors.items()}
        super().__init__("; ".join(f"{key}: {' '.join(messages)}" for key, messages in self.errors.items()))


class SelectorConflict(SelectorValidationError):
    """The customer changed after it was read (or the source refused the change as conflicting)."""


@dataclass(frozen=True)
class SelectorChoice:
    value: str
    label: str


@dataclass(frozen=True)
class SelectorField:
    """One field of a customer as the selector shows it: where it shows, whether it is required or editable.

    `type` is one of text, email, phone, number, date, boolean, choice, static (read-only, shown only).
    `required` holds for the create form, `required_on_edit` for the edit form (None: as `required`).
    Positions order the result list and the detail view; spans are their widths in twelfths.
    `searchable`: the key may be given as an explicit search filter.
    """

    key: str
    label: str
    type: str = "text"
    in_list: bool = False
    in_detail: bool = True
    in_create: bool = False
    in_edit: bool = False
    required: bool = False
    max_length: int | None = None
    choices: tuple[SelectorChoice, ...] = ()
    required_on_edit: bool | None = None
    list_position: int = 0
    list_span: int = 1
    detail_position: int = 0
    detail_span: int = 6
    searchable: bool = False


@dataclass(frozen=True)
class SelectorCustomer:
    """A customer as the selector gives it: its reference, the name to show, and its field values by key.

    `version` guards an update against a change made meanwhile (None: the source has no versions).
    """

    reference: str
    label: str
    values: dict[str, object] = field(default_factory=dict)
    version: int | None = None


@dataclass(frozen=True)
class SelectorPage:
    results: list[SelectorCustomer]
    has_more: bool


@dataclass(frozen=True)
class OrderCustomer:
    """What an order is placed on for a chosen customer: the commerce customer the order belongs to, and the
    attributes promotion conditions may read (commerce.services.pricing.PricingContext.attributes)."""

    customer: object
    attributes: dict[str, object] = field(default_factory=dict)


class CustomerSelector(ABC):
    """Where the POS finds, shows, creates and edits customers. Every method acts for `actor` and sees only
    the actor's organization; errors are the Selector* exceptions above."""

    key: str = ""
    label: str = ""

    @abstractmethod
    def fields(self, *, actor: User) -> list[SelectorField]:
        """The fields of a customer, in the order they show."""

    @abstractmethod
    def search(
        self, *, actor: User, query: str, limit: int = 20, filters: Mapping[str, str] | None = None
    ) -> SelectorPage:
        """Customers matching what the cashier typed (name, e-mail, phone, ...), at most `limit`; or, with
        `filters`, those matching every one of these values of searchable fields (by key)."""

    @abstractmethod
    def get(self, *, actor: User, reference: str) -> SelectorCustomer:
        """One customer by its reference."""

    @abstractmethod
    def create(self, *, actor: User, values: dict) -> SelectorCustomer:
        """A new customer from the create form's values."""

    @abstractmethod
    def update(self, *, actor: User, reference: str, values: dict, version: int | None = None) -> SelectorCustomer:
        """Change the edit form's values of a customer (refused if it changed since `version`)."""

    @abstractmethod
    def order_customer(self, *, actor: User, reference: str) -> OrderCustomer:
        """What an order for this customer is placed on (read when a sale is completed)."""


customer_selectors: KeyedRegistry[CustomerSelector] = KeyedRegistry("customer selector")
# Resolvers return the key of the selector an organization uses, or None to let the next one decide.
selector_resolvers: list[Callable[[int], str | None]] = []
STANDARD = "standard"


def customer_selector_for(*, actor: User) -> CustomerSelector:
    """The selector of the actor's organization: the first resolver's choice, the standard one otherwise."""
    import commerce.selector_standard  # noqa: F401  (registers the standard selector on first use)

    for resolver in selector_resolvers:
        key = resolver(actor.organization_id)
        if key:
            return customer_selectors.get(key)
    return customer_selectors.get(STANDARD)
