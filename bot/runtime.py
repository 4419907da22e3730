"""The long-lived objects one worker process needs, built once by the application factory.

Blueprints and CLI commands reach them through `get_runtime()` instead of module globals, so
tests can build several independent apps in one process.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from flask import Flask, current_app

from bot.config import Settings
from bot.state import ResilientStore
from knowledge.base import KnowledgeBase
from knowledge.store import Store

if TYPE_CHECKING:
    from bot.conversation import Conversation
    from bot.learning import Learning
    from bot.push import SharedTokenClient
    from bot.questionlog import QuestionLog
    from bot.reload import Reloader

EXTENSION_KEY = "zwgk"


@dataclass
class Runtime:
    settings: Settings
    db: Store
    state: ResilientStore
    kb: KnowledgeBase
    questions: QuestionLog
    conversation: Conversation
    # Set once bot.startup.prepare has run in this process (schema, sample, index, warnings).
    started: threading.Event = field(default_factory=threading.Event, repr=False)
    start_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    reloader: Reloader | None = None
    wechat_api: SharedTokenClient | None = None  # WeChat's API, when WECHAT_APPSECRET is set
    learning: Learning | None = None  # evidence from citizens' choices (bot.learning)

    def close(self) -> None:
        """Stop this process's background work before its instance goes away (tests, benches,
        a throwaway instance): the knowledge-base watcher, a background index build (its child
        reads the database and writes into the instance folder, and its build would serve no
        one: stopped at once) and the question log's writer, whose last rows are written first."""
        if self.reloader is not None:
            self.reloader.stop()
        self.kb.close(timeout=0)
        self.questions.close()


def get_runtime(app: Flask | None = None) -> Runtime:
    return (app or current_app).extensions[EXTENSION_KEY]
