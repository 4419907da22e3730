"""Disclosure items (政务公开): list, search, create, edit metadata, disable, delete — as FAQ entries.

Fields: 标题 `title`, 正文 `body`, 链接 `url`, 索引号 `index_number`, 文号 `doc_number`,
发布日期 `published`, 发布机构 `publisher`, 所属分类 `category`, 关键词 `keywords`,
公开时限 `disclosure_period`, 效力状态 `status` (现行有效 / 已废止 / 已失效 …) and 有效期至
`valid_until` — checked exactly as the importers check them (`knowledge.validation`). The
create/edit/disable/enable/delete routes are the shared ones of `bot.admin.entries`.
"""

from __future__ import annotations

import datetime
from typing import Any

from flask import Blueprint, Flask, render_template, request
from sqlalchemy import String, cast, or_, select

from bot.admin.accounts import Role
from bot.admin.entries import EntryPages
from bot.admin.paging import Page
from bot.admin.security import require
from bot.runtime import get_runtime
from knowledge.editor import EditResult, FaqData, ItemData, KbEditor
from knowledge.models import DisclosureItem
from knowledge.validity import ENDED_STATUSES

bp = Blueprint("admin_items", __name__, url_prefix="/admin/items")

FIELDS = ("title", "body", "url", "index_number", "doc_number", "published", "publisher", "category", "keywords",
          "disclosure_period", "status", "valid_until")
STATUSES = {"": "全部（不含回收站）", "enabled": "启用中", "disabled": "已停用", "trash": "回收站"}
# Offered on the form; any other wording the portal uses (≤ 20 characters) is accepted too.
VALIDITY_WORDS = ("现行有效", "已修改", "已废止", "已失效", "部分失效")
_DATES = ("published", "valid_until")


def status_of(row: DisclosureItem) -> tuple[str, str]:
    if row.deleted_at is not None:
        return "off", "回收站"
    return ("ok", "启用中") if row.enabled else ("off", "已停用")


def validity_of(row: DisclosureItem) -> tuple[str, str]:
    """(css class, label) of whether the item is still in force, as the bot judges it (`knowledge.validity`)."""
    status = (row.status or "").strip()
    if status and any(word in status for word in ENDED_STATUSES):
        return "off", status
    if row.valid_until is not None and row.valid_until < datetime.date.today():
        return "expired", f"已过期（{row.valid_until}）"
    return ("ok" if status else "", status or "未注明")


def form_of(row: DisclosureItem | None) -> dict[str, str]:
    if row is None:
        return dict.fromkeys(FIELDS, "")
    form = {name: str(getattr(row, name) or "") for name in FIELDS}
    for name in _DATES:
        value = getattr(row, name)
        form[name] = value.isoformat() if value else ""
    return form


def form_of_pending(values: dict[str, Any]) -> dict[str, str]:
    """The fields a pending save gives (`knowledge.pending.data_json`; None: not given, the
    stored value stays), as the form shows them."""
    form = {name: str(values[name]) for name in FIELDS if values.get(name) is not None}
    if isinstance(values.get("keywords"), list):
        form["keywords"] = " ".join(values["keywords"])
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
                           status_of=status_of, validity_of=validity_of)


def _save(editor: KbEditor, data: FaqData | ItemData, item_id: int | None) -> EditResult:
    assert isinstance(data, ItemData)
    return editor.save_item(data, item_id=item_id, only_new=item_id is None)


pages = EntryPages(
    bp=bp, kind="item", model=DisclosureItem, label="公开信息", arg="item_id", template="admin/item_form.html",
    fields=FIELDS, form_of=form_of, data_of=data_of, status_of=status_of, save=_save,
    set_enabled=lambda editor, item_id, enabled: editor.set_item_enabled(item_id, enabled),
    delete=lambda editor, item_id: editor.delete_item(item_id), form_of_pending=form_of_pending,
    context=lambda _row, _form: {"validity_words": VALIDITY_WORDS})
pages.register()


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
