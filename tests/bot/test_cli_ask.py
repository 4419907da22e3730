"""`flask ask`: the citizen's reply on the command line, as text or JSON, one or many questions."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from flask import Flask

from bot import wording
from bot.runtime import get_runtime
from knowledge import offices
from knowledge.models import DisclosureItem, FaqEntry

FAQS = [
    ("高龄津贴怎么申领？", "年满80周岁的老人持身份证到村委会登记申领。", "https://www.helan.gov.cn/faq/gl.html"),
    ("低保申请需要什么材料？", "需提供户口簿、身份证和家庭收入证明。", None),
    ("低保在哪里办理？", "到镇便民服务中心民政窗口办理。", None),
    ("低保审批要多久？", "自受理之日起30个工作日内办结。", None),
    ("结婚登记在哪里办？", "到县民政局婚姻登记处办理。", None),
    ("宅基地申请流程？", "向村集体经济组织提出申请，经村民会议讨论后公示。", None),
    ("临时救助的对象有哪些？", "因意外事件导致基本生活暂时困难的家庭。", None),
]


@pytest.fixture
def cli_app(make_app: Callable[..., Flask]) -> Flask:
    app = make_app(RATE_LIMIT_PER_MINUTE="1")
    runtime = get_runtime(app)
    with runtime.db.session() as session:
        for question, answer, url in FAQS:
            session.add(FaqEntry(question=question, question_key=question, answer=answer, url=url))
        session.add(DisclosureItem(title="关于秸秆禁烧的通告", body="全镇范围内禁止露天焚烧秸秆。违者依法处罚。"))
        runtime.db.bump_kb_version(session)
    runtime.kb.maybe_reload(wait=True)
    return app


def ask(app: Flask, *args: str, stdin: str | None = None) -> str:
    result = app.test_cli_runner().invoke(args=["ask", *args], input=stdin)
    assert result.exit_code == 0, result.output
    return result.output


def test_prints_the_reply_a_citizen_would_get(cli_app: Flask) -> None:
    output = ask(cli_app, "高龄津贴怎么申领")
    assert output.startswith("【高龄津贴怎么申领？】\n年满80周岁")
    assert "详情：https://www.helan.gov.cn/faq/gl.html" in output


def test_json_has_reply_answered_and_hits(cli_app: Flask) -> None:
    data = json.loads(ask(cli_app, "--json", "高龄津贴怎么申领"))
    assert data["answered"] is True and "年满80周岁" in data["reply"]
    top = data["hits"][0]
    assert top["kind"] == "faq" and top["title"] == "高龄津贴怎么申领？"
    assert top["url"] == "https://www.helan.gov.cn/faq/gl.html" and isinstance(top["id"], int)
    assert top["score"] > 0 and "高龄" in "".join(top["matched"])


def test_json_for_an_unanswered_question(cli_app: Flask) -> None:
    data = json.loads(ask(cli_app, "--json", "宠物狗疫苗接种"))
    assert data["answered"] is False and data["reply"].startswith(wording.NOT_FOUND)


def test_stdin_gives_one_json_line_per_question(cli_app: Flask) -> None:
    lines = ask(cli_app, "--json", "-", stdin="高龄津贴怎么申领\n秸秆禁烧\n宠物狗疫苗接种\n").splitlines()
    answered = [json.loads(line)["answered"] for line in lines]
    assert answered == [True, True, False]


def test_stdin_questions_are_independent(cli_app: Flask) -> None:
    lines = ask(cli_app, "--json", "-", stdin="低保\n2\n").splitlines()
    assert json.loads(lines[1])["reply"] == wording.CHOICES_EXPIRED


def test_stdin_keeps_blank_lines_aligned(cli_app: Flask) -> None:
    lines = ask(cli_app, "--json", "-", stdin="高龄津贴怎么申领\n\n秸秆禁烧\n").splitlines()
    assert [json.loads(line)["kind"] for line in lines] == ["answer_faq", "empty", "answer_item"]


def test_single_questions_share_the_cli_session(cli_app: Flask) -> None:
    listed = ask(cli_app, "低保")
    assert "1. " in listed and "2. " in listed
    second = next(line for line in listed.splitlines() if line.startswith("2. "))[3:]
    assert ask(cli_app, "2").startswith(f"【{second}】")


def test_rate_limit_does_not_apply(cli_app: Flask) -> None:
    lines = ask(cli_app, "--json", "-", stdin="高龄津贴怎么申领\n" * 3).splitlines()
    assert all(json.loads(line)["answered"] for line in lines)


def test_a_service_the_knowledge_base_lacks_is_routed_as_on_wechat(cli_app: Flask) -> None:
    runtime = get_runtime(cli_app)
    offices.replace_all(runtime.db, [offices.OfficeEntry("公安出入境管理部门", ("护照",), phone="12367")])
    output = ask(cli_app, "护照过期了怎么换")
    assert "一般由公安出入境管理部门办理" in output and "12367" in output
    assert wording.NOT_FOUND_REQUEST not in output
