"""`flask kb import / stats / export`, run through the app's own CLI runner."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from flask import Flask
from sqlalchemy import select

from bot.runtime import get_runtime
from knowledge.models import DisclosureItem, FaqEntry


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


ROWS = [{"问题": "低保怎么申请", "答案": "向户籍所在地的镇人民政府提出书面申请。", "相似问法": "低保去哪办"},
        {"问题": "没有答案的问题", "答案": ""}]


def test_import_prints_a_chinese_summary_and_each_bad_row(app: Flask, tmp_path: Path) -> None:
    result = app.test_cli_runner().invoke(args=["kb", "import", str(write_jsonl(tmp_path / "faq.jsonl", ROWS))])
    assert result.exit_code == 0
    assert "新增 1 条" in result.output and "faq.jsonl 第 2 行：答案不能为空" in result.output


def test_import_records_the_given_editor(app: Flask, tmp_path: Path) -> None:
    app.test_cli_runner().invoke(args=["kb", "import", "--editor", "王五",
                                       str(write_jsonl(tmp_path / "faq.jsonl", ROWS))])
    with get_runtime(app).db.session() as session:
        assert set(session.scalars(select(FaqEntry.editor))) == {"王五"}


def test_an_unreadable_file_makes_the_import_exit_with_1(app: Flask, tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_bytes(b"")
    good = write_jsonl(tmp_path / "faq.jsonl", ROWS)
    result = app.test_cli_runner().invoke(args=["kb", "import", str(tmp_path / "empty.csv"), str(good)])
    assert (result.exit_code, "empty.csv：文件是空的" in result.output, "新增 1 条" in result.output) == (1, True, True)


def test_a_missing_file_is_reported_in_chinese(app: Flask, tmp_path: Path) -> None:
    result = app.test_cli_runner().invoke(args=["kb", "import", str(tmp_path / "nope.xlsx")])
    assert (result.exit_code, "文件不存在" in result.output) == (1, True)


def test_url_with_several_files_is_refused(app: Flask, tmp_path: Path) -> None:
    result = app.test_cli_runner().invoke(args=["kb", "import", "--url", "https://example.gov.cn/1.html", "a.txt",
                                                "b.txt"])
    assert result.exit_code == 2 and "--url 只能和一个文件一起使用" in result.output


def test_the_running_index_picks_up_an_import_through_the_version_bump(app: Flask, tmp_path: Path) -> None:
    kb = get_runtime(app).kb
    before = kb.size
    app.test_cli_runner().invoke(args=["kb", "import", str(write_jsonl(tmp_path / "faq.jsonl", ROWS))])
    kb.maybe_reload(wait=True)
    assert kb.size == before + 1
    assert kb.search("低保去哪办").hits[0].doc.title == "低保怎么申请"


def test_stats_counts_faq_and_items(app: Flask, tmp_path: Path) -> None:
    rows = [*ROWS, {"type": "item", "标题": "工作总结", "正文": "正文", "索引号": "A-1"}]
    app.test_cli_runner().invoke(args=["kb", "import", str(write_jsonl(tmp_path / "kb.jsonl", rows))])
    output = app.test_cli_runner().invoke(args=["kb", "stats"]).output
    assert "问答：1 条" in output and "公开信息：1 条" in output


def test_export_round_trips_through_import_into_another_database(
        make_app: Callable[..., Flask], tmp_path: Path) -> None:
    source = make_app()
    target = make_app(DATABASE_URL=f"sqlite:///{tmp_path / 'target.sqlite3'}")
    rows = [*ROWS, {"type": "item", "标题": "工作总结", "正文": "正文", "索引号": "A-1", "发布日期": "2018-12-10"}]
    source.test_cli_runner().invoke(args=["kb", "import", str(write_jsonl(tmp_path / "kb.jsonl", rows))])
    out = tmp_path / "export.jsonl"
    source.test_cli_runner().invoke(args=["kb", "export", "--format", "jsonl", "-o", str(out)])
    target.test_cli_runner().invoke(args=["kb", "import", str(out)])
    exports = [app.test_cli_runner().invoke(args=["kb", "export"]).output for app in (source, target)]
    assert exports[0] == exports[1] and "工作总结" in exports[0]


def test_remove_sample_keeps_entries_staff_have_edited(make_app: Callable[..., Flask]) -> None:
    app = make_app(LOAD_SAMPLE_KB="1")
    runtime = get_runtime(app)
    with runtime.db.session() as session:
        kept = session.scalars(select(FaqEntry).order_by(FaqEntry.id)).first()
        assert kept is not None
        kept.editor, kept_id = "张三", kept.id
    result = app.test_cli_runner().invoke(args=["kb", "remove-sample"])
    with runtime.db.session() as session:  # the removed ones wait in the 回收站
        remaining = session.scalars(select(FaqEntry.id).where(FaqEntry.deleted_at.is_(None))).all()
        items = session.scalars(select(DisclosureItem.id).where(DisclosureItem.deleted_at.is_(None))).all()
    assert (result.exit_code, remaining, items) == (0, [kept_id], [])
