"""The question log: what citizens asked, as the policy office reads it.

Every logged row is pseudonymised and masked *before* it leaves this module — in the
database, in the spool file and in log messages alike — so no later step can leak an OpenID
or a phone number. WeChat's message key contains the OpenID too, so it is hashed as well.

Logging must never slow or break a reply, nor lose a row. `record` builds the row, appends
it to this process's journal (`spool/journal.<pid>.<id>.jsonl`, written and fsync'd before
`record` returns, so before the reply goes out) and hands it to a writer thread, which writes
what arrives within `LINGER` seconds in one transaction. The journal is emptied whenever
everything handed over has been written; a process killed at any moment (SIGKILL, OOM)
leaves its journal behind, and the next process to start or write finds it unlocked (each
live process holds an flock on its own) and replays it. When the database is down or
locked, rows go to an append-only JSONL spool under the instance folder and are replayed, in
order, on the next successful write or by `flask report flush-spool`. Inserts are idempotent
on the (hashed) message key, so a replay that is interrupted and repeated never duplicates a
row.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime
import functools
import json
import logging
import os
import queue
import threading
import time
import uuid
import weakref
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.orm import Session

from bot.privacy import mask_citizen_text, mask_personal_data, pseudonymise, safe_terms
from bot.questionlog_days import insert_rows, set_feedback
from bot.questionlog_reads import HotCache, HotTopics
from bot.questionlog_replay import BATCH, SpoolReplay
from bot.questionlog_table import QuestionLogRow as LogRow
from bot.spool import Journal, Spool
from bot.turn import Feedback
from knowledge.document import SearchResult
from knowledge.folding import strip_controls
from knowledge.models import max_chars, utcnow
from knowledge.store import Store

log = logging.getLogger(__name__)

FEEDBACK_VALUES = tuple(Feedback)
MAX_QUESTION_CHARS = 1000
MAX_REPLY_CHARS = 4000  # a WeChat text reply is at most 2,048 bytes; a card's lines are shorter
TOP_HITS = 3
# Seconds the writer keeps gathering operations after the first one before it writes them. A
# write costs about 8 ms of CPU however few rows it carries (a transaction, the row insert and
# the per-day summary statements of `bot.questionlog_days`) and only ~0.2 ms more per row, so
# under load rows are worth writing together: at 100 messages a second a write carries ~50 rows
# instead of one or two. Nothing waits for it — each row is in the journal before its reply goes
# out, and `flush` cuts the wait short.
LINGER = 0.5
# `flush`'s nudge through the queue: the writer stops gathering and writes what it holds.
_HURRY: dict[str, Any] = {"op": "hurry"}
# `close`'s last word: the writer writes what it holds, then its thread ends.
_STOP: dict[str, Any] = {"op": "stop"}

_open_logs: weakref.WeakSet[QuestionLog] = weakref.WeakSet()


@atexit.register
def _flush_open_logs() -> None:
    """On a clean shutdown, write (or spool) what is still queued."""
    for question_log in list(_open_logs):
        question_log.close()


def to_utc_naive(moment: datetime.datetime | None) -> datetime.datetime:
    """Naive UTC, as every timestamp in the database (see knowledge.models.utcnow)."""
    if moment is None:
        return utcnow()
    if moment.tzinfo is not None:
        moment = moment.astimezone(datetime.UTC).replace(tzinfo=None)
    return moment


class OpHandler(Protocol):
    """Operations of another module carried by this log's journal, spool and writer thread.

    `bot.learning` hands its evidence over this way: the same guarantees (never slows the
    reply, survives a killed process or a database outage, applied in order) without a second
    writer. `apply` runs inside the writer's transaction, `applied` after it committed.
    """

    ops: frozenset[str]

    def apply(self, session: Session, ops: list[dict[str, Any]]) -> None: ...

    def applied(self) -> None: ...


@functools.lru_cache(maxsize=1024)
def _masked_reply(reply_text: str) -> str:
    """A reply as logged, masked. Cached: replies are mostly knowledge-base answers, and the
    popular entries are sent over and over, while masking a 300-character answer costs about
    as much as the search that found it. (Questions are not cached: each is the citizen's own.)"""
    return mask_personal_data(reply_text)[:MAX_REPLY_CHARS]


class QuestionLog(SpoolReplay, HotTopics):
    """Records questions and feedback; see the module docstring for the guarantees."""

    def __init__(self, store: Store, secret: str, spool_dir: Path, *, background: bool = True,
                 retry_after: float = 5.0) -> None:
        self.store = store
        self.secret = secret
        self.spool = Spool(spool_dir)
        self.journal = Journal(spool_dir)
        self.background = background
        self.retry_after = retry_after
        self._down_until = 0.0
        self._write_lock = threading.Lock()
        self._queue: queue.Queue[dict[str, Any]] | None = None
        self._thread_pid = 0
        self._start_lock = threading.Lock()
        self._hot_cache: HotCache = {}
        self.handlers: list[OpHandler] = []
        _open_logs.add(self)

    # -- the write path ---------------------------------------------------------------------

    def record(
        self,
        *,
        openid: str,
        message_key: str | None,
        question: str,
        result: SearchResult | None,
        answered: bool,
        reply_kind: str,
        latency_ms: float,
        asked_at: datetime.datetime | None = None,
        reply_text: str | None = None,
    ) -> None:
        """Log one question. Never raises and never waits for the database."""
        try:
            row = self.build_row(openid, message_key, question, result, answered, reply_kind, latency_ms, asked_at,
                                 reply_text)
            self._submit({"op": "insert", "row": row})
        except Exception:
            log.exception("question log: could not record a question")

    def record_feedback(self, message_key: str, value: str, *, hashed: bool = False) -> None:
        """Attach 满意/不满意 to the logged question with this message key.

        `hashed`: the key is already the pseudonym (`pseudonymise(key, secret)`), as the
        conversation keeps it in the session.
        """
        if value not in FEEDBACK_VALUES:
            raise ValueError(f"feedback must be one of {', '.join(FEEDBACK_VALUES)}, not {value!r}")
        try:
            key = message_key if hashed else self._key(message_key)
            self._submit({"op": "feedback", "key": key, "value": value})
        except Exception:
            log.exception("question log: could not record feedback")

    def submit(self, op: dict[str, Any]) -> None:
        """Hand over an operation of a registered `OpHandler`. Never raises and never waits for the database."""
        try:
            self._submit(op)
        except Exception:
            log.exception("question log: could not hand over a %s operation", op.get("op"))

    def _key(self, message_key: str) -> str:
        return pseudonymise(message_key, self.secret)

    def build_row(self, openid: str, message_key: str | None, question: str, result: SearchResult | None,
                  answered: bool, reply_kind: str, latency_ms: float,
                  asked_at: datetime.datetime | None = None, reply_text: str | None = None) -> dict[str, Any]:
        """The row exactly as stored (and spooled): JSON-ready, pseudonymised and masked."""
        masked = mask_citizen_text(strip_controls(question).strip()[:MAX_QUESTION_CHARS * 2])[:MAX_QUESTION_CHARS]
        hits = list(result.hits[:TOP_HITS]) if result else []
        top = hits[0].doc if hits else None
        key = message_key or f"local:{uuid.uuid4().hex}"  # a key of its own keeps replays idempotent
        return {
            "asked_at": to_utc_naive(asked_at).isoformat(),
            "user_hash": pseudonymise(openid, self.secret),
            "message_key": self._key(key),
            "question": masked,
            "terms": " ".join(safe_terms(result.terms, masked, question)) if result else "",
            "hits_json": json.dumps(
                [{"kind": h.doc.kind, "id": h.doc.id, "title": h.doc.title, "score": round(h.score, 4)}
                 for h in hits], ensure_ascii=False),
            "top_kind": top.kind if top else None,
            "top_id": top.id if top else None,
            "top_title": top.title[:max_chars(LogRow.top_title)] if top else None,
            "top_category": top.category[:max_chars(LogRow.top_category)] if top and top.category else None,
            "top_score": round(hits[0].score, 4) if hits else None,
            "answered": bool(answered),
            "reply_kind": (reply_kind or "")[:max_chars(LogRow.reply_kind)],
            "latency_ms": round(float(latency_ms), 1),
            "reply_text": _masked_reply(reply_text) if reply_text else None,
        }

    def _submit(self, op: dict[str, Any]) -> None:
        if not self.background:
            self._write([op])
            return
        q = self._ensure_worker()
        self.journal.append(op)  # durable before the reply goes out
        try:
            q.put_nowait(op)
        except queue.Full:  # the database has been slow for a while: keep the row, not the reply, waiting
            self.spool.append([op])
            self.journal.done(1)

    def _ensure_worker(self) -> queue.Queue[dict[str, Any]]:
        # Started lazily and again after a fork: gunicorn workers do not inherit threads.
        with self._start_lock:
            if self._queue is None or self._thread_pid != os.getpid():
                self._queue = queue.Queue(maxsize=10_000)
                self._thread_pid = os.getpid()
                threading.Thread(target=self._run, args=(self._queue,), name="question-log", daemon=True).start()
            return self._queue

    def _run(self, q: queue.Queue[dict[str, Any]]) -> None:
        while True:
            try:
                # Rows wait in the spool (or a dead process's journal): retry without new traffic.
                taken = [q.get(timeout=self.retry_after)]
            except queue.Empty:
                self._replay_if_pending()
                continue
            self._gather(q, taken)
            ops = [op for op in taken if op is not _HURRY and op is not _STOP]
            try:
                if ops:
                    self._write(ops)
                    self.journal.done(len(ops))
            except Exception:  # even the spool failed (disk full?): the journal keeps them
                log.exception("question log: %d operation(s) left in the journal for the next start", len(ops))
            finally:
                for _ in taken:
                    q.task_done()
            if any(op is _STOP for op in taken):
                return

    @staticmethod
    def _gather(q: queue.Queue[dict[str, Any]], taken: list[dict[str, Any]]) -> None:
        """Add to `taken` what arrives within `LINGER` of its first operation (see `LINGER`),
        then whatever is already queued, up to `BATCH`; at once after a `flush`'s nudge, and nothing
        after `close`'s stop."""
        deadline = time.monotonic() + LINGER
        hurried = taken[0] is _HURRY
        while len(taken) < BATCH and taken[-1] is not _STOP:
            remaining = 0.0 if hurried else deadline - time.monotonic()
            try:
                op = q.get(timeout=remaining) if remaining > 0 else q.get_nowait()
            except queue.Empty:
                return
            hurried = hurried or op is _HURRY
            taken.append(op)

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every submitted row is written or spooled (tests, shutdown); True if done."""
        q = self._queue
        if q is None or self._thread_pid != os.getpid():
            return True
        if q.unfinished_tasks:
            with contextlib.suppress(queue.Full):  # a full queue is written without lingering anyway
                q.put_nowait(_HURRY)
        deadline = time.monotonic() + timeout
        with q.all_tasks_done:
            while q.unfinished_tasks:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not q.all_tasks_done.wait(remaining):
                    return False
        return True

    def close(self) -> None:
        """Write (or spool) what was submitted, then end the writer thread. Without this a
        closed log's writer would go on retrying its spool every `retry_after` seconds against a
        database that may be gone (a test's schema, a decommissioned server); a row recorded
        after `close` starts a new writer."""
        self.flush(timeout=5.0)
        with self._start_lock:
            q, self._queue = self._queue, None
        if q is not None and self._thread_pid == os.getpid():
            with contextlib.suppress(queue.Full):  # a full queue's writer is busy: it ends as a daemon
                q.put_nowait(_STOP)

    def _write(self, ops: list[dict[str, Any]]) -> None:
        """Replay the spool if it is pending, then apply `ops`; spool them if the database fails.

        The spool goes first so that operations reach the database in the order they happened
        (feedback after the question it rates).
        """
        with self._write_lock:
            if time.monotonic() >= self._down_until and self.spool.pending():
                try:
                    self._replay()
                except Exception:
                    log.exception("question log: spool replay failed; will retry on the next write")
            if not ops:
                return
            if time.monotonic() < self._down_until:
                self.spool.append(ops)
                return
            try:
                self._apply(ops)
            except Exception as exc:
                self._down_until = time.monotonic() + self.retry_after
                log.error("question log: database write failed (%s); %d row(s) spooled to %s",
                          mask_personal_data(str(exc).splitlines()[0][:300]), len(ops), self.spool.path)
                self.spool.append(ops)

    def _apply(self, ops: list[dict[str, Any]]) -> None:
        touched = []
        with self.store.session() as session:
            rows = [dict(op["row"]) for op in ops if op["op"] == "insert"]
            for row in rows:
                row.setdefault("reply_text", None)  # spooled by a release that did not keep it
                row["asked_at"] = datetime.datetime.fromisoformat(row["asked_at"])
            if rows:
                insert_rows(session, rows)  # a retried or re-replayed row is no error, and counted once
            for op in ops:
                if op["op"] == "feedback":
                    set_feedback(session, op["key"], op["value"])
            for handler in self.handlers:
                mine = [op for op in ops if op["op"] in handler.ops]
                if mine:
                    handler.apply(session, mine)
                    touched.append(handler)
        for handler in touched:
            try:
                handler.applied()
            except Exception:  # written already: a failing follow-up must not spool the ops again
                log.exception("question log: a handler's follow-up failed")


def from_settings(store: Store, settings: Any, *, background: bool = True) -> QuestionLog:
    """The question log of an app: spool under the instance folder, pseudonyms keyed by its secret."""
    return QuestionLog(store, settings.user_hash_secret, Path(settings.instance_path) / "spool",
                       background=background)
