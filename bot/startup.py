"""Getting ready to serve: the slow, once-per-server work that `create_app` leaves out.

`create_app` only wires objects together, so every `flask` command — `--help`, `kb stats`,
`report` — starts in a fraction of a second, touches no table it does not read, and prints no
warning meant for a server. A process that is about to answer citizens calls `prepare`:

1. upgrade the database schema (`Store.migrate`; also `flask db upgrade`) and replay the
   question-log rows a killed process left behind (`QuestionLog.recover`);
2. on the very first start, import the bundled sample knowledge base (`LOAD_SAMPLE_KB`) and the
   bundled 办事机构 directory (`knowledge.offices`);
3. load jieba's dictionary and build the index, so the first citizen does not wait for it, and
   the grouping of the logged wordings, so the first report or 待处理 view does not either;
4. warn, once, about settings that are wrong for production (the development token, no Redis).

Who calls it: `gunicorn.conf.py` in the master before the workers fork (they then share the
dictionary and the index copy-on-write); `app.py` when the app is loaded by `flask run` (in the
serving process, not in the reloader's watcher); `flask ask`, which answers as the server would;
and, for any other WSGI server, the first request (`init_app`). Later calls return at once.
"""

from __future__ import annotations

import logging
import os

import click
from flask import Flask, Response
from flask.cli import run_command
from flask.helpers import get_debug_flag

from bot import privacy, reports
from bot.config import DEV_TOKEN, Settings
from bot.runtime import get_runtime
from knowledge.offices import seed_if_empty as seed_offices_if_empty
from knowledge.sample import load_sample_if_empty

log = logging.getLogger(__name__)


def production_warnings(settings: Settings) -> list[str]:
    """What a server started with these settings should tell its operator."""
    warnings = []
    if settings.wechat_token == DEV_TOKEN:
        warnings.append(f"WECHAT_TOKEN is not set: using the development token {DEV_TOKEN!r}; "
                        "set the Token from the WeChat console before going live")
    if settings.redis_url is None:
        warnings.append("REDIS_URL is not set: sessions, retry dedupe and rate limits are kept in this process "
                        "only; run a single worker, or set REDIS_URL for production")
    return warnings


def prepare(app: Flask, *, announce: bool = True) -> None:
    """Do the start-up work above once per app; `announce=False` skips the warnings (CLI)."""
    runtime = get_runtime(app)
    if runtime.started.is_set():
        return
    with runtime.start_lock:
        if runtime.started.is_set():
            return
        runtime.db.migrate()
        runtime.questions.recover()  # rows a killed process left in its journal or the spool
        if runtime.settings.load_sample_kb:
            load_sample_if_empty(runtime.db)
        seed_offices_if_empty(runtime.db)  # the 办事机构 directory's bundled defaults (bot.routing)
        runtime.kb.load()
        privacy.warm_up()  # jieba's tagger, which masks names in what citizens write
        try:  # the reports' and the 待处理 queue's grouping of a year's wordings
            reports.warm_up(runtime.db)
        except Exception as exc:  # a convenience: never a reason not to start
            log.warning("report grouping not warmed up (%s)", str(exc).splitlines()[0][:200])
        if announce:
            for warning in production_warnings(runtime.settings):
                log.warning(warning)
        runtime.started.set()


def started_by_flask_run() -> bool:
    """True when `flask run` is loading the app in the process that will serve it.

    With the reloader on, `flask run` loads the app twice: in a watcher process that never
    serves, and in the serving child (WERKZEUG_RUN_MAIN set). Only the latter should prepare.
    """
    ctx = click.get_current_context(silent=True)
    if ctx is None or ctx.command is not run_command:
        return False
    reload = ctx.params.get("reload")
    if reload is None:
        reload = get_debug_flag()
    return not reload or os.environ.get("WERKZEUG_RUN_MAIN") == "true"


def init_app(app: Flask) -> None:
    """Prepare on the first request if no server hook did it before (any other WSGI server)."""

    @app.before_request
    def ensure_prepared() -> Response | None:
        try:
            prepare(app)
        except Exception:  # the database is down at start: say so, try again on the next request
            log.exception("could not prepare to serve; will retry on the next request")
            return Response("服务正在启动，请稍后再试", status=503, mimetype="text/plain")
        return None
