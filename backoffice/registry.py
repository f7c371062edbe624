"""What the start-up registries share: one app plugs into another (sections, types, job kinds, ...) by key."""

from collections.abc import Iterable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


def check_not_registered(kind: str, key: str, registered: Iterable[str]) -> None:
    """Raise ValueError naming the key when it is already among the registered keys of this kind.

    Two registrations under one key are a bug (two apps claiming one name, or start-up code run
    twice); silently keeping either of them would hide it until the wrong one shows.
    """
    if key in registered:
        raise ValueError(f"The {kind} {key!r} is registered already.")


class KeyedRegistry(Generic[T]):
    """Items by a unique key: registering a key twice is a programming error and raises."""

    def __init__(self, what: str):
        self.what = what
        self.items: dict[str, T] = {}

    def register(self, key: str, item: T) -> None:
        check_not_registered(self.what, key, self.items)
        self.items[key] = item

    def get(self, key: str) -> T:
        try:
            return self.items[key]
        except KeyError:
            raise KeyError(f"No {self.what} {key!r}.") from None

    def __contains__(self, key: str) -> bool:
        return key in self.items

    def __iter__(self) -> Iterator[T]:
        return iter(self.items.values())
