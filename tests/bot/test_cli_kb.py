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


def test_import_dry_run_prints_the_preview_and_writes_nothing(app: Flask, tmp_path: Path) -> None:
    runner = app.test_cli_runner()
    runner.invoke(args=["kb", "import", str(write_jsonl(tmp_path / "old.jsonl", ROWS[:1]))])
    version = get_runtime(app).db.kb_version()
    rows = [{"问题": "低保怎么申请", "答案": "向镇民政办提出申请。"},
            {"问题": "危房改造补助多少钱", "答案": "按等级补助。"}, {"问题": "没有答案", "答案": ""}]
    result = runner.invoke(args=["kb", "import", "--dry-run", str(write_jsonl(tmp_path / "new.jsonl", rows))])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "预览（尚未写入）：将新增 1 条，将更新 1 条" in out
    assert "+ new.jsonl 第 2 行  问答：危房改造补助多少钱" in out
    assert "× new.jsonl 第 3 行：答案不能为空" in out
    assert "将覆盖以下原有答案：" in out
    assert "原：向户籍所在地的镇人民政府提出书面申请。" in out and "新：向镇民政办提出申请。" in out
    assert get_runtime(app).db.kb_version() == version
    with get_runtime(app).db.session() as session:
        assert set(session.scalars(select(FaqEntry.answer))) == {"向户籍所在地的镇人民政府提出书面申请。"}


def test_a_real_import_names_every_answer_it_overwrote(app: Flask, tmp_path: Path) -> None:
    runner = app.test_cli_runner()
    runner.invoke(args=["kb", "import", str(write_jsonl(tmp_path / "old.jsonl", ROWS[:1]))])
    result = runner.invoke(args=["kb", "import", str(write_jsonl(
        tmp_path / "new.jsonl", [{"问题": "低保怎么申请", "答案": "向镇民政办提出申请。"}]))])
    assert "已覆盖以下原有答案：" in result.output and "原：向户籍所在地的镇人民政府提出书面申请。" in result.output


def _faq_ids(app: Flask, tmp_path: Path) -> list[int]:
    rows = [{"问题": f"问题{i}", "答案": f"答案{i}"} for i in range(3)]
    app.test_cli_runner().invoke(args=["kb", "import", str(write_jsonl(tmp_path / "faq.jsonl", rows))])
    with get_runtime(app).db.session() as session:
        return list(session.scalars(select(FaqEntry.id).order_by(FaqEntry.id)))


def test_disable_and_enable_switch_entries_and_the_running_index_follows(app: Flask, tmp_path: Path) -> None:
    ids = _faq_ids(app, tmp_path)
    runner, kb = app.test_cli_runner(), get_runtime(app).kb
    result = runner.invoke(args=["kb", "disable", str(ids[0]), str(ids[1]), "--editor", "王五"])
    assert result.exit_code == 0 and "共 2 条已停用" in result.output
    kb.maybe_reload(wait=True)
    assert kb.size == 1
    again = runner.invoke(args=["kb", "disable", str(ids[0])])
    assert "本来就是停用状态" in again.output and "共 0 条已停用" in again.output
    runner.invoke(args=["kb", "enable", str(ids[0])])
    kb.maybe_reload(wait=True)
    assert kb.size == 2


def test_remove_takes_entries_out_of_the_answers_and_reports_unknown_ids(app: Flask, tmp_path: Path) -> None:
    ids = _faq_ids(app, tmp_path)
    result = app.test_cli_runner().invoke(args=["kb", "remove", str(ids[2]), "99999"])
    assert result.exit_code == 1
    assert f"问答 编号 {ids[2]}：已删除" in result.output and "问答 编号 99999：找不到这一条" in result.output
    kb = get_runtime(app).kb
    kb.maybe_reload(wait=True)
    assert kb.size == 2 and all(h.doc.id != ids[2] for h in kb.search("问题2").hits)


def test_export_xlsx_writes_both_sheets(app: Flask, tmp_path: Path) -> None:
    _faq_ids(app, tmp_path)
    out = tmp_path / "kb.xlsx"
    result = app.test_cli_runner().invoke(args=["kb", "export", "--format", "xlsx", "-o", str(out)])
    assert "已导出问答 3 条、公开信息 0 条" in result.output
    assert out.read_bytes().startswith(b"PK")
