"""Values derived from database rows, kept per process under a key that changes whenever the row
is saved (its id and ``updated_at``): an edit is a new key, so a stale value is never read again,
only left to be cleared. Bounded, because a process serves a few hundred connectors: when full, it
starts again empty. Safe to share between threads (two may compute the same value once each)."""

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class RevisionCache(Generic[T]):
    def __init__(self, limit: int = 1024):
        self._values: dict[Hashable, T] = {}
        self._limit = limit

    def get(self, key: Hashable, make: Callable[[], T]) -> T:
        """The value kept under ``key``, made by ``make()`` the first time."""
        try:
            return self._values[key]
        except KeyError:
            pass
        value = make()
        if len(self._values) >= self._limit:
            self._values.clear()
        self._values[key] = value
        return value
