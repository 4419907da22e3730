"""Replaying the question log's spool: rows the database could not take when they were asked.

A mixin of `bot.questionlog.QuestionLog` (which owns the write path and its guarantees, see
its module docstring), kept apart so that the order and idempotence of the replay — and how
one refused row is set aside without blocking the rest — are read in one place.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

from sqlalchemy.exc import InterfaceError, OperationalError

from bot.privacy import mask_personal_data
from bot.spool import Spool
from knowledge.store import Store

log = logging.getLogger("bot.questionlog")

#: Where a spooled operation the database refuses (a value the schema rejects) is set aside.
REJECTED_NAME = "questionlog.rejected.jsonl"
#: Operations per database write: what the writer gathers at most, and a replay's batch.
BATCH = 500


class SpoolReplay:
    """Spool replay for a class with a `store`, a `spool`, the write lock and the down-until
    clock, that applies operations (`_apply`), writes them (`_write`) and runs a writer thread
    (`_ensure_worker`)."""

    store: Store
    spool: Spool
    retry_after: float
    _down_until: float
    _write_lock: threading.Lock

    def _apply(self, ops: list[dict[str, Any]]) -> None:
        raise NotImplementedError

    def _write(self, ops: list[dict[str, Any]]) -> None:
        raise NotImplementedError

    def _ensure_worker(self) -> Any:
        raise NotImplementedError

    def _replay_if_pending(self) -> None:
        try:
            if time.monotonic() >= self._down_until and self.spool.pending():
                self._write([])
        except Exception:
            log.exception("question log: spool replay failed; will retry")

    def start_recovery(self) -> None:
        """Replay what stopped processes left, in the background (a gunicorn worker at boot).

        A thread, because a hung database must not keep a worker from booting; it also starts
        the writer thread, which keeps retrying while rows wait.
        """
        self._ensure_worker()
        threading.Thread(target=self.recover, name="question-log-recovery", daemon=True).start()

    def recover(self) -> int:
        """At start: replay what stopped processes left (journals, spool); never raises."""
        try:
            if self.spool.pending():
                return self.flush_spool()
        except Exception as exc:
            log.warning("question log: replay at start postponed (%s)",
                        mask_personal_data(str(exc).splitlines()[0][:200]))
        return 0

    def flush_spool(self) -> int:
        """Replay spooled operations into the database now; returns how many were applied."""
        with self._write_lock:
            return self._replay()

    def _replay(self) -> int:
        applied = 0
        for path, handle in self.spool.claim():
            try:
                ops = []
                for number, line in enumerate(handle, 1):
                    try:
                        ops.append(json.loads(line))
                    except ValueError:  # a line cut short by a crash mid-append
                        log.warning("question log: skipping unreadable spool line %d of %s", number, path.name)
                done, ok = self._apply_all(ops)
                applied += ok
                if done < len(ops):
                    self.spool.append(ops[done:])  # rejected ones are not in ops[done:]: see _apply_all
                    self._down_until = time.monotonic() + self.retry_after
                    log.error("question log: spool replay stopped; %d op(s) kept", len(ops) - done)
                path.unlink()
            finally:
                handle.close()
        if applied:
            log.info("question log: replayed %d spooled operation(s)", applied)
        return applied

    def _apply_all(self, ops: list[dict[str, Any]]) -> tuple[int, int]:
        """Apply ops in batches; returns (ops dealt with before the database went away, ops applied).

        A batch the database *refuses* (not a connection problem: a value the schema rejects)
        is retried one operation at a time and the refused ones are set aside in
        `questionlog.rejected.jsonl`, so that one bad row never blocks the spool forever.
        """
        done = applied = 0
        while done < len(ops):
            batch = ops[done:done + BATCH]
            try:
                self._apply(batch)
                done += len(batch)
                applied += len(batch)
                continue
            except Exception as exc:
                if self._transient(exc):
                    return done, applied
            for op in batch:
                try:
                    self._apply([op])
                    applied += 1
                except Exception as exc:
                    if self._transient(exc):
                        return done, applied
                    log.error("question log: database refused a spooled %s (%s); kept in %s", op.get("op"),
                              mask_personal_data(str(exc).splitlines()[0][:300]), REJECTED_NAME)
                    Spool(self.spool.directory, REJECTED_NAME).append([op])
                done += 1
        return done, applied

    def _transient(self, exc: Exception) -> bool:
        """A lost connection or a lock (try again later), as opposed to data the database refuses."""
        invalidated = bool(getattr(exc, "connection_invalidated", False))
        if isinstance(exc, OperationalError | InterfaceError | OSError) or invalidated:
            return True
        try:
            self.store.ping()
        except Exception:
            return True
        return False
