"""Imports and the 待处理 queue in a real browser (Playwright driving Debian's Chromium).

The live server and browser come from tests/browser/conftest.py; citizens' messages go
through the real webhook over HTTP. Screenshots of the queue and the report are written to the test's own
folder, and also to `docs/screenshots/` when ZWGK_SCREENSHOTS=1 (how the README's pictures
are made: `ZWGK_SCREENSHOTS=1 python -m pytest tests/browser/test_imports_and_queue.py`).
"""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import FilePayload, Page, expect
from sqlalchemy import select

from bot.admin.accounts import Role
from bot.runtime import get_runtime
from knowledge.models import FaqEntry
from tests.bot.admin.test_queue_pages import HOUSE, MORE, OTHER, UNANSWERED
from tests.browser.conftest import LiveApp
from tests.support import add_knowledge

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def shot(page: Page, tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    page.screenshot(path=str(path), full_page=True)
    if os.environ.get("ZWGK_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, SCREENSHOTS / name)


def workbook(rows: Sequence[Sequence[object]]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(list(row))  # type: ignore[union-attr]
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def reviewer(live_app: LiveApp, page: Page, staff: Callable[..., str]) -> Page:
    live_app.login(page, staff("赵审核", Role.REVIEWER))
    expect(page.locator("header .who")).to_contain_text("赵审核")
    return page


def test_an_xlsx_with_one_bad_row_is_previewed_then_only_its_good_rows_are_imported(
        reviewer: Page, live_app: LiveApp) -> None:
    page, app = reviewer, live_app.app  # a reviewer's import is written at once (an editor's waits for review)
    data = workbook([["问题", "答案"], ["低保怎么申请", "向镇人民政府提出书面申请。"], ["危房改造补助多少钱", ""],
                     ["临时救助向哪里申请", "向户籍所在地的镇人民政府申请。"]])
    page.goto(f"{live_app.url}/admin/imports")
    page.set_input_files("input[name=file]", files=[FilePayload(
        name="问答.xlsx", buffer=data,
        mimeType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")])
    page.click("text=上传并预览")
    expect(page.locator("#summary")).to_contain_text("将新增 2 条")
    expect(page.locator("table.refused")).to_contain_text("答案不能为空")
    expect(page.locator("table.refused")).to_contain_text("3")
    with get_runtime(app).db.session() as session:
        assert session.scalar(select(FaqEntry.id)) is None  # nothing written by the preview
    page.click("#confirm")
    expect(page.locator("#summary")).to_contain_text("导入完成：新增 2 条")
    with get_runtime(app).db.session() as session:
        assert set(session.scalars(select(FaqEntry.question))) == {"低保怎么申请", "临时救助向哪里申请"}


def test_an_unanswered_question_becomes_a_similar_wording_and_is_then_answered(
        reviewer: Page, live_app: LiveApp, tmp_path: Path) -> None:
    page, runtime = reviewer, get_runtime(live_app.app)  # publishes at once; an editor's waits for review
    add_knowledge(runtime, faqs=[HOUSE, OTHER, *MORE])
    for n in range(3):
        assert "镇政府审核" not in live_app.ask(UNANSWERED, user=f"citizen-{n}")
    live_app.ask("路灯坏了找谁修", user="citizen-x")
    runtime.questions.flush()

    page.goto(f"{live_app.url}/admin/queue")
    row = page.locator("#queue tbody tr", has_text=UNANSWERED)
    expect(row).to_contain_text("3")
    shot(page, tmp_path, "admin-queue.png")
    row.get_by_role("link", name="处理").click()
    page.fill("#q", "宅基地")
    page.click("text=查找")
    page.get_by_label(HOUSE[0], exact=False).check()
    page.click("#add-similar")
    expect(page.locator(".flash")).to_contain_text("相似问法")
    expect(page.locator("#queue")).not_to_contain_text(UNANSWERED)

    runtime.kb.maybe_reload(wait=True)
    assert "镇政府审核" in live_app.ask(UNANSWERED, user="citizen-later")
    runtime.questions.flush()
    page.goto(f"{live_app.url}/admin/reports")
    frame = page.frame_locator("iframe.report")
    expect(frame.locator("#unanswered")).to_contain_text("已加入相似问法")
    page.wait_for_timeout(500)  # the charts draw after load
    shot(page, tmp_path, "admin-report.png")
