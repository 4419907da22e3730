"""学习建议 (/admin/learning): viewers read the suggestions and their evidence, editors decide."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import select

from bot.admin.accounts import Role
from bot.runtime import get_runtime
from knowledge.editor import FaqData
from knowledge.models import AuditEvent, FaqEntry
from tests.admin_support import csrf_from, logged_in
from tests.bot.test_learning import PICKED, WORDING, citizen, pick
from tests.support import DIBAO, OTHER, add_knowledge, ask


@pytest.fixture
def suggested(make_app: Callable[..., Flask]) -> Flask:
    """An app where three citizens picked 低保在哪里办理？ for 低保咋办 long enough ago to count."""
    app = make_app()
    runtime = get_runtime(app)
    add_knowledge(runtime, faqs=[FaqData(question=q, answer=a) for q, a in DIBAO + OTHER])
    runtime.conversation.clock = lambda: time.time() - 3600
    for _ in range(3):
        pick(app.test_client(), citizen())
    runtime.questions.flush()
    return app


def action(html: str, verb: str) -> str:
    found = re.search(rf'action="(/admin/learning/\d+/{verb})"', html)
    assert found, f"no {verb} form"
    return found.group(1)


def test_a_viewer_sees_the_suggestion_with_its_evidence_but_cannot_approve(suggested: Flask) -> None:
    client = logged_in(suggested, Role.VIEWER)
    html = client.get("/admin/learning").get_data(as_text=True)
    assert WORDING in html and PICKED in html and "3 / 3" in html and "100%" in html
    assert "采纳</button>" not in html
    csrf = csrf_from(client.get("/admin/questions").get_data(as_text=True))
    assert client.post("/admin/learning/1/approve", data={"csrf_token": csrf}).status_code == 403


def test_a_reviewer_approves_and_the_wording_is_then_answered_directly(suggested: Flask) -> None:
    client = logged_in(suggested, Role.REVIEWER, "王编辑")
    html = client.get("/admin/learning").get_data(as_text=True)
    response = client.post(action(html, "approve"), data={"csrf_token": csrf_from(html)})
    assert response.status_code == 303
    runtime = get_runtime(suggested)
    runtime.kb.maybe_reload(wait=True)
    with runtime.db.session() as session:
        entry = session.scalars(select(FaqEntry).where(FaqEntry.question == PICKED)).one()
        assert WORDING in entry.similar and entry.editor == "王编辑"
    assert "1. " not in ask(suggested.test_client(), WORDING, user=citizen())
    page = client.get("/admin/learning").get_data(as_text=True)
    assert "目前没有待审的建议" in page and "已采纳" in page
    again = client.post(action(html, "approve"), data={"csrf_token": csrf_from(html)}, follow_redirects=True)
    assert again.status_code == 200 and "已经处理过了" in again.get_data(as_text=True)


def test_an_editor_rejects_and_it_is_audited_and_not_suggested_again(suggested: Flask) -> None:
    client = logged_in(suggested, Role.EDITOR, "王编辑")
    html = client.get("/admin/learning").get_data(as_text=True)
    assert client.post(action(html, "reject"), data={"csrf_token": csrf_from(html)}).status_code == 303
    for _ in range(3):
        pick(suggested.test_client(), citizen())
    get_runtime(suggested).questions.flush()
    page = client.get("/admin/learning").get_data(as_text=True)
    assert "目前没有待审的建议" in page and "不采纳" in page
    with get_runtime(suggested).db.session() as session:
        assert session.scalars(select(AuditEvent.action).where(AuditEvent.actor == "王编辑",
                                                               AuditEvent.action == "learning.reject")).all()


def test_an_editors_approval_waits_for_review_and_is_not_suggested_again(suggested: Flask) -> None:
    client = logged_in(suggested, Role.EDITOR, "李编辑")
    html = client.get("/admin/learning").get_data(as_text=True)
    page = client.post(action(html, "approve"), data={"csrf_token": csrf_from(html)}, follow_redirects=True)
    assert "已提交审核" in page.get_data(as_text=True)
    runtime = get_runtime(suggested)
    runtime.kb.maybe_reload(wait=True)
    with runtime.db.session() as session:
        entry = session.scalars(select(FaqEntry).where(FaqEntry.question == PICKED)).one()
        assert WORDING not in entry.similar  # not live until a reviewer publishes it
    assert "目前没有待审的建议" in client.get("/admin/learning").get_data(as_text=True)
    reviewer = logged_in(suggested, Role.REVIEWER, "张审核")
    waiting = reviewer.get("/admin/review").get_data(as_text=True)
    assert PICKED in waiting and "李编辑" in waiting
