"""Imports by upload, with a preview before anything is written; export of the whole knowledge base.

Upload → preview → confirm. The uploaded file is kept under the instance folder
(`uploads/<random token>/`) between the preview and the confirmation, and both run the same
importer (`knowledge.importers.import_paths`): the preview with its transaction rolled back,
the confirmation for real. If the knowledge base changed in between (someone else saved), the
confirmation shows a fresh preview instead of writing what the editor did not see.

Refused before the importer reads a byte: a body over `ADMIN_UPLOAD_MAX_BYTES` (413, in
Chinese), a file type that is no spreadsheet or text we import. The importer itself refuses a
zip bomb, a workbook that is no workbook, binary "text" and a header with no question/answer
or title/body columns. Every upload, import and export is recorded in the audit trail.
"""

from __future__ import annotations

import datetime
import re
import secrets
import shutil
import time
from pathlib import Path

from flask import Blueprint, Flask, Response, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import RequestEntityTooLarge

from bot.admin import audit, security
from bot.admin.accounts import Role
from bot.admin.security import require, review_required, staff_name
from bot.runtime import get_runtime
from knowledge.editor import Change
from knowledge.export import export_xlsx
from knowledge.importers import ImportResult, import_paths

bp = Blueprint("admin_imports", __name__, url_prefix="/admin/imports")

SUFFIXES = (".xlsx", ".xlsm", ".csv", ".tsv", ".jsonl", ".ndjson", ".txt", ".html", ".htm")
SHOWN_ROWS = 500  # rows listed per section of a preview; the counts are always complete
KEEP_UPLOADS = datetime.timedelta(days=1)
_TOKEN = re.compile(r"^[0-9a-f]{32}$")


def _upload_dir() -> Path:
    return Path(get_runtime().settings.instance_path) / "uploads"


def _sweep() -> None:
    """Uploads nobody confirmed or cancelled are removed after a day."""
    root = _upload_dir()
    if not root.exists():
        return
    cutoff = time.time() - KEEP_UPLOADS.total_seconds()
    for folder in root.iterdir():
        if folder.is_dir() and folder.stat().st_mtime < cutoff:
            shutil.rmtree(folder, ignore_errors=True)


def _owned(token: str) -> tuple[Path, str] | None:
    """(the kept file, its original name) when `token` is an upload of this session."""
    mine = session.get("imports") or {}
    if not _TOKEN.match(token or "") or token not in mine:
        return None
    folder = _upload_dir() / token
    files = sorted(folder.glob("upload.*")) if folder.is_dir() else []
    return (files[0], mine[token]) if files else None


def _forget(token: str) -> None:
    mine = dict(session.get("imports") or {})
    mine.pop(token, None)
    session["imports"] = mine
    if _TOKEN.match(token or ""):
        shutil.rmtree(_upload_dir() / token, ignore_errors=True)


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_error: RequestEntityTooLarge) -> tuple[str, int]:
    limit = get_runtime().settings.admin_upload_max_bytes
    message = f"文件太大：上传上限是 {size_label(limit)}。请删去无关的工作表或分成几个文件再导入。"
    return render_template("admin/error.html", code=413, title="文件太大", description=message), 413


def size_label(size: int) -> str:
    return f"{size / 1024 / 1024:.0f} MB" if size >= 1024 * 1024 else f"{size / 1024:.0f} KB"


def _options() -> dict[str, str | None]:
    return {"sheet": request.form.get("sheet", "").strip() or None, "url": request.form.get("url", "").strip() or None}


def _run(path: Path, name: str, *, dry_run: bool, sheet: str | None, url: str | None) -> ImportResult:
    return import_paths(get_runtime().db, [path], names=[name], sheet=sheet, url=url, dry_run=dry_run,
                        editor=staff_name(), review=review_required())


def _preview_page(token: str, name: str, result: ImportResult, options: dict[str, str | None]) -> str:
    sections = {change: [r for r in result.rows if r.change is change] for change in Change}
    return render_template("admin/import_preview.html", token=token, name=name, result=result,
                           added=sections[Change.CREATED], changed=sections[Change.UPDATED],
                           unchanged=len(sections[Change.UNCHANGED]), shown=SHOWN_ROWS, options=options)


@bp.get("")
@require(Role.EDITOR)
def index() -> str:
    limit = size_label(get_runtime().settings.admin_upload_max_bytes)
    return render_template("admin/imports.html", suffixes=SUFFIXES, limit=limit, error=None)


@bp.post("/preview")
@require(Role.EDITOR)
def preview() -> str | tuple[str, int]:
    upload = request.files.get("file")
    limit = size_label(get_runtime().settings.admin_upload_max_bytes)
    name = Path(upload.filename or "").name if upload else ""
    suffix = Path(name).suffix.lower()
    error = None
    if not upload or not name:
        error = "请选择要导入的文件"
    elif suffix not in SUFFIXES:
        error = (f"不支持 {suffix or '无扩展名的'} 文件：请上传 Excel 表格（.xlsx）、CSV、JSONL "
                 "、门户网页（.html）或网页文本（.txt）。旧版 .xls 请先在 Excel 中另存为 .xlsx")
    if error:
        return render_template("admin/imports.html", suffixes=SUFFIXES, limit=limit, error=error), 400
    _sweep()
    token = secrets.token_hex(16)
    folder = _upload_dir() / token
    folder.mkdir(parents=True)
    path = folder / f"upload{suffix}"
    assert upload is not None  # refused above when missing
    upload.save(path)
    session["imports"] = {**(session.get("imports") or {}), token: name}
    options = _options()
    result = _run(path, name, dry_run=True, **options)
    audit.record(get_runtime().db, staff_name(), "import",
                 detail=f"上传并预览 {name}（{path.stat().st_size:,} 字节）：{result.summary()}")
    if result.failed_files and not result.rows:
        _forget(token)
        return render_template("admin/imports.html", suffixes=SUFFIXES, limit=limit, error=None,
                               refused=result), 400
    return _preview_page(token, name, result, options)


@bp.post("/confirm")
@require(Role.EDITOR)
def confirm() -> ResponseReturnValue:
    token = request.form.get("token", "")
    kept = _owned(token)
    if kept is None:
        flash("这次上传已经导入、取消或过期，请重新上传文件。", "warn")
        return redirect(url_for(".index"), code=303)
    path, name = kept
    options = _options()
    db = get_runtime().db
    if request.form.get("kb_version", "") != str(db.kb_version()):
        flash("预览之后知识库已有改动（可能是同事刚保存了），下面是按最新内容重新计算的预览，请再核对一次。", "warn")
        return _preview_page(token, name, _run(path, name, dry_run=True, **options), options)
    result = _run(path, name, dry_run=False, **options)
    audit.record(db, staff_name(), "import", detail=f"确认导入 {name}：{result.summary()}"
                 + (f"（待审核 #{result.pending}）" if result.pending else ""))
    _forget(token)
    return render_template("admin/import_done.html", name=name, result=result, shown=SHOWN_ROWS)


@bp.post("/cancel")
@require(Role.EDITOR)
def cancel() -> ResponseReturnValue:
    _forget(request.form.get("token", ""))
    flash("已取消，没有导入任何内容。")
    return redirect(url_for(".index"), code=303)


@bp.get("/export.xlsx")
@require(Role.EDITOR)
def export() -> ResponseReturnValue:
    runtime = get_runtime()
    data, faqs, items = export_xlsx(runtime.db)
    audit.record(runtime.db, staff_name(), "export",
                 detail=f"导出知识库 XLSX：问答 {faqs} 条、公开信息 {items} 条")
    stamp = (datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=8)).strftime("%Y%m%d-%H%M")
    response = Response(data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response.headers["Content-Disposition"] = (f"attachment; filename=zwgk-kb-{stamp}.xlsx; "
                                               f"filename*=UTF-8''%E7%9F%A5%E8%AF%86%E5%BA%93-{stamp}.xlsx")
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    # The guard reads the form (CSRF) before the view runs: the upload's own limit must be known to it.
    security.BODY_LIMITS["admin_imports.preview"] = lambda: get_runtime().settings.admin_upload_max_bytes
