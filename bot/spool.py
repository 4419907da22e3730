"""The question log's files on disk: the per-process journal and the shared spool.

Both live under the instance folder's `spool/` and exist so that no logged question is ever
lost: the journal makes a row durable before the citizen's reply goes out (a SIGKILL at any
moment loses nothing), the spool keeps rows while the database is down. `bot.questionlog`
decides what goes where; this module only guarantees the files' integrity across processes
(flock on each live journal and on the spool, rename-then-replay for orphans).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

SPOOL_NAME = "questionlog.jsonl"


class Spool:
    """Append-only JSONL of pending operations, shared by every process of one instance."""

    def __init__(self, directory: Path, name: str = SPOOL_NAME) -> None:
        self.directory = Path(directory)
        self.path = self.directory / name

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / "questionlog.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def append(self, ops: list[dict[str, Any]]) -> None:
        lines = "".join(json.dumps(op, ensure_ascii=False) + "\n" for op in ops)
        with self._locked(), open(self.path, "a", encoding="utf-8") as spool:
            spool.write(lines)
            spool.flush()
            os.fsync(spool.fileno())

    def pending(self) -> bool:
        return (self.path.exists() or any(self.directory.glob("questionlog.*.replaying"))
                or any(_orphaned(path) for path in self.directory.glob("journal.*.jsonl")))

    def _adopt_orphans(self) -> None:
        """Turn the journals of dead processes into replay files (called under the spool lock)."""
        for path in sorted(self.directory.glob("journal.*.jsonl")):
            try:
                fd = os.open(path, os.O_RDONLY)
            except FileNotFoundError:
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:  # its process is alive
                os.close(fd)
                continue
            try:
                if os.fstat(fd).st_size == 0:
                    path.unlink()
                else:
                    path.rename(self.directory / f"questionlog.{os.getpid()}.{uuid.uuid4().hex[:8]}.replaying")
                    log.warning("question log: replaying the journal of a process that stopped (%s)", path.name)
            finally:
                os.close(fd)

    def claim(self) -> list[tuple[Path, Any]]:
        """Take the spool (and any left by a crashed replayer) for replay; each stays flock'ed."""
        claimed: list[tuple[Path, Any]] = []
        if not self.directory.exists():
            return claimed
        with self._locked():
            self._adopt_orphans()
            if self.path.exists():
                target = self.directory / f"questionlog.{os.getpid()}.{uuid.uuid4().hex[:8]}.replaying"
                self.path.rename(target)
            for path in sorted(self.directory.glob("questionlog.*.replaying")):
                handle = open(path, encoding="utf-8")  # noqa: SIM115 - held until the replay ends
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:  # another process is replaying it right now
                    handle.close()
                    continue
                claimed.append((path, handle))
        return claimed


def _datasync(fd: int) -> None:
    sync = getattr(os, "fdatasync", os.fsync)  # macOS has no fdatasync
    sync(fd)


def _orphaned(path: Path) -> bool:
    """True when no live process holds this journal's lock."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)  # closing releases a lock this call took
    return True


class Journal:
    """This process's fsync'd record of operations handed to the writer and not yet written.

    Opened per process (gunicorn workers fork after the app is built) under a temporary name,
    locked, then renamed, so another process never mistakes a journal being opened for an
    orphan. `pending` counts appended operations not yet written or spooled; at zero the
    file is truncated, so it stays small while the database keeps up.

    Group commit: `append` returns only once its line is on disk, but threads appending at the
    same time share one `fdatasync` (a sync covers every line written before it started), so
    four threads answering at once pay about two syncs, not four in a row. `fdatasync` rather
    than `fsync`: an append needs the data and the file's size on disk, not its mtime.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self._lock = threading.Lock()  # the file, its position and the counters below
        self._sync_lock = threading.Lock()  # one sync at a time; the others wait and usually find theirs done
        self._fd: int | None = None
        self._pid = 0
        self._pending = 0
        self._written = 0  # lines written to this process's journal so far
        self._synced = 0  # lines known to be on disk

    def _open(self) -> int:
        if self._fd is None or self._pid != os.getpid():
            self.directory.mkdir(parents=True, exist_ok=True)
            name = f"{os.getpid()}.{uuid.uuid4().hex[:8]}"
            opening = self.directory / f"opening.{name}"
            fd = os.open(opening, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX)
            opening.rename(self.directory / f"journal.{name}.jsonl")
            self._fd, self._pid, self._pending, self._written, self._synced = fd, os.getpid(), 0, 0, 0
        return self._fd

    def append(self, op: dict[str, Any]) -> None:
        """Write one operation and return once it is on disk (see the class docstring)."""
        data = (json.dumps(op, ensure_ascii=False) + "\n").encode("utf-8")
        with self._lock:
            fd = self._open()
            os.write(fd, data)
            self._pending += 1
            self._written += 1
            ticket = self._written
        with self._sync_lock:
            if self._synced >= ticket:  # a sync that started after our write covered it
                return
            with self._lock:
                upto = self._written
            _datasync(fd)
            self._synced = max(self._synced, upto)

    def done(self, count: int) -> None:
        with self._lock:
            if self._fd is None or self._pid != os.getpid():
                return
            self._pending = max(0, self._pending - count)
            if self._pending == 0:
                os.ftruncate(self._fd, 0)
