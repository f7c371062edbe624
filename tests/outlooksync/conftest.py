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
def sleeps():
    return Sleeps()


@pytest.fixture
def make_client(graph_server, sleeps):
    """Clients of the local server authenticated through msal; they record their waits instead of sleeping."""
    clients = []

    def make(mailbox: str = MAILBOX, **options) -> GraphClient:
        options.setdefault("retry", RetryPolicy(sleep=sleeps))
        options.setdefault("authority", graph_server.authority)
        client = GraphClient.connect(
            base_url=graph_server.base_url,
            client_id=graph_server.state.client_id,
            client_secret=graph_server.state.client_secret,
            mailbox=mailbox,
            ca_bundle=graph_server.ca_bundle,
            **options,
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client):
    return make_client()
