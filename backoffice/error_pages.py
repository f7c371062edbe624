"""Error pages: under /api/ the JSON error shape of drf-standardized-errors, elsewhere Django's own."""

from django.http import JsonResponse
from django.views import defaults

from backoffice.request_limits import client_error_response, is_api_request


def page_not_found(request, exception=None):
    """404: an unknown /api/ address answers JSON like every API error; other pages stay HTML."""
    if is_api_request(request):
        return client_error_response(request, 404, "not_found", "Not found.")
    return defaults.page_not_found(request, exception)


def bad_request(request, exception=None):
    """400 (a suspicious request Django refused before any view)."""
    if is_api_request(request):
        return client_error_response(request, 400, "parse_error", "Bad request.")
    return defaults.bad_request(request, exception)


def server_error(request):
    """500 outside the API views (which answer through drf-standardized-errors themselves)."""
    if is_api_request(request):
        return JsonResponse(
            {"type": "server_error", "errors": [{"code": "error", "detail": "Server Error (500)", "attr": None}]},
            status=500,
        )
    return defaults.server_error(request)
