import pytest

from outlooksync.graph import GraphClient, RetryPolicy
from tests.outlooksync.graph_server import GraphServer

MAILBOX = "rep@example.com"


class Sleeps(list):
    """Records the waits the client asks for instead of sleeping (Retry-After and back-off become visible)."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def graph_server():
    """A fresh local Graph-protocol server over TLS."""
    with GraphServer() as server:
        yield server


@pytest.fixture
def graph_waits():
    return Sleeps()


@pytest.fixture
def make_graph_client(graph_server, graph_waits):
    """Clients of the local server authenticated through msal; they record their waits instead of sleeping."""
    clients = []

    def make(mailbox: str = MAILBOX, **options) -> GraphClient:
        options.setdefault("retry", RetryPolicy(sleep=graph_waits))
        options.setdefault("authority", graph_server.authority)
        graph_client = GraphClient.connect(
            base_url=graph_server.base_url,
            client_id=graph_server.state.client_id,
            client_secret=graph_server.state.client_secret,
            mailbox=mailbox,
            ca_bundle=graph_server.ca_bundle,
            **options,
        )
        clients.append(graph_client)
        return graph_client

    yield make
    for graph_client in clients:
        graph_client.close()


@pytest.fixture
def graph_client(make_graph_client):
    return make_graph_client()


@pytest.fixture
def make_client(make_graph_client):
    """The same factory under its first name, which the Graph store's tests use."""
    return make_graph_client


@pytest.fixture
def sleeps(graph_waits):
    """The recorded waits under their first name, which the Graph store's tests use."""
    return graph_waits


@pytest.fixture
def registered_graph(graph_server, settings, org_admin):
    """The local Graph server as the organization's Microsoft Graph: the project pointed at it and the app
    registration saved on the MS Outlook settings."""
    from backoffice.org_settings import settings_update
    from outlooksync.settings_section import SECTION

    settings.GRAPH_BASE_URL = graph_server.base_url
    settings.GRAPH_AUTHORITY = graph_server.url
    settings.GRAPH_CA_BUNDLE = graph_server.ca_bundle
    settings_update(
        actor=org_admin,
        section=SECTION,
        values={
            "graph_tenant_id": graph_server.state.tenant,
            "graph_client_id": graph_server.state.client_id,
            "graph_client_secret": graph_server.state.client_secret,
        },
    )
    return graph_server
