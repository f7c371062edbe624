"""The interface every CRM connector implements, and the typed errors it raises.

A connector is a plain Python class: it receives its configuration (`ConnectorSettings`: base URL,
credentials, timeout, its own options and the configured properties) and answers five calls. It
speaks to the CRM and translates: customers come back as a reference plus the values of the
configured properties, keyed by each property's external field.

The product wraps every call (crmconnector.guard): the configured timeout, one retry of reads after a
network error, a circuit breaker and logging without personal values. A connector therefore only has
to raise the right error; it must not log what it sends or receives, nor use the database.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

# What a search may ask for: a page of at most this many customers.
MAX_PAGE_SIZE = 100
MAX_PAGE = 10_000


@dataclass(frozen=True)
class PropertySpec:
    """One configured property as a connector sees it (the external field is the key of its value)."""

    external_field: str
    label: str
    property_type: str
    searchable: bool = False
    is_reference: bool = False
    use_as: str = ""
    combo_values: tuple[str, ...] = ()


@dataclass(frozen=True)
class ConnectorSettings:
    """What a connector is built with: one configuration of one organization."""

    base_url: str
    timeout: float
    username: str = ""
    secret: str = field(default="", repr=False)  # API key, password or header value: never shown
    options: dict[str, Any] = field(default_factory=dict)
    properties: tuple[PropertySpec, ...] = ()

    @property
    def reference_field(self) -> str:
        """The external field of the reference key property ("id" when none is configured)."""
        return next((p.external_field for p in self.properties if p.is_reference), "id")

    def property(self, external_field: str) -> PropertySpec | None:
        return next((p for p in self.properties if p.external_field == external_field), None)


@dataclass(frozen=True)
class CrmCustomer:
    """A customer as the CRM holds it: its reference and its property values (external field -> value).

    The values are personal: they are shown to the user and never stored, logged or queued.
    """

    reference: str
    values: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class CrmPage:
    """One page of a search: the customers, and the total when the CRM tells it."""

    customers: list[CrmCustomer]
    page: int
    page_size: int
    total: int | None = None
    has_next: bool = False


class CrmError(Exception):
    """Base of every error a connector raises. Its message is shown to users: no personal values in it."""

    default_message = "The CRM could not do this."

    def __init__(self, message: str | None = None):
        super().__init__(message or self.default_message)

    @property
    def message(self) -> str:
        return str(self.args[0])


class CrmUnavailable(CrmError):
    """The CRM could not be reached or failed (5xx, refused credentials, an answer we cannot read)."""

    default_message = "The CRM is not available right now."


class CrmNetworkError(CrmUnavailable):
    """The connection failed or was closed before an answer: a read is retried once."""

    default_message = "The CRM could not be reached (the connection failed)."


class CrmTimeout(CrmUnavailable):
    """The CRM did not answer within the configured timeout."""

    default_message = "The CRM did not answer in time."


class CrmNotFound(CrmError):
    """No customer with this reference in the CRM."""

    default_message = "The CRM has no customer with this reference."


class CrmConflict(CrmError):
    """The CRM refused the write because of its current state (a duplicate, a concurrent change)."""

    default_message = "The CRM refused the change: the customer was changed meanwhile or already exists."


class CrmValidationError(CrmError):
    """The values were refused: messages per property (external field); "" holds messages about no one field."""

    default_message = "The CRM refused some values."

    def __init__(self, errors: dict[str, list[str]], message: str | None = None):
        super().__init__(message)
        self.errors = {key: list(messages) for key, messages in errors.items()}


class CrmConnector(ABC):
    """A connector to one kind of CRM. Subclass it, give it a `key` and a `label`, and register it.

    Values are keyed by the properties' external fields; a connector returns only the configured
    properties' values, converts the CRM's answers to the typed errors above, and honours
    `settings.timeout` on every request it makes.
    """

    key: ClassVar[str]
    label: ClassVar[str]
    description: ClassVar[str] = ""
    # An example of `options` for the configuration window's help (JSON-serializable).
    options_example: ClassVar[dict[str, Any]] = {}

    def __init__(self, settings: ConnectorSettings):
        self.settings = settings

    @classmethod
    def validate_options(cls, options: dict[str, Any]) -> dict[str, list[str]]:
        """Problems of a configuration's connector options, by option name ("" for the whole); none: valid."""
        return {"": ["This connector takes no options."]} if options else {}

    @abstractmethod
    def search(self, *, filters: dict[str, str], page: int, page_size: int) -> CrmPage:
        """Customers matching every filter (external field of a searchable property -> text), one page."""

    @abstractmethod
    def get(self, reference: str) -> CrmCustomer:
        """The customer with this reference; CrmNotFound when there is none."""

    @abstractmethod
    def create(self, values: dict[str, Any]) -> CrmCustomer:
        """Create a customer from checked values; returns it with the reference the CRM gave it."""

    @abstractmethod
    def update(self, reference: str, values: dict[str, Any]) -> CrmCustomer:
        """Change the given values of a customer; returns the customer as the CRM now holds it."""

    @abstractmethod
    def health_check(self) -> None:
        """Return when the CRM answers and accepts the credentials; raise a CrmError otherwise."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections (called when the configuration changes)."""
