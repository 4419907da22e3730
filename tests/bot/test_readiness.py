"""/readyz: 200 when the database, Redis and a current index are there; else 503 naming the part."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from bot.runtime import get_runtime
from knowledge.base import Snapshot
from knowledge.editor import FaqData, KbEditor
from knowledge.store import Store
from tests.support import OTHER, FakeClock, add_knowledge

UNREACHABLE_DB = "postgresql+psycopg://postgres@127.0.0.1:1/none"


def readyz(app: Flask) -> tuple[int, dict]:
    response = app.test_client().get("/readyz")
    return response.status_code, response.get_json()


def test_ready_when_everything_answers(make_app: Callable[..., Flask], redis_url: str) -> None:
    app = make_app(REDIS_URL=redis_url)
    add_knowledge(get_runtime(app), faqs=OTHER)
    status, body = readyz(app)
    assert (status, body["failing"]) == (200, [])


def test_an_unreachable_database_makes_it_not_ready(app: Flask) -> None:
    runtime = get_runtime(app)
    runtime.db = runtime.kb.store = Store(UNREACHABLE_DB)
    status, body = readyz(app)
    assert (status, body["failing"]) == (503, ["database", "index_current"])


def test_an_unreachable_redis_makes_it_not_ready(make_app: Callable[..., Flask]) -> None:
    app = make_app(REDIS_URL="redis://127.0.0.1:1/0", REDIS_TIMEOUT="0.2")
    status, body = readyz(app)
    assert (status, body["failing"]) == (503, ["redis"])


def test_an_index_not_yet_loaded_makes_it_not_ready(app: Flask) -> None:
    get_runtime(app).kb._snapshot = Snapshot(version=-1, searcher=None)  # as before the first build
    status, body = readyz(app)
    assert status == 503 and "index" in body["failing"]


def test_a_rebuild_in_progress_keeps_it_ready_but_a_stuck_index_does_not(app: Flask) -> None:
    runtime = get_runtime(app)
    clock = FakeClock()
    app.extensions["zwgk.readiness"].clock = clock
    KbEditor(runtime.db).save_faq(FaqData(*OTHER[0]))
    first, _ = readyz(app)
    clock.now += 31
    later, body = readyz(app)
    assert (first, later, body["failing"]) == (200, 503, ["index_current"])
