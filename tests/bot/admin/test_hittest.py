"""命中测试: the citizen's exact reply, ranked hits with scores and matched words, the decision and
its reason — and no question-log row, session or rate-limit count written.
"""

from __future__ import annotations

import dataclasses
import re

import redis
from flask import Flask
from sqlalchemy import func, select

from bot.admin.accounts import Role
from bot.questionlog_table import QuestionLogRow as QuestionLog
from bot.runtime import get_runtime
from knowledge import offices
from knowledge.policy import AnswerPolicy
from knowledge.thresholds import DEFAULT_THRESHOLDS
from tests.admin_support import logged_in
from tests.support import DIBAO, OTHER, add_knowledge, ask


def reply_in(html: str) -> str:
    import html as html_lib

    found = re.search(r'<div class="bubble" id="reply">(.*?)</div>', html, re.S)
    assert found is not None
    return html_lib.unescape(found.group(1))


def test_the_hit_test_shows_exactly_the_reply_a_citizen_gets(make_app, redis_url: str, redis_prefix: str) -> None:
    app = make_app(REDIS_URL=redis_url)
    runtime = get_runtime(app)
    runtime.state.backend.prefix = redis_prefix  # type: ignore[attr-defined]  # this test's own keys
    add_knowledge(runtime, DIBAO[:1] + OTHER)
    client = logged_in(app, Role.EDITOR)
    html = client.get("/admin/hittest?q=高龄津贴怎么申领").get_data(as_text=True)
    assert reply_in(html) == ask(app.test_client(), "高龄津贴怎么申领", user="someone-else")
    assert "直接回答（问答）" in html and "检索有把握" in html
    assert re.search(r"<td>\d+\.\d{3}</td>\s*<td>[^<]*高龄[^<]*</td>", html)


def test_the_hit_test_routes_a_service_the_knowledge_base_lacks_as_citizens_are(app: Flask) -> None:
    runtime = get_runtime(app)
    add_knowledge(runtime, DIBAO + OTHER)
    offices.replace_all(runtime.db, [offices.OfficeEntry("公安出入境管理部门", ("护照",), phone="12367")])
    html = logged_in(app, Role.EDITOR).get("/admin/hittest?q=护照过期了怎么换").get_data(as_text=True)
    assert "一般由公安出入境管理部门办理" in reply_in(html) and "12367" in reply_in(html)
    assert reply_in(html) == ask(app.test_client(), "护照过期了怎么换", user="someone-else")
    assert "<strong>告知办理机构</strong>" in html and "<strong>routed</strong>" not in html


def test_the_hit_test_writes_no_log_row_and_no_session(make_app, redis_url: str, redis_prefix: str) -> None:
    app = make_app(REDIS_URL=redis_url)
    runtime = get_runtime(app)
    runtime.state.backend.prefix = redis_prefix  # type: ignore[attr-defined]
    add_knowledge(runtime, DIBAO + OTHER)
    client = logged_in(app, Role.EDITOR)
    for question in ("低保", "高龄津贴怎么申领", "火星移民政策"):
        assert client.get(f"/admin/hittest?q={question}").status_code == 200
    runtime.questions.flush()
    with runtime.db.session() as session:
        assert session.scalar(select(func.count(QuestionLog.id))) == 0
    assert list(redis.Redis.from_url(redis_url).scan_iter(f"{redis_prefix}*")) == []


def test_a_question_not_answered_says_why(app: Flask) -> None:
    add_knowledge(get_runtime(app), DIBAO + OTHER)
    html = logged_in(app, Role.EDITOR).get("/admin/hittest?q=火星移民政策怎么办理").get_data(as_text=True)
    assert "未找到" in html and ("检索没有把握" in html or "没有任何内容包含" in html)


def test_a_list_reply_marks_the_listed_entries(app: Flask) -> None:
    add_knowledge(get_runtime(app), DIBAO + OTHER)
    html = logged_in(app, Role.EDITOR).get("/admin/hittest?q=低保").get_data(as_text=True)
    assert "列出编号让群众选择" in html and html.count('<span class="badge ok">列出</span>') >= 2


def test_the_hit_test_marks_the_rivals_listed_under_a_direct_answer(app: Flask) -> None:
    runtime = get_runtime(app)
    add_knowledge(runtime, DIBAO + OTHER)
    runtime.kb.policy = AnswerPolicy(dataclasses.replace(DEFAULT_THRESHOLDS, direct_threshold=0.0,
                                                         direct_min_title=0.0))
    html = logged_in(app, Role.EDITOR).get("/admin/hittest?q=低保申请").get_data(as_text=True)
    listed = re.findall(r"^\d+\. ", reply_in(html).partition("您可能还想问")[2], re.M)
    assert listed and html.count('<span class="badge ok">还想问</span>') == len(listed)
    assert html.count('<span class="badge ok">回答</span>') == 1


def test_the_hit_test_asks_a_follow_up_after_the_question_before_it(app: Flask) -> None:
    runtime = get_runtime(app)
    add_knowledge(runtime, DIBAO[:1] + OTHER)
    client = logged_in(app, Role.EDITOR)
    html = client.get("/admin/hittest?before=高龄津贴怎么申领&q=需要带什么").get_data(as_text=True)
    assert reply_in(html).startswith("「高龄津贴怎么申领？」中写道：\n年满80周岁的老人持身份证到村委会登记申领。")
    assert "先问“高龄津贴怎么申领”：直接回答（问答）" in html and "追问：引用所看条目的原句" in html
    assert "根据上一句所看的条目作答" in html
    alone = client.get("/admin/hittest?q=需要带什么").get_data(as_text=True)
    assert "中写道" not in reply_in(alone) and "先问" not in alone
