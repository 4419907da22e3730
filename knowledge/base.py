"""The searchable snapshot of the store, swapped for a new one when staff change something.

Every worker process holds one `KnowledgeBase`. Edits bump a version number in the database;
at most every `reload_interval` seconds a search compares it with the version its index was
built from and, when they differ, rebuilds in a background thread and swaps the new index in
atomically. A citizen's search therefore never waits for a rebuild.
"""

from __future__ import annotations

import logging
import threading
import time
from functools import lru_cache

from knowledge import passages, timeframe
from knowledge.document import Document, SearchResult
from knowledge.kinds import KindIndex
from knowledge.policy import AnswerPolicy, Decision
from knowledge.search import Searcher
from knowledge.store import DbSegmentCache, Store
from knowledge.text import TextProcessor

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def shared_processor() -> TextProcessor:
    """One text processor (and so one jieba dictionary in memory) per process."""
    return TextProcessor()


class KnowledgeBase:
    def __init__(
        self,
        store: Store,
        processor: TextProcessor | None = None,
        *,
        threshold: float | None = None,
        reload_interval: float = 5.0,
    ) -> None:
        self.store = store
        self._processor = processor
        self._policy = AnswerPolicy.with_threshold(threshold)
        self.reload_interval = reload_interval
        self._searcher: Searcher | None = None
        self._documents: dict[str, Document] = {}
        self._version = -1
        self._checked_at = 0.0
        self._rebuilding = threading.Lock()

    @property
    def processor(self) -> TextProcessor:
        """The given processor, or the process's shared one, loaded on first use.

        Lazy so that building an app (and so every `flask` command) does not pay for jieba's
        dictionary; a serving process loads it at start through `load()`.
        """
        if self._processor is None:
            self._processor = shared_processor()
        return self._processor

    @property
    def loaded(self) -> bool:
        """True once an index has been built in this process."""
        return self._searcher is not None

    @property
    def policy(self) -> AnswerPolicy:
        """The answer policy: the searcher's confidence rule and the conversation's reply rule."""
        return self._policy

    @policy.setter
    def policy(self, policy: AnswerPolicy) -> None:
        self._policy = policy
        if self._searcher is not None:
            self._searcher.policy = policy

    @property
    def version(self) -> int:
        return self._version

    @property
    def size(self) -> int:
        return len(self._documents)

    def load(self) -> None:
        """Build the index from the store now (start-up, CLI, tests)."""
        version = self.store.kb_version()
        docs = self.store.load_documents()
        cache = DbSegmentCache(self.store)
        cache.preload()
        started = time.perf_counter()
        index = KindIndex(passages.expand(docs), self.processor, cache=cache)
        cache.flush()
        self._searcher = Searcher(index, self.processor, self._policy)
        self._documents = {doc.key: doc for doc in docs}
        self._version = version
        self._checked_at = time.monotonic()
        log.info(
            "knowledge base v%d loaded: %d documents in %.2f s", version, len(docs), time.perf_counter() - started
        )

    def maybe_reload(self, *, wait: bool = False) -> None:
        """Start a rebuild if the store moved on; `wait=True` rebuilds in this thread (CLI, tests)."""
        now = time.monotonic()
        if not wait and now - self._checked_at < self.reload_interval:
            return
        self._checked_at = now
        try:
            current = self.store.kb_version()
        except Exception:
            log.exception("could not read the knowledge-base version; keeping the current index")
            return
        if current == self._version:
            return
        if wait:
            with self._rebuilding:
                self.load()
            return
        if self._rebuilding.acquire(blocking=False):
            threading.Thread(target=self._rebuild_in_background, name="kb-reload", daemon=True).start()

    def _rebuild_in_background(self) -> None:
        try:
            self.load()
        except Exception:
            log.exception("knowledge-base rebuild failed; still serving version %d", self._version)
        finally:
            self._rebuilding.release()

    def search(self, query: str, limit: int = 10) -> SearchResult:
        if self._searcher is None:
            self.load()
        else:
            self.maybe_reload()
        assert self._searcher is not None
        return timeframe.apply(self._searcher.search(query, limit=limit))

    def decide(self, question: str, topic: str | None = None) -> Decision:
        """The policy's decision on `question` (read with `topic` when it is a short follow-up)."""
        return self._policy.decide(question, topic, self)

    def document(self, key: str) -> Document | None:
        """A document by its key (`faq:12`), as of the loaded index: used for numbered choices."""
        return self._documents.get(key)

    def analyze(self, text: str) -> list[str]:
        return self.processor.analyze(text)
