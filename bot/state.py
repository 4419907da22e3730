"""Short-lived state: conversation sessions, retry dedupe and rate-limit counters.

One small interface with two backends. Redis is for production (shared by every worker
process); the in-process store is the zero-setup default for one process. Neither is allowed
to take the bot down: `ResilientStore` turns a Redis outage into "no memory" (reads miss,
writes are dropped) and tries Redis again by itself after a short pause.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from abc import ABC, abstractmethod
from typing import Any

import redis

from bot.metrics import count_error

log = logging.getLogger(__name__)


class StateUnavailable(RuntimeError):
    """The backend did not answer in time; callers carry on without state."""


class StateStore(ABC):
    """Keys are strings, values are strings; every key carries a time to live in seconds."""

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


class RedisStore(StateStore):
    """Redis with short socket timeouts: a hanging Redis costs a request milliseconds, not seconds."""

    name = "redis"

    def __init__(self, url: str, *, timeout: float = 0.5, prefix: str = "zwgk:") -> None:
        self.prefix = prefix
        self.client = redis.Redis.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry_on_timeout=False,
            health_check_interval=30,
            decode_responses=True,
        )

    def _call(self, method: str, *args: Any) -> Any:
        try:
            return getattr(self.client, method)(*args)
        except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
            raise StateUnavailable(str(exc)) from exc

    def get(self, key: str) -> str | None:
        return self._call("get", self.prefix + key)

    def set(self, key: str, value: str, ttl: int) -> None:
        self._call("set", self.prefix + key, value, max(1, int(ttl)))

    def add(self, key: str, value: str, ttl: int) -> bool:
        try:
            result = self.client.set(self.prefix + key, value, ex=max(1, int(ttl)), nx=True)
        except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
            raise StateUnavailable(str(exc)) from exc
        return bool(result)

    def delete(self, key: str) -> None:
        self._call("delete", self.prefix + key)

    def incr(self, key: str, ttl: int) -> int:
        full = self.prefix + key
        try:
            pipe = self.client.pipeline()
            pipe.incr(full)
            pipe.expire(full, max(1, int(ttl)), nx=True)
            value, _ = pipe.execute()
        except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
            raise StateUnavailable(str(exc)) from exc
        return int(value)

    def ping(self) -> bool:
        try:
            return bool(self.client.ping())
        except (redis.ConnectionError, redis.TimeoutError, OSError):
            return False


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
            count_error(self.name)
            if self._down_until == 0.0 or self.available:
                log.warning("state store %s unavailable, answering without it: %s", self.name, exc)
            self._down_until = self._clock() + self.retry_after
            return fallback

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

    def ping(self) -> bool:
        return self.backend.ping()


def make_store(redis_url: str | None, *, timeout: float = 0.5, prefix: str = "zwgk:") -> ResilientStore:
    """The store the settings ask for: Redis when REDIS_URL is set, else in-process.

    A server started without Redis warns once (bot.startup); building one here stays silent.
    """
    if redis_url:
        return ResilientStore(RedisStore(redis_url, timeout=timeout, prefix=prefix))
    return ResilientStore(MemoryStore())
