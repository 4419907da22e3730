"""Revisions and the 回收站, the same for FAQ entries and disclosure items.

`/admin/history/<kind>/<id>/<revision>` shows what one revision changed (before → after, line
diff for long text) and offers "恢复此版本" (an editor's restore waits for review like any save
while `ADMIN_REVIEW` is on); `/admin/trash` lists what was deleted in the last
30 days with "恢复". Restoring goes through `KbEditor`, so it is itself a new revision.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from bot.admin.accounts import Role
from bot.admin.security import kb_editor, require, staff_name
from bot.runtime import get_runtime
from knowledge.editor import TRASH_DAYS, EditError, KbEditor
from knowledge.models import DisclosureItem, FaqEntry, Revision
from knowledge.revisions import ACTION_LABELS, diff, loads, snapshot

bp = Blueprint("admin_history", __name__, url_prefix="/admin")
KINDS = {"faq": ("问答", "admin_faq.edit", "faq_id"), "item": ("公开信息", "admin_items.edit", "item_id")}


def entry_page(kind: str, entity_id: int) -> str:
    _label, endpoint, arg = KINDS[kind]
    values: dict[str, Any] = {arg: entity_id}
    return url_for(endpoint, **values)


def _revision(kind: str, entity_id: int, revision_id: int) -> Revision:
    if kind not in KINDS:
        abort(404)
    with get_runtime().db.session() as session:
        rev = session.get(Revision, revision_id)
    if rev is None or rev.kind != kind or rev.entity_id != entity_id:
        abort(404)
    return rev


@bp.get("/history/<kind>/<int:entity_id>/<int:revision_id>")
@require(Role.EDITOR)
def show(kind: str, entity_id: int, revision_id: int) -> str:
    rev = _revision(kind, entity_id, revision_id)
    compare = request.args.get("compare", "previous")
    before = loads(rev.before_json)
    after = loads(rev.after_json)
    with get_runtime().db.session() as session:
        current: FaqEntry | DisclosureItem | None = (
            session.get(FaqEntry, entity_id) if kind == "faq" else session.get(DisclosureItem, entity_id))
        if compare == "current" and current is not None:
            before, after = after, snapshot(current)
    return render_template("admin/revision.html", rev=rev, kind=kind, kind_label=KINDS[kind][0],
                           changes=diff(kind, before, after), compare=compare, exists=current is not None,
                           entry_url=entry_page(kind, entity_id), action_labels=ACTION_LABELS)


@bp.post("/history/<kind>/<int:entity_id>/<int:revision_id>/restore")
@require(Role.EDITOR)
def restore(kind: str, entity_id: int, revision_id: int) -> ResponseReturnValue:
    rev = _revision(kind, entity_id, revision_id)
    try:
        result = kb_editor().revert(rev.id)
    except EditError as error:
        flash(f"无法恢复：{error}", "warn")
        return redirect(url_for("admin_history.show", kind=kind, entity_id=entity_id, revision_id=revision_id),
                        code=303)
    if result.pending is not None:
        flash(f"已提交审核（待审核 #{result.pending}）：恢复到版本 {rev.id}，审核人发布后生效。")
    else:
        flash(f"已恢复到版本 {rev.id}（{rev.at:%Y-%m-%d %H:%M}）。" if result.change != "unchanged"
              else "当前内容与该版本相同，无需恢复。")
    return redirect(entry_page(kind, entity_id), code=303)


@bp.get("/trash")
@require(Role.EDITOR)
def trash() -> str:
    """The 回收站; opening it also purges what has been there longer than TRASH_DAYS.

    Purging is housekeeping, not an edit to review: it runs without review for everyone.
    """
    KbEditor(get_runtime().db, editor=staff_name(), source="后台").purge_trash()
    with get_runtime().db.session() as session:
        faqs = list(session.scalars(select(FaqEntry).where(FaqEntry.deleted_at.is_not(None))
                                    .order_by(FaqEntry.deleted_at.desc()).limit(500)))
        items = list(session.scalars(select(DisclosureItem).where(DisclosureItem.deleted_at.is_not(None))
                                     .order_by(DisclosureItem.deleted_at.desc()).limit(500)))
    return render_template("admin/trash.html", faqs=faqs, items=items, trash_days=TRASH_DAYS)


@bp.post("/trash/<kind>/<int:entity_id>/restore")
@require(Role.REVIEWER)
def untrash(kind: str, entity_id: int) -> ResponseReturnValue:
    if kind not in KINDS:
        abort(404)
    editor = kb_editor()
    restored = editor.restore_faq(entity_id) if kind == "faq" else editor.restore_item(entity_id)
    if restored:
        flash(f"已从回收站恢复{KINDS[kind][0]} {entity_id}。")
        return redirect(entry_page(kind, entity_id), code=303)
    flash("回收站里没有这一条（可能已被恢复或已超过保留期）。", "warn")
    return redirect(url_for("admin_history.trash"), code=303)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
