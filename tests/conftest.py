"""Shared fixtures: real Redis and PostgreSQL connections, and apps on throwaway instances.

A test that needs Redis or PostgreSQL and cannot reach it fails with a message saying so; it
never skips. `.ci/run` starts both services when they are not already running.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
import sqlalchemy
from flask import Flask

from bot import create_app
from bot.runtime import Runtime, get_runtime
from bot.startup import prepare
from knowledge.base import shared_processor
from knowledge.store import Store
from knowledge.text import TextProcessor
from tests.fake_wechat_api import FakeServer, FakeWeChatApi

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
TOKEN = "test-token"
AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
APPID = "wx5823bf96d3bd56c7"


@pytest.fixture(scope="session")
def processor() -> TextProcessor:
    """The default-lexicon text processor, built once per test process (jieba takes ~1 s to load).

    The same object the apps use (`shared_processor`), so app tests do not load a second one.
    """
    return shared_processor()


@pytest.fixture(scope="session")
def redis_url() -> str:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis is not reachable at {REDIS_URL} ({exc}); start redis-server (.ci/run does)")
    return REDIS_URL


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix of this test's own, removed afterwards, so tests never see each other's keys."""
    prefix = f"test:{uuid.uuid4().hex[:10]}:"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(f"{prefix}*"))
    if keys:
        client.delete(*keys)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh schema in the real PostgreSQL `test` database, dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sqlalchemy.create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
    try:
        with admin.begin() as conn:
            conn.execute(sqlalchemy.text(f'CREATE SCHEMA "{schema}"'))
    except sqlalchemy.exc.OperationalError as exc:
        pytest.fail(f"PostgreSQL is not reachable at {POSTGRES_URL} ({exc}); start it (.ci/run does)")
    sep = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(sqlalchemy.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def instances(tmp_path: Path, postgres_url: str, redis_url: str, redis_prefix: str) -> Iterator[Callable[..., Flask]]:
    """App instances on their own folders sharing one PostgreSQL schema (and Redis if asked).

    Like two machines: separate runtimes, indexes, thread pools and question-log spools; only
    the database and Redis in common. Their watchers are stopped afterwards.
    """
    made: list[Flask] = []

    def factory(*, redis: bool = True, interval: str = "1") -> Flask:
        instance = tmp_path / f"instance{len(made)}"
        instance.mkdir()
        env = base_env(instance, DATABASE_URL=postgres_url, KB_RELOAD_INTERVAL=interval,
                       REDIS_KEY_PREFIX=redis_prefix)
        if redis:
            env["REDIS_URL"] = redis_url
        app = create_app(env, instance_path=str(instance))
        prepare(app, announce=False)
        made.append(app)
        return app

    yield factory
    for app in made:
        runtime = get_runtime(app)
        runtime.close()  # before the schema is dropped: no build child or writer reads it later
        runtime.db.engine.dispose()


@pytest.fixture
def wechat_api() -> Iterator[FakeWeChatApi]:
    """A local fake of WeChat's API server; its base URL is `wechat_api.base`."""
    with FakeServer() as api:
        yield api


@pytest.fixture
def unused_port() -> int:
    """A TCP port nothing listens on right now (for servers a test starts)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A migrated store on SQLite (a temporary file) and on the real PostgreSQL."""
    url = f"sqlite:///{tmp_path / 'kb.sqlite3'}" if request.param == "sqlite" else request.getfixturevalue(
        "postgres_url")
    db = Store(url)
    db.migrate()
    yield db
    db.engine.dispose()


def base_env(instance: Path, **overrides: str) -> dict[str, str]:
    env = {
        "WECHAT_TOKEN": TOKEN,
        "DATABASE_URL": f"sqlite:///{instance / 'test.sqlite3'}",
        "LOAD_SAMPLE_KB": "0",
        "SECRET_KEY": "test-secret",
        "USER_HASH_SECRET": "test-user-hash-secret",
        "KB_RELOAD_INTERVAL": "0.01",
    }
    env.update(overrides)
    return env


@pytest.fixture
def make_app(tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """Build and prepare an app on a throwaway instance folder, as a server starts it.

    Keyword arguments are environment variables. The app is prepared (`bot.startup.prepare`:
    schema, index) like a server's, so tests can write to the database at once. Afterwards each
    app's background work is stopped (`Runtime.close`), so that no writer thread or build
    child outlives its test.
    """
    made: list[Flask] = []

    def factory(**env: str) -> Flask:
        instance = tmp_path / "instance"
        instance.mkdir(exist_ok=True)
        app = create_app(base_env(instance, **env), instance_path=str(instance))
        app.config["TESTING"] = True
        prepare(app, announce=False)
        made.append(app)
        return app

    yield factory
    for app in made:
        get_runtime(app).close()


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def runtime(app: Flask) -> Runtime:
    return get_runtime(app)
