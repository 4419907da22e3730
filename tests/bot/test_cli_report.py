"""`flask report` in every format, `flask report flush-spool` and `flask purge`."""

from __future__ import annotations

import csv
import datetime
import io
import json
import re
from collections.abc import Callable
from pathlib import Path

import click
import pytest
from flask import Flask
from openpyxl import load_workbook
from sqlalchemy import func, select, update

from bot.cli.report import parse_duration_days
from bot.questionlog import QuestionLog, from_settings
from bot.questionlog_table import QuestionLogRow as LogRow
from bot.runtime import get_runtime
from knowledge.document import Document, Hit, SearchResult

BEIJING = datetime.timezone(datetime.timedelta(hours=8))
FAQ = Document(kind="faq", id=1, title="低保怎么申请？", body="", category="社会救助")
PERIOD = ["--since", "2026-01-01", "--until", "2026-03-31"]


def seed(app: Flask) -> QuestionLog:
    runtime = get_runtime(app)
    log = from_settings(runtime.db, runtime.settings, background=False)
    analyze = runtime.kb.analyze
    questions = [("低保怎么申请", True), ("低保咋申请", True), ("宅基地怎么审批", False),
                 ("电话13812345678 路灯坏了", False)]
    for n, (question, answered) in enumerate(questions * 2):
        terms = tuple(analyze(question))
        log.record(openid=f"o{n}", message_key=f"k{n}", question=question,
                   result=SearchResult(question, terms, (Hit(FAQ, 5.0, terms[:1]),) if answered else (), answered),
                   answered=answered, reply_kind="answer_faq" if answered else "not_found", latency_ms=20,
                   asked_at=datetime.datetime(2026, 2, 1 + n, 10, tzinfo=BEIJING))
    log.record_feedback("k0", "satisfied")
    return log


def count_rows(app: Flask) -> int:
    with get_runtime(app).db.session() as session:
        return session.scalar(select(func.count()).select_from(LogRow)) or 0


@pytest.fixture
def seeded(app: Flask) -> Flask:
    seed(app)
    return app


def run(app: Flask, *args: str) -> click.testing.Result:
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result


def test_table_is_readable_chinese_on_screen(seeded: Flask) -> None:
    out = run(seeded, "report", *PERIOD).output
    assert "2026-01-01 至 2026-03-31" in out and "【热门问题】" in out and "【未能回答的问题】" in out
    assert "低保怎么申请" in out and "13812345678" not in out


def test_csv_has_titled_sections_with_chinese_headers(seeded: Flask, tmp_path: Path) -> None:
    target = tmp_path / "r.csv"
    run(seeded, "report", *PERIOD, "--format", "csv", "--output", str(target))
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens the Chinese correctly
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert ["【热门问题】"] in rows and ["日期", "提问数", "已回答", "回答率"] in rows


def test_xlsx_opens_with_one_sheet_per_report(seeded: Flask, tmp_path: Path) -> None:
    target = tmp_path / "r.xlsx"
    run(seeded, "report", *PERIOD, "--format", "xlsx", "-o", str(target))
    book = load_workbook(target)
    assert {"概览", "每日提问量", "热门问题", "未能回答的问题", "热词", "上升话题", "按分类", "按匹配条目",
            "满意度"} == set(book.sheetnames)
    assert [c.value for c in book["未能回答的问题"][1]][:3] == ["排名", "常见问法", "提问次数"]
    assert book["概览"]["B3"].value == 8


def test_json_is_machine_readable(seeded: Flask) -> None:
    data = json.loads(run(seeded, "report", *PERIOD, "--format", "json").output)
    assert data["summary"]["total"] == 8 and data["summary"]["satisfied"] == 1
    assert data["period"] == {"since": "2026-01-01", "until": "2026-04-01", "label": "2026-01-01 至 2026-03-31"}


def test_html_is_one_self_contained_page(seeded: Flask, tmp_path: Path) -> None:
    target = tmp_path / "r.html"
    run(seeded, "report", *PERIOD, "--format", "html", "-o", str(target))
    page = target.read_text(encoding="utf-8")
    assert "echarts.init" in page and "Apache ECharts" in page and len(page) > 1_000_000  # inlined, not linked
    assert not re.search(r"<script[^>]*\bsrc\s*=", page, re.IGNORECASE)
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", page, re.IGNORECASE)
    assert "每日提问量与回答率" in page and "低保怎么申请" in page


def test_xlsx_without_output_gets_a_dated_file_name(seeded: Flask, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    run(seeded, "report", *PERIOD, "--format", "xlsx")
    assert (tmp_path / "提问报表_20260101-20260331.xlsx").exists()


def test_a_reversed_period_is_refused(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["report", "--since", "2026-03-01", "--until", "2026-01-01"])
    assert result.exit_code != 0 and "晚于" in result.output


@pytest.mark.parametrize(("text", "days"), [("365d", 365), ("12w", 84), ("90", 90), ("30天", 30), ("4周", 28)])
def test_durations_are_read_in_days_or_weeks(text: str, days: int) -> None:
    assert parse_duration_days(text) == days


def test_purge_uses_the_given_retention(seeded: Flask) -> None:
    # The seeded questions are from February 2026; today is later than that.
    age = (datetime.date.today() - datetime.date(2026, 2, 1)).days
    out = run(seeded, "purge", "--older-than", f"{age + 30}d").output
    assert "已删除 0 条" in out and count_rows(seeded) == 8
    dry = run(seeded, "purge", "--older-than", "1d", "--dry-run").output
    assert "将删除 8 条" in dry and count_rows(seeded) == 8
    assert "已删除 8 条" in run(seeded, "purge", "--older-than", "1d").output and count_rows(seeded) == 0


def test_purge_defaults_to_the_configured_retention(make_app: Callable[..., Flask]) -> None:
    app = make_app(LOG_RETENTION_DAYS="1")
    seed(app)
    assert "1 天前" in run(app, "purge").output and count_rows(app) == 0


def test_a_bad_duration_is_explained(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["purge", "--older-than", "soon"])
    assert result.exit_code != 0 and "无法识别的时长" in result.output


def test_flush_spool_writes_back_what_the_outage_kept(app: Flask) -> None:
    runtime = get_runtime(app)
    log = from_settings(runtime.db, runtime.settings, background=False)
    log.spool.append([{"op": "insert", "row": log.build_row("o1", "k1", "低保怎么申请", None, False, "not_found", 5)}])
    assert "已写回 1 条" in run(app, "report", "flush-spool").output
    assert count_rows(app) == 1
    assert "暂存文件为空" in run(app, "report", "flush-spool").output


def test_control_characters_already_in_the_database_reach_no_report_format(app: Flask, tmp_path: Path) -> None:
    """Rows stored before control characters were removed at the door: xlsx must not crash."""
    runtime = get_runtime(app)
    log = from_settings(runtime.db, runtime.settings, background=False)
    title = Document(kind="faq", id=9, title="低保\x0b怎么\u202e申请", body="", category="救助\x85")
    log.record(openid="o1", message_key="c1", question="路灯坏了", answered=True, reply_kind="answer_faq",
               result=SearchResult("路灯坏了", ("路灯",), (Hit(title, 5.0, ("路灯",)),), True), latency_ms=5,
               asked_at=datetime.datetime(2026, 2, 1, 10, tzinfo=BEIJING))
    with runtime.db.session() as session:  # as an older release could have stored them
        session.execute(update(LogRow).values(question="路灯\x1b[2J坏了\u202e\x9b"))
    target = tmp_path / "r.xlsx"
    run(app, "report", *PERIOD, "--format", "xlsx", "-o", str(target))
    assert load_workbook(target)
    for fmt in ("table", "csv", "json", "html"):
        target = tmp_path / f"r.{fmt}"
        run(app, "report", *PERIOD, "--format", fmt, "-o", str(target))
        out = target.read_text(encoding="utf-8-sig")
        assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", out), fmt
