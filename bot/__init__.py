"""The HTTP side of 政务公开问答: citizens over WeChat, staff on the command line and browser.

`create_app()` is the application factory (`flask --app app run`, gunicorn "app:app"). It is
cheap on purpose — no database connection, no jieba, no index — because every `flask` command
builds the app; what a server does once before answering is in `bot.startup.prepare`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path

from flask import Flask

from bot import admin, cli, fulltext, learning, metrics, readiness, startup, webhook
from bot.config import Settings, instance_path_from_env
from bot.conversation import Conversation
from bot.logs import configure_logging
from bot.push import make_client
from bot.questionlog import QuestionLog
from bot.reload import Reloader
from bot.runtime import EXTENSION_KEY, Runtime
from bot.state import make_store
from knowledge.base import KnowledgeBase
from knowledge.offices import OfficeDirectory
from knowledge.store import Store

log = logging.getLogger(__name__)


def create_app(env: Mapping[str, str] | None = None, *, instance_path: str | None = None) -> Flask:
    """Build the app from `env` (default: the process environment).

    Tests pass a complete `env` mapping so that a developer's shell variables never leak in.
    """
    env = dict(os.environ if env is None else env)
    instance_path = instance_path or instance_path_from_env(env)
    app = Flask(__name__, instance_relative_config=True, instance_path=instance_path)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    settings = Settings.from_env(Path(app.instance_path), env)
    app.config.update(SECRET_KEY=settings.secret_key, MAX_CONTENT_LENGTH=settings.max_body_bytes)
    configure_logging(app, settings.log_level)

    db = Store(settings.database_url, statement_timeout=settings.db_statement_timeout)  # connects on first use
    kb = KnowledgeBase(db, threshold=settings.answer_threshold, reload_interval=settings.kb_reload_interval,
                       index_dir=settings.index_dir, build_in_child=True)
    state = make_store(settings.redis_url, timeout=settings.redis_timeout, prefix=settings.redis_prefix)
    reloader = Reloader(
        kb,
        redis_url=settings.redis_url,
        prefix=settings.redis_prefix,
        interval=settings.kb_reload_interval,
        timeout=settings.redis_timeout,
    )
    db.on_kb_change(reloader.notify)
    questions = QuestionLog(db, settings.user_hash_secret, settings.instance_path / "spool")
    runtime = Runtime(
        settings=settings,
        db=db,
        state=state,
        kb=kb,
        questions=questions,
        # Help and not-found replies suggest only entries the index serves now (never a disabled one).
        conversation=Conversation(
            kb, state, settings, hot_topics=lambda: questions.hot_topics(live=lambda key: kb.document(key) is not None),
            offices=OfficeDirectory(db, ttl=settings.kb_reload_interval),
        ),
        reloader=reloader,
        wechat_api=make_client(settings),
        learning=learning.from_settings(db, questions, settings),
    )
    app.extensions[EXTENSION_KEY] = runtime
    webhook.init_app(app, runtime)
    startup.init_app(app)
    metrics.init_app(app, runtime)
    readiness.init_app(app, runtime)
    admin.init_app(app)
    fulltext.init_app(app)
    cli.register(app)

    @app.before_request
    def start_watcher() -> None:
        # gunicorn starts it in each worker after the fork (gunicorn.conf.py); other servers
        # on the first request. Test apps leave it off and reload explicitly.
        if not app.testing:
            reloader.ensure_started()

    @app.get("/healthz")
    def healthz() -> tuple[dict, int]:
        try:
            stored: int | None = kb.stored_version()
        except Exception:
            stored = None
        return {
            "status": "ok",
            "kb_version": kb.version,
            "kb_version_stored": stored,
            "documents": kb.size,
        }, 200

    return app
