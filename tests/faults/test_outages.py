"""Fault tests against real processes: gunicorn (2 workers) with a throwaway Redis and PostgreSQL.

Each scenario asserts that every citizen got an answer or the polite busy reply, and that the
question log ends with exactly one row per distinct message. The figures are printed (run
with `-s` to see them) and quoted in the README's *Reliability* section. The scenarios share
one deployment (started once per test process).
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import sqlalchemy

from bot import wording
from tests.faults.citizens import Outcomes, ask_many
from tests.faults.processes import Gunicorn, Postgres, Redis, deliver, text_message

pytestmark = pytest.mark.fault


class Deployment:
    def __init__(self, folder: Path) -> None:
        self.redis = Redis(folder / "redis")
        self.postgres = Postgres()
        self.gunicorn: Gunicorn | None = None
        self.messages: set[str] = set()  # every distinct message sent so far

    def start(self, folder: Path) -> None:
        self.redis.start()
        self.postgres.start()
        self.gunicorn = Gunicorn(folder / "gunicorn", {
            "REDIS_URL": self.redis.url, "DATABASE_URL": self.postgres.url, "REDIS_TIMEOUT": "0.3",
            "DB_STATEMENT_TIMEOUT": "5"}).start()

    @property
    def port(self) -> int:
        assert self.gunicorn is not None
        return self.gunicorn.port

    def logged_rows(self) -> int:
        engine = sqlalchemy.create_engine(self.postgres.url, connect_args={"connect_timeout": 3})
        try:
            with engine.connect() as conn:
                return conn.execute(sqlalchemy.text("SELECT count(*) FROM question_log")).scalar() or 0
        finally:
            engine.dispose()

    def wait_for_rows(self, timeout: float = 30.0) -> int:
        deadline = time.monotonic() + timeout
        rows = -1
        while time.monotonic() < deadline:
            try:
                rows = self.logged_rows()
            except sqlalchemy.exc.OperationalError:
                rows = -1
            if rows == len(self.messages):
                return rows
            time.sleep(0.25)
        return rows

    def stop(self) -> None:
        if self.gunicorn is not None:
            self.gunicorn.stop()
        self.redis.stop()
        self.postgres.remove()


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    folder = tmp_path_factory.mktemp("outages")
    deployment = Deployment(folder)
    try:
        deployment.start(folder)
        yield deployment
    finally:
        deployment.stop()


def _check(deployment: Deployment, *phases: Outcomes) -> None:
    for phase in phases:
        deployment.messages |= phase.keys
        print(phase.summary())
    rows = deployment.wait_for_rows()
    print(f"logged rows {rows}, distinct messages {len(deployment.messages)}")
    for phase in phases:
        assert phase.failed == [], phase.summary()
    assert rows == len(deployment.messages)


def _claim_owner(client: redis.Redis, timeout: float = 4.0) -> int:
    """The pid of the worker holding a retry claim right now (its value is `pid:token`)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for key in client.scan_iter("zwgk:wx:claim:*"):
            value = client.get(key)
            if value:
                text = value.decode() if isinstance(value, bytes) else str(value)
                return int(text.split(":")[0])
        time.sleep(0.01)
    raise AssertionError("no worker claimed the message")


def test_worker_killed_mid_answer_then_wechat_retries_get_the_answer(deployment: Deployment) -> None:
    """The first delivery's worker dies while computing (PostgreSQL hung under it); the retries
    (WeChat sends three, 5 s apart; here 1 s apart) take the claim over and answer."""
    assert deployment.gunicorn is not None
    deployment.gunicorn.fresh_workers()  # their first search reads the database, which will hang
    user, msg_id = "o_fault_killed_mid_answer", "7000000000000000001"
    body = text_message("宠物狗疫苗在哪里打", user, msg_id)  # not found: the reply reads hot topics
    deployment.messages.add(f"{user}:{msg_id}")
    first: list[tuple[int, str, float]] = []
    deployment.postgres.hang()
    try:
        thread = threading.Thread(target=lambda: first.append(_safe_deliver(deployment.port, body)))
        thread.start()
        owner = _claim_owner(redis.Redis.from_url(deployment.redis.url))
        os.kill(owner, signal.SIGKILL)
        thread.join(10)
    finally:
        deployment.postgres.resume()
    retries = Outcomes("killed mid-answer, 3 retries")
    replies = []
    for _ in range(3):
        time.sleep(1.0)
        replies.append(retries.add(*_safe_deliver(deployment.port, body)))
    print(f"first delivery: {first[0][0] if first else 'none'} (worker {owner} killed)")
    assert len(set(replies)) == 1 and wording.BUSY not in replies, replies
    _check(deployment, retries)


def _safe_deliver(port: int, body: bytes) -> tuple[int, str, float]:
    try:
        return deliver(port, body)
    except OSError as exc:  # the worker died with the connection open
        return 0, f"{type(exc).__name__}: {exc}", 0.0


def test_workers_killed_while_the_log_writer_is_stalled_lose_no_row(deployment: Deployment) -> None:
    """PostgreSQL hangs, so every worker's log writer waits; both workers are SIGKILLed."""
    assert deployment.gunicorn is not None
    deployment.gunicorn.wait_for_workers()
    stalled = Outcomes("log writer stalled, then both workers SIGKILLed")
    deployment.postgres.hang()
    try:
        ask_many(deployment.port, stalled, 24)
        for pid in deployment.gunicorn.worker_pids():
            os.kill(pid, signal.SIGKILL)
    finally:
        deployment.postgres.resume()
    deployment.gunicorn.wait_for_workers()
    _check(deployment, stalled)


def test_redis_killed_and_hung(deployment: Deployment) -> None:
    killed, hung = Outcomes("Redis killed"), Outcomes("Redis hung (SIGSTOP)")
    deployment.redis.kill()
    try:
        ask_many(deployment.port, killed, 16)
    finally:
        deployment.redis.start()
    deployment.redis.hang()
    try:
        ask_many(deployment.port, hung, 16)
    finally:
        deployment.redis.resume()
    _check(deployment, killed, hung)


def test_postgres_stopped_and_hung(deployment: Deployment) -> None:
    stopped, hung = Outcomes("PostgreSQL stopped"), Outcomes("PostgreSQL hung (SIGSTOP)")
    deployment.postgres.stop()
    try:
        ask_many(deployment.port, stopped, 16)
    finally:
        deployment.postgres.start()
    deployment.postgres.hang()
    try:
        ask_many(deployment.port, hung, 16)
    finally:
        deployment.postgres.resume()
    after = Outcomes("after recovery")
    ask_many(deployment.port, after, 8)
    _check(deployment, stopped, hung, after)
