"""The state store: the same behaviour from Redis and from the in-process backend."""

from __future__ import annotations

import threading

import pytest

from bot.redis_state import RedisStore
from bot.state import MemoryStore, ResilientStore, StateStore, make_store
from tests.support import FakeClock


@pytest.fixture(params=["memory", "redis"])
def store(request: pytest.FixtureRequest) -> StateStore:
    if request.param == "memory":
        return MemoryStore()
    url = request.getfixturevalue("redis_url")
    prefix = request.getfixturevalue("redis_prefix")
    return RedisStore(url, prefix=prefix)


def test_value_round_trips(store: StateStore) -> None:
    store.set("k", "值", ttl=60)
    assert store.get("k") == "值"


def test_json_round_trips(store: StateStore) -> None:
    store.set_json("k", {"hits": ["faq:1", "item:2"], "page": 0}, ttl=60)
    assert store.get_json("k") == {"hits": ["faq:1", "item:2"], "page": 0}


def test_add_claims_a_key_only_once(store: StateStore) -> None:
    assert store.add("claim", "pending", ttl=60) is True
    assert store.add("claim", "pending", ttl=60) is False


def test_concurrent_claims_have_exactly_one_winner(store: StateStore) -> None:
    results: list[bool] = []
    threads = [threading.Thread(target=lambda: results.append(store.add("race", "x", 60))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 7 + [True]


def test_counter_counts_up(store: StateStore) -> None:
    assert [store.incr("rate", ttl=60) for _ in range(3)] == [1, 2, 3]


def test_delete_removes_a_value(store: StateStore) -> None:
    store.set("k", "v", ttl=60)
    store.delete("k")
    assert store.get("k") is None


def test_memory_values_expire() -> None:
    clock = FakeClock()
    store = MemoryStore(clock=clock)
    store.set("k", "v", ttl=30)
    clock.now += 31
    assert store.get("k") is None


def test_memory_counter_window_restarts_after_expiry() -> None:
    clock = FakeClock()
    store = MemoryStore(clock=clock)
    store.incr("rate", ttl=60)
    store.incr("rate", ttl=60)
    clock.now += 61
    assert store.incr("rate", ttl=60) == 1


def test_unreachable_redis_degrades_to_no_memory() -> None:
    store = ResilientStore(RedisStore("redis://127.0.0.1:1/0", timeout=0.2))
    store.set("k", "v", ttl=60)
    assert store.get("k") is None


def test_unreachable_redis_lets_retries_through() -> None:
    store = ResilientStore(RedisStore("redis://127.0.0.1:1/0", timeout=0.2))
    assert store.add("claim", "x", ttl=60) is True


def test_store_recovers_by_itself_when_redis_returns(redis_url: str, redis_prefix: str) -> None:
    clock = FakeClock()
    backend = RedisStore("redis://127.0.0.1:1/0", timeout=0.2, prefix=redis_prefix)
    store = ResilientStore(backend, retry_after=2.0, clock=clock)
    store.set("k", "v", ttl=60)  # fails: marks the store down
    backend.client = RedisStore(redis_url, prefix=redis_prefix).client  # Redis is "back"
    clock.now += 3
    store.set("k", "v", ttl=60)
    assert store.get("k") == "v"


def test_without_redis_url_the_store_is_in_process() -> None:
    assert make_store(None).name == "memory"
