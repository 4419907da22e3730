"""Every process serves a staff edit within a second or two, with no citizen traffic needed.

One watcher thread per process (each gunicorn worker, each app instance on any machine) keeps
the process's `KnowledgeBase` current:

* the editor's commit runs the store's change listener, `Reloader.notify`, which publishes on
  a Redis channel shared by every process using the same Redis and key prefix; the watchers
  are subscribed and wake at once;
* whatever happens to Redis (absent, down, a message lost during a reconnect), the watcher
  also compares the stored version with the served one every `KB_RELOAD_INTERVAL` seconds
  (default 1): one primary-key read, cheap enough to do always, so Redis only makes it faster.

The rebuild runs in the watcher thread and swaps the new snapshot in atomically
(`KnowledgeBase.refresh`); requests keep being answered from the old version meanwhile.

Threads do not survive `fork`, so the watcher is started in each worker after the fork
(`gunicorn.conf.py`), or by the first request under other servers (`ensure_started` is
idempotent and notices a fork by the process id).
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time

import redis

from bot.metrics import count_error
from knowledge.base import KnowledgeBase

log = logging.getLogger(__name__)

CHANNEL = "kb:changed"
# A subscribed watcher waits for a notification in slices this long, so that `stop` and this
# process's own edits (`notify`) are seen within a slice, whatever `KB_RELOAD_INTERVAL` is: with
# the interval set to a minute, a shutdown used to wait up to a minute for the watcher.
WAKE_SLICE = 0.5


class Reloader:
    def __init__(
        self,
        kb: KnowledgeBase,
        *,
        redis_url: str | None,
        prefix: str = "zwgk:",
        interval: float = 1.0,
        timeout: float = 0.5,
    ) -> None:
        self.kb = kb
        self.redis_url = redis_url
        self.channel = f"{prefix}{CHANNEL}"
        self.interval = interval
        self.timeout = timeout
        self.redis_errors = 0
        self.db_errors = 0
        self._publisher = (
            redis.Redis.from_url(redis_url, socket_timeout=timeout, socket_connect_timeout=timeout)
            if redis_url
            else None
        )
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid: int | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()
        #: Set once the watcher has subscribed (or given up on Redis) and checked the version.
        self.ready = threading.Event()

    # -- the editor's side -------------------------------------------------------------------

    def notify(self) -> None:
        """A committed edit: wake this process's watcher and publish to every other process."""
        self._wake.set()
        if self._publisher is None:
            return
        try:
            self._publisher.publish(self.channel, str(time.time()))
        except (redis.RedisError, OSError) as exc:
            self.redis_errors += 1
            count_error("redis")
            log.warning("could not publish the knowledge-base change (others poll within %.1f s): %s",
                        self.interval, exc)

    # -- the watcher -------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._pid == os.getpid() and self._thread is not None and self._thread.is_alive()

    def ensure_started(self) -> None:
        """Start this process's watcher unless it runs already (safe to call on every request)."""
        if self.running:
            return
        with self._lock:
            if self.running:
                return
            self._stop = threading.Event()
            self.ready.clear()
            self._thread = threading.Thread(target=self._run, args=(self._stop,), name="kb-watcher", daemon=True)
            self._pid = os.getpid()
            self.kb.watched = True
            self._thread.start()

    def stop(self) -> None:
        """Stop the watcher (tests, shutdown); searches check the version themselves again."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None and self._pid == os.getpid():
            self._thread.join(timeout=WAKE_SLICE + 5)
        self.kb.watched = False

    def _subscribe(self) -> redis.client.PubSub | None:
        if not self.redis_url:
            return None
        try:
            client = redis.Redis.from_url(
                self.redis_url,
                socket_connect_timeout=self.timeout,
                socket_timeout=self.interval + 5,
                health_check_interval=30,
            )
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            pubsub.subscribe(self.channel)
            return pubsub
        except (redis.RedisError, OSError) as exc:
            self.redis_errors += 1
            count_error("redis")
            log.warning("knowledge-base notifications unavailable, polling every %.1f s: %s", self.interval, exc)
            return None

    def _wait(self, pubsub: redis.client.PubSub | None) -> redis.client.PubSub | None:
        """Block until a notification or `interval` seconds; returns the (possibly lost) subscription."""
        if pubsub is None:
            self._wake.wait(self.interval)
            self._wake.clear()
            return None
        try:
            deadline = time.monotonic() + self.interval
            message = None
            while message is None and not self._wake.is_set() and (left := deadline - time.monotonic()) > 0:
                message = pubsub.get_message(timeout=min(left, WAKE_SLICE))
            self._wake.clear()
            # Drain: several edits in a row need one rebuild, not one each.
            while message is not None:
                message = pubsub.get_message(timeout=0)
            return pubsub
        except (redis.RedisError, OSError, ValueError) as exc:
            self.redis_errors += 1
            count_error("redis")
            log.warning("lost the knowledge-base notification channel, polling until it is back: %s", exc)
            with contextlib.suppress(Exception):  # already broken
                pubsub.close()
            return None

    def _run(self, stop: threading.Event) -> None:
        pubsub = self._subscribe()
        resubscribe_at = time.monotonic() + 5 * self.interval
        while not stop.is_set():
            self._refresh_once()
            self.ready.set()
            if stop.is_set():
                break
            pubsub = self._wait(pubsub)
            if pubsub is None and self.redis_url and time.monotonic() >= resubscribe_at:
                pubsub = self._subscribe()
                resubscribe_at = time.monotonic() + 5 * self.interval
        if pubsub is not None:
            pubsub.close()

    def _refresh_once(self) -> None:
        try:
            self.kb.refresh()
        except Exception as exc:
            self.db_errors += 1
            count_error("database")
            if self.db_errors == 1 or self.db_errors % 60 == 0:  # not one line a second in an outage
                log.warning("knowledge-base check failed, still serving version %d: %s", self.kb.version, exc)
