"""Render an HTML report in headless Chromium and save a PNG, to check that the charts draw.

    apt-get update && apt-get install -y chromium fonts-noto-cjk   # once (fonts: or Chinese shows as boxes)
    python -m bench.screenshot_report replay-report/replay-last-year.html /tmp/report.png
    python -m bench.screenshot_report --demo /tmp/report.png      # a small built report, no data needed

Then look at the PNG. The page must render with networking effectively off: Chromium runs
with background networking, component updates and sync disabled, in a throwaway profile,
and the report itself declares a Content-Security-Policy that forbids any external request
— so the charts in the picture prove that the inlined ECharts works offline.

This is a manual check, not a test: CI machines need not have Chromium.
"""

from __future__ import annotations

import argparse
import datetime
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "chrome")


def find_browser() -> str | None:
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def screenshot(html: Path, png: Path, *, width: int = 1280, height: int = 2400, browser: str | None = None) -> None:
    """Render `html` headless into `png` (raises if Chromium fails or writes nothing)."""
    browser = browser or find_browser()
    if browser is None:
        raise RuntimeError("找不到 Chromium：先运行 apt-get update && apt-get install -y chromium")
    with tempfile.TemporaryDirectory() as profile:
        command = [
            browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
            f"--user-data-dir={profile}", f"--screenshot={png.resolve()}", f"--window-size={width},{height}",
            # ECharts draws on load; give its first frame time before the capture.
            "--virtual-time-budget=5000", html.resolve().as_uri(),
        ]
        subprocess.run(command, check=True, capture_output=True, timeout=120)
    if not png.exists() or png.stat().st_size == 0:
        raise RuntimeError(f"Chromium wrote no screenshot to {png}")


def demo_report(target: Path) -> None:
    """Write a small report (a built log in a throwaway SQLite) to `target`."""
    from bot.questionlog import QuestionLog
    from bot.reports import Period, build_report
    from bot.reports.html import render_html
    from bot.reports.queries import LOCAL_TZ
    from bot.turn import ReplyKind
    from knowledge.base import shared_processor
    from knowledge.document import Document, Hit, SearchResult
    from knowledge.store import Store

    analyze = shared_processor().analyze
    beijing = LOCAL_TZ
    entry = Document(kind="faq", id=1, title="低保怎么申请？", body="", category="社会救助")
    wordings = [("低保怎么申请", True), ("低保咋申请", True), ("宅基地怎么审批", False), ("春耕补贴什么时候发", True),
                ("路灯坏了找谁", False), ("医保怎么交", True)]
    with tempfile.TemporaryDirectory() as folder:
        store = Store(f"sqlite:///{Path(folder) / 'demo.sqlite3'}")
        store.migrate()
        log = QuestionLog(store, "demo", Path(folder) / "spool", background=False)
        for n in range(400):
            question, answered = wordings[(n * 7 + n // 30) % len(wordings)]
            terms = tuple(analyze(question))
            log.record(openid=f"u{n % 50}", message_key=f"k{n}", question=question,
                       result=SearchResult(question, terms, (Hit(entry, 5.0, terms[:1]),) if answered else (),
                                           answered),
                       answered=answered, reply_kind=ReplyKind.ANSWER_FAQ if answered else ReplyKind.NOT_FOUND,
                       latency_ms=30,
                       asked_at=datetime.datetime(2026, 1, 1, 9, tzinfo=beijing) + datetime.timedelta(hours=5 * n))
        report = build_report(store, Period(datetime.date(2026, 1, 1), datetime.date(2026, 4, 1)))
        target.write_text(render_html(report), encoding="utf-8")
        store.engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("html", nargs="?", type=Path, help="the report page (omit with --demo)")
    parser.add_argument("png", type=Path)
    parser.add_argument("--demo", action="store_true", help="build a small report first")
    parser.add_argument("--height", type=int, default=2400)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        html = args.html
        if args.demo or html is None:
            html = Path(folder) / "demo.html"
            demo_report(html)
        screenshot(html, args.png, height=args.height)
    print(f"已保存截图：{args.png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
