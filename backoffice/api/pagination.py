"""Pagination of every API list: keyset cursors by default, page numbers kept for the clients that use them.

A page number costs OFFSET: the database reads and drops every row before the page, so deep pages
grow with their depth, and the exact count scans every matching row on every page. A cursor names the
last row read by its values of the list's ordering (made unique with the id), so the next page is read
from an index from that row on: the same cost at any depth. Its count is exact up to
`EXACT_COUNT_LIMIT` rows (counting stops there) and PostgreSQL's planner estimate beyond, flagged with
`count_is_estimate`.
"""

import base64
import binascii
import datetime as dt
import json
import math
from decimal import Decimal

from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured, ValidationError
from django.db import connections, models
from django.db.models import Q
from drf_spectacular.plumbing import build_basic_type, build_parameter_type
from drf_spectacular.types import OpenApiTypes
from rest_framework import exceptions, pagination, serializers
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

MAX_PAGE_SIZE = 500
MAX_PAGE = 2**31 - 1
MAX_CURSOR_LENGTH = 2000
# Up to this many rows a list's count is exact; past it, counting every row of every page is what a
# cursor spares, and the planner's estimate serves.
EXACT_COUNT_LIMIT = 10_000
BIGINT = 2**63


class PageQuerySerializer(serializers.Serializer):
    cursor = serializers.CharField(
        required=False, allow_blank=True, max_length=MAX_CURSOR_LENGTH, trim_whitespace=False
    )
    page = serializers.IntegerField(min_value=1, max_value=MAX_PAGE, required=False)
    page_size = serializers.IntegerField(min_value=1, max_value=MAX_PAGE_SIZE, required=False)


class InvalidCursor(exceptions.NotFound):
    default_detail = "Invalid cursor: follow the next and previous links of the list."


def list_ordering(queryset: models.QuerySet) -> list[str]:
    """The queryset's ordering as field names ("-created_at"), cut or completed to end with the unique id."""
    query = queryset.query
    meta = query.get_meta()
    ordering = list(query.order_by or (meta.ordering if query.default_ordering else []))
    keys: list[str] = []
    for item in ordering:
        if not isinstance(item, str) or "__" in item or item.lstrip("-") in ("?", ""):
            raise ImproperlyConfigured(f"Cursor pagination orders by model fields only, not {item!r}.")
        descending, name = item.startswith("-"), item.lstrip("-")
        field = meta.pk if name == "pk" else meta.get_field(name)
        if field.is_relation:
            raise ImproperlyConfigured(f"Cursor pagination orders by a field, not the relation {name!r}.")
        keys.append(("-" if descending else "") + field.name)
        if field.primary_key:
            return keys  # unique already: the rest of the ordering never decides
    return [*keys, meta.pk.name]


def _after(meta, ordering: list[str], values: list) -> Q:
    """The rows after the one with `values` in `ordering`, NULLs placed as PostgreSQL does (last when ascending)."""
    conditions = []
    equal = Q()
    for key, value in zip(ordering, values, strict=True):
        descending, name = key.startswith("-"), key.lstrip("-")
        if descending:
            later = Q(**{f"{name}__isnull": False}) if value is None else Q(**{f"{name}__lt": value})
        elif value is None:
            later = None  # NULLs come last: nothing after them in this field
        else:
            later = Q(**{f"{name}__gt": value})
            if meta.get_field(name).null:
                later |= Q(**{f"{name}__isnull": True})
        if later is not None:
            conditions.append(equal & later)
        equal &= Q(**{f"{name}__isnull": True}) if value is None else Q(**{name: value})
    condition = conditions[0]
    for other in conditions[1:]:
        condition |= other
    # The first key's bound alone, so that the planner reads an index from the row on.
    first, value = ordering[0], values[0]
    if value is not None and not meta.get_field(first.lstrip("-")).null:
        condition &= Q(**{f"{first.lstrip('-')}__{'lte' if first.startswith('-') else 'gte'}": value})
    return condition


def _jsonable(value):
    # Dates and instants whole (to the microsecond: DjangoJSONEncoder keeps milliseconds), decimals as text.
    if isinstance(value, dt.date | dt.time | Decimal):
        return value.isoformat() if not isinstance(value, Decimal) else str(value)
    raise TypeError(f"{type(value).__name__} in a cursor")


def _reversed(ordering: list[str]) -> list[str]:
    return [key[1:] if key.startswith("-") else f"-{key}" for key in ordering]


class PageNumberPagination(pagination.PageNumberPagination):
    """Every list is paginated: by `cursor` (following `next`/`previous`) or `?page=N`, `page_size` up to 500.

    Parameters are validated like any other input: a page or size that is not a positive whole number
    (or a size over the maximum) answers 400 naming the parameter. A page past the last answers 404, as
    does a cursor the list did not give. With both, the cursor is followed.
    """

    page_size_query_param = "page_size"
    cursor_query_param = "cursor"
    max_page_size = MAX_PAGE_SIZE
    last_page_strings = ()
    exact_count_limit = EXACT_COUNT_LIMIT

    def _query(self, request) -> dict:
        query = PageQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return query.validated_data

    def paginate_queryset(self, queryset, request, view=None):
        self._validated = self._query(request)
        self.request = request
        self.count_is_estimate = False
        if "page" in self._validated and not self._validated.get("cursor"):
            self.keyset = False
            return super().paginate_queryset(queryset, request, view)
        self.keyset = True
        return self._keyset_page(queryset, request)

    def get_page_size(self, request):
        return self._validated.get("page_size", self.page_size)

    def get_page_number(self, request, paginator):
        return self._validated.get("page", 1)

    # ------------------------------------------------------------------ cursors

    def _encode(self, ordering: list[str], row, *, backwards: bool) -> str:
        meta = row._meta
        values = [getattr(row, meta.get_field(key.lstrip("-")).attname) for key in ordering]
        payload = json.dumps({"o": ordering, "v": values, "b": int(backwards)}, default=_jsonable)
        return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")

    def _decode(self, cursor: str, meta, ordering: list[str]) -> tuple[list, bool]:
        try:
            payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
            if not isinstance(payload, dict) or payload.get("o") != ordering or payload.get("b") not in (0, 1):
                raise InvalidCursor()
            raw = payload["v"]
            if not isinstance(raw, list) or len(raw) != len(ordering):
                raise InvalidCursor()
            fields = [meta.get_field(key.lstrip("-")) for key in ordering]
            return [self._value(field, value) for field, value in zip(fields, raw, strict=True)], bool(payload["b"])
        except (ValueError, TypeError, KeyError, binascii.Error, ValidationError, FieldDoesNotExist):
            raise InvalidCursor()

    @staticmethod
    def _value(field, value):
        if value is None:
            if not field.null:
                raise InvalidCursor()
            return None
        if (
            not isinstance(value, str | int | float)
            or isinstance(value, bool)
            and not isinstance(field, models.BooleanField)
        ):
            raise InvalidCursor()
        if isinstance(value, str) and "\x00" in value:
            raise InvalidCursor()
        python = field.to_python(value)
        if isinstance(python, int) and not isinstance(python, bool) and not -BIGINT <= python < BIGINT:
            raise InvalidCursor()
        if isinstance(python, Decimal) and not python.is_finite():
            raise InvalidCursor()
        if isinstance(python, float) and not math.isfinite(python):
            raise InvalidCursor()
        if isinstance(field, models.DateTimeField) and python.tzinfo is None:
            raise InvalidCursor()
        return python

    def _keyset_page(self, queryset, request) -> list:
        size = self.get_page_size(request)
        meta = queryset.model._meta
        ordering = list_ordering(queryset)
        cursor = self._validated.get("cursor")
        values, backwards = self._decode(cursor, meta, ordering) if cursor else (None, False)
        self.count = self._count(queryset)
        rows = queryset.order_by(*ordering)
        if cursor:
            scan = _reversed(ordering) if backwards else ordering
            rows = queryset.filter(_after(meta, scan, values)).order_by(*scan)
        page = list(rows[: size + 1])
        more = len(page) > size
        page = page[:size]
        if backwards:
            page.reverse()
        self.next_cursor = self.previous_cursor = None
        if page:
            if more or backwards:
                self.next_cursor = self._encode(ordering, page[-1], backwards=False)
            if (more and backwards) or (cursor and not backwards):
                self.previous_cursor = self._encode(ordering, page[0], backwards=True)
        return page

    def _count(self, queryset) -> int:
        """Exact up to the limit (counting stops there); PostgreSQL's planner estimate of a longer list."""
        counted = queryset.order_by()[: self.exact_count_limit + 1].count()
        if counted <= self.exact_count_limit or connections[queryset.db].vendor != "postgresql":
            return counted
        self.count_is_estimate = True
        plan = json.loads(queryset.order_by().explain(format="json"))
        return max(counted, int(plan[0]["Plan"]["Plan Rows"]))

    def _link(self, cursor: str | None) -> str | None:
        if cursor is None:
            return None
        url = remove_query_param(self.request.build_absolute_uri(), self.page_query_param)
        return replace_query_param(url, self.cursor_query_param, cursor)

    def get_next_link(self):
        if self.keyset:
            return self._link(self.next_cursor)
        return remove_query_param(super().get_next_link() or "", self.cursor_query_param) or None

    def get_previous_link(self):
        if self.keyset:
            return self._link(self.previous_cursor)
        return remove_query_param(super().get_previous_link() or "", self.cursor_query_param) or None

    def get_paginated_response(self, data):
        count = self.count if self.keyset else self.page.paginator.count
        return Response(
            {
                "count": count,
                "count_is_estimate": self.count_is_estimate,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        link = {"type": "string", "nullable": True, "format": "uri"}
        return {
            "type": "object",
            "required": ["count", "count_is_estimate", "next", "previous", "results"],
            "properties": {
                "count": {
                    "type": "integer",
                    "description": (
                        f"Rows in the list: exact up to {self.exact_count_limit:,}; past that, with a cursor or "
                        "none, the database's estimate (then count_is_estimate is true)."
                    ),
                },
                "count_is_estimate": {"type": "boolean", "description": "Whether count is an estimate."},
                "next": {**link, "description": "The next page (null on the last)."},
                "previous": {**link, "description": "The previous page (null on the first)."},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        cursor_schema = {**build_basic_type(OpenApiTypes.STR), "maxLength": MAX_CURSOR_LENGTH}
        page_schema = {**build_basic_type(OpenApiTypes.INT), "minimum": 1, "maximum": MAX_PAGE}
        size_schema = {**build_basic_type(OpenApiTypes.INT), "minimum": 1, "maximum": self.max_page_size}
        return [
            build_parameter_type(
                name=self.cursor_query_param,
                schema=cursor_schema,
                location="query",
                description=(
                    "Where the page starts, as the next and previous links give it (opaque; any other value "
                    "answers 404). Without cursor or page, the first page. Its cost is the same at any depth."
                ),
            ),
            build_parameter_type(
                name=self.page_query_param,
                schema=page_schema,
                location="query",
                description=(
                    "A page number, when no cursor is given: its cost grows with the depth, and a page past "
                    "the last answers 404. Prefer the cursor of the next link."
                ),
            ),
            build_parameter_type(
                name=self.page_size_query_param,
                schema=size_schema,
                location="query",
                description=f"Results per page, 1 to {self.max_page_size} (default {self.page_size}).",
            ),
        ]


def cursor_after(queryset: models.QuerySet, row) -> str:
    """The cursor of the page that starts after `row` in the queryset's ordering, as a next link carries it."""
    return PageNumberPagination()._encode(list_ordering(queryset), row, backwards=False)
