"""The Graph endpoints from the project's settings: the one module of the client that reads Django settings.

GRAPH_BASE_URL (default Microsoft's global cloud), GRAPH_AUTHORITY (the identity platform's root; the
organization's tenant id is appended) and GRAPH_CA_BUNDLE (a CA file to trust instead of the system's,
for a local Graph-protocol server) let tests and national clouds point the client elsewhere.
"""

from dataclasses import dataclass

from django.conf import settings

DEFAULT_BASE_URL = "https://graph.microsoft.com/v1.0"
DEFAULT_AUTHORITY = "https://login.microsoftonline.com"


@dataclass(frozen=True)
class GraphEndpoints:
    """Where Graph and its token endpoint are, and which CA to trust."""

    base_url: str
    authority: str
    ca_bundle: str | None


def graph_endpoints() -> GraphEndpoints:
    """The endpoints configured in settings, with Microsoft's global cloud as the default."""
    return GraphEndpoints(
        base_url=getattr(settings, "GRAPH_BASE_URL", "") or DEFAULT_BASE_URL,
        authority=getattr(settings, "GRAPH_AUTHORITY", "")
        or getattr(settings, "GRAPH_TOKEN_URL", "")
        or DEFAULT_AUTHORITY,
        ca_bundle=getattr(settings, "GRAPH_CA_BUNDLE", "") or None,
    )
