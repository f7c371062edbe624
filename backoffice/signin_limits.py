"""Limits on failed sign-ins (API keys and the web login), counted per client and per username.

Two counters, both in the shared cache so that every web process sees the same counts:

- per client address (whatever username it tries): a client that fails `client_limit` times in the
  window is refused, even with the right credentials, until the window has passed;
- per username (from every client), with a much higher threshold: once reached, only clients that
  have not failed themselves in the window may still try. A client with a clean record and the right
  credentials therefore always gets in, so a stranger cannot lock an owner out from elsewhere; an
  attacker spreading guesses over many addresses gets one guess per new address.

The client address is REMOTE_ADDR, or the X-Forwarded-For address added by a proxy listed in
TRUSTED_PROXIES (never a header a client could have written itself).
"""

import hashlib
import ipaddress
import time
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _trusted_networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(proxy.strip(), strict=False) for proxy in proxies if proxy.strip())


def _parse_address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def client_address(request: HttpRequest) -> str:
    """The address of the client: REMOTE_ADDR, or behind trusted proxies the address they forwarded.

    X-Forwarded-For is read from the right (the entry the nearest proxy appended) and trusted only as
    far as the entries are themselves trusted proxies; the first address not in TRUSTED_PROXIES is the
    client. Anything a client wrote to the left of that is ignored.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    networks = _trusted_networks(tuple(settings.TRUSTED_PROXIES))
    address = _parse_address(remote)
    if not networks or address is None or not any(address in network for network in networks):
        return remote
    forwarded = [part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    for entry in reversed(forwarded):
        hop = _parse_address(entry)
        if hop is None:
            break  # garbage from here leftwards cannot be trusted
        if not any(hop in network for network in networks):
            return str(hop)
    return remote


def _cache_key(scope: str, kind: str, value: str) -> str:
    # Hashed so that no username or address lands in the cache as plain text.
    return f"signin-fail:{scope}:{kind}:" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class SignInLimiter:
    """Failed sign-ins of one kind (`scope`), with the limits and window (seconds) from the settings."""

    scope: str
    client_limit: int
    username_limit: int
    window: int

    def _keys(self, request: HttpRequest, username: str) -> tuple[str, str]:
        return (
            _cache_key(self.scope, "client", client_address(request)),
            _cache_key(self.scope, "username", username.casefold()),
        )

    def _wait(self, since: float | None) -> int:
        if since is None:
            return self.window
        return max(1, int(since + self.window - time.time()) + 1)

    def retry_after(self, request: HttpRequest, username: str) -> int:
        """Seconds this client must wait before trying `username` again; 0 when it may try now."""
        client_key, username_key = self._keys(request, username)
        counts = cache.get_many([client_key, client_key + ":since", username_key, username_key + ":since"])
        client_failures = counts.get(client_key, 0)
        if client_failures >= self.client_limit:
            return self._wait(counts.get(client_key + ":since"))
        if client_failures and counts.get(username_key, 0) >= self.username_limit:
            return self._wait(counts.get(username_key + ":since"))
        return 0

    def record_failure(self, request: HttpRequest, username: str) -> None:
        """Count one failed sign-in against the client and against the username."""
        for key in self._keys(request, username):
            # add() then incr() is atomic on every shared cache backend: no lost counts under load.
            if cache.add(key, 1, timeout=self.window):
                cache.set(key + ":since", time.time(), timeout=self.window)
            else:
                try:
                    cache.incr(key)
                except ValueError:  # expired between add() and incr()
                    cache.set(key, 1, timeout=self.window)
                    cache.set(key + ":since", time.time(), timeout=self.window)


def api_limiter() -> SignInLimiter:
    """The limits on API keys sent with HTTP Basic."""
    return SignInLimiter(
        scope="api",
        client_limit=settings.API_AUTH_FAILURE_LIMIT,
        username_limit=settings.AUTH_USERNAME_FAILURE_LIMIT,
        window=settings.API_AUTH_FAILURE_WINDOW,
    )


def login_limiter() -> SignInLimiter:
    """The limits on passwords typed on the login pages (the web UI and the admin)."""
    return SignInLimiter(
        scope="login",
        client_limit=settings.LOGIN_FAILURE_LIMIT,
        username_limit=settings.AUTH_USERNAME_FAILURE_LIMIT,
        window=settings.LOGIN_FAILURE_WINDOW,
    )
