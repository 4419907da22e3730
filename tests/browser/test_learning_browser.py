"""学习建议 in a real browser (Playwright driving Debian's Chromium): three citizens pick the same
entry from a list over the real webhook, a reviewer approves the suggestion, and the wording is
then answered directly."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

from playwright.sync_api import Page, expect

from bot.admin.accounts import Role
from bot.runtime import get_runtime
from knowledge.editor import FaqData
from tests.bot.test_learning import PICKED, WORDING
from tests.browser.conftest import LiveApp
from tests.support import DIBAO, OTHER, add_knowledge


def test_a_reviewer_approves_a_suggested_similar_question_in_the_browser(
        live_app: LiveApp, page: Page, staff: Callable[..., str]) -> None:
    runtime = get_runtime(live_app.app)
    add_knowledge(runtime, faqs=[FaqData(question=q, answer=a) for q, a in DIBAO + OTHER])
    runtime.conversation.clock = lambda: time.time() - 3600  # the picks settled an hour ago
    for _ in range(3):
        user = f"o-{uuid.uuid4().hex[:12]}"
        assert "1. " in live_app.ask(WORDING, user=user)
        assert PICKED in live_app.ask("1", user=user)
    runtime.questions.flush()

    live_app.login(page, staff("王编辑", Role.REVIEWER))
    page.click("text=学习建议")
    row = page.locator("#suggestions tbody tr").first
    expect(row).to_contain_text(WORDING)
    expect(row).to_contain_text(PICKED)
    expect(row).to_contain_text("3 / 3")
    row.locator("button", has_text="采纳").first.click()
    expect(page.locator(".flash")).to_contain_text("已加入问答")
    expect(page.locator("#decided")).to_contain_text("已采纳")

    runtime.kb.maybe_reload(wait=True)
    reply = live_app.ask(WORDING, user=f"o-{uuid.uuid4().hex[:12]}")
    assert "到镇便民服务中心民政窗口办理" in reply and "1. " not in reply
