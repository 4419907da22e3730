"""Imports by upload in the workspace: preview first, nothing written until confirmed; export; refusals."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Sequence

import openpyxl
import pytest
from flask import Flask
from sqlalchemy import func, select

from bot.admin.accounts import Role
from bot.runtime import get_runtime
from knowledge.editor import FaqData, KbEditor
from knowledge.models import AuditEvent, DisclosureItem, FaqEntry
from tests.admin_support import csrf_from, logged_in


def xlsx(rows: Sequence[Sequence[object]]) -> bytes:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(list(row))  # type: ignore[union-attr]
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(client, data: bytes, name: str = "faq.xlsx", **fields: str):
    token = csrf_from(client.get("/admin/imports").get_data(as_text=True))
    return client.post("/admin/imports/preview", data={"csrf_token": token, "file": (io.BytesIO(data), name), **fields},
                       content_type="multipart/form-data")


def answers(app: Flask) -> dict[str, str]:
    with get_runtime(app).db.session() as session:
        return {f.question: f.answer for f in session.scalars(select(FaqEntry))}


def confirm(client, page: str):
    fields = {name: value for name, value in
              __import__("re").findall(r'name="(token|kb_version|csrf_token)" value="([^"]*)"', page)}
    return client.post("/admin/imports/confirm", data=fields)


SHEET = [["问题", "答案"], ["低保怎么申请", "向镇民政办提出申请。"], ["危房改造补助多少钱", "按等级补助。"],
         ["", "没有问题的一行"]]


def test_the_preview_shows_added_changed_and_refused_rows_and_writes_nothing(app: Flask) -> None:
    KbEditor(get_runtime(app).db, editor="张三").save_faq(FaqData("低保怎么申请", "向村委会提出申请。"))
    client = logged_in(app, Role.REVIEWER)  # a reviewer's import is written at once (an editor's: test_review.py)
    response = upload(client, xlsx(SHEET))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "将新增 1 条，将更新 1 条" in page and "危房改造补助多少钱" in page
    assert "将覆盖 1 条原有答案" in page and "向村委会提出申请。" in page and "向镇民政办提出申请。" in page
    assert "缺少问题" in page and "<td>4</td>" in page
    assert answers(app) == {"低保怎么申请": "向村委会提出申请。"}

    done = confirm(client, page)
    assert done.status_code == 200 and "导入完成" in done.get_data(as_text=True)
    assert answers(app) == {"低保怎么申请": "向镇民政办提出申请。", "危房改造补助多少钱": "按等级补助。"}
    with get_runtime(app).db.session() as session:
        details = list(session.scalars(select(AuditEvent.detail).where(AuditEvent.action == "import")))
    assert details[0].startswith("上传并预览 faq.xlsx") and details[1].startswith("确认导入 faq.xlsx")


def test_a_confirmed_upload_cannot_be_imported_twice(app: Flask) -> None:
    client = logged_in(app, Role.EDITOR)
    page = upload(client, xlsx(SHEET)).get_data(as_text=True)
    confirm(client, page)
    again = confirm(client, page)
    assert again.status_code == 303
    assert "已经导入、取消或过期" in client.get(again.headers["Location"]).get_data(as_text=True)


def test_a_change_after_the_preview_shows_the_preview_again_instead_of_writing(app: Flask) -> None:
    client = logged_in(app, Role.EDITOR)
    page = upload(client, xlsx(SHEET)).get_data(as_text=True)
    KbEditor(get_runtime(app).db, editor="同事").save_faq(FaqData("危房改造补助多少钱", "同事写的答案。"))
    response = confirm(client, page)
    text = response.get_data(as_text=True)
    assert "预览之后知识库已有改动" in text and "同事写的答案。" in text
    assert answers(app)["危房改造补助多少钱"] == "同事写的答案。"


def test_another_session_cannot_confirm_my_upload(app: Flask) -> None:
    page = upload(logged_in(app, Role.EDITOR, "甲"), xlsx(SHEET)).get_data(as_text=True)
    other = logged_in(app, Role.EDITOR, "乙")
    token = csrf_from(other.get("/admin/imports").get_data(as_text=True))
    fields = dict(__import__("re").findall(r'name="(token|kb_version)" value="([^"]*)"', page))
    assert other.post("/admin/imports/confirm", data={**fields, "csrf_token": token}).status_code == 303
    assert answers(app) == {}


def test_a_header_without_question_and_answer_columns_is_refused_with_a_clear_message(app: Flask) -> None:
    client = logged_in(app, Role.EDITOR)
    response = upload(client, "问题 答案\n低保怎么申请 向村委会申请\n".encode(), "faq.txt")
    assert response.status_code == 400
    assert "找不到可识别的表头" in response.get_data(as_text=True)
    with get_runtime(app).db.session() as session:
        assert session.scalar(select(FaqEntry.id)) is None


@pytest.mark.parametrize(("data", "name", "message"), [
    (b"MZ\x90\x00binary", "tool.exe", "不支持 .exe 文件"),
    (b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "photo.xlsx", "不是 Excel"),
    (b"", "empty.csv", "文件是空的"),
])
def test_a_file_that_is_no_spreadsheet_is_refused(app: Flask, data: bytes, name: str, message: str) -> None:
    response = upload(logged_in(app, Role.EDITOR), data, name)
    assert response.status_code == 400 and message in response.get_data(as_text=True)


def test_a_zip_bomb_is_refused_by_its_uncompressed_size(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    from knowledge import spreadsheet
    monkeypatch.setattr(spreadsheet, "MAX_UNCOMPRESSED_BYTES", 5_000_000)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * 6_000_000)
    response = upload(logged_in(app, Role.EDITOR), buffer.getvalue(), "bomb.xlsx")
    assert response.status_code == 400 and "解压后" in response.get_data(as_text=True)


def test_an_upload_over_the_limit_gets_413_with_a_chinese_message(make_app: Callable[..., Flask]) -> None:
    app = make_app(ADMIN_UPLOAD_MAX_BYTES="200000")
    response = upload(logged_in(app, Role.EDITOR), b"x" * 300_000, "big.csv")
    assert response.status_code == 413
    assert "文件太大：上传上限是 195 KB" in response.get_data(as_text=True)


def test_an_upload_larger_than_a_webhook_body_but_under_the_limit_is_accepted(app: Flask) -> None:
    rows = [["问题", "答案"]] + [[f"问题{i}", f"第 {i} 条答案：" + "".join(chr(0x4E00 + (i * 37 + j * 11) % 20000)
                                                                   for j in range(120))] for i in range(800)]
    data = xlsx(rows)
    assert len(data) > 65536
    response = upload(logged_in(app, Role.EDITOR), data)
    assert response.status_code == 200 and "将新增 800 条" in response.get_data(as_text=True)


def test_the_export_is_an_xlsx_of_everything_and_is_audited(app: Flask) -> None:
    KbEditor(get_runtime(app).db, editor="张三").save_faq(FaqData("低保怎么申请", "<script>alert(1)</script>"))
    response = logged_in(app, Role.EDITOR).get("/admin/imports/export.xlsx")
    assert response.status_code == 200 and response.data.startswith(b"PK")
    sheet = openpyxl.load_workbook(io.BytesIO(response.data))["问答"]
    assert [c.value for c in sheet[2]][:3] == ["低保怎么申请", None, "<script>alert(1)</script>"]
    with get_runtime(app).db.session() as session:
        detail = session.scalar(select(AuditEvent.detail).where(AuditEvent.action == "export"))
    assert (detail or "").startswith("导出知识库")


def test_a_viewer_can_neither_upload_nor_export(app: Flask) -> None:
    client = logged_in(app, Role.VIEWER)
    assert client.get("/admin/imports").status_code == 403
    assert client.get("/admin/imports/export.xlsx").status_code == 403


def test_a_saved_portal_list_page_is_previewed_as_one_item_per_row(app: Flask) -> None:
    from tests.knowledge.test_portal_html import LIST_PAGE

    client = logged_in(app, Role.EDITOR)
    response = upload(client, LIST_PAGE.encode("utf-8"), name="目录页.html")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "将新增 4 条" in page and "2023年临时救助情况公告" in page
    with get_runtime(app).db.session() as session:
        assert session.scalar(select(func.count(DisclosureItem.id))) == 0
