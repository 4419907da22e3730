"""The question log page: masked text, reply kind, entry, satisfaction and the reply sent; search; paging."""

from __future__ import annotations

import datetime
import re

import pytest
from flask import Flask

from bot.admin import questions
from bot.admin.accounts import Role
from bot.runtime import get_runtime
from knowledge.document import Document, Hit, SearchResult
from knowledge.models import utcnow
from tests.admin_support import logged_in

DOC = Document(kind="faq", id=7, title="低保怎么申请", body="")


def older_link(html: str) -> str:
    found = re.search(r'href="(/admin/questions\?before=[^"]+)"', html)
    assert found is not None, "no link to older questions"
    return found.group(1).replace("&amp;", "&")


def record(app: Flask, n: int, question: str, *, answered: bool = True, minutes_ago: int | None = None,
           reply: str = "向村委会申请。", kind: str | None = None) -> None:
    hits = (Hit(DOC, 5.0, ("低保",)),)
    get_runtime(app).questions.record(
        openid=f"user{n}", message_key=f"m{n}", question=question,
        result=SearchResult(question, ("低保",), hits, answered), answered=answered,
        reply_kind=kind or ("answer_faq" if answered else "not_found"), latency_ms=3, reply_text=reply,
        asked_at=utcnow() - datetime.timedelta(minutes=minutes_ago if minutes_ago is not None else 1000 - n))


def rows_of(html: str) -> list[str]:
    body = html.split('<table id="questions">', 1)[1].split("</table>", 1)[0]
    return re.findall(r"<tr>\s*<td class=\"num\">.*?</tr>", body, re.S)


def test_a_viewer_sees_what_was_asked_masked_and_the_reply_that_was_sent(app: Flask) -> None:
    record(app, 1, "低保怎么申请，我的电话13912345678", reply="请向户籍所在地的镇人民政府申请。")
    record(app, 2, "<script>alert(1)</script>", answered=False, reply="没有找到")
    get_runtime(app).questions.record_feedback("m1", "unsatisfied")
    get_runtime(app).questions.flush()
    html = logged_in(app, Role.VIEWER).get("/admin/questions").get_data(as_text=True)
    assert "13912345678" not in html and "139****5678" in html
    assert "直接回答（问答）" in html and "低保怎么申请" in html and "（问答 7）" in html
    assert "不满意" in html and "请向户籍所在地的镇人民政府申请。" in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "未找到答案" in html and "最接近：" in html


def test_search_and_filters_narrow_the_log(app: Flask) -> None:
    record(app, 1, "低保怎么申请")
    record(app, 2, "宅基地怎么审批", answered=False)
    record(app, 3, "100%_通配符")
    get_runtime(app).questions.flush()
    client = logged_in(app, Role.VIEWER)
    assert len(rows_of(client.get("/admin/questions?q=宅基地").get_data(as_text=True))) == 1
    assert len(rows_of(client.get("/admin/questions?answered=no").get_data(as_text=True))) == 1
    assert len(rows_of(client.get("/admin/questions?q=%25_").get_data(as_text=True))) == 1
    assert len(rows_of(client.get("/admin/questions?entry=7").get_data(as_text=True))) == 3


def test_pages_follow_each_other_without_overlap_newest_first(app: Flask) -> None:
    for n in range(60):
        record(app, n, f"问题{n:02d}")
    get_runtime(app).questions.flush()
    client = logged_in(app, Role.VIEWER)
    first = client.get("/admin/questions").get_data(as_text=True)
    assert len(rows_of(first)) == 50 and "问题59" in rows_of(first)[0]
    link = older_link(first)
    second = rows_of(client.get(link).get_data(as_text=True))
    assert len(second) == 10 and "问题09" in second[0] and "问题00" in second[-1]


def test_a_rare_search_examines_a_bounded_window_and_offers_to_continue(app: Flask,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(questions, "SCAN_LIMIT", 20)
    record(app, 0, "很少见的问题", minutes_ago=500)
    for n in range(1, 30):
        record(app, n, f"常见问题{n}", minutes_ago=100 - n)
    get_runtime(app).questions.flush()
    client = logged_in(app, Role.VIEWER)
    html = client.get("/admin/questions?q=很少见").get_data(as_text=True)
    assert rows_of(html) == [] and "继续向前查找" in html
    link = older_link(html)
    found = rows_of(client.get(link).get_data(as_text=True))
    assert len(found) == 1 and "很少见的问题" in found[0]


def test_a_bad_cursor_or_period_shows_the_first_page(app: Flask) -> None:
    record(app, 1, "低保怎么申请")
    get_runtime(app).questions.flush()
    client = logged_in(app, Role.VIEWER)
    for query in ("before=garbage", "before=2026-99-99_x", "days=9999", "entry=abc"):
        response = client.get(f"/admin/questions?{query}")
        assert response.status_code == 200 and len(rows_of(response.get_data(as_text=True))) == 1, query


def test_every_reply_kind_reads_in_chinese_in_the_log(app: Flask) -> None:
    record(app, 1, "护照过期了怎么换", answered=False, kind="routed", reply="这件事一般由公安出入境管理部门办理。")
    record(app, 2, "要带啥", kind="follow_up_quote", reply="「低保怎么申请」中写道：")
    get_runtime(app).questions.flush()
    html = logged_in(app, Role.EDITOR).get("/admin/questions").get_data(as_text=True)
    assert "告知办理机构" in html and "追问：引用所看条目的原句" in html
    assert "<td>routed" not in html and "<td>follow_up_quote" not in html
