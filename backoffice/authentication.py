"""REST authentication for plug-ins: HTTP Basic with the username and the user's API key."""

import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from rest_framework import exceptions
from rest_framework.authentication import BasicAuthentication

from backoffice.services import api_key_authenticate


def _failure_cache_key(request, username: str) -> str:
    client = request.META.get("REMOTE_ADDR", "")
    # Hash so that no username lands in the cache as plain text.
    return "api-auth-fail:" + hashlib.sha256(f"{client}\0{username}".encode()).hexdigest()


class ApiKeyBasicAuthentication(BasicAuthentication):
    """Basic auth whose password is an API key, never the login password.

    Repeated failures from one client for one username are answered with HTTP 429 and a
    Retry-After header, even with the right key, until the window has passed.
    """

    www_authenticate_realm = "api"

    def authenticate_credentials(self, userid, password, request=None):
        key = _failure_cache_key(request, userid)
        window = settings.API_AUTH_FAILURE_WINDOW
        failures = cache.get_many([key, key + ":since"])
        if failures.get(key, 0) >= settings.API_AUTH_FAILURE_LIMIT:
            since = failures.get(key + ":since", time.time())
            raise exceptions.Throttled(wait=max(1, int(since + window - time.time())))
        user = api_key_authenticate(username=userid, raw_key=password)
        if user is None:
            # add() then incr() is atomic on every shared cache backend: no lost counts under load.
            if cache.add(key, 1, timeout=window):
                cache.set(key + ":since", time.time(), timeout=window)
            else:
                try:
                    cache.incr(key)
                except ValueError:  # expired between add() and incr()
                    cache.set(key, 1, timeout=window)
            raise exceptions.AuthenticationFailed("Invalid username or API key.")
        return (user, None)
