"""The audit trail page: logins, failures and changes, filterable by person, kind and date; reviewers only."""

from __future__ import annotations

import datetime

from flask import Flask

from bot.admin import audit
from bot.admin.accounts import Role
from bot.runtime import get_runtime
from knowledge.editor import FaqData, KbEditor
from tests.admin_support import logged_in, login, make_staff


def test_a_reviewer_sees_logins_failures_and_changes(app: Flask) -> None:
    make_staff(app, "张三")
    login(app.test_client(), "张三", "wrong-password")
    KbEditor(get_runtime(app).db, editor="张三").save_faq(FaqData(question="低保怎么申请", answer="到民政办。"))
    html = logged_in(app, Role.REVIEWER, "审核").get("/admin/audit").get_data(as_text=True)
    assert "登录失败" in html and "问答新建" in html and "登录成功" in html


def test_the_audit_filters_by_person_kind_and_date(app: Flask) -> None:
    db = get_runtime(app).db
    audit.record(db, "张三", "import", detail="faq.xlsx：新增 3 条")
    audit.record(db, "李四", "export", detail="知识库.xlsx")
    client = logged_in(app, Role.REVIEWER, "审核")
    by_person = client.get("/admin/audit?actor=张三").get_data(as_text=True)
    assert "faq.xlsx" in by_person and "知识库.xlsx" not in by_person
    by_kind = client.get("/admin/audit?group=export").get_data(as_text=True)
    assert "知识库.xlsx" in by_kind and "faq.xlsx" not in by_kind
    tomorrow = (datetime.date.today() + datetime.timedelta(days=2)).isoformat()
    assert "共 0 条" in client.get(f"/admin/audit?since={tomorrow}").get_data(as_text=True)
    assert client.get("/admin/audit?since=not-a-date").status_code == 200


def test_editors_and_viewers_cannot_read_the_audit(app: Flask) -> None:
    assert logged_in(app, Role.EDITOR).get("/admin/audit").status_code == 403
    assert logged_in(app, Role.VIEWER).get("/admin/audit").status_code == 403
