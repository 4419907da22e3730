"""Screenshots of the staff workspace for the README (docs/screenshots/), from a throwaway instance.

    apt-get install -y chromium fonts-noto-cjk     # once (without the fonts Chinese shows as boxes)
    python -m bench.screenshot_admin               # writes docs/screenshots/admin-*.png

Builds an app on a temporary instance with the bundled sample knowledge base, adds a one-off
reviewer account with a random password (never printed, gone with the instance), has an
editor submit two changes for review (an edited answer, a new entry) and marks one item as
repealed, serves it on a free local port and captures each page in `PAGES` with Playwright
driving /usr/bin/chromium. To add a page, append (file name, path, what to do first) to `PAGES`;
paths may use {faq_id}, {item_id} and {change_id}.
"""

from __future__ import annotations

import argparse
import secrets
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, sync_playwright
from werkzeug.serving import make_server

from bot import create_app
from bot.admin.accounts import Role, add_account
from bot.runtime import get_runtime
from bot.startup import prepare
from knowledge.editor import FaqData, ItemData, KbEditor
from knowledge.models import DisclosureItem, FaqEntry
from knowledge.store import Store

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


def _edit_an_entry(page: Page) -> None:
    """Give the first entry a second revision so the edit page shows its history."""
    page.fill("#office", "镇党政综合办公室")
    page.click("button[value=save]")


# (file name, path, what to do first); the reviewer's pages, then `EDITOR_PAGES` as the editor sees them.
PAGES: list[tuple[str, str, Callable[[Page], None] | None]] = [
    ("admin-faq-list.png", "/admin/faq", None),
    ("admin-faq-edit.png", "/admin/faq/{faq_id}", _edit_an_entry),
    ("admin-faq-test.png", "/admin/faq/{faq_id}?test=1#test", None),
    ("admin-hittest.png", "/admin/hittest?q=政府公开的文件在哪里能查到", None),
    ("admin-hittest-followup.png", "/admin/hittest?before=农村危房改造怎么申请&q=残疾人家庭可以吗", None),
    # a new entry from the unanswered queue, for a question an existing entry answers already
    ("admin-faq-new-existing.png", "/admin/faq/new?question=低保要怎么申请", None),
    ("admin-review-list.png", "/admin/review", None),
    ("admin-review-change.png", "/admin/review/{change_id}", None),
    ("admin-items-list.png", "/admin/items", None),
    ("admin-item-edit.png", "/admin/items/{item_id}", None),
]
EDITOR_PAGES: list[tuple[str, str, Callable[[Page], None] | None]] = [
    ("admin-faq-pending.png", "/admin/faq/{pending_faq_id}", None),
]
REVIEWER, EDITOR = "示例审核员", "示例编辑"


def _seed(store: Store, faq_id: int) -> dict[str, int]:
    """An editor's two submissions waiting for review (one edits the entry after the one the
    edit page shows), and one item marked as repealed."""
    editor = KbEditor(store, editor="示例编辑", source="后台", review=True)
    faq_id += 1
    with store.session() as session:
        entry = session.get(FaqEntry, faq_id)
        item_id = min(session.scalars(DisclosureItem.__table__.select().with_only_columns(DisclosureItem.id)))
        assert entry is not None
        question, answer, similar = entry.question, entry.answer, entry.similar
    change = editor.save_faq(FaqData(question, answer + "\n办理时请携带本人身份证原件。",
                                     similar=[*similar, "在哪儿能看到镇上公开的文件"]), faq_id=faq_id).pending
    editor.save_faq(FaqData("老年人优待证怎么办理", "年满60周岁的本镇户籍老人，持身份证和一寸照片到村委会申请，"
                                               "镇民政办审核后发证。", similar=["老年证去哪里办"]), only_new=True)
    with store.session() as session:
        row = session.get(DisclosureItem, item_id)
        assert row is not None
        title = row.title
    KbEditor(store, editor="示例审核员").save_item(ItemData(title=title, status="已废止"), item_id=item_id)
    assert change is not None
    return {"change_id": change, "item_id": item_id, "pending_faq_id": faq_id}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as instance:
        env = {"DATABASE_URL": f"sqlite:///{instance}/admin.sqlite3", "LOAD_SAMPLE_KB": "1",
               "WECHAT_TOKEN": secrets.token_hex(8), "KB_RELOAD_INTERVAL": "0.1"}
        app = create_app(env, instance_path=instance)
        prepare(app, announce=False)
        runtime = get_runtime(app)
        password = secrets.token_urlsafe(18)
        add_account(runtime.db, REVIEWER, password, Role.REVIEWER)
        add_account(runtime.db, EDITOR, password, Role.EDITOR)
        with runtime.db.session() as session:
            faq_id = min(session.scalars(FaqEntry.__table__.select().with_only_columns(FaqEntry.id)))
        ids = {"faq_id": faq_id, **_seed(runtime.db, faq_id)}
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
                for who, pages in ((REVIEWER, PAGES), (EDITOR, EDITOR_PAGES)):
                    page = browser.new_page(locale="zh-CN", viewport={"width": 1280, "height": 900})
                    page.goto(f"{base}/admin/login")
                    page.fill("#username", who)
                    page.fill("#password", password)
                    page.click("button[type=submit]")
                    page.wait_for_url(lambda url: "/admin/login" not in url)
                    for name, path, before in pages:
                        page.goto(base + path.format(**ids))
                        if before is not None:
                            before(page)
                        page.screenshot(path=str(args.out / name), full_page=True)
                        print(f"wrote {args.out / name}")
                    page.close()
                browser.close()
        finally:
            server.shutdown()
            runtime.close()


if __name__ == "__main__":
    main()
