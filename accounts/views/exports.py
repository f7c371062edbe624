"""CSV export of a list: the rows the list shows, in its order, streamed in chunks, up to EXPORT_MAX_ROWS.

An export cut at the limit says so where a spreadsheet user looks: the file is named for it
("contacts-2026-11-26-first-10000-of-12345.csv"), the response carries the counts (X-Export-Rows,
X-Export-Total, X-Export-Limit) and the list page warns before the download (`export_limit` tag). The
file itself holds only the table, with no note line a spreadsheet or an import would read as a row.
"""

import csv
from collections.abc import Callable, Iterable

from django.http import StreamingHttpResponse
from django.utils import timezone

EXPORT_MAX_ROWS = 10_000
EXPORT_CHUNK = 1_000


def safe_cell(value: str) -> str:
    """A cell a spreadsheet would run as a formula is kept as text."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


class _Echo:
    """A file-like object for csv.writer that hands each line back instead of storing it."""

    def write(self, value: str) -> str:
        return value


def export_filename(name: str, *, total: int) -> str:
    """The download's name: the list and today's date, and which rows when the export is cut."""
    filename = f"{name}-{timezone.localdate().isoformat()}"
    if total > EXPORT_MAX_ROWS:
        filename += f"-first-{EXPORT_MAX_ROWS}-of-{total}"
    return f"{filename}.csv"


def csv_response(rows, columns: Iterable[tuple[str, Callable]], name: str) -> StreamingHttpResponse:
    """The rows (an ordered queryset) as CSV, streamed in chunks, at most EXPORT_MAX_ROWS of them."""
    columns = tuple(columns)
    total = rows.count()
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow([header for header, _ in columns])
        for row in rows[:EXPORT_MAX_ROWS].iterator(chunk_size=EXPORT_CHUNK):
            yield writer.writerow([safe_cell(value(row)) for _, value in columns])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{export_filename(name, total=total)}"'
    response["X-Export-Rows"] = str(min(total, EXPORT_MAX_ROWS))
    response["X-Export-Total"] = str(total)
    response["X-Export-Limit"] = str(EXPORT_MAX_ROWS)
    return response
