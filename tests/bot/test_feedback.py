"""Feedback that counts: 不满意 after a "not found", a list or an answer lands on that question's
log row, and 满意 can become 不满意 within the session — through /wechat, as WeChat drives it."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import select

from bot import wording
from bot.questionlog_table import QuestionLogRow as QuestionLog
from bot.runtime import get_runtime
from knowledge.editor import FaqData
from tests.support import DIBAO, OTHER, add_knowledge, ask


@pytest.fixture
def bot(make_app: Callable[..., Flask]) -> Flask:
    app = make_app()
    add_knowledge(get_runtime(app), faqs=[FaqData(question=q, answer=a) for q, a in DIBAO + OTHER])
    return app


def logged(app: Flask) -> list[tuple[str, bool, str | None]]:
    runtime = get_runtime(app)
    runtime.questions.flush()
    with runtime.db.session() as session:
        rows = session.scalars(select(QuestionLog).order_by(QuestionLog.id)).all()
    return [(row.question, row.answered, row.feedback) for row in rows]


@pytest.mark.parametrize("question", ["宠物狗疫苗接种", "低保"])  # not found; a numbered list
def test_unsatisfied_after_a_not_found_or_a_list_is_recorded_on_that_question(bot: Flask, question: str) -> None:
    client, user = bot.test_client(), f"o-{uuid.uuid4().hex[:12]}"
    ask(client, question, user=user)
    assert wording.FEEDBACK_UNSATISFIED in ask(client, "不满意", user=user)
    assert [(q, feedback) for q, _, feedback in logged(bot)] == [(question, "unsatisfied")]


def test_satisfied_can_become_unsatisfied_within_the_session(bot: Flask) -> None:
    client, user = bot.test_client(), f"o-{uuid.uuid4().hex[:12]}"
    ask(client, "高龄津贴怎么申领", user=user)
    assert ask(client, "满意", user=user) == wording.FEEDBACK_SATISFIED
    assert wording.FEEDBACK_UNSATISFIED in ask(client, "不满意", user=user)
    assert logged(bot) == [("高龄津贴怎么申领", True, "unsatisfied")]


def test_unsatisfied_does_not_flip_back_to_satisfied(bot: Flask) -> None:
    client, user = bot.test_client(), f"o-{uuid.uuid4().hex[:12]}"
    ask(client, "高龄津贴怎么申领", user=user)
    ask(client, "不满意", user=user)
    assert ask(client, "满意", user=user) == wording.FEEDBACK_ALREADY
    assert logged(bot) == [("高龄津贴怎么申领", True, "unsatisfied")]


def test_feedback_rates_the_latest_question_only(bot: Flask) -> None:
    client, user = bot.test_client(), f"o-{uuid.uuid4().hex[:12]}"
    ask(client, "高龄津贴怎么申领", user=user)
    ask(client, "满意", user=user)
    ask(client, "宠物狗疫苗接种", user=user)
    ask(client, "不满意", user=user)
    assert [(q, f) for q, _, f in logged(bot)] == [("高龄津贴怎么申领", "satisfied"), ("宠物狗疫苗接种", "unsatisfied")]


def test_unsatisfied_after_an_entry_that_does_not_state_the_follow_up_is_recorded_on_the_follow_up(
    bot: Flask,
) -> None:
    client, user = bot.test_client(), f"o-{uuid.uuid4().hex[:12]}"
    ask(client, "耕地地力保护补贴什么时候发", user=user)
    assert "中没有写明所需材料" in ask(client, "需要什么材料", user=user)
    assert wording.FEEDBACK_UNSATISFIED in ask(client, "不满意", user=user)
    assert [(q, answered, feedback) for q, answered, feedback in logged(bot)] == [
        ("耕地地力保护补贴什么时候发", True, None), ("需要什么材料", False, "unsatisfied")]
