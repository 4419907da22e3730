"""Screenshots of the staff workspace for the README (docs/screenshots/), from a throwaway instance.

    apt-get install -y chromium fonts-noto-cjk     # once (without the fonts Chinese shows as boxes)
    python -m bench.screenshot_admin               # writes docs/screenshots/admin-*.png

Builds an app on a temporary instance with the bundled sample knowledge base, adds a one-off
reviewer account with a random password (never printed, gone with the instance), serves it on
a free local port and captures each page in `PAGES` with Playwright driving /usr/bin/chromium.
To add a page, append (file name, path, what to do first) to `PAGES`.
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
from knowledge.models import FaqEntry

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


def _edit_an_entry(page: Page) -> None:
    """Give the first entry a second revision so the edit page shows its history."""
    page.fill("#office", "镇党政综合办公室")
    page.click("button[value=save]")


PAGES: list[tuple[str, str, Callable[[Page], None] | None]] = [
    ("admin-faq-list.png", "/admin/faq", None),
    ("admin-faq-edit.png", "/admin/faq/{faq_id}", _edit_an_entry),
    ("admin-faq-test.png", "/admin/faq/{faq_id}?test=1#test", None),
    ("admin-hittest.png", "/admin/hittest?q=政府公开的文件在哪里能查到", None),
]


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
        add_account(runtime.db, "示例审核员", password, Role.REVIEWER)
        with runtime.db.session() as session:
            faq_id = min(session.scalars(FaqEntry.__table__.select().with_only_columns(FaqEntry.id)))
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
                page = browser.new_page(locale="zh-CN", viewport={"width": 1280, "height": 900})
                page.goto(f"{base}/admin/login")
                page.fill("#username", "示例审核员")
                page.fill("#password", password)
                page.click("button[type=submit]")
                page.wait_for_url(lambda url: "/admin/login" not in url)
                for name, path, before in PAGES:
                    page.goto(base + path.format(faq_id=faq_id))
                    if before is not None:
                        before(page)
                    page.screenshot(path=str(args.out / name), full_page=True)
                    print(f"wrote {args.out / name}")
                browser.close()
        finally:
            server.shutdown()
            runtime.questions.close()


if __name__ == "__main__":
    main()
