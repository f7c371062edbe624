"""Helpers shared by the CRM list pages: filtering through the app's FilterSets and pagination."""

from django.core.paginator import Paginator

PAGE_SIZES = (25, 50, 100)


def filtered_rows(request, filterset_class, queryset, default_ordering=None):
    """Apply a FilterSet to the queryset from the query string and return (filterset, rows), ordered."""
    filterset = filterset_class(request.GET or None, queryset=queryset, request=request)
    # Invalid filter input shows the list as with no filter (its errors show on the form).
    unfiltered = filterset if not filterset.is_bound else filterset_class(None, queryset=queryset, request=request)
    rows = filterset.qs if filterset.is_bound and filterset.is_valid() else unfiltered.qs
    if default_ordering and not request.GET.get("ordering"):
        rows = rows.order_by(*default_ordering)
    return filterset, rows


def filtered_page(request, filterset_class, queryset, default_ordering=None):
    """Apply a FilterSet to the queryset from the query string and return (filterset, page).

    The page size comes from ?page_size= (25, 50 or 100). The queryset must be ordered.
    """
    filterset, rows = filtered_rows(request, filterset_class, queryset, default_ordering)
    try:
        page_size = int(request.GET.get("page_size", PAGE_SIZES[0]))
    except ValueError:
        page_size = PAGE_SIZES[0]
    page_size = page_size if page_size in PAGE_SIZES else PAGE_SIZES[0]
    page = Paginator(rows, page_size).get_page(request.GET.get("page"))
    return filterset, page


def query_without_page(request) -> str:
    """The current query string without `page`, for pagination links."""
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()
