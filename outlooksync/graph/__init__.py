"""Microsoft Graph client for the Outlook sync: msal tokens, delta reads, $batch writes, entity mapping.

Pure library code (no Django): base URL, authority, credentials and CA bundle are arguments, so the
same client talks to Microsoft's cloud, a national cloud or the local Graph-protocol test server.
"""

from outlooksync.graph.auth import GraphTokenProvider, graph_scope
from outlooksync.graph.batch import BatchRequest, BatchResult, run_batch
from outlooksync.graph.client import GraphClient
from outlooksync.graph.delta import DeltaRound, delta_round
from outlooksync.graph.errors import (
    DeltaExpired,
    GraphAuthenticationError,
    GraphConflict,
    GraphError,
    GraphNotFound,
    GraphOutcomeUnknown,
    GraphProtocolError,
    GraphUnavailable,
)
from outlooksync.graph.records import Changes, Create, Delete, Entity, OutlookItem, Update, WriteResult
from outlooksync.graph.recurrence import UnsupportedRecurrence, graph_to_rrule, rrule_to_graph
from outlooksync.graph.timezones import iana_to_windows, windows_to_iana
from outlooksync.graph.transport import GraphTransport, RetryPolicy

__all__ = [
    "BatchRequest",
    "BatchResult",
    "Changes",
    "Create",
    "Delete",
    "DeltaExpired",
    "DeltaRound",
    "Entity",
    "GraphAuthenticationError",
    "GraphClient",
    "GraphConflict",
    "GraphError",
    "GraphNotFound",
    "GraphOutcomeUnknown",
    "GraphProtocolError",
    "GraphTokenProvider",
    "GraphTransport",
    "GraphUnavailable",
    "OutlookItem",
    "RetryPolicy",
    "Update",
    "UnsupportedRecurrence",
    "WriteResult",
    "delta_round",
    "graph_scope",
    "graph_to_rrule",
    "iana_to_windows",
    "rrule_to_graph",
    "run_batch",
    "windows_to_iana",
]
