"""The staff workspace in a real browser, as a clerk uses it (issue 9, item 12).

Review is on (the default): an editor's new FAQ waits in 待审核 until a reviewer publishes it;
tests about editing itself log in as a reviewer, whose saves publish directly.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable

from playwright.sync_api import Browser, Dialog, Page, expect

from bot.admin.accounts import Role
from bot.runtime import get_runtime
from knowledge.editor import FaqData, KbEditor
from tests.browser.conftest import LiveApp
from tests.support import OTHER, add_knowledge

XSS = '<script>window.__xss = 1; alert("xss")</script>'
_users = itertools.count()


def answer_within(live: LiveApp, question: str, expected: str, seconds: float = 10.0) -> str:
    """Ask through the webhook until the reply contains `expected`, for at most `seconds`.

    Each try is a new citizen (no rate limit, no session). The knowledge base reloads when a
    message arrives, so the first try may still be answered from the old index.
    """
    deadline = time.monotonic() + seconds
    reply = ""
    while time.monotonic() < deadline:
        reply = live.ask(question, user=f"openid-poll-{next(_users)}")
        if expected in reply:
            return reply
        time.sleep(0.05)
    raise AssertionError(f"no reply containing {expected!r} within {seconds} s; last reply: {reply!r}")


def create_faq(page: Page, live: LiveApp, question: str, answer: str, similar: str = "",
               outcome: str = "已保存问答") -> None:
    page.goto(f"{live.url}/admin/faq/new")
    page.fill("#question", question)
    page.fill("#similar", similar)
    page.fill("#answer", answer)
    page.click("button[value=save]")
    page.wait_for_url(lambda url: "/admin/faq/new" not in url)
    expect(page.locator(".flash")).to_contain_text(outcome)


def test_a_clerk_logs_in_and_sees_the_chinese_workspace(page: Page, live_app: LiveApp, staff: Callable) -> None:
    staff("王编辑", Role.EDITOR)
    live_app.login(page, "王编辑")
    expect(page.locator("header nav")).to_contain_text("命中测试")
    expect(page.locator("h1")).to_have_text("FAQ 问答")


def test_a_wrong_password_keeps_the_clerk_on_the_login_page(page: Page, live_app: LiveApp, staff: Callable) -> None:
    staff("王编辑", Role.EDITOR)
    page.goto(f"{live_app.url}/admin/login")
    page.fill("#username", "王编辑")
    page.fill("#password", "not-the-password")
    page.click("button[type=submit]")
    expect(page.locator(".error")).to_have_text("用户名或密码不正确")


def test_a_new_faq_with_a_similar_wording_answers_a_citizen_once_a_reviewer_publishes_it(
        page: Page, browser: Browser, live_app: LiveApp, staff: Callable) -> None:
    add_knowledge(get_runtime(live_app.app), OTHER)
    staff("王编辑", Role.EDITOR)
    staff("赵审核", Role.REVIEWER)
    live_app.login(page, "王编辑")
    create_faq(page, live_app, "城乡低保怎么申请？", "向户籍所在地村委会提出书面申请，经镇民政办审核。",
               similar="吃低保去哪里办手续", outcome="已提交审核")
    assert "经镇民政办审核" not in live_app.ask("吃低保去哪里办手续", user="openid-before-review")

    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    reviewer = context.new_page()
    live_app.login(reviewer, "赵审核")
    reviewer.goto(f"{live_app.url}/admin/review")
    reviewer.click("text=城乡低保怎么申请？")
    expect(reviewer.locator("table.diff")).to_contain_text("吃低保去哪里办手续")
    reviewer.click("button:has-text('发布')")
    expect(reviewer.locator(".flash")).to_contain_text("已发布")
    context.close()
    reply = answer_within(live_app, "吃低保去哪里办手续", "经镇民政办审核", seconds=2.0)
    assert "城乡低保怎么申请" in reply
    page.goto(f"{live_app.url}/admin/review")
    expect(page.locator("table")).to_contain_text("已发布")


def test_an_old_revision_is_restored_from_the_browser(page: Page, live_app: LiveApp, staff: Callable) -> None:
    staff("赵审核", Role.REVIEWER)
    live_app.login(page, "赵审核")
    create_faq(page, live_app, "高龄津贴怎么申领？", "持身份证到村委会登记申领。")
    entry = page.url
    page.fill("#answer", "改错了的答案。")
    page.click("button[value=save]")
    expect(page.locator(".flash")).to_contain_text("已保存")
    page.click("text=修改记录 >> xpath=.. >> table tbody tr:last-child a")  # the oldest version
    expect(page.locator("h1")).to_contain_text("版本")
    page.click("button:has-text('恢复此版本')")
    page.wait_for_url(entry)
    expect(page.locator(".flash")).to_contain_text("已恢复到版本")
    expect(page.locator("#answer")).to_have_value("持身份证到村委会登记申领。")


def test_a_viewer_cannot_edit(page: Page, live_app: LiveApp, staff: Callable) -> None:
    add_knowledge(get_runtime(live_app.app), OTHER[:2])
    staff("李查看", Role.VIEWER)
    live_app.login(page, "李查看")
    expect(page.locator("header nav")).not_to_contain_text("FAQ")
    response = page.goto(f"{live_app.url}/admin/faq/1")
    assert response is not None and response.status == 403
    expect(page.locator("h1")).to_contain_text("没有权限")
    assert page.locator("form #answer").count() == 0


def test_a_script_in_an_answer_is_shown_as_text_everywhere(page: Page, live_app: LiveApp, staff: Callable) -> None:
    dialogs: list[str] = []

    def refuse(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", refuse)
    staff("赵审核", Role.REVIEWER)
    live_app.login(page, "赵审核")
    create_faq(page, live_app, f"脚本测试{XSS}", f"答案{XSS}", similar=XSS)
    expect(page.locator("#reply-preview")).to_contain_text(XSS)
    edit_url = page.url
    pending = KbEditor(get_runtime(live_app.app).db, editor="王编辑", review=True).save_faq(
        FaqData(f"待审核{XSS}", f"答案{XSS}", similar=XSS)).pending
    pages = [edit_url, f"{edit_url}?test=1", f"{live_app.url}/admin/faq", f"{live_app.url}/admin/review",
             f"{live_app.url}/admin/review/{pending}", f"{live_app.url}/admin/review/{pending}?test=1",
             f"{live_app.url}/admin/hittest?q=脚本测试"]
    for url in pages:
        page.goto(url)
        assert page.evaluate("window.__xss") is None, url
    expect(page.locator("#reply")).to_contain_text("脚本测试<script>")
    assert dialogs == []
