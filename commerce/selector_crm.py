"""The CRM customer selector: the customers of the organization's external CRM, through its active connector.

It is chosen for an organization while its CRM connector is enabled (the resolver below) and gives way to
the standard selector as soon as it is switched off. Customers are searched, shown, created and changed in
the CRM (crmconnector.customers checks every value per property before anything is sent); nothing of them
is stored here. A sale to one of them is placed on the organization's anonymous customer with, as pricing
attributes, the CRM reference and the category keys (commerce.services.crm_attributes gives the shape).
"""

import contextlib
import re
import time
from collections.abc import Mapping

from backoffice.models import User
from commerce.selector import (
    MAX_QUERY_LENGTH,
    MAX_RESULTS,
    CustomerSelector,
    OrderCustomer,
    SelectorChoice,
    SelectorConflict,
    SelectorCustomer,
    SelectorField,
    SelectorNotFound,
    SelectorPage,
    SelectorUnavailable,
    SelectorValidationError,
    customer_selectors,
    selector_resolvers,
)
from commerce.services.crm_attributes import CRM_REFERENCE, CRM_VALUES, crm_category_keys_clean
from crmconnector.choices import PropertyType, UseAs
from crmconnector.connectors.base import (
    CrmConflict,
    CrmCustomer,
    CrmError,
    CrmNotFound,
    CrmUnavailable,
    CrmValidationError,
)
from crmconnector.customers import (
    crm_configuration_active,
    crm_customer_create,
    crm_customer_display_name,
    crm_customer_get,
    crm_customer_search,
    crm_customer_update,
    customer_summary,
)
from crmconnector.models import CrmConnectorConfiguration
from crmconnector.services import crm_runtime

CRM = "crm"
TYPES = {
    PropertyType.TEXT: "text",
    PropertyType.NUMBER: "number",
    PropertyType.DATE: "date",
    PropertyType.BOOLEAN: "boolean",
    PropertyType.COMBO: "choice",
    PropertyType.EMAIL: "email",
    PropertyType.PHONE: "phone",
    PropertyType.STATIC_TEXT: "static",
}
# What a typed query looks like: an e-mail has an @; a phone number is digits with + ( ) - . / and spaces.
PHONE_QUERY = re.compile(r"\+?[0-9 ()./\-]{3,40}")
MIN_PHONE_DIGITS = 3
MIN_QUERY_LENGTH = 2
# The name-like filters tried for a text query, in this order; a search asks the CRM at most this many times
# (all within the one configured timeout).
NAME_USES = (UseAs.FULL_NAME, UseAs.LAST_NAME, UseAs.FIRST_NAME, UseAs.COMPANY)
MAX_SEARCHES = 4
OFF = "The CRM connector is switched off for your organization."


# A further reading of the query (another filter) is asked only with at least this much of the timeout left.
NEXT_SEARCH_MIN_SECONDS = 0.25


@contextlib.contextmanager
def _crm_errors():
    """The connector's typed errors as the selector's: what the POS and its API already know how to show."""
    try:
        yield
    except CrmUnavailable as error:
        raise SelectorUnavailable(error.message) from None
    except CrmConflict as error:
        raise SelectorConflict({"__all__": [error.message]}) from None
    except CrmValidationError as error:
        raise SelectorValidationError(
            {(key or "__all__"): messages for key, messages in error.errors.items()} or {"__all__": [error.message]}
        ) from None
    except CrmNotFound as error:
        raise SelectorNotFound(error.message) from None
    except CrmError as error:
        raise SelectorValidationError({"__all__": [error.message]}) from None


def _shown(value) -> object:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else value


class CrmCustomerSelector(CustomerSelector):
    """Customers of the external CRM of the actor's organization, with the fields its configuration defines."""

    key = CRM
    label = "External CRM"

    def _configuration(self, actor: User) -> CrmConnectorConfiguration:
        configuration = crm_configuration_active(organization_id=actor.organization_id)
        if configuration is None:
            raise SelectorUnavailable(OFF)
        return configuration

    def _properties(self, configuration: CrmConnectorConfiguration) -> tuple:
        return crm_runtime(configuration).properties

    def fields(self, *, actor: User) -> list[SelectorField]:
        properties = self._properties(self._configuration(actor))
        fields = []
        for prop in properties:
            kind = TYPES.get(prop.property_type, "text")
            options = sorted(
                (o for o in prop.combo_options or () if isinstance(o, dict) and "value" in o),
                key=lambda o: (o.get("order") if isinstance(o.get("order"), int) else 0, str(o["value"])),
            )
            fields.append(
                SelectorField(
                    key=prop.external_field,
                    label=prop.label,
                    type=kind,
                    in_list=prop.show_in_list,
                    in_detail=prop.show_in_detail,
                    in_create=kind != "static" and prop.show_in_create and prop.editable_on_create,
                    in_edit=kind != "static" and prop.show_in_edit and prop.editable_on_edit,
                    required=prop.mandatory_on_create,
                    required_on_edit=prop.mandatory_on_edit,
                    max_length=prop.max_length,
                    choices=tuple(SelectorChoice(str(o["value"]), str(o.get("label") or o["value"])) for o in options),
                    list_position=prop.list_position,
                    list_span=prop.list_column_span,
                    detail_position=prop.detail_position,
                    detail_span=prop.detail_column_span,
                    searchable=prop.searchable,
                )
            )
        return sorted(fields, key=lambda f: f.detail_position)

    def _customer(self, properties, customer: CrmCustomer) -> SelectorCustomer:
        values = {
            prop.external_field: _shown(customer.values.get(prop.external_field))
            for prop in properties
            if prop.property_type != PropertyType.STATIC_TEXT
        }
        label = customer_summary(properties=properties, customer=customer).display_name
        return SelectorCustomer(reference=customer.reference, label=label, values=values, version=None)

    def _plans(self, properties, query: str) -> list[dict[str, str]]:
        """The searches a typed query stands for, by its shape: an e-mail, a phone number, or names."""
        searchable = [p for p in properties if p.searchable]

        def of(*, types=(), uses=()) -> list:
            return [p for p in searchable if p.property_type in types or p.use_as in uses]

        if "@" in query:
            emails = of(types=(PropertyType.EMAIL,), uses=(UseAs.EMAIL,))
            if emails:
                return [{p.external_field: query} for p in emails][:MAX_SEARCHES]
        if PHONE_QUERY.fullmatch(query) and sum(c.isdigit() for c in query) >= MIN_PHONE_DIGITS:
            phones = of(types=(PropertyType.PHONE,), uses=(UseAs.PHONE,))
            if phones:
                # As typed, and as digits only: a CRM may keep "+34 600 111 222" or "+34600111222".
                digits = "".join(c for c in query if c.isdigit())
                forms = [query] if digits == query else [query, digits]
                return [{p.external_field: text} for p in phones for text in forms][:MAX_SEARCHES]
        texts = [p for p in searchable if p.property_type in (PropertyType.TEXT, PropertyType.NUMBER)]
        by_use = {p.use_as: p.external_field for p in texts if p.use_as}
        plans: list[dict[str, str]] = []
        words = query.split()
        if UseAs.FULL_NAME in by_use:
            plans.append({by_use[UseAs.FULL_NAME]: query})
        if len(words) > 1 and UseAs.FIRST_NAME in by_use and UseAs.LAST_NAME in by_use:
            plans.append({by_use[UseAs.FIRST_NAME]: words[0], by_use[UseAs.LAST_NAME]: " ".join(words[1:])})
        plans += [{by_use[use]: query} for use in NAME_USES[1:] if use in by_use]
        plans += [{p.external_field: query} for p in texts if p.use_as not in NAME_USES]
        return plans[:MAX_SEARCHES]

    def search(
        self, *, actor: User, query: str, limit: int = 20, filters: Mapping[str, str] | None = None
    ) -> SelectorPage:
        started = time.monotonic()
        configuration = self._configuration(actor)
        properties = self._properties(configuration)
        limit = max(1, min(int(limit), MAX_RESULTS))
        if filters:
            plans = [dict(filters)]
        else:
            query = (query or "").strip()[:MAX_QUERY_LENGTH]
            if len(query) < MIN_QUERY_LENGTH:
                return SelectorPage(results=[], has_more=False)
            plans = self._plans(properties, query)
        found: dict[str, SelectorCustomer] = {}
        has_more = False
        with _crm_errors():
            last_took = 0.0
            for plan in plans:
                asked = time.monotonic()
                left = configuration.timeout_seconds - (asked - started)
                if found and left < max(NEXT_SEARCH_MIN_SECONDS, last_took):
                    break  # what was found is shown rather than a search the time left would not cover
                try:
                    page = crm_customer_search(
                        configuration=configuration, filters=plan, page=1, page_size=limit + 1, started=started
                    )
                    last_took = time.monotonic() - asked
                except CrmUnavailable:
                    if not found:
                        raise
                    break  # a later reading of the query failed: the customers found already stand
                for customer in page.customers:
                    found.setdefault(customer.reference, self._customer(properties, customer))
                has_more = has_more or page.has_next or len(page.customers) > limit
                if len(found) >= limit:
                    break
        results = list(found.values())
        return SelectorPage(results=results[:limit], has_more=has_more or len(results) > limit)

    def get(self, *, actor: User, reference: str) -> SelectorCustomer:
        configuration = self._configuration(actor)
        with _crm_errors():
            customer = crm_customer_get(configuration=configuration, reference=reference)
        return self._customer(self._properties(configuration), customer)

    def create(self, *, actor: User, values: dict) -> SelectorCustomer:
        configuration = self._configuration(actor)
        with _crm_errors():
            customer = crm_customer_create(configuration=configuration, values=values)
        return self._customer(self._properties(configuration), customer)

    def update(self, *, actor: User, reference: str, values: dict, version: int | None = None) -> SelectorCustomer:
        # The CRM keeps no versions we could compare: it answers a conflicting change itself (CrmConflict).
        configuration = self._configuration(actor)
        with _crm_errors():
            customer = crm_customer_update(configuration=configuration, reference=reference, values=values)
        return self._customer(self._properties(configuration), customer)

    def order_customer(self, *, actor: User, reference: str) -> OrderCustomer:
        """The anonymous customer, with the CRM reference and category keys as read from the CRM now."""
        from commerce.services.anonymous import anonymous_customer_get

        configuration = self._configuration(actor)
        with _crm_errors():
            customer = crm_customer_get(configuration=configuration, reference=reference)
        summary = customer_summary(properties=self._properties(configuration), customer=customer)
        return OrderCustomer(
            customer=anonymous_customer_get(actor=actor),
            attributes={CRM_REFERENCE: customer.reference, CRM_VALUES: crm_category_keys_clean(summary.category_keys)},
        )


def crm_customer_name(*, actor: User, reference: str) -> str:
    """The name of the CRM customer a document names, for its header: read from the CRM through a short-lived
    shared cache, never stored ("" when the connector is off or the document names no one)."""
    if not reference or not actor.organization_id:
        return ""
    configuration = crm_configuration_active(organization_id=actor.organization_id)
    if configuration is None:
        return ""
    try:
        return crm_customer_display_name(configuration=configuration, reference=reference)
    except CrmError:
        return reference


def crm_selector_resolver(organization_id: int) -> str | None:
    """The CRM selector for an organization whose CRM connector is enabled; otherwise the next resolver decides."""
    if organization_id and crm_configuration_active(organization_id=organization_id) is not None:
        return CRM
    return None


def register_crm_selector() -> None:
    """Put the CRM selector and its resolver in the registries (once)."""
    if CRM not in customer_selectors:
        customer_selectors.register(CRM, CrmCustomerSelector())
    if crm_selector_resolver not in selector_resolvers:
        selector_resolvers.append(crm_selector_resolver)
