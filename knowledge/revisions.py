"""Revisions of FAQ entries and items: whole-record snapshots, their diff, and reading them back.

`knowledge.editor` records one `Revision` (and one `AuditEvent`) for every change in the same
transaction as the change, so history can never disagree with the data. A snapshot holds the
fields staff edit, in a stable order, as JSON; "restore this version" saves a snapshot again
through the editor, which records that as a new revision.
"""

from __future__ import annotations

import datetime
import difflib
import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from knowledge.models import AuditEvent, DisclosureItem, FaqEntry, Revision, utcnow

# The fields staff see, with their Chinese labels, in the order the diff view shows them.
FAQ_FIELDS: dict[str, str] = {
    "question": "问题", "similar": "相似问法", "answer": "答案", "url": "链接", "category": "分类",
    "office": "责任科室", "valid_until": "有效期至", "enabled": "启用", "deleted": "已删除",
}
ITEM_FIELDS: dict[str, str] = {
    "title": "标题", "body": "正文", "url": "链接", "index_number": "索引号", "doc_number": "文号",
    "published": "发布日期", "publisher": "发布机构", "category": "所属分类", "keywords": "关键词",
    "disclosure_period": "公开时限", "status": "状态", "valid_until": "有效期至", "enabled": "启用",
    "deleted": "已删除",
}

ACTION_LABELS = {
    "created": "新建", "updated": "修改", "disabled": "停用", "enabled": "启用", "deleted": "删除",
    "restored": "从回收站恢复", "reverted": "恢复到旧版本", "purged": "彻底删除",
}


def kind_of(row: FaqEntry | DisclosureItem) -> str:
    return "faq" if isinstance(row, FaqEntry) else "item"


def _iso(value: datetime.date | datetime.datetime | None) -> str | None:
    if value is None:
        return None
    return (value.date() if isinstance(value, datetime.datetime) else value).isoformat()


def snapshot(row: FaqEntry | DisclosureItem) -> dict[str, object]:
    """The editable state of a row as plain JSON values."""
    if isinstance(row, FaqEntry):
        return {
            "question": row.question, "similar": row.similar, "answer": row.answer, "url": row.url or "",
            "category": row.category or "", "office": row.office or "", "valid_until": _iso(row.valid_until),
            "enabled": bool(row.enabled if row.enabled is not None else True), "deleted": row.deleted_at is not None,
        }
    return {
        "title": row.title, "body": row.body or "", "url": row.url or "", "index_number": row.index_number or "",
        "doc_number": row.doc_number or "", "published": _iso(row.published), "publisher": row.publisher or "",
        "category": row.category or "", "keywords": row.keywords or "",
        "disclosure_period": row.disclosure_period or "", "status": row.status or "",
        "valid_until": _iso(row.valid_until),
        "enabled": bool(row.enabled if row.enabled is not None else True), "deleted": row.deleted_at is not None,
    }


def dumps(snap: dict[str, object] | None) -> str | None:
    return None if snap is None else json.dumps(snap, ensure_ascii=False, sort_keys=True)


def loads(raw: str | None) -> dict[str, Any] | None:
    return None if raw is None else json.loads(raw)


@dataclass(frozen=True)
class FieldDiff:
    """One changed field: label, old and new text, and a line diff for long text."""

    name: str
    label: str
    before: str
    after: str
    lines: tuple[tuple[str, str], ...]  # (" " | "-" | "+", line)


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "\n".join(str(v) for v in value)
    return "" if value is None else str(value)


def diff(kind: str, before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[FieldDiff]:
    """The fields that differ between two snapshots (either may be None: nothing there)."""
    fields = FAQ_FIELDS if kind == "faq" else ITEM_FIELDS
    changes = []
    for name, label in fields.items():
        old, new = _text((before or {}).get(name)), _text((after or {}).get(name))
        if old == new:
            continue
        lines = tuple(
            (line[0], line[2:]) for line in difflib.ndiff(old.splitlines(), new.splitlines()) if line[:1] in " -+"
        )
        changes.append(FieldDiff(name, label, old, new, lines))
    return changes


BULK_AUDIT = 50  # a batch with more changes gets one summary audit event instead of one per change
_ACTION_SUMMARY = {f"{kind}.{action}": f"{what}{label}" for kind, what in (("faq", "问答"), ("item", "公开信息"))
                   for action, label in ACTION_LABELS.items()}


def title_of(row: FaqEntry | DisclosureItem) -> str:
    return ((row.question if isinstance(row, FaqEntry) else row.title) or "")[:200]


def record_history(session: Session, changes: list[tuple[FaqEntry | DisclosureItem, str, str | None, str | None]],
                   *, editor: str | None, source: str | None) -> None:
    """Revisions, and audit events, for (row, action, before JSON, after JSON) changes; rows have ids.

    A form's few changes get one audit event each, linked to its revision. A big batch (an
    import) writes its revisions in one multi-row INSERT and one summary audit event: a
    2,000-row import costs well under a second more, and the audit page stays readable.
    """
    now = utcnow()
    values = [{"kind": kind_of(row), "entity_id": row.id, "action": action, "at": now, "editor": editor,
               "before_json": before, "after_json": after, "note": source} for row, action, before, after in changes]
    if len(values) > BULK_AUDIT:
        session.execute(insert(Revision), values)
        counts = Counter(f"{v['kind']}.{v['action']}" for v in values)
        detail = "，".join(f"{_ACTION_SUMMARY.get(action, action)} {n} 条" for action, n in sorted(counts.items()))
        summary = f"{source or '批量修改'}：{detail}"[:2000]
        session.add(AuditEvent(at=now, actor=editor, action="kb.batch", detail=summary))
        return
    revisions = [Revision(**v) for v in values]
    session.add_all(revisions)
    session.flush()
    session.add_all(
        AuditEvent(at=now, actor=editor, action=f"{r.kind}.{r.action}", target_kind=r.kind, target_id=r.entity_id,
                   revision_id=r.id, detail=title_of(change[0]))
        for r, change in zip(revisions, changes, strict=True)
    )


def history(session: Session, kind: str, entity_id: int) -> list[Revision]:
    """Every revision of one entry, newest first."""
    return list(session.scalars(
        select(Revision).where(Revision.kind == kind, Revision.entity_id == entity_id).order_by(Revision.id.desc())
    ))
