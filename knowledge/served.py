"""How a process serves the machine's shared builds, with a delta for edits not yet built.

`KnowledgeBase` (knowledge/base.py) calls `SharedIndex.load` whenever the stored version moved on:

1. **Pick a build** (`knowledge.shared`): the build of the stored version if some process made
   it, else the newest finished build of today, else the one already served. With none at all
   (the first start of the day), build it now under the machine's build lock — a process that
   waits for the lock then maps what the winner wrote instead of building it again.
2. **Compare** the build's `updated_at` stamps with the store's (one narrow read) and read only
   the entries that are new or changed.
3. **Serve** the build alone when nothing changed, or the build plus a `knowledge.delta` of the
   changed entries (hiding the build's old versions of them and the entries gone since) — a
   one-entry edit costs one entry's segmentation and reading, not the knowledge base's. The
   snapshot then names the build still wanted (`pending`); `complete` makes it in the
   background unless another process of the machine is on it, and the next `load` maps it.

The term associations (`knowledge.associations`, the reply stage's paraphrase credit) are
learned by the builder with the rest of the build and mapped like the index; a delta keeps
the build's associations until the next build (an edit changes a pair's counts by one entry).

A change too large for a delta (`DELTA_LIMIT` entries: an import) is built in full at once.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from knowledge import associations, passages, persist
from knowledge.associations import Expansion
from knowledge.kinds import KindIndex
from knowledge.persist import DOCUMENT_CACHE, DocumentTable, Overlay, Records
from knowledge.policy import AnswerPolicy
from knowledge.search import Searcher
from knowledge.segmemo import DbSegmentCache
from knowledge.shared import Builds, Held
from knowledge.spelling import Speller, speller_for
from knowledge.store import Store
from knowledge.text import TextProcessor

if TYPE_CHECKING:
    from knowledge.base import Snapshot

log = logging.getLogger(__name__)

CLOCK_MARGIN = datetime.timedelta(minutes=10)
DELTA_LIMIT = 500  # changed entries served as a delta; more (an import) waits for a full build


@dataclass(frozen=True)
class SharedState:
    """The mapped build a snapshot serves (without its delta: the base of the next delta)."""

    held: Held
    index: KindIndex
    records: Records
    stamps: persist.Stamps
    speller: Speller
    expansion: Expansion  # the build's term associations (reply stage; a delta keeps the build's)


class SharedIndex:
    def __init__(
        self, store: Store, processor: TextProcessor, folder: Path, *,
        in_child: bool = False, all_in_child: bool = False,
    ) -> None:
        """`in_child`: background builds run in a child process (`knowledge.builder`; servers),
        not in the calling thread (tests, the CLI); `all_in_child`: the builds a caller waits
        for too (a gunicorn master, whose memory its workers share)."""
        self.store = store
        self.processor = processor
        self.in_child = in_child
        self.all_in_child = all_in_child
        self._child: subprocess.Popen[bytes] | None = None
        # The database is part of a build's identity: two knowledge bases (two databases, or test
        # runs) that share a folder must never take each other's build of "version 1".
        # The association settings too: a build learned with other settings is another build.
        identity = f"{processor.lexicon_version}:{persist.FORMAT}:{store.url}:{associations.DEFAULT_SETTINGS}"
        digest = hashlib.sha1(identity.encode()).hexdigest()[:10]
        self.builds = Builds(folder, digest)

    def load(self, current: Snapshot, policy: AnswerPolicy) -> Snapshot:
        from knowledge.base import Snapshot

        started = time.perf_counter()
        version = self.store.kb_version()
        wanted = self.builds.name(version)
        base = self._base(current.shared, wanted, current.searcher is not None)
        live = self.store.live_stamps(since=_since(base.stamps))
        changed, removed = persist.changes(base.stamps, live)
        count = sum(len(ids) for ids in changed.values()) + len(removed)
        reload = current.searcher is not None
        if count == 0:
            return Snapshot(searcher=Searcher(base.index, self.processor, policy, base.expansion),
                            documents=base.records, speller=base.speller, shared=base,
                            build_seconds=time.perf_counter() - started, version=version, reload=reload)
        docs = [doc for kind, ids in changed.items() for doc in self.store.documents_by_id(kind, ids)]
        index = None
        cache = DbSegmentCache(self.store)
        if count <= DELTA_LIMIT:
            index = base.index.with_delta(passages.expand(docs), removed, self.processor, cache)
        if index is None:  # too much, or the first item of a FAQ-only knowledge base: build it now
            # A large change is built in a child (when so configured); the first entry of a kind
            # in a small knowledge base is quicker to build here than to start a child for.
            self._build_now(wanted, self.in_child and reload and count > DELTA_LIMIT)
            return self.load(current, policy)
        try:
            cache.flush()  # the full build will find these segmentations
        except Exception:
            log.warning("could not save new segmentations to the database", exc_info=True)
        records = Overlay(base.records, {d.key: d for d in docs}, removed)
        return Snapshot(searcher=Searcher(index, self.processor, policy, base.expansion), documents=records,
                        speller=base.speller, shared=base, pending=wanted, segmented=index.segmented,
                        build_seconds=time.perf_counter() - started, version=version, reload=reload)

    def _base(self, served: SharedState | None, wanted: str, reload: bool) -> SharedState:
        """The build to serve (see the module's step 1), opened; builds one when there is none."""
        name = wanted if self.builds.ready(wanted) else self.builds.newest()
        if name is not None and (served is None or name != served.held.folder.name):
            newer = self._open(name)
            if newer is not None and (served is None or not _same_day(served.held.folder.name, name)
                                      or newer.held.version >= served.held.version):
                return newer
            if newer is not None:
                newer.held.release()
        if served is not None and _same_day(served.held.folder.name, wanted):
            return served  # today's, same lexicon: a delta brings it up to date
        while True:
            self._build_now(wanted, self.in_child and reload)  # a new day: the delta's base is gone
            opened = self._open(wanted)
            if opened is not None:
                return opened

    def _open(self, name: str) -> SharedState | None:
        held = self.builds.open(name)
        if held is None:
            return None
        table = DocumentTable(held.folder, "docs", cache=DOCUMENT_CACHE)
        index = persist.load_index(held.folder, held.manifest, table)
        records = Records(table.head(index.n_faq), DocumentTable(held.folder, "records"))
        speller = speller_for(Searcher(index, self.processor))
        expansion = Expansion(persist.load_associations(held.folder), associations.DEFAULT_SETTINGS)
        return SharedState(held, index, records, persist.load_stamps(held.folder), speller, expansion)

    def can_complete(self, pending: str) -> bool:
        if self._child is not None and self._child.poll() is not None:
            self._child = None  # finished (reaped): its build is ready, or it failed and we try again
        return self.builds.ready(pending) or not self.builds.busy()

    def complete(self, pending: str) -> bool:
        """Make build `pending` unless another process is making it; True when it is ready now
        (built in this thread), False when it is left to a child or to another process."""
        if not self.in_child:
            return self.builds.build(pending, lambda folder: self.write(folder, build_version(pending)), wait=False)
        if self.builds.ready(pending):
            return True
        if self._child is not None and self._child.poll() is None:
            return False  # ours is still at work
        if self.builds.busy():
            return False  # another process's
        self._child = self._start_child(pending)
        return False

    def close(self, timeout: float = 30.0) -> None:
        """Let a background build child finish (up to `timeout` seconds, then stop it) before the
        process, or a test that owns the database, goes away: a child left running reads a
        database that may be gone by then. A stopped child leaves no half build (`knowledge.shared`:
        a build is renamed into place when complete; the next build clears its temporary folder)."""
        child, self._child = self._child, None
        if child is None or child.poll() is not None:
            return
        try:
            child.wait(timeout)
        except subprocess.TimeoutExpired:
            log.info("index build child %d still running after %.0f s; stopping it", child.pid, timeout)
            child.terminate()
            child.wait()

    def _build_now(self, name: str, in_child: bool) -> None:
        """Build `name` before going on (start-up, a large import): in a child process when so
        configured — the build's temporary Python objects then never bloat this process (nor,
        in a gunicorn master, the workers that share its pages) — else, or if the child failed,
        in this thread (which also just waits when another process is building it)."""
        if self.all_in_child or in_child:
            child = self._start_child(name)
            child.wait()
            if self.builds.ready(name):
                return
            if child.returncode != 1:  # 1: another process holds the lock; wait for its build below
                log.warning("index build %s in a child process failed (exit %s); building here", name,
                            child.returncode)
        self.builds.build(name, lambda folder: self.write(folder, build_version(name)))

    def _start_child(self, name: str) -> subprocess.Popen[bytes]:
        child = subprocess.Popen(
            [sys.executable, "-m", "knowledge.builder", "--folder", str(self.builds.folder), "--name", name,
             "--lexicon-dir", str(self.processor.lexicon_dir)],
            stdin=subprocess.PIPE, cwd=Path(__file__).resolve().parent.parent,
        )
        assert child.stdin is not None
        child.stdin.write(f"{self.store.url}\n".encode())
        child.stdin.close()
        log.info("index build %s started in child process %d", name, child.pid)
        return child

    def write(self, folder: Path, version: int) -> dict[str, Any]:
        """Build everything live now into `folder` (called under the machine's build lock)."""
        started = time.perf_counter()
        live = self.store.live_stamps()  # before the documents: an entry edited in between is
        docs = self.store.load_documents()  # newer than its stamp, and the next delta re-reads it
        keys = {f"{kind}:{i}" for kind, (ids, _at) in live.items() for i in ids.tolist()}
        docs = [d for d in docs if d.key in keys]
        present = {d.key for d in docs}
        stamps = {kind: (ids[mask], at[mask]) for kind, (ids, at) in live.items()
                  for mask in [_present(kind, ids, present)]}
        cache = DbSegmentCache(self.store)
        cache.preload()
        index = KindIndex(passages.expand(docs), self.processor, cache=cache)
        # Paraphrase (reply stage): learned here once per build, mapped by every worker as arrays.
        learned = associations.learn_for(docs, self.processor, cache)
        try:
            cache.flush()
        except Exception:
            log.warning("could not save new segmentations to the database", exc_info=True)
        persist.save_documents(folder, "docs", list(index.documents))
        persist.save_documents(folder, "records", [d for d in docs if d.kind == "item"])
        persist.save_stamps(folder, stamps)
        associated = persist.save_associations(folder, learned)
        manifest = persist.save_index(folder, index)
        seconds = time.perf_counter() - started
        log.info("index build v%d written: %d documents in %.2f s (%d texts segmented)",
                 version, len(docs), seconds, index.segmented)
        return {**manifest, "version": version, "format": persist.FORMAT, "documents": len(docs),
                "associated_words": associated,
                "seconds": round(seconds, 3), "segmented": index.segmented}


def _present(kind: str, ids: np.ndarray, present: set[str]) -> np.ndarray:
    return np.array([f"{kind}:{i}" in present for i in ids.tolist()], dtype=bool)


def _since(stamps: persist.Stamps) -> datetime.datetime | None:
    """From when rows must be read to find every change since a build: its newest stamp, less
    `CLOCK_MARGIN` for the clocks of the machines that save edits (stamps are their wall clock)."""
    newest = max((int(at.max()) for _ids, at in stamps.values() if len(at)), default=-1)
    if newest < 0:
        return None
    return datetime.datetime(1970, 1, 1) + datetime.timedelta(microseconds=newest) - CLOCK_MARGIN


def _same_day(a: str, b: str) -> bool:
    """Two build names of the same day and lexicon (`v<version>-<date>-<digest>`)."""
    return a.split("-", 1)[1] == b.split("-", 1)[1]


def build_version(name: str) -> int:
    """The knowledge-base version a build name stands for."""
    return int(name[1:].split("-", 1)[0])
