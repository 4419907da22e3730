"""Importing the files staff have: JSONL, CSV in any common encoding, XLSX, portal page text."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import event, select

from knowledge.export import export_records
from knowledge.importers import ImportResult, import_paths
from knowledge.models import DisclosureItem, FaqEntry
from knowledge.store import Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    db = Store(f"sqlite:///{tmp_path / 'kb.sqlite3'}")
    db.migrate()
    yield db
    db.engine.dispose()


def write_jsonl(path: Path, rows: Sequence[Mapping[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def write_xlsx(path: Path, sheets: Mapping[str, Sequence[Sequence[object]]]) -> Path:
    workbook = openpyxl.Workbook()
    for default in list(workbook.worksheets):
        workbook.remove(default)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(list(row))
    workbook.save(path)
    return path


def faqs(store: Store) -> dict[str, FaqEntry]:
    with store.session() as session:
        return {f.question: f for f in session.scalars(select(FaqEntry))}


def counts(result: ImportResult) -> tuple[int, int, int]:
    return result.created, result.updated, result.unchanged


WORKBOOK = {
    "情感分类": [["留言", "情感类别"], ["路灯坏了", "负面"]],
    "自然语言理解": [["用户问题", "知识库答案", "处理单位"], ["别的问题", "别的答案", "交管局"]],
    "政务问答": [["用户问题", "正文内容", "处理单位"], ["低保怎么申请", "向镇政府申请。", "民政"],
                 ["临时救助怎么申请", "向镇政府申请临时救助。", "民政"]],
}


def test_xlsx_imports_the_question_answer_sheet_among_several(store: Store, tmp_path: Path) -> None:
    result = import_paths(store, [write_xlsx(tmp_path / "qa.xlsx", WORKBOOK)])
    assert (counts(result), result.errors) == ((2, 0, 0), [])
    assert faqs(store)["低保怎么申请"].category == "民政"


def test_xlsx_import_says_which_sheet_it_read_and_which_others_could_be(store: Store, tmp_path: Path) -> None:
    [note] = import_paths(store, [write_xlsx(tmp_path / "qa.xlsx", WORKBOOK)]).notes
    assert "政务问答" in note and "自然语言理解" in note and "--sheet" in note


def test_xlsx_sheet_option_imports_the_named_sheet(store: Store, tmp_path: Path) -> None:
    import_paths(store, [write_xlsx(tmp_path / "qa.xlsx", WORKBOOK)], sheet="自然语言理解")
    assert list(faqs(store)) == ["别的问题"]


def test_xlsx_unknown_sheet_is_reported_with_the_sheets_it_has(store: Store, tmp_path: Path) -> None:
    result = import_paths(store, [write_xlsx(tmp_path / "qa.xlsx", WORKBOOK)], sheet="不存在")
    assert "找不到工作表“不存在”" in result.failed_files[0].reason and "政务问答" in result.failed_files[0].reason


def test_xlsx_header_below_a_title_row_is_found_and_rows_keep_excel_numbers(store: Store, tmp_path: Path) -> None:
    rows: list[list[str | None]] = [
        ["金贵镇常见问题"], [], ["问题", "答案"], ["好问题", "好答案"], ["缺答案的问题", None]
    ]
    result = import_paths(store, [write_xlsx(tmp_path / "qa.xlsx", {"Sheet1": rows})])
    assert [(e.row, e.reason) for e in result.errors] == [(5, "答案不能为空")]


def test_corrupt_xlsx_imports_nothing_and_says_why(store: Store, tmp_path: Path) -> None:
    good = write_xlsx(tmp_path / "good.xlsx", WORKBOOK).read_bytes()
    (tmp_path / "broken.xlsx").write_bytes(good[: len(good) // 2])
    result = import_paths(store, [tmp_path / "broken.xlsx"])
    assert ("Excel" in result.failed_files[0].reason, store.is_empty()) == (True, True)


def test_gbk_csv_imports(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "faq.csv"
    path.write_bytes("问题,答案,相似问法\n低保怎么申请,向镇政府申请,低保去哪办|怎么吃低保\n".encode("gbk"))
    import_paths(store, [path])
    assert faqs(store)["低保怎么申请"].similar == ["低保去哪办", "怎么吃低保"]


def test_utf8_csv_with_bom_and_english_headers_imports(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "faq.csv"
    path.write_bytes("\ufeffQuestion,Answer,Similar,Department\nHow to apply?,Ask the town,\"a；b\",民政\n"
                     .encode("utf-8"))
    import_paths(store, [path])
    assert (faqs(store)["How to apply?"].similar, faqs(store)["How to apply?"].category) == (["a", "b"], "民政")


def test_a_bad_row_is_reported_by_number_and_the_others_import(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "faq.csv"
    path.write_text("问题,答案\n甲,答甲\n乙,\n丙,答丙\n", encoding="utf-8")
    result = import_paths(store, [path])
    assert (counts(result), [str(e) for e in result.errors]) == ((2, 0, 0), ["faq.csv 第 3 行：答案不能为空"])


def test_binary_file_named_csv_imports_nothing(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "faq.csv"
    path.write_bytes(bytes(range(256)) * 8)
    result = import_paths(store, [path])
    assert ("不是文本文件" in result.failed_files[0].reason, store.is_empty()) == (True, True)


def test_empty_file_imports_nothing_and_says_so(store: Store, tmp_path: Path) -> None:
    (tmp_path / "faq.csv").write_bytes(b"")
    assert import_paths(store, [tmp_path / "faq.csv"]).failed_files[0].reason == "文件是空的"


def test_csv_without_known_headers_is_refused_with_the_headers_it_saw(store: Store, tmp_path: Path) -> None:
    (tmp_path / "faq.csv").write_text("姓名,电话\n张三,123\n", encoding="utf-8")
    reason = import_paths(store, [tmp_path / "faq.csv"]).failed_files[0].reason
    assert "找不到可识别的表头" in reason and "姓名" in reason


def test_an_unreadable_file_does_not_stop_the_other_files(store: Store, tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_bytes(b"")
    good = write_jsonl(tmp_path / "good.jsonl", [{"question": "问", "answer": "答"}])
    result = import_paths(store, [tmp_path / "empty.csv", good])
    assert (counts(result), [e.file for e in result.failed_files]) == ((1, 0, 0), ["empty.csv"])


def test_jsonl_line_that_is_not_json_is_reported_and_the_rest_import(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "faq.jsonl"
    path.write_text('{"question": "甲", "answer": "答"}\n{broken\n{"question": "乙", "answer": "答"}\n',
                    encoding="utf-8")
    result = import_paths(store, [path])
    assert (counts(result), [e.row for e in result.errors]) == ((2, 0, 0), [2])


def test_reimport_updates_instead_of_duplicating(store: Store, tmp_path: Path) -> None:
    import_paths(store, [write_jsonl(tmp_path / "a.jsonl", [{"question": "问", "answer": "旧答案"}])])
    result = import_paths(store, [write_jsonl(tmp_path / "a.jsonl", [{"question": "问？", "answer": "新答案"}])])
    assert (counts(result), len(faqs(store)), faqs(store)["问？"].answer) == ((0, 1, 0), 1, "新答案")


def test_reimporting_an_unchanged_file_does_not_bump_the_version(store: Store, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", [{"question": "问", "answer": "答"}])
    import_paths(store, [path])
    result = import_paths(store, [path])
    assert (counts(result), store.kb_version()) == ((0, 0, 1), 1)


def test_one_import_of_many_rows_bumps_the_version_once(store: Store, tmp_path: Path) -> None:
    import_paths(store, [write_jsonl(tmp_path / "a.jsonl", [{"问题": f"问{n}", "答案": "答"} for n in range(50)])])
    assert store.kb_version() == 1


def test_the_same_question_twice_in_one_file_keeps_the_first_and_reports_the_second(
        store: Store, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", [{"question": "问", "answer": "一"}, {"question": "问 ", "answer": "二"}])
    result = import_paths(store, [path])
    assert (faqs(store)["问"].answer, result.errors[0].row, "第 1 行" in result.errors[0].reason) == ("一", 2, True)


def test_rows_with_title_and_body_become_items_next_to_faq_rows(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_text("标题,正文,索引号,发布日期,问题,答案\n"
                    "工作总结,正文内容,A-1,2018年12月10日,,\n"
                    ",,,,低保怎么申请,向镇政府申请\n", encoding="utf-8")
    import_paths(store, [path])
    with store.session() as session:
        [item] = session.scalars(select(DisclosureItem))
    assert ((item.title, item.index_number, item.published), list(faqs(store))) == (
        ("工作总结", "A-1", datetime.date(2018, 12, 10)), ["低保怎么申请"])


def test_portal_text_imports_as_an_item_with_every_field(store: Store, tmp_path: Path) -> None:
    page = ("您当前浏览位置:首页>政务公开>社会救助\n\n某镇救助方案\n\n"
            "索引号 640000-001/2023-00042 文 号 某政发〔2023〕17号 发布日期 2023-03-08\n"
            "发布机构 某镇人民政府 公开时限 长期公开 所属分类 社会救助\n关 键 词 救助\n\n正文第一段。\n\n"
            "扫一扫在手机打开当前页\n")
    (tmp_path / "page.txt").write_text(page, encoding="utf-8")
    import_paths(store, [tmp_path / "page.txt"], url="https://example.gov.cn/42.html")
    with store.session() as session:
        [item] = session.scalars(select(DisclosureItem))
    assert all(getattr(item, name) for name in (
        "title", "body", "url", "index_number", "doc_number", "published", "publisher", "category", "keywords",
        "disclosure_period"))


def test_export_reimports_into_an_identical_knowledge_base(store: Store, tmp_path: Path) -> None:
    rows: list[dict[str, object]] = [
        {"question": "问", "answer": "答", "similar": ["另一问"], "category": "类", "enabled": False},
        {"type": "item", "title": "标题", "body": "正文", "index_number": "A-1", "published": "2018-12-10",
         "keywords": "甲 乙", "publisher": "某镇", "disclosure_period": "长期公开"}]
    import_paths(store, [write_jsonl(tmp_path / "in.jsonl", rows)])
    exported = write_jsonl(tmp_path / "out.jsonl", list(export_records(store)))
    copy = Store(f"sqlite:///{tmp_path / 'copy.sqlite3'}")
    copy.migrate()
    import_paths(copy, [exported])
    assert list(export_records(copy)) == list(export_records(store))
    assert counts(import_paths(store, [exported])) == (0, 0, 2)


def test_two_thousand_rows_import_without_a_query_per_row(store: Store, tmp_path: Path) -> None:
    # Counted in SQL queries, not seconds: a lookup per row would be ~2,000 SELECTs.
    rows = [{"question": f"第{n}个问题：公积金怎么提取{n}", "answer": "带身份证到管理中心办理。" * 20,
             "department": "公积金"} for n in range(2000)]
    path = write_jsonl(tmp_path / "big.jsonl", rows)
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(store.engine, "before_cursor_execute", count)
    try:
        result = import_paths(store, [path])
    finally:
        event.remove(store.engine, "before_cursor_execute", count)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert (result.created, len(selects) < 20) == (2000, True), selects[:5]


def test_item_status_valid_until_and_month_only_dates_are_imported(store: Store, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "items.jsonl", [
        {"标题": "某办法", "正文": "正文。", "状态": "废止", "有效期至": "2025-12-31", "发布日期": "2024-05",
         "doc_no": "某府〔2024〕1号"},
    ])
    assert import_paths(store, [path]).created == 1
    with store.session() as session:
        row = session.scalars(select(DisclosureItem)).one()
        assert (row.status, row.valid_until, row.published, row.doc_number) == (
            "废止", datetime.date(2025, 12, 31), datetime.date(2024, 5, 1), "某府〔2024〕1号")
    exported = list(export_records(store))
    assert exported[0]["status"] == "废止" and exported[0]["valid_until"] == "2025-12-31"


def test_an_unreadable_valid_until_date_names_its_column(store: Store, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "items.jsonl", [{"标题": "某办法", "正文": "正文。", "有效期至": "明年"}])
    result = import_paths(store, [path])
    assert result.created == 0 and "有效期至" in result.errors[0].reason


# -- damaged files: a bad row is refused, the import goes on ------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    url = (f"sqlite:///{tmp_path / 'any.sqlite3'}" if request.param == "sqlite"
           else request.getfixturevalue("postgres_url"))
    db = Store(url)
    db.migrate()
    yield db
    db.engine.dispose()


def _filler(count: int) -> str:
    return "".join(f"填充问题{n}号怎么办,这是第{n}条填充答案，用来让文件超过四千字节。\n" for n in range(count))


def test_a_nul_byte_after_the_first_4kb_refuses_only_its_row(any_store: Store, tmp_path: Path) -> None:
    text = "问题,答案\n" + _filler(80) + "坏的问题\x00,坏的答案\n最后的问题,最后的答案\n"
    assert text.encode("utf-8").index(b"\x00") > 4096
    path = tmp_path / "nul.csv"
    path.write_bytes(text.encode("utf-8"))
    result = import_paths(any_store, [path])
    assert [(e.row, "NUL" in e.reason) for e in result.bad_rows] == [(82, True)]
    assert result.created == 81 and "最后的问题" in faqs(any_store)


def test_a_row_with_broken_utf8_is_refused_and_the_rest_import(any_store: Store, tmp_path: Path) -> None:
    raw = ("问题,答案\n" + _filler(20)).encode("utf-8") + "坏".encode()[:2] + "的问题,答案\n".encode() \
        + "好的问题,好的答案\n".encode()
    path = tmp_path / "broken.csv"
    path.write_bytes(raw)
    result = import_paths(any_store, [path])
    assert [e.row for e in result.bad_rows] == [22] and "编码" in result.bad_rows[0].reason
    assert "好的问题" in faqs(any_store) and "填充问题0号怎么办" in faqs(any_store)


def test_control_and_bidi_characters_are_removed_at_import(store: Store, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "c.jsonl", [{"question": "低保\x0b怎么\u202e申请\x85", "answer": "去\x1b[31m民政办"}])
    import_paths(store, [path])
    [entry] = faqs(store).values()
    assert (entry.question, entry.answer) == ("低保怎么申请", "去[31m民政办")
