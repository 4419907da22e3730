"""A cheap app factory: commands do not migrate or build the index; servers prepare once.

See bot/startup.py. The subprocess tests run the real `flask` command line, as staff do.
"""

from __future__ import annotations

import datetime
import json
import os
import socket
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import click
import pytest
from flask import Flask
from sqlalchemy import event, inspect, select, text

from bot import create_app
from bot.questionlog_table import QuestionLogRow
from bot.runtime import get_runtime
from bot.startup import prepare, production_warnings
from knowledge.models import Base
from tests.conftest import base_env

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def fresh(tmp_path: Path) -> Callable[..., Flask]:
    """An app built as a command builds it: not prepared, on a database that may not exist yet."""

    def factory(**env: str) -> Flask:
        instance = tmp_path / "instance"
        instance.mkdir(exist_ok=True)
        return create_app(base_env(instance, **env), instance_path=str(instance))

    return factory


def sql_statements(app: Flask) -> list[str]:
    """Every SQL statement the app's engine runs from now on."""
    statements: list[str] = []
    event.listen(get_runtime(app).db.engine, "before_cursor_execute",
                 lambda _c, _cur, statement, *_a: statements.append(statement.lstrip().upper()))
    return statements


def flask_cli(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`python -m flask` with the project's factory on a throwaway instance, in a clean environment."""
    instance = tmp_path / "cli-instance"
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("WECHAT_", "REDIS_", "DATABASE_", "FLASK_"))}
    clean.update({"DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}", "SECRET_KEY": "s",
                  "USER_HASH_SECRET": "u", "LOG_LEVEL": "INFO", **env})
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", f"bot:create_app(instance_path={str(instance)!r})", *args],
        cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120,
    )


# -- the factory is cheap ---------------------------------------------------------------------


def test_building_the_app_touches_no_database_and_builds_no_index(fresh: Callable[..., Flask],
                                                                   tmp_path: Path) -> None:
    app = fresh()
    assert not (tmp_path / "instance" / "test.sqlite3").exists()
    assert not get_runtime(app).kb.loaded


def test_flask_help_creates_no_database_and_prints_no_server_warning(tmp_path: Path) -> None:
    result = flask_cli(tmp_path, "--help")
    assert result.returncode == 0, result.stderr
    assert {"db", "kb", "ask", "report", "purge"} <= set(result.stdout.split())
    assert "WECHAT_TOKEN" not in result.stderr and "REDIS_URL" not in result.stderr
    assert not (tmp_path / "cli.sqlite3").exists()


def test_kb_stats_neither_migrates_nor_builds_the_index(fresh: Callable[..., Flask]) -> None:
    app = fresh()
    assert app.test_cli_runner().invoke(args=["db", "upgrade"]).exit_code == 0
    statements = sql_statements(app)
    result = app.test_cli_runner().invoke(args=["kb", "stats"])
    assert result.exit_code == 0, result.output
    assert "问答：0 条" in result.output
    assert [s for s in statements if not s.startswith(("SELECT", "PRAGMA"))] == []
    assert not get_runtime(app).kb.loaded


def test_kb_stats_on_a_database_without_schema_exits_3_and_creates_nothing(fresh: Callable[..., Flask]) -> None:
    app = fresh()
    result = app.test_cli_runner().invoke(args=["kb", "stats"])
    assert (result.exit_code, "flask --app app db upgrade" in result.output) == (3, True)
    assert inspect(get_runtime(app).db.engine).get_table_names() == []


def test_kb_stats_from_the_command_line_is_quiet_and_builds_no_index(tmp_path: Path) -> None:
    assert flask_cli(tmp_path, "db", "upgrade").returncode == 0
    result = flask_cli(tmp_path, "kb", "stats")
    assert result.returncode == 0, result.stderr
    assert "问答：0 条" in result.stdout
    assert "knowledge base" not in result.stderr  # the index's "loaded" line
    assert "WECHAT_TOKEN" not in result.stderr and "REDIS_URL" not in result.stderr


# -- db upgrade --------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    else:
        yield request.getfixturevalue("postgres_url")


def test_db_upgrade_creates_the_whole_schema_and_can_run_again(fresh: Callable[..., Flask],
                                                               empty_database: str) -> None:
    app = fresh(DATABASE_URL=empty_database)
    db = get_runtime(app).db
    assert db.needs_upgrade()
    first = app.test_cli_runner().invoke(args=["db", "upgrade"])
    again = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert (first.exit_code, again.exit_code) == (0, 0), first.output
    assert set(Base.metadata.tables) <= set(inspect(db.engine).get_table_names())
    assert not db.needs_upgrade()
    db.engine.dispose()


def test_db_upgrade_on_an_unreachable_database_exits_1_in_chinese(fresh: Callable[..., Flask]) -> None:
    app = fresh(DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:1/none")
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert (result.exit_code, "数据库升级失败" in result.output) == (1, True)


# -- the sample --------------------------------------------------------------------------------


def test_load_sample_is_idempotent(fresh: Callable[..., Flask]) -> None:
    app = fresh()
    runner = app.test_cli_runner()
    runner.invoke(args=["db", "upgrade"])
    first = runner.invoke(args=["kb", "load-sample"])
    db = get_runtime(app).db
    version = db.kb_version()
    again = runner.invoke(args=["kb", "load-sample"])
    assert (first.exit_code, again.exit_code) == (0, 0), first.output
    assert "新增 0 条，更新 0 条" in again.output and "新增 0 条" not in first.output
    assert db.kb_version() == version


# -- preparing a server ------------------------------------------------------------------------


def test_first_start_creates_the_database_and_loads_the_sample_without_configuration(
        fresh: Callable[..., Flask]) -> None:
    app = fresh(LOAD_SAMPLE_KB="1")
    prepare(app)
    runtime = get_runtime(app)
    assert runtime.kb.loaded and runtime.kb.size > 10
    assert "政府信息公开" in app.test_cli_runner().invoke(args=["ask", "怎么申请政府信息公开"]).output


def test_the_first_request_prepares_an_app_no_server_hook_prepared(fresh: Callable[..., Flask]) -> None:
    app = fresh(LOAD_SAMPLE_KB="1")
    health = app.test_client().get("/healthz").get_json()
    assert health["documents"] > 10 and get_runtime(app).kb.loaded


def test_preparing_twice_does_the_work_once(fresh: Callable[..., Flask]) -> None:
    app = fresh()
    prepare(app)
    statements = sql_statements(app)
    prepare(app)
    assert statements == []


def test_server_warnings_name_the_dev_token_and_missing_redis_once_each(fresh: Callable[..., Flask],
                                                                         caplog: pytest.LogCaptureFixture) -> None:
    app = fresh(WECHAT_TOKEN="")
    settings = get_runtime(app).settings
    assert len(production_warnings(settings)) == 2
    prepare(app)
    prepare(app)
    warnings = [r.getMessage() for r in caplog.records if r.name == "bot.startup"]
    assert sum("WECHAT_TOKEN" in w for w in warnings) == 1 and sum("REDIS_URL" in w for w in warnings) == 1


def test_configured_production_settings_start_without_warnings(fresh: Callable[..., Flask], redis_url: str) -> None:
    app = fresh(WECHAT_TOKEN="a-real-token", REDIS_URL=redis_url)
    assert production_warnings(get_runtime(app).settings) == []


def test_gunicorn_prepares_once_in_the_master_and_its_workers_share_the_index(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WECHAT_", "REDIS_", "DATABASE_"))}
    # Development under gunicorn (production would refuse these settings: test_production_config).
    env.update({"DATABASE_URL": f"sqlite:///{tmp_path / 'g.sqlite3'}", "SECRET_KEY": "s", "USER_HASH_SECRET": "u",
                "BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "2", "LOG_LEVEL": "INFO", "ZWGK_ENV": "development"})
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "app:app"], cwd=ROOT,
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        health = None
        for _ in range(600):  # up to a minute on a busy machine; returns as soon as it answers
            if server.poll() is not None:
                break
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    health = json.load(response)
                    break
            except OSError:
                threading.Event().wait(0.1)
        # Ask each worker (several requests spread over both), then stop and read the log; without
        # an answer at all, the assertions below fail with gunicorn's log.
        for _ in range(6 if health is not None else 0):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
                assert health is not None and json.load(response)["documents"] == health["documents"]
    finally:
        server.terminate()
        log = server.communicate(timeout=30)[1]
    assert health is not None and health["documents"] > 10, log
    assert log.count("knowledge base v") == 1, log  # built once, in the master, before the fork
    assert log.index("knowledge base v") < log.index("Booting worker"), log
    assert log.count("REDIS_URL is not set") == 1 and log.count("WECHAT_TOKEN is not set") == 1, log


def test_every_command_and_option_has_chinese_help() -> None:
    from bot.cli import COMMANDS

    def walk(command: click.Command, path: tuple[str, ...] = ()) -> Iterator[tuple[str, click.Command]]:
        name = " ".join((*path, command.name or ""))
        yield name, command
        for sub in getattr(command, "commands", {}).values():
            yield from walk(sub, (*path, command.name or ""))

    def chinese(text: str | None) -> bool:
        return any("\u4e00" <= ch <= "\u9fff" for ch in text or "")

    for name, command in (pair for top in COMMANDS for pair in walk(top)):
        assert chinese(command.help), f"flask {name} has no Chinese help"
        for param in command.params:
            if isinstance(param, click.Option):
                assert chinese(param.help), f"flask {name} {param.opts[0]} has no Chinese help"


def test_db_upgrade_brings_a_release_1_database_up_to_date_and_keeps_its_rows(
        fresh: Callable[..., Flask], empty_database: str) -> None:
    app = fresh(DATABASE_URL=empty_database)
    runtime = get_runtime(app)
    db = runtime.db
    db.migrate()
    with db.engine.begin() as conn:  # what release 1 left: schema version 1 and a NOT NULL channel column
        conn.execute(text("UPDATE kb_meta SET value = '1' WHERE key = 'schema_version'"))
        conn.execute(text("ALTER TABLE question_log ADD COLUMN channel VARCHAR(20) NOT NULL DEFAULT 'wechat'"))
        if db.engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE question_log ALTER COLUMN channel DROP DEFAULT"))
        conn.execute(text("INSERT INTO question_log (asked_at, user_hash, message_key, question, terms, hits_json, "
                          "answered, reply_kind, latency_ms, channel) VALUES (:t, 'u', 'old', '旧问题', '', '[]', "
                          ":f, '', 1.0, 'wechat')"), {"t": datetime.datetime(2025, 1, 1), "f": False})
    assert db.needs_upgrade()
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "channel" not in {c["name"] for c in inspect(db.engine).get_columns("question_log")}
    assert not db.needs_upgrade()
    runtime.questions.background = False
    runtime.questions.record(openid="o", message_key="new", question="新问题", result=None, answered=False,
                             reply_kind="not_found", latency_ms=1.0)
    with db.session() as session:
        assert sorted(session.scalars(select(QuestionLogRow.question))) == ["新问题", "旧问题"]
    db.engine.dispose()


def test_a_database_down_at_the_first_request_gets_503_not_500_and_is_retried(fresh: Callable[..., Flask],
                                                                               tmp_path: Path) -> None:
    app = fresh(DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:1/none")
    response = app.test_client().get("/healthz")
    assert (response.status_code, response.get_data(as_text=True)) == (503, "服务正在启动，请稍后再试")
    runtime = get_runtime(app)
    runtime.db = type(runtime.db)(f"sqlite:///{tmp_path / 'back.sqlite3'}")  # the database is back
    runtime.kb.store = runtime.db
    assert app.test_client().get("/healthz").status_code == 200 and runtime.kb.loaded


def test_load_sample_adds_back_a_removed_entry_and_keeps_a_staff_edit(fresh: Callable[..., Flask]) -> None:
    from knowledge.editor import FaqData, KbEditor
    from knowledge.models import FaqEntry

    app = fresh()
    runner = app.test_cli_runner()
    runner.invoke(args=["db", "upgrade"])
    runner.invoke(args=["kb", "load-sample"])
    db = get_runtime(app).db
    with db.session() as session:
        edited, removed = session.scalars(select(FaqEntry).order_by(FaqEntry.id).limit(2)).all()
    KbEditor(db, editor="张三").save_faq(FaqData(question=edited.question, answer="本镇核实过的答案。"),
                                        faq_id=edited.id)
    KbEditor(db, editor="张三").delete_faq(removed.id)
    result = runner.invoke(args=["kb", "load-sample"])
    assert "新增 1 条" in result.output, result.output
    with db.session() as session:
        kept = session.get(FaqEntry, edited.id)
        assert kept is not None and kept.answer == "本镇核实过的答案。"
        assert session.scalar(select(FaqEntry).where(FaqEntry.question == removed.question)) is not None
