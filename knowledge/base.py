"""The searchable snapshot of the store, swapped for a new one when staff change something.

Every worker process holds one `KnowledgeBase`. Edits bump a version number in the database
(and, in the app, publish a notification: see `bot/reload.py`, whose watcher thread calls
`refresh` as soon as an edit is committed). A rebuild happens outside the request path and the
new index replaces the old one in a single assignment of an immutable `Snapshot`, so a
citizen's search never waits for a rebuild and never sees half of two versions.

A one-entry edit must not cost a re-read or a re-segmentation of the whole knowledge base:
unchanged rows keep their `Document` (`Store.stamped_documents` compares `updated_at`), and
`SegmentMemo` keeps, per process, the analysed terms of every text of the served version, so a rebuild only
runs jieba on texts that are new; the database segment cache fills the memo at the first build
(start-up after a restart) and receives what the process had to segment itself.
"""

from __future__ import annotations

import datetime
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from knowledge import associations, passages, placeframe, timeframe
from knowledge.decision import Decision
from knowledge.document import Document, SearchResult
from knowledge.kinds import KindIndex
from knowledge.persist import Overlay
from knowledge.policy import AnswerPolicy
from knowledge.search import Searcher
from knowledge.segmemo import DbSegmentCache, SegmentMemo
from knowledge.served import DELTA_LIMIT, SharedIndex, SharedState
from knowledge.spelling import Correction, Speller, speller_for
from knowledge.store import Store
from knowledge.text import TextProcessor

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def shared_processor() -> TextProcessor:
    """One text processor (and so one jieba dictionary in memory) per process."""
    return TextProcessor()


@dataclass(frozen=True)
class Snapshot:
    """One knowledge-base version as served: replaced whole, never changed in place."""

    version: int
    searcher: Searcher | None
    documents: Mapping[str, Document] = field(default_factory=dict)
    build_seconds: float = 0.0
    segmented: int = 0  # texts this build had to run through jieba
    reload: bool = False  # False for the process's first build, True for a rebuild after a change
    speller: Speller | None = None  # homophone typos against this version's words (knowledge.spelling)
    #: Shared mode (`knowledge.served`): the mapped build served, with or without a delta on top,
    #: and the build still wanted when a delta stands in for it (None once the build is served).
    shared: SharedState | None = None
    pending: str | None = None


class KnowledgeBase:
    def __init__(
        self,
        store: Store,
        processor: TextProcessor | None = None,
        *,
        threshold: float | None = None,
        reload_interval: float = 1.0,
        index_dir: Path | None = None,
        build_in_child: bool = False,
    ) -> None:
        """`index_dir`: where builds are shared between this machine's processes (`knowledge.shared`);
        None builds the index in this process's memory (tests, benchmarks, the CLI).
        `build_in_child`: background full builds run in a child process (`knowledge.builder`)."""
        self.store = store
        self._processor = processor
        self._policy = AnswerPolicy.with_threshold(threshold)
        self.reload_interval = reload_interval
        #: Set by a background watcher (bot/reload.py): searches then never check the version.
        self.watched = False
        self.reloads = 0  # rebuilds after the first load, for metrics
        self.on_reload: list[Callable[[Snapshot], None]] = []
        self._snapshot = Snapshot(version=-1, searcher=None)
        self._loaded_on: datetime.date | None = None  # valid-until dates are checked per day
        self._segments = SegmentMemo()
        self._stamped: dict[str, tuple[object, Document]] = {}  # documents served, by key, with updated_at
        self._checked_at = 0.0
        self._rebuilding = threading.Lock()
        self.index_dir = index_dir
        self.build_in_child = build_in_child
        #: Also the builds a load waits for (set by gunicorn.conf.py for the master before it loads).
        self.every_build_in_child = False
        self._shared: SharedIndex | None = None

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
    def snapshot(self) -> Snapshot:
        return self._snapshot

    @property
    def policy(self) -> AnswerPolicy:
        """The answer policy: the searcher's confidence rule and the conversation's reply rule."""
        return self._policy

    @policy.setter
    def policy(self, policy: AnswerPolicy) -> None:
        self._policy = policy
        if self._snapshot.searcher is not None:
            self._snapshot.searcher.policy = policy

    @property
    def version(self) -> int:
        return self._snapshot.version

    @property
    def size(self) -> int:
        return len(self._snapshot.documents)

    @property
    def loaded(self) -> bool:
        """True once an index has been built in this process."""
        return self._snapshot.searcher is not None

    def load(self) -> None:
        """Build the index from the store now and swap it in (start-up, CLI, tests, watcher)."""
        with self._rebuilding:
            self._load()

    def close(self, timeout: float = 30.0) -> None:
        """Wait up to `timeout` seconds for a background index build, then stop it, before this
        knowledge base goes away (`SharedIndex.close`); searching goes on with what is served."""
        if self._shared is not None:
            self._shared.close(timeout)

    @property
    def shared(self) -> SharedIndex | None:
        """The machine's shared builds (created on first use: it needs the processor's lexicon)."""
        if self._shared is None and self.index_dir is not None:
            self._shared = SharedIndex(self.store, self.processor, self.index_dir, in_child=self.build_in_child,
                                       all_in_child=self.every_build_in_child)
        return self._shared

    def _load(self) -> None:
        shared = self.shared
        if shared is not None:
            snapshot = shared.load(self._snapshot, self._policy)
            self._swap(snapshot)
            return
        started = time.perf_counter()
        version = self.store.kb_version()
        stamped = self.store.stamped_documents(self._stamped)
        docs = [doc for _at, doc in stamped.values()]
        cache = self._segments.for_build(self.store)
        index = KindIndex(passages.expand(docs), self.processor, cache=cache)
        expansion = associations.expansion_for(docs, self.processor, cache)  # paraphrase, reply stage only
        searcher = Searcher(index, self.processor, self._policy, expansion)
        first = self._snapshot.searcher is None
        snapshot = Snapshot(
            version=version,
            searcher=searcher,
            speller=speller_for(searcher),
            documents={doc.key: doc for doc in docs},
            build_seconds=time.perf_counter() - started,
            segmented=index.segmented,
            reload=not first,
        )
        self._stamped = stamped
        self._segments.keep(cache)
        self._swap(snapshot)

    def _swap(self, snapshot: Snapshot) -> None:
        if snapshot.searcher is not None:  # worked out here, by the loader, not by the first question
            _ = snapshot.searcher.index.domain_verbs
        first = self._snapshot.searcher is None
        old = self._snapshot
        self._snapshot = snapshot  # one assignment: readers see the old version or the new one
        if old.shared is not None and (snapshot.shared is None or old.shared.held is not snapshot.shared.held):
            old.shared.held.release()  # mapped pages stay valid for searches still running on it
        self._loaded_on = datetime.date.today()
        self._checked_at = time.monotonic()
        if not first:
            self.reloads += 1
        for listener in self.on_reload:
            try:
                listener(snapshot)
            except Exception:
                log.exception("a reload listener failed")
        log.info(
            "knowledge base v%d loaded: %d documents in %.2f s (%d texts segmented)%s",
            snapshot.version, len(snapshot.documents), snapshot.build_seconds, snapshot.segmented,
            f" (delta, full build {snapshot.pending} pending)" if snapshot.pending else "",
        )

    def variant(self, changed: Mapping[str, Document | None]) -> KnowledgeBase:
        """A throwaway knowledge base: this version's documents with `changed` applied (None drops one).

        For testing a change before it is published (待审核): built in memory from the served
        documents, sharing the processor and the segmentation memo, and never reloading from
        the store — what citizens are served is untouched.
        """
        fast = self._variant_on_build(changed)
        if fast is not None:
            return fast
        docs = dict(self._snapshot.documents)
        for key, doc in changed.items():
            if doc is None:
                docs.pop(key, None)
            else:
                docs[key] = doc
        other = KnowledgeBase(self.store, self.processor, reload_interval=self.reload_interval)
        other._policy = self._policy
        other.watched = True
        cache = self._segments.for_build(self.store)
        index = KindIndex(passages.expand(list(docs.values())), self.processor, cache=cache)
        # The served version's term associations, as a delta keeps its build's: learning them
        # again for one tested change would cost seconds at 20,000 entries.
        served = self._snapshot.searcher
        searcher = Searcher(index, self.processor, self._policy, served.expansion if served else None)
        other._snapshot = Snapshot(version=self.version, searcher=searcher, speller=speller_for(searcher),
                                   documents=docs)
        other._loaded_on = datetime.date.today()
        return other

    def _variant_on_build(self, changed: Mapping[str, Document | None]) -> KnowledgeBase | None:
        """`variant` as a delta on the served build (shared mode), as citizens get a published
        change until the next full build; None when there is no build or the change is too large.

        A full in-memory build of 20,000 entries takes seconds; the 待审核 page's 测试 must not.
        """
        snapshot = self._snapshot
        shared = snapshot.shared
        if shared is None or snapshot.searcher is None:
            return None
        served = snapshot.documents
        docs = dict(served.changed) if isinstance(served, Overlay) else {}
        removed = set(served.removed) if isinstance(served, Overlay) else set()
        for key, doc in changed.items():
            if doc is None:
                docs.pop(key, None)
                removed.add(key)
            else:
                docs[key] = doc
                removed.discard(key)
        removed = {key for key in removed if key in shared.records}
        if len(docs) + len(removed) > DELTA_LIMIT:
            return None
        cache = DbSegmentCache(self.store)  # unchanged texts are the build's: only the change is segmented
        index = shared.index.with_delta(passages.expand(list(docs.values())), removed, self.processor, cache)
        if index is None:
            return None
        other = KnowledgeBase(self.store, self.processor, reload_interval=self.reload_interval)
        other._policy = self._policy
        other.watched = True
        searcher = Searcher(index, self.processor, self._policy, shared.expansion)  # as `served.load`'s delta
        other._snapshot = Snapshot(version=self.version, searcher=searcher, speller=shared.speller,
                                   documents=Overlay(shared.records, docs, removed), shared=shared)
        other._loaded_on = datetime.date.today()
        return other

    def stored_version(self) -> int:
        """The version in the database (what the served one should catch up with)."""
        return self.store.kb_version()

    def refresh(self) -> bool:
        """Rebuild in this thread if the stored version moved on; True if it did.

        Raises when the database cannot be read: the caller (the watcher) logs and retries.
        """
        self._checked_at = time.monotonic()
        if self.stored_version() == self.version and self.loaded and not self._build_wanted():
            return False
        with self._rebuilding:
            if self.stored_version() == self.version and self.loaded and not self._build_wanted():
                return False  # another thread rebuilt while this one waited
            self._load()
            self._complete()
        return True

    def _build_wanted(self) -> bool:
        """A delta is served and its full build is ready, or nobody is making it (then we do)."""
        pending, shared = self._snapshot.pending, self._shared
        return pending is not None and shared is not None and shared.can_complete(pending)

    def _complete(self) -> None:
        """After a delta was swapped in: make the full build unless another process is on it,
        and serve it (in the watcher thread; citizens meanwhile get the delta's answers)."""
        pending, shared = self._snapshot.pending, self._shared
        if pending is not None and shared is not None and shared.complete(pending):
            self._load()

    def maybe_reload(self, *, wait: bool = False) -> None:
        """Start a rebuild if the store moved on; `wait=True` rebuilds in this thread (CLI, tests).

        Without a watcher (a process that serves no traffic, or a test app) this is how a
        change is picked up; with one, searches skip it.
        """
        now = time.monotonic()
        if not wait and now - self._checked_at < self.reload_interval:
            return
        self._checked_at = now
        try:
            current = self.store.kb_version()
        except Exception:
            log.exception("could not read the knowledge-base version; keeping the current index")
            return
        if current == self.version and self._loaded_on == datetime.date.today():
            return  # a new day may retire entries past their valid-until date
        if wait:
            self.load()
            return
        if self._rebuilding.acquire(blocking=False):
            threading.Thread(target=self._rebuild_in_background, name="kb-reload", daemon=True).start()

    def _rebuild_in_background(self) -> None:
        try:
            self._load()
            self._complete()
        except Exception:
            log.exception("knowledge-base rebuild failed; still serving version %d", self.version)
        finally:
            self._rebuilding.release()

    def _searcher(self) -> Searcher:
        """The served searcher, loaded or brought up to date first when nobody watches for edits."""
        searcher = self._snapshot.searcher
        if searcher is None:
            self.load()
            searcher = self._snapshot.searcher
        elif not self.watched:
            self.maybe_reload()
        assert searcher is not None
        return searcher

    def search(self, query: str, limit: int = 10) -> SearchResult:
        return placeframe.apply(timeframe.apply(self._searcher().search(query, limit=limit)))

    def search_distinct(self, query: str, limit: int, within: int) -> SearchResult:
        """`search(query, within)` keeping one FAQ entry per answer, the best `limit` read
        (`Searcher.search_distinct`; `AnswerPolicy` makes the same of it as of the deep search)."""
        searcher = self._searcher()
        whole = bool(timeframe.parse(query, datetime.date.today()))  # a year or "latest" may reorder every item
        return placeframe.apply(timeframe.apply(searcher.search_distinct(query, limit, within, whole=whole)))

    def decide(self, question: str, topic: str | None = None) -> Decision:
        """The policy's decision on `question` (read with `topic` when it is a short follow-up)."""
        return self._policy.decide(question, topic, self, self.domain_verbs)

    def spelling(self, text: str) -> list[Correction]:
        """Homophone typos in `text` against this knowledge base's words (`knowledge.spelling`)."""
        if self._snapshot.speller is None:
            self.load()
        speller = self._snapshot.speller
        assert speller is not None
        return speller.corrections_in(text, self.processor.segment)

    def document(self, key: str) -> Document | None:
        """A document by its key (`faq:12`), as of the loaded index: used for numbered choices."""
        return self._snapshot.documents.get(key)

    def analyze(self, text: str) -> list[str]:
        """The words the search looks for in `text` (`Searcher.terms`: a long word the served
        index lacks in its parts), so the policy's content words are the words hits match."""
        searcher = self._snapshot.searcher
        return self.processor.analyze(text) if searcher is None else searcher.terms(text)

    @property
    def domain_verbs(self) -> frozenset[str]:
        """The verbs that name a domain of the served documents (`knowledge.topicwords.domain_verbs`)."""
        return self._searcher().index.domain_verbs

    def written_forms(self, term: str) -> tuple[str, ...]:
        """What `analyze` may have read as `term` (`TextProcessor.written_forms`)."""
        return self.processor.written_forms(term)
