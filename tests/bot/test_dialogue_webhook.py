"""The whole dialogue as WeChat drives it: signed XML in, reply XML out, questions in the log.

Same script as the conversation tests — topic → numbered list → "2" → 更多 → follow-up → new
topic → not found → feedback — but through /wechat, on the in-process store and on Redis.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
import redis
from flask import Flask
from sqlalchemy import select

from bot import wording
from bot.privacy import pseudonymise
from bot.questionlog_table import QuestionLogRow as QuestionLog
from bot.runtime import get_runtime
from knowledge.editor import FaqData
from tests.support import DIBAO, OTHER, add_knowledge, ask, event_xml, post, reply_fields


@pytest.fixture(params=["memory", "redis"])
def citizen(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh OpenID per test, so Redis runs never meet an earlier session."""
    openid = f"o-{uuid.uuid4().hex[:12]}"
    yield openid
    if request.param == "redis":
        client = redis.Redis.from_url(request.getfixturevalue("redis_url"))
        hashed = pseudonymise(openid, "test-user-hash-secret")
        keys = [k for pattern in (f"*{openid}*", f"*{hashed}*") for k in client.scan_iter(pattern)]
        if keys:
            client.delete(*keys)


@pytest.fixture
def bot(request: pytest.FixtureRequest, citizen: str, make_app: Callable[..., Flask]) -> Flask:
    env = {"TOWNSHIP_PHONE": "0951-8000000"}
    if request.node.callspec.params["citizen"] == "redis":
        env["REDIS_URL"] = request.getfixturevalue("redis_url")
    app = make_app(**env)
    add_knowledge(get_runtime(app), faqs=[FaqData(question=q, answer=a) for q, a in DIBAO + OTHER])
    return app


def numbered(reply: str) -> list[str]:
    return [line.split(". ", 1)[1] for line in reply.splitlines() if line[:1].isdigit() and ". " in line]


def test_dialogue_through_the_webhook(bot: Flask, citizen: str) -> None:
    client = bot.test_client()
    listed = ask(client, "低保", user=citizen)
    assert len(numbered(listed)) == 5 and "回复序号查看详情" in listed

    assert ask(client, "2", user=citizen).startswith(f"【{numbered(listed)[1]}】")
    assert ask(client, "更多", user=citizen).splitlines()[1].startswith("6. ")
    assert "户口簿、身份证和家庭收入证明" in ask(client, "需要什么材料", user=citizen)
    assert "年满80周岁" in ask(client, "高龄津贴怎么申领", user=citizen)

    missing = ask(client, "宠物狗疫苗接种", user=citizen)
    assert missing.startswith(wording.NOT_FOUND) and "电话：0951-8000000" in missing

    ask(client, "低保申请需要什么材料", user=citizen)
    assert ask(client, "满意", user=citizen) == wording.FEEDBACK_SATISFIED


def test_feedback_lands_on_the_answered_question_in_the_log(bot: Flask, citizen: str) -> None:
    client = bot.test_client()
    ask(client, "高龄津贴怎么申领", user=citizen)
    ask(client, "不满意", user=citizen)
    runtime = get_runtime(bot)
    runtime.questions.flush()
    with runtime.db.session() as session:
        rows = session.scalars(select(QuestionLog)).all()
    assert [(row.question, row.feedback) for row in rows] == [("高龄津贴怎么申领", "unsatisfied")]


def test_number_after_the_session_is_gone_says_expired(bot: Flask, citizen: str) -> None:
    client = bot.test_client()
    ask(client, "低保", user=citizen)
    get_runtime(bot).conversation.forget(citizen)
    assert ask(client, "2", user=citizen) == wording.CHOICES_EXPIRED


def test_menu_click_through_the_webhook_answers_its_topic(make_app: Callable[..., Flask]) -> None:
    app = make_app(WECHAT_MENU_TOPICS="MENU_GL=高龄津贴怎么申领")
    add_knowledge(get_runtime(app), faqs=[FaqData(question=q, answer=a) for q, a in OTHER])
    response = post(app.test_client(), event_xml("CLICK", key="MENU_GL", user=f"o-{uuid.uuid4().hex[:12]}"))
    assert "年满80周岁" in reply_fields(response.get_data())["Content"]
