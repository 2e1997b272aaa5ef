"""The people of one export, each made once and shared by all of their messages.

Exports that name the author on every line (QQ, WhatsApp) would otherwise build one
:class:`PersonRef` per message: millions of equal objects in a large chat. A ``PersonRef``
is frozen, so one instance can stand for a person everywhere. The cache is emptied when it
outgrows :data:`LIMIT`, so that an export naming more people than that still reads in
bounded memory (a person met again is then simply made again).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from qunyun.ingest.records import PersonRef

#: How many people are kept before the cache starts over.
LIMIT = 10_000

Key = TypeVar("Key", bound=Hashable)


class PersonCache(Generic[Key]):
    """People by the key an export names them with (a name, or an id and a name)."""

    def __init__(self, make: Callable[[Key], PersonRef], limit: int = LIMIT) -> None:
        self._make = make
        self._limit = limit
        self._people: dict[Key, PersonRef] = {}

    def get(self, key: Key) -> PersonRef:
        """Return the person ``key`` names, made by ``make`` the first time it is met."""
        found = self._people.get(key)
        if found is None:
            if len(self._people) > self._limit:
                self._people.clear()
            found = self._people[key] = self._make(key)
        return found
