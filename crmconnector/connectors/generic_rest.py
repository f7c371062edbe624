"""Any JSON REST API, described by options: URL templates, where things are in the answers, filter names, auth.

Each property's external field is its dotted JSON path in a customer ("contact.email"). Options:

    search_url       "/customers"                 GET; {page} and {page_size} may appear in it
    get_url          "/customers/{reference}"     GET
    create_url       "/customers"                 POST
    update_url       "/customers/{reference}"     update_method (PATCH or PUT)
    health_url       "/health"                    GET (default: a search of one customer)
    page_parameter / page_size_parameter          query names added when the template has no {page}
    filter_parameters {"email": "mail"}           external field -> query name (default: its last step)
    results_path     "results"                    the list of customers in a search answer ("" = the answer)
    total_path       "count"                      the total in a search answer (optional)
    item_path        ""                           the customer in a get/create/update answer
    reference_path   "id"                         the reference in a customer (default: the reference property)
    errors_path      "errors"                     {field path: [messages]} in a 400/422 answer
    auth             "none" | "header" | "basic"  header: `auth_header` carries the secret; basic: username+secret
    auth_header      "X-Api-Key"

Templates are paths under the base URL (they start with "/"), so a configuration never sends its
credentials to another host.
"""

import re
import string
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
from crmconnector.connectors.http import (
    JsonHttp,
    bounded_messages,
    json_path_get,
    json_path_set,
    raise_for_status,
    scalar,
)

TEMPLATE_OPTIONS = {
    "search_url": {"page", "page_size"},
    "get_url": {"reference"},
    "create_url": set(),
    "update_url": {"reference"},
    "health_url": set(),
}
PATH_OPTIONS = ("results_path", "total_path", "item_path", "reference_path", "errors_path")
NAME_OPTIONS = ("page_parameter", "page_size_parameter", "auth_header")
KNOWN_OPTIONS = {*TEMPLATE_OPTIONS, *PATH_OPTIONS, *NAME_OPTIONS, "update_method", "filter_parameters", "auth"}
REQUIRED_OPTIONS = ("search_url", "get_url", "create_url", "update_url")
JSON_PATH = re.compile(r"[A-Za-z0-9_\-]{1,100}(\.[A-Za-z0-9_\-]{1,100}){0,9}")
HTTP_NAME = re.compile(r"[A-Za-z0-9_\-\.\[\]]{1,100}")


def _template_problem(template: Any, allowed: set[str]) -> str | None:
    if not isinstance(template, str) or not template.startswith("/") or len(template) > 500:
        return "Give a path under the base URL, starting with / (at most 500 characters)."
    if "//" in template or any(c.isspace() for c in template):
        return "The path may not hold spaces or //."
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError:
        return "Unbalanced { } in the path."
    unknown = names - allowed
    if unknown:
        allowed_text = ", ".join("{" + n + "}" for n in sorted(allowed)) or "no placeholders"
        return f"Unknown placeholder {{{sorted(unknown)[0][:50]}}}: this path takes {allowed_text}."
    return None


class GenericRestConnector(CrmConnector):
    """A JSON REST API described by URL templates and JSON paths."""

    key = "generic_rest"
    label = "Generic REST (JSON)"
    description = "Any JSON REST API: URL templates, JSON paths of the properties, filter names, header or basic auth."
    options_example = {
        "search_url": "/customers",
        "get_url": "/customers/{reference}",
        "create_url": "/customers",
        "update_url": "/customers/{reference}",
        "update_method": "PATCH",
        "results_path": "results",
        "total_path": "count",
        "filter_parameters": {"email": "email"},
        "auth": "header",
        "auth_header": "X-Api-Key",
    }

    def __init__(self, settings: ConnectorSettings):
        super().__init__(settings)
        options = settings.options
        self.options = options
        auth = None
        headers = {}
        if options.get("auth") == "basic":
            auth = (settings.username, settings.secret)
        elif options.get("auth") == "header" and settings.secret:
            headers[options.get("auth_header") or "Authorization"] = settings.secret
        self.http = JsonHttp(base_url=settings.base_url, timeout=settings.timeout, auth=auth, headers=headers)

    @classmethod
    def validate_options(cls, options: dict[str, Any]) -> dict[str, list[str]]:
        errors: dict[str, list[str]] = {}
        unknown = sorted(set(options) - KNOWN_OPTIONS)
        if unknown:
            errors[""] = [f"Unknown options: {', '.join(unknown)[:200]}."]
        for name in REQUIRED_OPTIONS:
            if name not in options:
                errors.setdefault(name, []).append("This option is required.")
        for name, allowed in TEMPLATE_OPTIONS.items():
            if name in options and (problem := _template_problem(options[name], allowed)):
                errors.setdefault(name, []).append(problem)
        for name in PATH_OPTIONS:
            value = options.get(name)
            if value not in (None, "") and not (isinstance(value, str) and JSON_PATH.fullmatch(value)):
                errors.setdefault(name, []).append("Give a dotted JSON path such as data.items.")
        for name in NAME_OPTIONS:
            value = options.get(name)
            if value is not None and not (isinstance(value, str) and HTTP_NAME.fullmatch(value)):
                errors.setdefault(name, []).append("Give a name of letters, digits, - and _.")
        if options.get("update_method", "PATCH") not in ("PATCH", "PUT"):
            errors.setdefault("update_method", []).append("Choose PATCH or PUT.")
        if options.get("auth", "none") not in ("none", "header", "basic"):
            errors.setdefault("auth", []).append("Choose none, header or basic.")
        filters = options.get("filter_parameters", {})
        if not isinstance(filters, dict) or len(filters) > 50:
            errors.setdefault("filter_parameters", []).append("Give an object of at most 50 field: parameter pairs.")
        elif not all(isinstance(v, str) and HTTP_NAME.fullmatch(v) for v in filters.values()):
            errors.setdefault("filter_parameters", []).append("Each parameter is a name of letters, digits, - and _.")
        return errors

    def close(self) -> None:
        self.http.close()

    def _url(self, name: str, **values: Any) -> str:
        quoted = {key: quote(str(value), safe="") for key, value in values.items()}
        return self.options[name].format(**quoted)

    def _customer(self, item: Any) -> CrmCustomer:
        if not isinstance(item, dict):
            raise CrmUnavailable("The CRM's answer has no customer in it.")
        reference_path = self.options.get("reference_path") or self.settings.reference_field
        reference = json_path_get(item, reference_path)
        if reference in (None, "") or isinstance(reference, dict | list | bool):
            raise CrmUnavailable("A customer in the CRM's answer has no reference.")
        values = {p.external_field: scalar(json_path_get(item, p.external_field)) for p in self.settings.properties}
        return CrmCustomer(reference=str(reference)[:200], values=values)

    def _item(self, answer: Any) -> CrmCustomer:
        return self._customer(json_path_get(answer, self.options.get("item_path") or ""))

    def _refused(self, status: int, answer: Any) -> None:
        errors: dict[str, list[str]] = {}
        if status in (400, 422):
            raw = json_path_get(answer, self.options.get("errors_path") or "errors")
            if isinstance(raw, dict):
                for field, messages in list(raw.items())[:50]:
                    key = field if self.settings.property(str(field)) is not None else ""
                    errors.setdefault(key, []).extend(bounded_messages(messages))
        raise_for_status(status, errors={k: v for k, v in errors.items() if v} or None)

    def search(self, *, filters: dict[str, str], page: int, page_size: int) -> CrmPage:
        names = self.options.get("filter_parameters") or {}
        template = self.options["search_url"]
        params: dict[str, Any] = {}
        if "{page}" not in template:
            params[self.options.get("page_parameter") or "page"] = page
        if "{page_size}" not in template:
            params[self.options.get("page_size_parameter") or "page_size"] = page_size
        for field, value in filters.items():
            if value:
                params[names.get(field) or field.rsplit(".", 1)[-1]] = value
        status, answer = self.http.request(
            "GET", self._url("search_url", page=page, page_size=page_size), params=params
        )
        if status >= 300:
            self._refused(status, answer)
        items = json_path_get(answer, self.options.get("results_path") or "")
        if not isinstance(items, list):
            raise CrmUnavailable("The CRM's answer is not a list of customers.")
        customers = [self._customer(item) for item in items[:MAX_PAGE_SIZE]]
        total = json_path_get(answer, self.options["total_path"]) if self.options.get("total_path") else None
        total = total if isinstance(total, int) and not isinstance(total, bool) and total >= 0 else None
        has_next = page * page_size < total if total is not None else len(items) >= page_size
        return CrmPage(customers=customers, page=page, page_size=page_size, total=total, has_next=has_next)

    def get(self, reference: str) -> CrmCustomer:
        status, answer = self.http.request("GET", self._url("get_url", reference=reference))
        if status >= 300:
            self._refused(status, answer)
        return self._item(answer)

    def _body(self, values: dict[str, Any]) -> dict:
        body: dict[str, Any] = {}
        for field, value in values.items():
            json_path_set(body, field, value)
        return body

    def create(self, values: dict[str, Any]) -> CrmCustomer:
        status, answer = self.http.request("POST", self._url("create_url"), json_body=self._body(values))
        if status >= 300:
            self._refused(status, answer)
        return self._item(answer)

    def update(self, reference: str, values: dict[str, Any]) -> CrmCustomer:
        method = self.options.get("update_method") or "PATCH"
        status, answer = self.http.request(
            method, self._url("update_url", reference=reference), json_body=self._body(values)
        )
        if status >= 300:
            self._refused(status, answer)
        return self._item(answer)

    def health_check(self) -> None:
        if self.options.get("health_url"):
            status, answer = self.http.request("GET", self._url("health_url"))
            if status >= 300:
                self._refused(status, answer)
            return
        self.search(filters={}, page=1, page_size=1)
