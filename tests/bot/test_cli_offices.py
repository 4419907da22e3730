"""`flask offices import / list / export`, through the app's own CLI runner."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from bot.runtime import get_runtime
from knowledge.offices import load_entries, read_file


def test_import_replaces_the_directory_and_export_round_trips(app: Flask, tmp_path: Path) -> None:
    source = tmp_path / "offices.jsonl"
    source.write_text('{"名称": "民政办", "办理事项": "低保 临时救助", "电话": "0951-1"}\n', encoding="utf-8")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["offices", "import", str(source)])
    assert result.exit_code == 0 and "已导入 1 个办事机构" in result.output
    assert "民政办：0951-1" in runner.invoke(args=["offices", "list"]).output
    exported = tmp_path / "out.jsonl"
    assert runner.invoke(args=["offices", "export", "-o", str(exported)]).exit_code == 0
    assert read_file(exported) == read_file(source)


def test_a_bad_file_changes_nothing_and_exits_with_1(app: Flask, tmp_path: Path) -> None:
    before = load_entries(get_runtime(app).db)
    bad = tmp_path / "offices.jsonl"
    bad.write_text('{"名称": "民政办"}\n', encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["offices", "import", str(bad)])
    assert result.exit_code == 1 and "缺少“办理事项”" in result.output and "目录未作任何修改" in result.output
    assert load_entries(get_runtime(app).db) == before and before  # the bundled directory stays
