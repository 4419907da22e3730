"""Full text: a long answer is never cut silently; /kb/<kind>-<id> shows the whole entry on a phone."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from werkzeug.serving import make_server

from bot.config import ConfigError, Settings
from bot.runtime import get_runtime
from knowledge.editor import FaqData, ItemData
from tests.support import OTHER, ask

BASE = "https://zwgk.example.gov.cn"
LONG_ANSWER = "".join(f"第{n}条：申请人应当如实提供家庭收入、财产和户籍情况的证明材料。" for n in range(1, 121))
ITEM_BODY = "\n".join(f"第{n}段。本镇对辖区道路进行了全面排查和维修，共计投入资金{n}万元。" for n in range(1, 40))


@pytest.fixture
def bot(make_app: Callable[..., Flask]) -> Flask:
    app = make_app(PUBLIC_BASE_URL=BASE + "/")
    add(app)
    return app


def add(app: Flask) -> None:
    from tests.support import add_knowledge

    add_knowledge(
        get_runtime(app),
        faqs=[FaqData(question="低保申请需要哪些证明材料", answer=LONG_ANSWER),
              FaqData(question="高龄津贴怎么申领", answer="年满80周岁的老人持身份证到村委会登记申领。"),
              FaqData(question="已停用的问题", answer="不应公开。", enabled=False),
              *(FaqData(question=q, answer=a) for q, a in OTHER if "高龄" not in q)],
        items=[ItemData(title="金贵镇道路维修情况", body=ITEM_BODY, doc_number="金政发〔2024〕5号",
                        published="2024-03-01", publisher="金贵镇人民政府")],
    )


def key_of(app: Flask, title: str) -> str:
    doc = next(d for d in get_runtime(app).kb.snapshot.documents.values() if d.title == title)
    return f"{doc.kind}-{doc.id}"


def test_a_long_answer_ends_with_a_link_to_its_full_text(bot: Flask) -> None:
    reply = ask(bot.test_client(), "低保申请需要哪些证明材料", user=f"o-{uuid.uuid4().hex[:8]}")
    link = f"{BASE}/kb/{key_of(bot, '低保申请需要哪些证明材料')}"
    assert f"查看全文：{link}" in reply and len(reply.encode()) <= 2048


def test_a_short_answer_has_no_full_text_link(bot: Flask) -> None:
    assert "查看全文" not in ask(bot.test_client(), "高龄津贴怎么申领", user=f"o-{uuid.uuid4().hex[:8]}")


def test_without_a_public_address_a_cut_answer_says_it_is_partial(make_app: Callable[..., Flask]) -> None:
    app = make_app()
    add(app)
    reply = ask(app.test_client(), "低保申请需要哪些证明材料", user=f"o-{uuid.uuid4().hex[:8]}")
    assert "以上只显示了一部分" in reply and "/kb/" not in reply


def test_the_page_shows_the_whole_answer(bot: Flask) -> None:
    page = bot.test_client().get(f"/kb/{key_of(bot, '低保申请需要哪些证明材料')}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "低保申请需要哪些证明材料" in html and "第120条" in html


def test_an_item_page_shows_its_number_date_and_publisher(bot: Flask) -> None:
    html = bot.test_client().get(f"/kb/{key_of(bot, '金贵镇道路维修情况')}").get_data(as_text=True)
    assert "文号：金政发〔2024〕5号" in html and "发布日期：2024-03-01" in html and "发布机构：金贵镇人民政府" in html
    assert "第39段" in html


@pytest.mark.parametrize("key", ["faq-999999", "nonsense", "faq-1;drop", "item-"])
def test_unknown_entries_are_404(bot: Flask, key: str) -> None:
    assert bot.test_client().get(f"/kb/{key}").status_code == 404


def test_a_disabled_entry_is_not_public(bot: Flask) -> None:
    with get_runtime(bot).db.session() as session:
        from sqlalchemy import select

        from knowledge.models import FaqEntry

        disabled = session.scalars(select(FaqEntry).where(FaqEntry.question == "已停用的问题")).one()
    assert bot.test_client().get(f"/kb/faq-{disabled.id}").status_code == 404


def test_the_public_address_must_be_a_web_address(tmp_path) -> None:
    with pytest.raises(ConfigError, match="PUBLIC_BASE_URL"):
        Settings.from_env(tmp_path, {"PUBLIC_BASE_URL": "zwgk.example.gov.cn", "SECRET_KEY": "x",
                                     "USER_HASH_SECRET": "x"})


@pytest.fixture
def served(bot: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, bot, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


def test_the_page_reads_on_a_phone_without_sideways_scrolling(bot: Flask, served: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"],
        )
        try:
            page = browser.new_page(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True)
            page.goto(f"{served}/kb/{key_of(bot, '金贵镇道路维修情况')}")
            assert page.locator("h1").inner_text() == "金贵镇道路维修情况"
            assert page.evaluate("document.documentElement.scrollWidth") <= 360
            script = "parseFloat(getComputedStyle(document.querySelector('main > p:not(.meta)')).fontSize)"
            font_px = page.evaluate(script)
            assert font_px >= 16
        finally:
            browser.close()
