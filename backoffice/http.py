"""Request helpers every app's views share."""

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next_url(request: HttpRequest, default: str = "", *, field: str = "next") -> str:
    """The posted (else ?next=) address to go back to when it stays on this site, else `default`.

    Never an address on another host or scheme: a crafted link must not send a signed-in user
    elsewhere (an open redirect).
    """
    candidate = request.POST.get(field) or request.GET.get(field)
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default
