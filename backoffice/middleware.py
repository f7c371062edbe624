import zoneinfo

from django.utils import timezone


class UserTimeZoneMiddleware:
    """Show dates and times in the signed-in user's organization time zone (stored values stay UTC)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            try:
                timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class ChangeOriginMiddleware:
    """Writes made while serving a request are logged as coming from the API, the admin or the web UI."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from backoffice.changes import Origin, change_context

        path = request.path_info
        origin = Origin.API if path.startswith("/api/") else Origin.ADMIN if path.startswith("/admin/") else Origin.WEB
        user = getattr(request, "user", None)
        actor = user if user is not None and user.is_authenticated else None
        with change_context(actor=actor, origin=origin):
            return self.get_response(request)
