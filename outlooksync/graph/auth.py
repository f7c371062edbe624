"""Access tokens for the organization's app registration (client credentials), through msal."""

import threading
from urllib.parse import urlsplit

import msal
import requests

from outlooksync.graph.errors import GraphAuthenticationError


def graph_scope(base_url: str) -> str:
    """The `.default` scope of the Graph resource at `base_url` (national clouds have their own host)."""
    parts = urlsplit(base_url)
    return f"{parts.scheme}://{parts.netloc}/.default"


class GraphTokenProvider:
    """Acquires and caches app-only tokens with msal's ConfidentialClientApplication.

    The token cache is serializable (`cache_dump` / `cache_load`) so that the caller can keep it
    encrypted at rest between runs. TLS is verified against `ca_bundle` when given, never against
    what the environment says (`trust_env = False`: REQUESTS_CA_BUNDLE would override it otherwise).
    """

    def __init__(
        self,
        *,
        authority: str,
        client_id: str,
        client_secret: str,
        scope: str,
        ca_bundle: str | None = None,
        cache_state: str | None = None,
        timeout: float = 15.0,
    ) -> None:
        self._cache = msal.SerializableTokenCache()
        if cache_state:
            self._cache.deserialize(cache_state)
        session = requests.Session()
        session.trust_env = False
        session.verify = ca_bundle or True
        self._session = session
        self._scope = scope
        self._lock = threading.RLock()
        self._app = msal.ConfidentialClientApplication(
            client_id,
            client_credential=client_secret,
            authority=authority.rstrip("/"),
            instance_discovery=False,
            http_client=session,
            token_cache=self._cache,
            timeout=timeout,
        )

    def access_token(self) -> str:
        """A valid access token, from the cache while it lasts, otherwise from the token endpoint."""
        with self._lock:
            try:
                result = self._app.acquire_token_for_client(scopes=[self._scope])
            except (requests.RequestException, ValueError) as error:
                raise GraphAuthenticationError(f"token endpoint unreachable: {type(error).__name__}") from None
        token = result.get("access_token") if isinstance(result, dict) else None
        if not isinstance(token, str) or not token:
            code = str(result.get("error", "")) if isinstance(result, dict) else ""
            raise GraphAuthenticationError("no access token for the app registration", code=code[:100])
        return token

    def refresh(self) -> str:
        """A new access token, the cached ones dropped (Graph refused the cached one)."""
        with self._lock:
            for entry in list(self._cache.search(msal.TokenCache.CredentialType.ACCESS_TOKEN)):
                self._cache.remove_at(entry)
        return self.access_token()

    def cache_dump(self) -> str | None:
        """The token cache as text when it changed since it was loaded, else None (nothing to store)."""
        return self._cache.serialize() if self._cache.has_state_changed else None

    def cache_load(self, state: str) -> None:
        """Replace the token cache with a stored one."""
        self._cache.deserialize(state)

    def close(self) -> None:
        self._session.close()
