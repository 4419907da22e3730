"""The builds folder: each knowledge-base version is built once per machine and mapped by all.

Layout: ``<folder>/<name>/`` per finished build, ``<name>`` = ``v<version>-<date>-<digest>`` (the
date because entries past their valid-until date leave the index at midnight; the digest of
the lexicon, the file format and the database URL, so a build made with other words, or of
another database sharing the folder, is never reused).

* **One builder per machine**: a build is made while holding an exclusive ``fcntl.flock`` on
  ``<folder>/build.lock``. A file lock and not a Redis or database lock because the files are
  per machine anyway (a second machine builds its own), and because the kernel releases it
  when the holder dies — a builder killed mid-build never leaves a stale lock behind, and no
  lease has to be guessed. Whoever waits for the lock then finds the build finished and maps it.
* **Never half a build**: the builder writes into ``.tmp-<name>-<pid>-<random>/``, flushes every
  file to disk, writes ``manifest.json`` last and renames the folder into place (``rename`` is
  atomic on one file system). A crash leaves only a ``.tmp-`` folder, which nobody reads and
  the next builder removes.
* **Cleanup, knowing who serves what**: every process that maps a build holds a shared
  ``flock`` on that build's ``serving.lock`` for as long as it may read it (the kernel drops it
  when the process exits). After each build, the builder deletes the builds beyond the newest
  `KEEP` whose ``serving.lock`` it can lock exclusively — none is then mapped by any process.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import json
import logging
import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

log = logging.getLogger(__name__)

KEEP = 3  # finished builds kept besides those still served
_NAME = re.compile(r"^v(\d+)-(\d{8})-([0-9a-f]+)$")


@dataclass(frozen=True)
class Held:
    """A build opened for serving: its folder, manifest, and the shared lock that keeps it on disk."""

    folder: Path
    manifest: dict[str, Any]
    lock: IO[bytes]

    @property
    def version(self) -> int:
        return int(self.manifest["version"])

    def release(self) -> None:
        with contextlib.suppress(OSError):
            self.lock.close()  # closing the file drops the shared lock


class Builds:
    def __init__(self, folder: Path, digest: str) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.digest = digest

    def name(self, version: int, day: datetime.date | None = None) -> str:
        return f"v{version}-{(day or datetime.date.today()):%Y%m%d}-{self.digest}"

    def ready(self, name: str) -> bool:
        return (self.folder / name / "manifest.json").is_file()

    def newest(self, day: datetime.date | None = None) -> str | None:
        """The finished build of the highest version for today and this lexicon, if any."""
        stamp = f"{(day or datetime.date.today()):%Y%m%d}"
        found = [(int(m[1]), p.name) for p in self.folder.iterdir()
                 if (m := _NAME.match(p.name)) and m[2] == stamp and m[3] == self.digest and self.ready(p.name)]
        return max(found)[1] if found else None

    def open(self, name: str) -> Held | None:
        """Take a shared lock on a finished build (so cleanup leaves it) and read its manifest."""
        folder = self.folder / name
        try:
            lock = (folder / "serving.lock").open("rb")
        except OSError:
            return None  # not there (or just removed): the caller builds or picks another
        fcntl.flock(lock, fcntl.LOCK_SH)
        try:
            manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            lock.close()
            return None
        return Held(folder, manifest, lock)

    def busy(self) -> bool:
        """True while some process of this machine holds the build lock."""
        with self._lock_file() as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            return False

    @contextlib.contextmanager
    def _lock_file(self) -> Iterator[IO[bytes]]:
        with (self.folder / "build.lock").open("ab") as lock:
            yield lock

    def build(self, name: str, write: Callable[[Path], dict[str, Any]], *, wait: bool = True) -> bool:
        """Make build `name` unless it exists: `write(folder)` fills a temporary folder and
        returns the manifest. Without `wait`, returns False at once when another process is
        building. True when the build is ready afterwards."""
        with self._lock_file() as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                return False
            if self.ready(name):
                return True  # another process built it while this one waited
            self._remove_unfinished()
            tmp = self.folder / f".tmp-{name}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
            tmp.mkdir()
            try:
                manifest = write(tmp)
                (tmp / "serving.lock").touch()
                for path in tmp.iterdir():
                    with path.open("rb+") as f:
                        os.fsync(f.fileno())
                manifest_tmp = tmp / "manifest.json.part"
                manifest_tmp.write_text(json.dumps(manifest), encoding="utf-8")
                manifest_tmp.rename(tmp / "manifest.json")
                os.rename(tmp, self.folder / name)
                _fsync_dir(self.folder)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
            self.cleanup(protect=name)
            return True

    def _remove_unfinished(self) -> None:
        """Temporary folders of builders that died (the caller holds the build lock)."""
        for path in self.folder.glob(".tmp-*"):
            shutil.rmtree(path, ignore_errors=True)

    def cleanup(self, keep: int = KEEP, protect: str | None = None) -> list[str]:
        """Delete builds beyond the newest `keep` that no process maps, never `protect` (the build
        just made, which no process maps yet); returns their names.

        Newest is by day, then version, then when the folder was finished: builds of another
        lexicon or release (another digest) can share the day and version — a new release
        deployed on the day of the last one's build — and the one just made must not be the one
        taken for old (it was deleted before any worker opened it, and rebuilt, over and over).
        """
        finished = sorted(((m[2], int(m[1]), _finished_at(p), p) for p in self.folder.iterdir()
                           if (m := _NAME.match(p.name)) and p.is_dir() and p.name != protect), reverse=True)
        removed = []
        for *_, path in finished[keep - (protect is not None):]:
            try:
                lock = (path / "serving.lock").open("rb")
            except OSError:
                shutil.rmtree(path, ignore_errors=True)
                continue
            with lock:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # still mapped by some process
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path.name)
        if removed:
            log.info("removed %d old index builds: %s", len(removed), ", ".join(removed))
        return removed


def _finished_at(path: Path) -> float:
    """When a build folder was finished (its manifest written), 0 when it has none."""
    try:
        return (path / "manifest.json").stat().st_mtime
    except OSError:
        return 0.0


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
