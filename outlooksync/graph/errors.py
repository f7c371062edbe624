"""Errors the Graph client raises or reports, typed so that the sync can decide what to do with each."""


class GraphError(Exception):
    """A request to Microsoft Graph failed; `status` and `code` are Graph's answer when there was one."""

    def __init__(self, message: str, *, status: int | None = None, code: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class GraphUnavailable(GraphError):
    """Graph kept failing (throttling, 5xx, dropped connections) after every allowed attempt."""


class GraphOutcomeUnknown(GraphUnavailable):
    """A request that must not be sent twice failed after it was sent: it may or may not have been applied."""


class GraphProtocolError(GraphError):
    """Graph answered something outside the protocol or outside the bounds the client accepts."""


class GraphAuthenticationError(GraphError):
    """No access token could be acquired for the app registration."""


class GraphNotFound(GraphError):
    """The item no longer exists in the mailbox (404)."""


class GraphConflict(GraphError):
    """The item changed since it was read (412, change key mismatch): re-read it and apply the rules again."""


class DeltaExpired(GraphError):
    """The delta token is no longer valid (410, syncStateNotFound, resyncRequired): run a reconciling full sync."""
