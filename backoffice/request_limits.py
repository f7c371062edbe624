"""Limits on what a request may carry, answered with 4xx before any view sees the request.

Under /api/ the answers have the JSON error shape of drf-standardized-errors, elsewhere plain text.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse


def is_api_request(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def client_error_response(request: HttpRequest, status: int, code: str, detail: str) -> HttpResponse:
    """A client error: the standardized JSON body under /api/, a short text elsewhere."""
    if is_api_request(request):
        return JsonResponse(
            {"type": "client_error", "errors": [{"code": code, "detail": detail, "attr": None}]}, status=status
        )
    return HttpResponse(detail, status=status, content_type="text/plain; charset=utf-8")


# Paths that take a larger body than REQUEST_BODY_MAX_BYTES (file uploads), by path prefix: apps add theirs
# in their AppConfig.ready(), with the limit that applies there.
large_body_paths: dict[str, int] = {}


def body_limit(path: str) -> int:
    for prefix, limit in large_body_paths.items():
        if path.startswith(prefix):
            return limit
    return settings.REQUEST_BODY_MAX_BYTES


def _has_nul(text: str) -> bool:
    return "\x00" in text or "%00" in text


class RequestLimitsMiddleware:
    """Refuse oversized bodies (413), oversized headers (431) and NUL characters in the address or
    headers (400): the database cannot store NUL, and nothing legitimate sends it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        refusal = self._refusal(request)
        return refusal if refusal is not None else self.get_response(request)

    def _refusal(self, request: HttpRequest) -> HttpResponse | None:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return client_error_response(request, 400, "parse_error", "The Content-Length header is not a number.")
        limit = body_limit(request.path_info)
        if length > limit:
            return client_error_response(
                request, 413, "request_too_large", f"The request body is larger than {limit} bytes."
            )
        total = 0
        for name, value in request.META.items():
            if not (name.startswith("HTTP_") or name in ("CONTENT_TYPE", "CONTENT_LENGTH")):
                continue
            value = str(value)
            total += len(name) + len(value)
            if len(value) > settings.REQUEST_HEADER_MAX_BYTES:
                header = name.removeprefix("HTTP_").replace("_", "-").title()
                return client_error_response(
                    request,
                    431,
                    "header_too_large",
                    f"The {header} header is longer than {settings.REQUEST_HEADER_MAX_BYTES} bytes.",
                )
            if "\x00" in value:
                return client_error_response(request, 400, "parse_error", "A header contains a NUL character.")
        if total > settings.REQUEST_HEADERS_TOTAL_MAX_BYTES:
            return client_error_response(
                request,
                431,
                "header_too_large",
                f"The request headers are larger than {settings.REQUEST_HEADERS_TOTAL_MAX_BYTES} bytes in all.",
            )
        if _has_nul(request.path_info) or _has_nul(request.META.get("QUERY_STRING", "")):
            return client_error_response(
                request, 400, "parse_error", "The address or its query contains a NUL character."
            )
        return None
