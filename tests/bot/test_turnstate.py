"""A delivery's state in one round trip each way, and a citizen's session safe from their own
concurrent messages (`bot.turnstate`, `StateStore.open_turn` / `close_turn`)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable

import pytest
from flask import Flask

from bot import compose
from bot.privacy import pseudonymise
from bot.redis_state import RedisStore
from bot.runtime import get_runtime
from bot.session import Session
from bot.state import MemoryStore, OpenedTurn, StateStore, TurnKeys
from bot.turn import ReplyKind, Turn
from tests.support import add_knowledge, post, reply_fields, text_xml


@pytest.fixture(params=["memory", "redis"])
def store(request: pytest.FixtureRequest) -> StateStore:
    if request.param == "memory":
        return MemoryStore()
    return RedisStore(request.getfixturevalue("redis_url"), prefix=request.getfixturevalue("redis_prefix"))


def keys(message: str, owner: str, user: str = "u1") -> TurnKeys:
    return TurnKeys(reply=f"reply:{message}", claim=f"claim:{message}", owner=owner,
                    counters=(f"rate:{user}", "rate-all"), session=f"session:{user}", lock=f"lock:{user}")


def open_(store: StateStore, turn: TurnKeys) -> OpenedTurn:
    return store.open_turn(turn, claim_ttl=60, counter_ttl=60, lock_ttl=10)


def close(store: StateStore, turn: TurnKeys, session: str | None, reply: str | None) -> tuple[bool, bool]:
    return store.close_turn(turn, session=session, session_ttl=60, reply=reply, reply_ttl=60)


def test_the_first_delivery_claims_counts_locks_and_reads_the_session(store: StateStore) -> None:
    store.set("session:u1", '{"topic": "低保"}', 60)
    opened = open_(store, keys("m1", "a"))
    assert (opened.reply, opened.claimed, opened.counts, opened.session, opened.locked) == (
        None, True, (1, 1), '{"topic": "低保"}', True)


def test_a_second_delivery_of_the_same_message_neither_claims_nor_counts(store: StateStore) -> None:
    open_(store, keys("m1", "a"))
    again = open_(store, keys("m1", "b"))
    assert (again.claimed, again.counts, store.get("rate-all")) == (False, (), "1")


def test_a_retry_after_the_close_gets_the_stored_reply(store: StateStore) -> None:
    first = keys("m1", "a")
    open_(store, first)
    assert close(store, first, '{"topic": "低保"}', "<xml>reply</xml>") == (True, True)
    retry = open_(store, keys("m1", "b"))
    assert (retry.reply, retry.claimed, store.get("session:u1")) == ("<xml>reply</xml>", False, '{"topic": "低保"}')


def test_the_first_reply_stored_stays(store: StateStore) -> None:
    first = keys("m1", "a")
    open_(store, first)
    store.add("reply:m1", "<xml>busy</xml>", 60)  # the deadline sent the busy reply meanwhile
    assert close(store, first, None, "<xml>late answer</xml>") == (False, False)
    assert store.get("reply:m1") == "<xml>busy</xml>"


def test_another_message_of_the_same_citizen_waits_for_the_lock_until_the_close(store: StateStore) -> None:
    first, second = keys("m1", "a"), keys("m2", "b")
    open_(store, first)
    assert open_(store, second).locked is False
    assert store.lock(second.lock, second.owner, 10) is False
    close(store, first, '{"topic": "低保"}', "<xml>1</xml>")
    assert store.lock(second.lock, second.owner, 10) is True


def test_a_close_without_the_lock_never_overwrites_the_holders_session(store: StateStore) -> None:
    first, second = keys("m1", "a"), keys("m2", "b")
    open_(store, first)
    open_(store, second)  # gave up waiting for the lock and went ahead
    assert close(store, second, '{"topic": "旧"}', "<xml>2</xml>") == (True, False)
    assert close(store, first, '{"topic": "新"}', "<xml>1</xml>") == (True, True)
    assert store.get("session:u1") == '{"topic": "新"}'


def test_a_dead_deliverys_lock_lapses_and_a_live_one_keeps_it_by_renewing(store: StateStore) -> None:
    dead, live, later = keys("m1", "dead"), keys("m2", "live"), keys("m3", "later")
    store.open_turn(dead, claim_ttl=1, counter_ttl=60, lock_ttl=0.2)  # its worker is killed: no close
    time.sleep(0.4)
    assert store.open_turn(live, claim_ttl=1, counter_ttl=60, lock_ttl=0.3).locked is True
    for _ in range(3):  # alive past its lifetime, renewing like the webhook does
        time.sleep(0.15)
        store.renew_turn(live, claim_ttl=1, lock_ttl=0.3)
    assert store.open_turn(later, claim_ttl=1, counter_ttl=60, lock_ttl=0.3).locked is False


# -- through the webhook ---------------------------------------------------------------------


def appending(app: Flask, pause: float) -> None:
    """Make every question a slow read-modify-write of the session: the topic gets the text appended.

    The pause sits between the session's load and its save, so two messages of one citizen that
    are not kept apart both read the same session and the later save drops the other's text.
    """
    conversation = get_runtime(app).conversation

    def stateful(_message: object, session: Session, text: str, _command: str) -> Turn:
        time.sleep(pause)
        session.topic = (session.topic or "") + text
        return Turn(compose.text_reply("好的"), kind=ReplyKind.THANKS)

    conversation._stateful = stateful  # type: ignore[method-assign,assignment]


def stored_topic(app: Flask, user: str) -> str:
    runtime = get_runtime(app)
    raw = runtime.state.get(f"session:{pseudonymise(user, runtime.settings.user_hash_secret)}")
    return json.loads(raw or "{}").get("topic") or ""


def send_together(apps: list[Flask], texts: list[str], user: str = "openid-racer") -> list[int]:
    statuses: list[int] = []

    def send(app: Flask, text: str) -> None:
        statuses.append(post(app.test_client(), text_xml(text, user=user)).status_code)

    threads = [threading.Thread(target=send, args=(app, text)) for app, text in zip(apps, texts, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


@pytest.mark.parametrize("backend", ["memory", "redis"])
def test_two_messages_of_one_citizen_at_once_both_update_the_session(
    make_app: Callable[..., Flask], redis_url: str, redis_prefix: str, backend: str
) -> None:
    env = {"REDIS_URL": redis_url, "REDIS_KEY_PREFIX": redis_prefix} if backend == "redis" else {}
    app = make_app(**env)
    appending(app, pause=0.3)
    assert send_together([app, app], ["低保", "医保"]) == [200, 200]
    assert stored_topic(app, "openid-racer") in ("低保医保", "医保低保")


def test_two_workers_answering_one_citizen_at_once_lose_no_session_update(
    make_app: Callable[..., Flask], redis_url: str, redis_prefix: str
) -> None:
    apps = [make_app(REDIS_URL=redis_url, REDIS_KEY_PREFIX=redis_prefix) for _ in range(2)]
    for app in apps:
        appending(app, pause=0.3)
    assert send_together(apps, ["低保", "医保"]) == [200, 200]
    assert stored_topic(apps[0], "openid-racer") in ("低保医保", "医保低保")


def test_different_citizens_are_not_kept_waiting_for_each_other(make_app: Callable[..., Flask]) -> None:
    app = make_app()
    appending(app, pause=0.3)
    statuses: list[int] = []
    threads = [threading.Thread(target=lambda u=user: statuses.append(
        post(app.test_client(), text_xml("低保", user=u)).status_code)) for user in ("甲", "乙")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert (statuses, stored_topic(app, "甲"), stored_topic(app, "乙")) == ([200, 200], "低保", "低保")


def test_a_message_costs_two_redis_round_trips(
    make_app: Callable[..., Flask], redis_url: str, redis_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(REDIS_URL=redis_url, REDIS_KEY_PREFIX=redis_prefix)
    add_knowledge(get_runtime(app), faqs=[("最低生活保障怎么申请", "向户籍所在地的镇人民政府提出书面申请。")])
    client = app.test_client()
    post(client, text_xml("低保怎么申请"))  # loads the scripts into Redis once
    backend = get_runtime(app).state.backend
    assert isinstance(backend, RedisStore)
    commands: list[str] = []
    original = backend.client.execute_command

    def counting(*args: object, **options: object) -> object:
        commands.append(str(args[0]))
        return original(*args, **options)

    monkeypatch.setattr(backend.client, "execute_command", counting)
    reply = reply_fields(post(client, text_xml("低保怎么申请")).data)
    assert "镇人民政府" in reply["Content"]
    assert commands == ["EVALSHA", "EVALSHA"]
