"""Rows of one table by a unique key, for an edit batch: read key by key, or all at once when many are asked.

A form's save asks for one or two keys; reading 20,000 FAQ entries as ORM objects for that
took a second (the 待审核 diff replays the change, so every view of it paid too). An import
asks for thousands, where one read of the whole table is cheaper than a query per row: after
`bulk_after` single reads the index reads everything it does not know yet.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

_K = TypeVar("_K")
_R = TypeVar("_R")


class KeyIndex(Generic[_K, _R]):
    """A dict-like view of `key → row` that the batch keeps in step with its own edits.

    `one(key)` reads the row with that key (or None); `every()` yields (key, row) for the whole
    table. What the batch wrote (`index[key] = row`, `pop(key)`) overrides what is read later.
    """

    def __init__(self, one: Callable[[_K], _R | None], every: Callable[[], Iterable[tuple[_K, _R]]], *,
                 bulk_after: int = 8) -> None:
        self._one, self._every, self._bulk_after = one, every, bulk_after
        self._known: dict[_K, _R | None] = {}  # None: no row has this key (read, or popped by the batch)
        self._complete = False
        self._reads = 0

    def get(self, key: _K) -> _R | None:
        if key in self._known or self._complete:
            return self._known.get(key)
        self._reads += 1
        if self._reads > self._bulk_after:
            for found_key, each in self._every():
                self._known.setdefault(found_key, each)
            self._complete = True
            return self._known.get(key)
        found = self._one(key)
        self._known[key] = found
        return found

    def __setitem__(self, key: _K, row: _R) -> None:
        self._known[key] = row

    def pop(self, key: _K) -> None:
        """Forget the row under `key` (the batch moved it to another key)."""
        self._known[key] = None
