"""Short-lived state: conversation sessions, retry dedupe and rate-limit counters.

One small interface with two backends. Redis (`bot.redis_state`) is for production (shared
by every worker process); the in-process store is the zero-setup default for one process. Neither is allowed
to take the bot down: `ResilientStore` turns a Redis outage into "no memory" (reads miss,
writes are dropped) and tries Redis again by itself after a short pause.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from bot.metrics import count_error

log = logging.getLogger(__name__)


class StateUnavailable(RuntimeError):
    """The backend did not answer in time; callers carry on without state."""


@dataclass(frozen=True)
class TurnKeys:
    """The keys one delivery of a message reads and writes (see `StateStore.open_turn`)."""

    reply: str  # the message's stored reply (a retry gets it)
    claim: str  # the message's claim: who is answering it
    owner: str  # this delivery's token, the value of its claim and of its session lock
    counters: tuple[str, ...]  # rate-limit counters this message counts in
    session: str  # the citizen's session
    lock: str  # the citizen's session lock


@dataclass(frozen=True)
class OpenedTurn:
    """What one round trip at the start of a delivery found."""

    reply: str | None  # stored reply: this delivery is a retry, answer with it
    claimed: bool  # this delivery answers the message (False: another delivery is)
    counts: tuple[int, ...] = ()  # each counter's value after counting this message
    session: str | None = None  # the session as stored
    locked: bool = False  # this delivery holds the session lock


class StateStore(ABC):
    """Keys are strings, values are strings; every key carries a time to live in seconds.

    Besides the single-key operations, a delivery's start and end are one call each
    (`open_turn`, `close_turn`): Redis runs each as one script, one round trip, atomically.
    """

    name = "state"

    @abstractmethod
    def get(self, key: str) -> str | None: ...

    @abstractmethod
    def set(self, key: str, value: str, ttl: int) -> None: ...

    @abstractmethod
    def add(self, key: str, value: str, ttl: int) -> bool:
        """Set only if absent; True when this call set it (claims a retry key atomically)."""

    @abstractmethod
    def delete(self, key: str) -> None: ...

    @abstractmethod
    def incr(self, key: str, ttl: int) -> int:
        """Increment a counter; the first increment starts its time to live (a fixed window)."""

    def ping(self) -> bool:
        return True

    def get_json(self, key: str) -> Any:
        raw = self.get(key)
        if raw is None:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            log.warning("dropping unreadable state value under %s", key.split(":", 1)[0])
            return None

    def set_json(self, key: str, value: Any, ttl: int) -> None:
        self.set(key, json.dumps(value, ensure_ascii=False, separators=(",", ":")), ttl)

    @abstractmethod
    def open_turn(self, keys: TurnKeys, *, claim_ttl: int, counter_ttl: int, lock_ttl: float) -> OpenedTurn:
        """Start answering a message, atomically: the stored reply if there is one; else claim the
        message, and if that succeeds count it in `keys.counters`, try the session lock and read
        the session. A lock held by another delivery leaves `locked` False (the caller waits)."""

    @abstractmethod
    def close_turn(self, keys: TurnKeys, *, session: str | None, session_ttl: int, reply: str | None,
                   reply_ttl: int) -> tuple[bool, bool]:
        """Finish a delivery, atomically: write `session` (None: unchanged) unless another
        delivery holds the lock now, release the lock if it is ours, store `reply` if no reply
        is stored yet. Returns (reply stored by this call, session written)."""

    @abstractmethod
    def lock(self, key: str, owner: str, ttl: float) -> bool:
        """Take a short lock (`ttl` seconds) if nobody holds it."""

    @abstractmethod
    def renew_turn(self, keys: TurnKeys, *, claim_ttl: int, lock_ttl: float) -> None:
        """A delivery still at work: its claim lives on, and its session lock if it holds it."""


class MemoryStore(StateStore):
    """Thread-safe dict with expiry: right for one process, wrong for several (no sharing)."""

    name = "memory"

    def __init__(self, clock=time.monotonic) -> None:
        self._data: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()
        self._clock = clock
        self._ops = 0

    def _live(self, key: str) -> str | None:
        entry = self._data.get(key)
        if entry is None:
            return None
        if entry[1] <= self._clock():
            del self._data[key]
            return None
        return entry[0]

    def _sweep(self) -> None:
        # Bounded memory without a background thread: every 1,000 writes drop expired keys.
        self._ops += 1
        if self._ops % 1000 == 0:
            now = self._clock()
            for key in [k for k, (_, exp) in self._data.items() if exp <= now]:
                del self._data[key]

    def get(self, key: str) -> str | None:
        with self._lock:
            return self._live(key)

    def set(self, key: str, value: str, ttl: int) -> None:
        with self._lock:
            self._sweep()
            self._data[key] = (value, self._clock() + ttl)

    def add(self, key: str, value: str, ttl: int) -> bool:
        with self._lock:
            if self._live(key) is not None:
                return False
            self._sweep()
            self._data[key] = (value, self._clock() + ttl)
            return True

    def delete(self, key: str) -> None:
        with self._lock:
            self._data.pop(key, None)

    def lock(self, key: str, owner: str, ttl: float) -> bool:
        with self._lock:
            if self._live(key) is not None:
                return False
            self._data[key] = (owner, self._clock() + ttl)
            return True

    def open_turn(self, keys: TurnKeys, *, claim_ttl: int, counter_ttl: int, lock_ttl: float) -> OpenedTurn:
        with self._lock:  # the same steps as the Redis script, atomic under the store's lock
            reply = self._live(keys.reply)
            if reply is not None:
                return OpenedTurn(reply=reply, claimed=False)
            if self._live(keys.claim) is not None:
                return OpenedTurn(reply=None, claimed=False)
            self._sweep()
            now = self._clock()
            self._data[keys.claim] = (keys.owner, now + claim_ttl)
            counts = []
            for counter in keys.counters:
                current = self._live(counter)
                value = 1 if current is None else int(current) + 1
                expires = now + counter_ttl if current is None else self._data[counter][1]
                self._data[counter] = (str(value), expires)
                counts.append(value)
            locked = self._live(keys.lock) is None
            if locked:
                self._data[keys.lock] = (keys.owner, now + lock_ttl)
            return OpenedTurn(reply=None, claimed=True, counts=tuple(counts), session=self._live(keys.session),
                              locked=locked)

    def renew_turn(self, keys: TurnKeys, *, claim_ttl: int, lock_ttl: float) -> None:
        with self._lock:
            now = self._clock()
            self._data[keys.claim] = (keys.owner, now + claim_ttl)
            if self._live(keys.lock) == keys.owner:
                self._data[keys.lock] = (keys.owner, now + lock_ttl)

    def close_turn(self, keys: TurnKeys, *, session: str | None, session_ttl: int, reply: str | None,
                   reply_ttl: int) -> tuple[bool, bool]:
        with self._lock:
            now = self._clock()
            holder = self._live(keys.lock)
            written = session is not None and holder in (None, keys.owner)
            if written:
                self._data[keys.session] = (str(session), now + session_ttl)
            if holder == keys.owner:
                del self._data[keys.lock]
            stored = reply is not None and self._live(keys.reply) is None
            if stored:
                self._data[keys.reply] = (str(reply), now + reply_ttl)
            return stored, written

    def clear(self) -> None:
        """Forget everything (replay tools that send unrelated messages with colliding ids)."""
        with self._lock:
            self._data.clear()

    def incr(self, key: str, ttl: int) -> int:
        with self._lock:
            current = self._live(key)
            if current is None:
                self._sweep()
                self._data[key] = ("1", self._clock() + ttl)
                return 1
            value = int(current) + 1
            self._data[key] = (str(value), self._data[key][1])
            return value


class ResilientStore(StateStore):
    """Wraps a backend so that its outage degrades the bot instead of failing requests.

    While the backend is down, reads miss, writes are dropped, `add` says "claimed" (a retry
    may then be answered twice, which beats not answering) and counters read 0. After
    `retry_after` seconds the next call tries the backend again, so recovery needs no restart.
    """

    def __init__(self, backend: StateStore, *, retry_after: float = 2.0, clock=time.monotonic) -> None:
        self.backend = backend
        self.name = backend.name
        self.retry_after = retry_after
        self._clock = clock
        self._down_until = 0.0

    @property
    def available(self) -> bool:
        return self._clock() >= self._down_until

    def _run(self, method: str, fallback: Any, *args: Any) -> Any:
        if not self.available:
            return fallback
        try:
            return getattr(self.backend, method)(*args)
        except StateUnavailable as exc:
            self._went_down(exc)
            return fallback

    def _went_down(self, exc: StateUnavailable) -> None:
        count_error(self.name)
        if self._down_until == 0.0 or self.available:
            log.warning("state store %s unavailable, answering without it: %s", self.name, exc)
        self._down_until = self._clock() + self.retry_after

    def get(self, key: str) -> str | None:
        return self._run("get", None, key)

    def set(self, key: str, value: str, ttl: int) -> None:
        self._run("set", None, key, value, ttl)

    def add(self, key: str, value: str, ttl: int) -> bool:
        return self._run("add", True, key, value, ttl)

    def delete(self, key: str) -> None:
        self._run("delete", None, key)

    def incr(self, key: str, ttl: int) -> int:
        return self._run("incr", 0, key, ttl)

    def lock(self, key: str, owner: str, ttl: float) -> bool:
        return self._run("lock", True, key, owner, ttl)  # no store, no session to protect

    def open_turn(self, keys: TurnKeys, *, claim_ttl: int, counter_ttl: int, lock_ttl: float) -> OpenedTurn:
        # Down: claimed (as `add`), counters at 0 (as `incr`), no session, nothing to lock.
        fallback = OpenedTurn(reply=None, claimed=True, counts=(0,) * len(keys.counters), session=None, locked=True)
        if not self.available:
            return fallback
        try:
            return self.backend.open_turn(keys, claim_ttl=claim_ttl, counter_ttl=counter_ttl, lock_ttl=lock_ttl)
        except StateUnavailable as exc:
            self._went_down(exc)
            return fallback

    def renew_turn(self, keys: TurnKeys, *, claim_ttl: int, lock_ttl: float) -> None:
        if not self.available:
            return
        try:
            self.backend.renew_turn(keys, claim_ttl=claim_ttl, lock_ttl=lock_ttl)
        except StateUnavailable as exc:
            self._went_down(exc)

    def close_turn(self, keys: TurnKeys, *, session: str | None, session_ttl: int, reply: str | None,
                   reply_ttl: int) -> tuple[bool, bool]:
        if not self.available:
            return reply is not None, False
        try:
            return self.backend.close_turn(keys, session=session, session_ttl=session_ttl, reply=reply,
                                           reply_ttl=reply_ttl)
        except StateUnavailable as exc:
            self._went_down(exc)
            return reply is not None, False

    def ping(self) -> bool:
        return self.backend.ping()


def make_store(redis_url: str | None, *, timeout: float = 0.5, prefix: str = "zwgk:") -> ResilientStore:
    """The store the settings ask for: Redis when REDIS_URL is set, else in-process.

    A server started without Redis warns once (bot.startup); building one here stays silent.
    """
    if redis_url:
        from bot.redis_state import RedisStore  # it builds on this module's interface

        return ResilientStore(RedisStore(redis_url, timeout=timeout, prefix=prefix))
    return ResilientStore(MemoryStore())
