"""The external CRM is another installation of this product: its REST API under /api/crm/.

Customers are that installation's contacts (option `resource`: "contacts", the default) or accounts
("accounts"). The connector signs in as the plug-ins do: HTTP Basic with a username and that user's
API key. External fields are the API's field names (`first_name`, `last_name`, `email`, `phone`,
`birthday`, `job_title`, ...); a contact's `email` and `phone` are its primary e-mail and phone,
written through the API's `emails` and `phones` lists with the other entries kept.

Search: the API searches names, e-mail and job title with one text (`q`); the longest filter is sent
as `q` and the other filters (a phone, say) are applied to the page the API returns.
"""

from typing import Any
from urllib.parse import quote

from crmconnector.connectors.base import (
    MAX_PAGE_SIZE,
    ConnectorSettings,
    CrmConnector,
    CrmCustomer,
    CrmPage,
    CrmUnavailable,
)
from crmconnector.connectors.http import JsonHttp, bounded_messages, raise_for_status, scalar

RESOURCES = ("contacts", "accounts")
# The API's list fields that are kept from lists it takes on input (contacts' e-mails and phones).
LIST_FIELDS = {"emails": "email", "phones": "phone"}


class BackOfficeConnector(CrmConnector):
    """Another installation of this back office, through its REST API and a user's API key."""

    key = "backoffice"
    label = "Back office (another installation)"
    description = (
        "Customers are the contacts (or accounts) of another installation of this product. Base URL: that "
        "installation's address; username and API key: a user of it (Basic authentication)."
    )
    options_example = {"resource": "contacts"}

    def __init__(self, settings: ConnectorSettings):
        super().__init__(settings)
        self.resource = settings.options.get("resource", "contacts")
        self.http = JsonHttp(
            base_url=settings.base_url,
            timeout=settings.timeout,
            auth=(settings.username, settings.secret) if settings.username else None,
        )

    @classmethod
    def validate_options(cls, options: dict[str, Any]) -> dict[str, list[str]]:
        unknown = sorted(set(options) - {"resource"})
        if unknown:
            return {"": [f"Unknown options: {', '.join(unknown)[:200]}. This connector takes only 'resource'."]}
        if options.get("resource", "contacts") not in RESOURCES:
            return {"resource": ["Choose 'contacts' or 'accounts'."]}
        return {}

    def close(self) -> None:
        self.http.close()

    def _path(self, reference: str | None = None) -> str:
        base = f"/api/crm/{self.resource}/"
        return base if reference is None else f"{base}{quote(str(reference), safe='')}/"

    def _customer(self, row: Any) -> CrmCustomer:
        if not isinstance(row, dict) or row.get("id") in (None, ""):
            raise CrmUnavailable("The CRM's answer has no customer in it.")
        values = {}
        for prop in self.settings.properties:
            field = prop.external_field
            values[field] = str(row.get("id")) if field == "id" else scalar(row.get(field))
        return CrmCustomer(reference=str(row["id"]), values=values)

    def _refused(self, status: int, answer: Any) -> None:
        errors: dict[str, list[str]] = {}
        if status == 400 and isinstance(answer, dict) and isinstance(answer.get("errors"), list):
            for item in answer["errors"][:50]:
                if not isinstance(item, dict):
                    continue
                attr = str(item.get("attr") or "").split(".")[0]
                field = LIST_FIELDS.get(attr, attr)
                if field in ("", "non_field_errors") or self.settings.property(field) is None:
                    field = ""
                errors.setdefault(field, []).extend(bounded_messages(item))
        raise_for_status(status, errors={k: v for k, v in errors.items() if v} or None)

    def search(self, *, filters: dict[str, str], page: int, page_size: int) -> CrmPage:
        params: dict[str, Any] = {"page": page, "page_size": min(page_size, MAX_PAGE_SIZE)}
        texts = sorted(((field, value) for field, value in filters.items() if value), key=lambda fv: -len(fv[1]))
        if texts:
            params["q"] = texts[0][1]
        status, answer = self.http.request("GET", self._path(), params=params)
        if status == 404 and page > 1:  # a page past the last
            return CrmPage(customers=[], page=page, page_size=page_size, total=None, has_next=False)
        if status >= 300:
            self._refused(status, answer)
        if not isinstance(answer, dict) or not isinstance(answer.get("results"), list):
            raise CrmUnavailable("The CRM's answer is not a page of customers.")
        customers = [self._customer(row) for row in answer["results"][:MAX_PAGE_SIZE]]
        rest = texts[1:]
        if rest:  # filters the API cannot apply: on the page it returned
            customers = [
                customer
                for customer in customers
                if all(value.casefold() in str(customer.values.get(field) or "").casefold() for field, value in rest)
            ]
        count = answer.get("count")
        return CrmPage(
            customers=customers,
            page=page,
            page_size=page_size,
            total=count if isinstance(count, int) and not rest else None,
            has_next=bool(answer.get("next")),
        )

    def get(self, reference: str) -> CrmCustomer:
        status, answer = self.http.request("GET", self._path(reference))
        if status >= 300:
            self._refused(status, answer)
        return self._customer(answer)

    def _body(self, values: dict[str, Any], current: dict | None) -> dict:
        body: dict[str, Any] = {}
        for field, value in values.items():
            if field == "id":
                continue
            if self.resource == "contacts" and field == "email":
                others = [e for e in (current or {}).get("emails", [])[1:] if isinstance(e, str)]
                body["emails"] = ([value] if value else []) + others
            elif self.resource == "contacts" and field == "phone":
                kept = [p for p in (current or {}).get("phones", []) if isinstance(p, dict)]
                first_type = kept[0].get("type") if kept else None
                new = [{"number": value, **({"type": first_type} if first_type else {})}] if value else []
                body["phones"] = new + kept[1:]
            else:
                body[field] = "" if value is None else value
        return body

    def create(self, values: dict[str, Any]) -> CrmCustomer:
        status, answer = self.http.request("POST", self._path(), json_body=self._body(values, None))
        if status >= 300:
            self._refused(status, answer)
        return self._customer(answer)

    def update(self, reference: str, values: dict[str, Any]) -> CrmCustomer:
        current = None
        if self.resource == "contacts" and ({"email", "phone"} & set(values)):
            status, current = self.http.request("GET", self._path(reference))
            if status >= 300:
                self._refused(status, current)
        status, answer = self.http.request("PATCH", self._path(reference), json_body=self._body(values, current))
        if status >= 300:
            self._refused(status, answer)
        return self._customer(answer)

    def health_check(self) -> None:
        status, answer = self.http.request("GET", self._path(), params={"page": 1, "page_size": 1})
        if status >= 300:
            self._refused(status, answer)
        if not isinstance(answer, dict) or "results" not in answer:
            raise CrmUnavailable("The address answers, but not with this product's API.")
