"""REST authentication for plug-ins: HTTP Basic with the username and the user's API key."""

from rest_framework import exceptions
from rest_framework.authentication import BasicAuthentication

from backoffice.services import api_key_authenticate
from backoffice.signin_limits import api_limiter


class ApiKeyBasicAuthentication(BasicAuthentication):
    """Basic auth whose password is an API key, never the login password.

    Failed keys are counted per client and per username (backoffice.signin_limits); a client over
    a limit is answered HTTP 429 with Retry-After, even with the right key, until the window has
    passed. Another client with no failures of its own still signs in with the right key.
    """

    www_authenticate_realm = "api"

    def authenticate_credentials(self, userid, password, request=None):
        if "\x00" in userid or "\x00" in password:
            raise exceptions.ParseError("The username or API key contains a NUL character.")
        limiter = api_limiter()
        wait = limiter.retry_after(request, userid)
        if wait:
            raise exceptions.Throttled(wait=wait)
        user = api_key_authenticate(username=userid, raw_key=password)
        if user is None:
            limiter.record_failure(request, userid)
            raise exceptions.AuthenticationFailed("Invalid username or API key.")
        return (user, None)
