"""What the start-up registries share: one app plugs into another (sections, types, connectors) by key."""

from collections.abc import Iterable


def check_not_registered(kind: str, key: str, registered: Iterable[str]) -> None:
    """Raise ValueError naming the key when it is already among the registered keys of this kind.

    Two registrations under one key are a bug (two apps claiming one name, or start-up code run
    twice); silently keeping either of them would hide it until the wrong one shows.
    """
    if key in registered:
        raise ValueError(f"The {kind} {key!r} is registered already.")
