"""httpx logs every request's URL at INFO: a CRM search URL carries the e-mail or name searched for.

The filter below keeps those lines but drops their query strings, so that no log holds what a user
searched a CRM for (the path stays: it names the endpoint and, at most, a CRM reference).
"""

import logging

import httpx


class DropQueryStrings(logging.Filter):
    """Rewrite httpx's request lines without the query string of their URL."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(isinstance(arg, httpx.URL) for arg in record.args):
            record.args = tuple(
                arg.copy_with(query=None) if isinstance(arg, httpx.URL) and arg.query else arg for arg in record.args
            )
        return True


def install() -> None:
    """Put the filter on httpx's logger once (idempotent)."""
    httpx_logger = logging.getLogger("httpx")
    if not any(isinstance(f, DropQueryStrings) for f in httpx_logger.filters):
        httpx_logger.addFilter(DropQueryStrings())
