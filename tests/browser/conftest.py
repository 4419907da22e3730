"""A real browser against a real server: Playwright for Python driving Debian's Chromium.

`live_app` serves a fresh app (its own SQLite, the shared test settings) over HTTP on a free
port from a thread of the test process; `page` is a new browser context per test. A machine
without /usr/bin/chromium fails these tests loudly (`.ci/run` installs it), never skips.
"""

from __future__ import annotations

import threading
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, sync_playwright
from werkzeug.serving import make_server

from tests.admin_support import PASSWORD, make_staff
from tests.support import reply_fields, signed_args, text_xml

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@dataclass
class LiveApp:
    app: Flask
    url: str

    def login(self, page: Page, name: str, password: str = PASSWORD) -> None:
        page.goto(f"{self.url}/admin/login")
        page.fill("#username", name)
        page.fill("#password", password)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/admin/login" not in url)

    def ask(self, question: str, user: str = "openid-browser-test") -> str:
        """A citizen's text message through the real webhook over HTTP; the reply's text."""
        query = "&".join(f"{k}={v}" for k, v in signed_args().items())
        request = urllib.request.Request(f"{self.url}/wechat?{query}", data=text_xml(question, user=user).encode(),
                                         headers={"Content-Type": "text/xml"})
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read().decode("utf-8")
        return "" if body == "success" else reply_fields(body).get("Content", "")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def live_app(make_app: Callable[..., Flask]) -> Iterator[LiveApp]:
    app = make_app()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-app", daemon=True)
    thread.start()
    yield LiveApp(app, f"http://127.0.0.1:{server.server_port}")
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def staff(live_app: LiveApp) -> Callable[..., str]:
    def add(name: str, role) -> str:
        return make_staff(live_app.app, name, role)

    return add
