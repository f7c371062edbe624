"""What the commerce list pages share, built on the CRM's list blocks: FilterSet, sort links, page sizes, CSV.

A list is described once by a `ListPage` (rows, FilterSet, columns, CSV columns); `list_response` and
`export_response` serve every list the same way, with a constant number of queries whatever the rows.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.forms import HiddenInput
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from accounts.views.common import filtered_page, filtered_rows, query_without_page
from accounts.views.exports import csv_response
from accounts.views.records import Column, _ordering_links, _page_size_links
from backoffice.forms import style_form
from backoffice.models import User
from backoffice.widgets import PickerSelect

__all__ = ["Column", "ListPage", "export_response", "get_row", "list_response", "picker_widget"]


@dataclass(frozen=True)
class ListPage:
    """Everything a commerce list page and its CSV export need to know about one kind of row."""

    key: str
    label: str
    label_plural: str
    rows: Callable[[User], QuerySet]
    filterset: type
    columns: tuple[Column, ...]
    export_columns: tuple[tuple[str, Callable], ...]
    template: str
    search_placeholder: str = "Search"
    # Filters on a linked row's id (set by links from other pages): hidden, named in a removable badge.
    id_filters: dict[str, Callable[[User], QuerySet]] = field(default_factory=dict)
    can_create: Callable[[User], bool] = lambda user: True

    def url(self, action: str, *args) -> str:
        return reverse(f"commerce:{self.key}-{action}", args=args)


def get_row(queryset: QuerySet, pk: int):
    """One row of the acting user's scoped queryset; 404 for any other (another organization's included)."""
    return get_object_or_404(queryset, pk=pk)


def picker_widget(kind: str, **kwargs) -> PickerSelect:
    """A select that searches commerce rows of `kind` as one types (commerce:picker)."""
    return PickerSelect(url=reverse("commerce:picker", args=[kind]), **kwargs)


def _style_filter_form(form, id_filters) -> None:
    for name, form_field in form.fields.items():
        if name in id_filters:
            form_field.widget = HiddenInput()
        if name == "owner":
            form_field.label_from_instance = lambda user: user.display_name
    style_form(form)


def _scopes(request, spec: ListPage) -> list[dict]:
    """The id filters in use (a link from a customer's page), each named with a link that removes it."""
    scopes = []
    for name, rows in spec.id_filters.items():
        value = request.GET.get(name, "")
        if not value.isdecimal() or len(value) > 18:
            continue
        row = rows(request.user).filter(pk=value).first()
        params = request.GET.copy()
        params.pop(name)
        params.pop("page", None)
        scopes.append(
            {
                "label": f"{name.replace('_', ' ').capitalize()}: {row if row else 'unknown'}",
                "clear_url": f"?{params.urlencode()}",
            }
        )
    return scopes


def list_response(request, spec: ListPage, extra: dict | None = None):
    """The list page: search, filters, sort links, page sizes, pagination; one query per part, not per row."""
    filterset, page = filtered_page(request, spec.filterset, spec.rows(request.user))
    _style_filter_form(filterset.form, spec.id_filters)
    return render(
        request,
        spec.template,
        {
            "spec": spec,
            "filter": filterset,
            "page": page,
            "rows": page.object_list,
            "query": query_without_page(request),
            "headers": _ordering_links(request, spec),
            "page_sizes": _page_size_links(request, page),
            "scopes": _scopes(request, spec),
            "filtered": any(k not in ("page", "page_size", "ordering") and v for k, v in request.GET.items()),
            "export_url": spec.url("export") + (f"?{query_without_page(request)}" if request.GET else ""),
            "create_url": spec.url("create") if spec.can_create(request.user) else None,
            **(extra or {}),
        },
    )


def export_response(request, spec: ListPage):
    """The filtered list as CSV in the page's order, streamed in chunks (at most the CRM's export limit)."""
    _, rows = filtered_rows(request, spec.filterset, spec.rows(request.user))
    return csv_response(rows, spec.export_columns, spec.label_plural.lower().replace(" ", "-"))


def text(value) -> str:
    return "" if value is None else str(value)
