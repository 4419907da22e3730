"""The segmentation cache of a serving process: rows in the database, and the served version's
terms in memory between rebuilds.

`knowledge.segcache` defines what a cache is and is used by the index builders, which know
nothing of the database; this module is the store-backed side that `KnowledgeBase` and the
shared index give them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from sqlalchemy import select

from knowledge.models import SegmentCache
from knowledge.store import Store, insert_for

log = logging.getLogger(__name__)


class DbSegmentCache:
    """Segmentation cache in the database, read in bulk before a rebuild and written after it."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._loaded: dict[str, list[str]] = {}
        self._new: dict[str, list[str]] = {}

    def preload(self) -> None:
        with self.store.session() as session:
            for row in session.scalars(select(SegmentCache)):
                self._loaded[row.text_hash] = row.tokens.split("\t") if row.tokens else []

    def get(self, text_hash: str) -> list[str] | None:
        found = self._loaded.get(text_hash)
        return found if found is not None else self._new.get(text_hash)

    def put(self, text_hash: str, tokens: list[str]) -> None:
        if text_hash not in self._loaded:
            self._new[text_hash] = tokens

    def flush(self) -> None:
        if not self._new:
            return
        rows = [{"text_hash": h, "tokens": "\t".join(t)} for h, t in self._new.items()]
        insert = insert_for(self.store.engine.dialect.name)
        with self.store.session() as session:
            # Every worker segments a new text at the same moment after an edit: the first
            # one's row wins, the others' identical rows are skipped instead of failing.
            session.execute(insert(SegmentCache).on_conflict_do_nothing(index_elements=["text_hash"]), rows)
        self._loaded.update(self._new)
        self._new.clear()


class SegmentMemo:
    """The analysed terms of the served version's texts, kept in memory between rebuilds.

    Each build reads through a `BuildCache`: hits come from memory, misses are analysed by
    the index and remembered. After the build the memo keeps only the texts that build used,
    so edits and deletions do not make it grow without bound.
    """

    def __init__(self) -> None:
        self._terms: dict[str, Sequence[str]] = {}
        self._seeded = False

    def __len__(self) -> int:
        return len(self._terms)

    def for_build(self, store: Store) -> BuildCache:
        db = DbSegmentCache(store)
        if not self._seeded:
            db.preload()  # the first build after a start reuses what earlier processes segmented
        return BuildCache(self._terms, db)

    def keep(self, build: BuildCache) -> None:
        """Remember exactly what `build` used; write what it analysed to the database."""
        self._terms = build.used
        self._seeded = True
        try:
            build.db.flush()
        except Exception:  # the database cache only saves time after a restart
            log.warning("could not save new segmentations to the database", exc_info=True)


class BuildCache:
    """`SegmentationCache` for one build: memory first, then the preloaded database rows."""

    def __init__(self, memory: Mapping[str, Sequence[str]], db: DbSegmentCache) -> None:
        self.memory = memory
        self.db = db
        self.used: dict[str, Sequence[str]] = {}

    def get(self, key: str) -> Sequence[str] | None:
        found = self.memory.get(key)
        if found is None:
            found = self.db.get(key)
        if found is not None:
            self.used[key] = found
        return found

    def put(self, key: str, terms: list[str]) -> None:
        self.used[key] = tuple(terms)
        self.db.put(key, terms)
