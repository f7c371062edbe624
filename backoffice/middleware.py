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


class LoginFailureLimitMiddleware:
    """Refuse sign-ins on the login pages (web UI and admin) from a client with too many failures.

    The limits are backoffice.signin_limits': per client, and per username with a higher threshold
    that never stops a client without failures of its own. A refused attempt is answered 429 with
    Retry-After and the login page saying how long to wait, whether or not the password is right.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method != "POST" or request.path_info not in self._login_paths():
            return self.get_response(request)
        from backoffice.signin_limits import login_limiter

        limiter = login_limiter()
        username = request.POST.get("username", "")
        wait = limiter.retry_after(request, username)
        if wait:
            return self._refusal(request, username, wait)
        response = self.get_response(request)
        # The login views redirect on success and show the form again (200) when the password is wrong.
        if response.status_code == 200:
            limiter.record_failure(request, username)
        return response

    @staticmethod
    def _login_paths() -> set[str]:
        from django.urls import reverse

        return {reverse("login"), reverse("admin:login")}

    @staticmethod
    def _refusal(request, username: str, wait: int):
        from django.shortcuts import render

        minutes = max(1, -(-wait // 60))
        message = (
            f"Too many failed sign-ins from your address. Try again in {minutes} minute{'s' if minutes != 1 else ''}."
        )
        response = render(
            request,
            "registration/login.html",
            {"refusal": message, "username_value": username, "next": request.POST.get("next", "")},
            status=429,
        )
        response["Retry-After"] = str(wait)
        return response
