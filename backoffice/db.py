"""Database helpers every app's services share."""

import functools
import time

from django.db import OperationalError, connection, transaction

# PostgreSQL's codes for "try the transaction again": a deadlock victim and a serialization failure.
RETRYABLE_SQLSTATES = {"40P01", "40001"}
ATTEMPTS = 4


def _retryable(error: OperationalError) -> bool:
    cause = error.__cause__
    return getattr(cause, "sqlstate", None) in RETRYABLE_SQLSTATES or getattr(cause, "pgcode", None) in (
        RETRYABLE_SQLSTATES
    )


def retry_on_conflict(func):
    """Run a transactional service again when the database chose it as a deadlock or serialization victim.

    Only an outermost call is retried (inside a caller's transaction the whole transaction is lost, so
    the caller's own retry has to run it again). The work is all or nothing, so a retry is safe.
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        if connection.in_atomic_block:
            return func(*args, **kwargs)
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return func(*args, **kwargs)
            except OperationalError as error:
                if attempt == ATTEMPTS or not _retryable(error):
                    raise
                time.sleep(0.01 * attempt)
        raise AssertionError("unreachable")

    return wrapper


def service_atomic(func):
    """`transaction.atomic` for services that call one another.

    The outermost service call opens the transaction (or, inside a caller's own transaction, a
    savepoint, so a refusal the caller catches undoes only the service's work). Services it calls
    join that transaction without savepoints of their own: an error in them leaves through the
    outermost service, whose savepoint or transaction undoes everything, so theirs would only cost
    two round trips each.
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        depth = getattr(connection, "_service_depth", 0)
        connection._service_depth = depth + 1
        try:
            with transaction.atomic(savepoint=depth == 0 or not connection.in_atomic_block):
                return func(*args, **kwargs)
        finally:
            connection._service_depth = depth

    return wrapper
