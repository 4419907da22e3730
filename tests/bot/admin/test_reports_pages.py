"""/admin/reports: the report in the browser for every role, with downloads, and handled groups marked."""

from __future__ import annotations

import datetime
import io

import openpyxl
from flask import Flask
from sqlalchemy import select

from bot.admin.accounts import Role
from bot.reports.queue_marks import dismiss
from bot.runtime import get_runtime
from knowledge.models import AuditEvent, utcnow
from tests.admin_support import logged_in


def record(app: Flask, n: int, question: str) -> None:
    get_runtime(app).questions.record(openid=f"u{n}", message_key=f"m{n}", question=question, result=None,
                                      answered=False, reply_kind="not_found", latency_ms=3,
                                      asked_at=utcnow() - datetime.timedelta(hours=n))


def test_a_viewer_sees_the_report_with_its_period_and_downloads(app: Flask) -> None:
    record(app, 1, "路灯坏了找谁修")
    get_runtime(app).questions.flush()
    client = logged_in(app, Role.VIEWER)
    page = client.get("/admin/reports").get_data(as_text=True)
    assert "统计期间" in page and 'type="date"' in page and "下载 Excel（XLSX）" in page
    assert '<iframe class="report"' in page
    response = client.get("/admin/reports/view")
    view = response.get_data(as_text=True)
    assert "路灯坏了找谁修" in view and "echarts" in view
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in response.headers["Content-Security-Policy"]
    assert client.get("/admin/reports").headers["X-Frame-Options"] == "DENY"
    xlsx = client.get("/admin/reports/download.xlsx")
    assert xlsx.status_code == 200 and "未能回答的问题" in openpyxl.load_workbook(io.BytesIO(xlsx.data)).sheetnames
    csv = client.get("/admin/reports/download.csv")
    assert csv.data.startswith("\ufeff".encode()) and "路灯坏了找谁修" in csv.get_data(as_text=True)
    with get_runtime(app).db.session() as session:
        assert len(session.scalars(select(AuditEvent).where(AuditEvent.action == "export")).all()) == 2


def test_a_chosen_period_is_used_and_a_bad_one_falls_back_with_a_message(app: Flask) -> None:
    client = logged_in(app, Role.VIEWER)
    page = client.get("/admin/reports?since=2026-01-01&until=2026-01-31").get_data(as_text=True)
    assert "2026-01-01 至 2026-01-31" in page
    for query, message in (("since=2026-02-01&until=2026-01-01", "结束日期早于开始日期"),
                           ("since=2024-01-01&until=2026-01-01", "一次最多统计 366 天"),
                           ("since=yesterday&until=x", "日期格式应为")):
        response = client.get(f"/admin/reports?{query}")
        assert response.status_code == 200 and message in response.get_data(as_text=True)


def test_a_group_handled_in_the_queue_shows_as_handled_in_the_report_at_once(app: Flask) -> None:
    record(app, 1, "路灯坏了找谁修")
    get_runtime(app).questions.flush()
    client = logged_in(app, Role.VIEWER)
    assert "已忽略" not in client.get("/admin/reports/view").get_data(as_text=True)
    from bot.admin.queue import _period
    from bot.reports.queue import build_queue
    with app.test_request_context("/admin/queue"):
        [group] = build_queue(get_runtime(app).db, _period(30)).groups
    dismiss(get_runtime(app).db, group, "李四")
    assert "已忽略（李四" in client.get("/admin/reports/view").get_data(as_text=True)
