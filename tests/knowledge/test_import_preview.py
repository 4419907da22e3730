"""The import preview: what an upload would do, computed by the real import, with nothing written."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Sequence
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from knowledge import spreadsheet
from knowledge.editor import Change, FaqData, KbEditor
from knowledge.export import FAQ_SHEET, ITEM_SHEET, export_xlsx
from knowledge.importers import FileError, import_paths, read_file
from knowledge.models import DisclosureItem, FaqEntry
from knowledge.store import Store


def write_xlsx(path: Path, rows: Sequence[Sequence[object]], name: str = "问答") -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = name
    for row in rows:
        sheet.append(list(row))
    workbook.save(path)
    return path


def faq_answers(store: Store) -> dict[str, str]:
    with store.session() as session:
        return {f.question: f.answer for f in session.scalars(select(FaqEntry))}


def seed(store: Store) -> int:
    return KbEditor(store, editor="张三").save_faq(FaqData("低保怎么申请", "向村委会提出申请。")).id or 0


def test_preview_lists_added_changed_and_refused_rows_and_writes_nothing(store: Store, tmp_path: Path) -> None:
    entry_id = seed(store)
    version = store.kb_version()
    sheet = write_xlsx(tmp_path / "faq.xlsx", [
        ["问题", "答案"],
        ["低保怎么申请", "向镇民政办提出申请。"],
        ["危房改造补助多少钱", "按房屋等级补助。"],
        ["", "没有问题的答案"],
    ])

    preview = import_paths(store, [sheet], editor="李四", dry_run=True)

    assert (preview.created, preview.updated, preview.unchanged) == (1, 1, 0)
    assert [(e.row, e.reason) for e in preview.bad_rows] == [(4, "缺少问题")]
    [overwrite] = preview.overwritten
    assert (overwrite.id, overwrite.row, overwrite.old_text, overwrite.new_text) == (
        entry_id, 2, "向村委会提出申请。", "向镇民政办提出申请。")
    assert overwrite.fields == ("答案",)
    [added] = [r for r in preview.rows if r.change is Change.CREATED]
    assert (added.label, added.id) == ("危房改造补助多少钱", None)
    assert "预览" in preview.summary() and "覆盖原有答案" in preview.summary()
    assert store.kb_version() == version
    assert faq_answers(store) == {"低保怎么申请": "向村委会提出申请。"}


def test_confirming_a_preview_imports_exactly_what_it_showed(store: Store, tmp_path: Path) -> None:
    seed(store)
    sheet = write_xlsx(tmp_path / "faq.xlsx", [
        ["问题", "答案"], ["低保怎么申请", "向镇民政办提出申请。"], ["新问题", "新答案"], ["坏行", ""]])
    preview = import_paths(store, [sheet], dry_run=True)
    done = import_paths(store, [sheet])
    assert [(r.row, r.change, r.label, r.old_text) for r in done.rows] == [
        (r.row, r.change, r.label, r.old_text) for r in preview.rows]
    assert done.errors == preview.errors
    assert all(r.id for r in done.rows)
    assert faq_answers(store) == {"低保怎么申请": "向镇民政办提出申请。", "新问题": "新答案"}


def test_a_second_sheet_that_overwrites_answers_names_each_one(store: Store, tmp_path: Path) -> None:
    first = write_xlsx(tmp_path / "a.xlsx", [["问题", "答案"]] + [[f"问题{i}", f"旧答案{i}"] for i in range(5)])
    import_paths(store, [first])
    second = write_xlsx(tmp_path / "b.xlsx", [["问题", "答案"]] + [[f"问题{i}", f"新答案{i}"] for i in range(3)]
                        + [["问题4", "旧答案4"]])
    preview = import_paths(store, [second], dry_run=True)
    assert [(r.label, r.old_text, r.new_text) for r in preview.overwritten] == [
        (f"问题{i}", f"旧答案{i}", f"新答案{i}") for i in range(3)]
    assert preview.unchanged == 1


def test_an_update_that_only_adds_similar_wordings_overwrites_no_answer(store: Store, tmp_path: Path) -> None:
    seed(store)
    sheet = write_xlsx(tmp_path / "faq.xlsx", [["问题", "答案", "相似问法"],
                                               ["低保怎么申请", "向村委会提出申请。", "低保咋办"]])
    preview = import_paths(store, [sheet], dry_run=True)
    assert preview.updated == 1 and preview.overwritten == []
    assert preview.rows[0].fields == ("相似问法",)


def test_tab_separated_text_is_read_as_a_table_not_as_a_portal_page(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "导出.txt"
    path.write_text("问题\t答案\n低保怎么申请\t向村委会提出申请。\n", encoding="utf-8")
    result = import_paths(store, [path])
    assert result.created == 1 and not result.errors
    assert faq_answers(store) == {"低保怎么申请": "向村委会提出申请。"}
    with store.session() as session:
        assert session.scalar(select(func.count(DisclosureItem.id))) == 0


@pytest.mark.parametrize("text", ["问题 答案\n低保怎么申请 向村委会提出申请。\n",
                                  "问题\t回复内容\n低保怎么申请\t向村委会提出申请。\n"])
def test_text_whose_header_names_no_answer_column_is_refused_whole(store: Store, tmp_path: Path, text: str) -> None:
    path = tmp_path / "坏表.txt"
    path.write_text(text, encoding="utf-8")
    result = import_paths(store, [path], dry_run=True)
    [failure] = result.failed_files
    assert "找不到可识别的表头" in failure.reason and "问题" in failure.reason
    assert result.rows == []
    assert import_paths(store, [path]).rows == []
    with store.session() as session:
        assert session.scalar(select(func.count(DisclosureItem.id))) == 0


def test_jsonl_without_any_recognised_field_is_refused_whole(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text(json.dumps({"q1": "低保", "a1": "村委会"}, ensure_ascii=False) + "\n", encoding="utf-8")
    with pytest.raises(FileError, match=r"找不到可识别的字段.*q1"):
        read_file(path)


def test_a_zip_bomb_is_refused_by_its_declared_size_before_it_is_opened(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spreadsheet, "MAX_UNCOMPRESSED_BYTES", 8_000_000)  # the real limit costs 7 s to build
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * 10_000_000)
    assert path.stat().st_size < 50_000
    with pytest.raises(FileError, match="解压后有 10 MB（上限 8 MB）"):
        read_file(path)


@pytest.mark.parametrize("content", [b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, b"%PDF-1.7 not a sheet"])
def test_a_file_that_is_not_a_spreadsheet_is_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "upload.xlsx"
    path.write_bytes(content)
    with pytest.raises(FileError, match="不是 Excel"):
        read_file(path)


def test_xlsx_export_holds_every_entry_and_round_trips_through_the_importer(store: Store, tmp_path: Path) -> None:
    editor = KbEditor(store, editor="张三")
    editor.save_faq(FaqData("=HYPERLINK(\"http://x\")怎么办", "答案一", similar=["问法甲", "问法乙"],
                            url="https://example.gov.cn/a", category="民政"))
    disabled = editor.save_faq(FaqData("停用的问题", "答案二")).id
    editor.set_faq_enabled(disabled or 0, False)
    import_paths(store, [tmp_path / "none.jsonl"])  # a missing file changes nothing
    data, faqs, items = export_xlsx(store)
    assert (faqs, items) == (2, 0)
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == [FAQ_SHEET, ITEM_SHEET]
    first = workbook[FAQ_SHEET]["A2"]
    assert (first.value, first.data_type) == ("=HYPERLINK(\"http://x\")怎么办", "s")
    path = tmp_path / "kb.xlsx"
    path.write_bytes(data)

    fresh = Store(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    fresh.migrate()
    result = import_paths(fresh, [path], sheet=FAQ_SHEET)
    assert (result.created, result.errors) == (2, [])
    with fresh.session() as session:
        rows = {f.question: (f.answer, f.similar, f.url, f.category, f.enabled)
                for f in session.scalars(select(FaqEntry))}
    fresh.engine.dispose()
    assert rows == {
        "=HYPERLINK(\"http://x\")怎么办": ("答案一", ["问法甲", "问法乙"], "https://example.gov.cn/a", "民政", True),
        "停用的问题": ("答案二", [], None, None, False),
    }
