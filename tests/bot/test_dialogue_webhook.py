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
from bot.runtime import get_runtime
from knowledge.editor import FaqData
from knowledge.models import QuestionLog
from tests.support import add_knowledge, ask, event_xml, post, reply_fields

DIBAO = [
    ("城乡低保怎么申请？", "由申请人向户籍所在地村委会提出书面申请，经镇民政办审核、县民政局审批。"),
    ("低保申请需要什么材料？", "需提供户口簿、身份证和家庭收入证明。"),
    ("低保标准每月多少钱？", "2024年农村标准为每人每月560元。"),
    ("低保在哪里办理？", "到镇便民服务中心民政窗口办理。"),
    ("低保审批要多久？", "自受理之日起30个工作日内办结。"),
    ("低保金什么时候发放？", "每月10日前发放到户。"),
    ("低保家庭可以享受哪些救助？", "可享受医疗救助、教育救助和住房救助。"),
]
OTHER = [
    ("高龄津贴怎么申领？", "年满80周岁的老人持身份证到村委会登记申领。"),
    ("残疾人两项补贴的申请条件是什么？", "持有第二代残疾人证的困难残疾人可以申请。"),
    ("耕地地力保护补贴什么时候发？", "每年6月底前通过一卡通发放。"),
    ("宅基地申请流程？", "向村集体经济组织提出申请，经村民会议讨论后公示。"),
    ("城乡居民养老保险怎么缴费？", "可通过银行代扣或手机缴费。"),
    ("临时救助的对象有哪些？", "因火灾、交通事故等意外事件导致基本生活暂时困难的家庭。"),
    ("退役军人优待证如何办理？", "携带退役证件到镇退役军人服务站申请。"),
    ("村务公开的内容有哪些？", "包括财务收支、集体资产和惠农补贴发放情况。"),
    ("新生儿落户需要什么？", "携带出生医学证明和父母户口簿到派出所办理。"),
    ("结婚登记在哪里办？", "到县民政局婚姻登记处办理。"),
]


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
