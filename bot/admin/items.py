"""Disclosure items (政务公开): list, search, create, edit metadata, disable, delete — as FAQ entries.

Fields: 标题 `title`, 正文 `body`, 链接 `url`, 索引号 `index_number`, 文号 `doc_number`,
发布日期 `published`, 发布机构 `publisher`, 所属分类 `category`, 关键词 `keywords`,
公开时限 `disclosure_period`. Saves go through `KbEditor` (revision + audit); a refused save
re-renders the form with the typed text and the message next to its field.
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import String, cast, func, or_, select

from bot.admin.accounts import Role
from bot.admin.paging import Page
from bot.admin.security import kb_editor, require, take_draft
from bot.runtime import get_runtime
from knowledge.editor import TRASH_DAYS, EditError, ItemData
from knowledge.models import DisclosureItem, Revision
from knowledge.revisions import ACTION_LABELS, history

bp = Blueprint("admin_items", __name__, url_prefix="/admin/items")

FIELDS = ("title", "body", "url", "index_number", "doc_number", "published", "publisher", "category", "keywords",
          "disclosure_period")
STATUSES = {"": "全部（不含回收站）", "enabled": "启用中", "disabled": "已停用", "trash": "回收站"}


def status_of(row: DisclosureItem) -> tuple[str, str]:
    if row.deleted_at is not None:
        return "off", "回收站"
    return ("ok", "启用中") if row.enabled else ("off", "已停用")


def form_of(row: DisclosureItem | None) -> dict[str, str]:
    if row is None:
        return dict.fromkeys(FIELDS, "")
    form = {name: str(getattr(row, name) or "") for name in FIELDS}
    form["published"] = row.published.isoformat() if row.published else ""
    return form


def data_of(form: dict[str, str]) -> ItemData:
    return ItemData(**{name: form[name] for name in FIELDS})


@bp.get("")
@require(Role.EDITOR)
def index() -> str:
    q = request.args.get("q", "").strip()
    status = request.args.get("status", "")
    query = select(DisclosureItem.id)
    if q:
        like = {"autoescape": True}
        query = query.where(or_(DisclosureItem.title.contains(q, **like), DisclosureItem.body.contains(q, **like),
                                DisclosureItem.index_number.contains(q, **like),
                                DisclosureItem.doc_number.contains(q, **like), cast(DisclosureItem.id, String) == q))
    live = DisclosureItem.deleted_at.is_(None)
    query = query.where({
        "trash": DisclosureItem.deleted_at.is_not(None),
        "enabled": live & DisclosureItem.enabled.is_(True),
        "disabled": live & DisclosureItem.enabled.is_(False),
    }.get(status, live))
    with get_runtime().db.session() as session:
        page = Page.of_ids(session, DisclosureItem,
                           query.order_by(DisclosureItem.updated_at.desc(), DisclosureItem.id.desc()),
                           request.args.get("page"))
    return render_template("admin/items_list.html", page=page, q=q, status=status, statuses=STATUSES,
                           status_of=status_of)


def _render_form(row: DisclosureItem | None, form: dict[str, str], *, error: EditError | None = None,
                 status: int = 200, base_revision: int = 0) -> Response:
    with get_runtime().db.session() as session:
        revisions = history(session, "item", row.id) if row is not None else []
    page = render_template("admin/item_form.html", row=row, form=form, error=error, revisions=revisions,
                           base_revision=base_revision, status_of=status_of, action_labels=ACTION_LABELS,
                           trash_days=TRASH_DAYS)
    return Response(page, status=status)


def _posted() -> dict[str, str]:
    return {name: request.form.get(name, "") for name in FIELDS}


def _load(item_id: int) -> tuple[DisclosureItem, int]:
    with get_runtime().db.session() as session:
        row = session.get(DisclosureItem, item_id)
        if row is None:
            abort(404)
        revision = session.scalar(select(func.max(Revision.id)).where(Revision.kind == "item",
                                                                       Revision.entity_id == item_id)) or 0
        return row, revision


@bp.get("/new")
@require(Role.EDITOR)
def new() -> ResponseReturnValue:
    form = dict.fromkeys(FIELDS, "")
    form.update(take_draft() or {})
    return _render_form(None, form)


@bp.post("/new")
@require(Role.EDITOR)
def create() -> ResponseReturnValue:
    form = _posted()
    item_editor = kb_editor()
    try:
        with item_editor.batch() as batch:
            existing = batch.find_item(data_of(form))
            if existing is not None:
                raise EditError(f"已有相同链接、索引号或标题的信息（编号 {existing.id}）", field="title",
                                existing_id=existing.id)
            result = batch.save_item(data_of(form))
    except EditError as error:
        return _render_form(None, form, error=error, status=400)
    flash(f"已保存公开信息 {result.id}。")
    return redirect(url_for("admin_items.edit", item_id=result.id), code=303)


@bp.get("/<int:item_id>")
@require(Role.EDITOR)
def edit(item_id: int) -> ResponseReturnValue:
    row, revision = _load(item_id)
    form = form_of(row)
    form.update(take_draft() or {})
    return _render_form(row, form, base_revision=revision)


@bp.post("/<int:item_id>")
@require(Role.EDITOR)
def update(item_id: int) -> ResponseReturnValue:
    row, revision = _load(item_id)
    form = _posted()
    base = request.form.get("base_revision", "")
    if base.isdigit() and int(base) != revision:
        error = EditError("保存前别人已经修改了这条信息。您填写的内容仍在下面；请查看修改记录，确认后再次保存。")
        return _render_form(row, form, error=error, status=409, base_revision=revision)
    try:
        result = kb_editor().save_item(data_of(form), item_id=item_id)
    except EditError as error:
        return _render_form(row, form, error=error, status=400, base_revision=revision)
    flash("已保存。" if result.change != "unchanged" else "内容没有变化，未保存新版本。")
    return redirect(url_for("admin_items.edit", item_id=item_id), code=303)


def _set_enabled(item_id: int, enabled: bool) -> ResponseReturnValue:
    try:
        kb_editor().set_item_enabled(item_id, enabled)
    except EditError as error:
        flash(str(error), "warn")
    else:
        flash("已启用。" if enabled else "已停用，群众不会再看到这条信息。")
    return redirect(url_for("admin_items.edit", item_id=item_id), code=303)


@bp.post("/<int:item_id>/disable")
@require(Role.REVIEWER)
def disable(item_id: int) -> ResponseReturnValue:
    return _set_enabled(item_id, False)


@bp.post("/<int:item_id>/enable")
@require(Role.REVIEWER)
def enable(item_id: int) -> ResponseReturnValue:
    return _set_enabled(item_id, True)


@bp.post("/<int:item_id>/delete")
@require(Role.REVIEWER)
def delete(item_id: int) -> ResponseReturnValue:
    if kb_editor().delete_item(item_id):
        flash(f"公开信息 {item_id} 已移到回收站，{TRASH_DAYS} 天内可以恢复。")
    return redirect(url_for("admin_items.index"), code=303)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
