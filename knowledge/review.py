"""Deciding pending changes: replay one against the live knowledge base, publish it, reject it.

A pending change (`knowledge.pending`) is the list of editor calls it was made of. Showing it
to a reviewer replays those calls in a rolled-back batch against what is live *now*, so the
diff is always against the current version and a change that would no longer apply (its
question taken meanwhile, its entry deleted) says so before anyone presses 发布. Publishing
replays the same calls for real, through the one write path: the revision carries the
author's name and says who approved it; the status, the decision and the audit event are in
the same transaction. Rejecting needs a reason, which the editor then reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from knowledge import pending
from knowledge.batch import EditBatch
from knowledge.document import Document
from knowledge.editor import KbEditor
from knowledge.models import AuditEvent, DisclosureItem, FaqEntry, PendingChange, utcnow
from knowledge.pending import Record
from knowledge.store import Store, faq_document, item_document
from knowledge.validation import EditError, clean_text

_CALLS = {"save_faq", "save_item", "set_faq_enabled", "set_item_enabled", "delete_faq", "delete_item",
          "restore_faq", "restore_item"}


@dataclass
class Replay:
    """What a pending change would do if published now."""

    records: list[Record] = field(default_factory=list)
    # The documents the index would serve instead, by key (None: no longer served), for "test it".
    documents: dict[str, Document | None] = field(default_factory=dict)
    error: str | None = None  # why it cannot be published as it stands


def apply(batch: EditBatch, op: dict[str, Any]) -> object:
    """Run one stored call on `batch`."""
    args = dict(op)
    call = args.pop("call")
    if call not in _CALLS:
        raise EditError(f"无法识别的修改：{call}")
    if "data" in args:
        args["data"] = pending.data_from(call, args["data"])
    return getattr(batch, call)(**args)


def _served(row: FaqEntry | DisclosureItem) -> Document | None:
    if row.deleted_at is not None or not row.enabled:
        return None
    return faq_document(row) if isinstance(row, FaqEntry) else item_document(row)


def replay(store: Store, change: PendingChange) -> Replay:
    """Replay `change` on the live data in a transaction that is rolled back."""
    result = Replay()
    try:
        with KbEditor(store, editor=change.submitted_by).batch(dry_run=True) as batch:
            rows = [apply(batch, op) for op in pending.ops_of(change)]
            batch.session.flush()
            result.records = [Record(kind=r.kind, id=r.id, action=r.action, title=r.title, before=r.before,
                                     after=r.after) for r in batch.records()]
            for saved in rows:
                row = getattr(saved, "row", None)
                if isinstance(row, FaqEntry | DisclosureItem):
                    key = f"{'faq' if isinstance(row, FaqEntry) else 'item'}:{row.id}"
                    result.documents[key] = _served(row)
    except EditError as error:
        result.error = str(error)
    return result


def _decide(change: PendingChange | None, change_id: int) -> PendingChange:
    if change is None:
        raise EditError(f"找不到编号为 {change_id} 的待审核修改")
    if change.status != "pending":
        raise EditError(f"这项修改的状态是“{pending.STATUS_LABELS.get(change.status, change.status)}”，不能再处理")
    return change


def publish(store: Store, change_id: int, reviewer: str | None) -> int:
    """Write pending change `change_id` as its author made it; returns how many records changed.

    Raises `EditError` (nothing written, the change stays pending) when it no longer applies.
    """
    with store.session() as session:
        submitted = _decide(session.get(PendingChange, change_id), change_id)
        author, source = submitted.submitted_by, submitted.source
    note = f"{source or '后台'}；审核发布：{reviewer or '—'}"
    with KbEditor(store, editor=author, source=note[:500]).batch() as batch:
        change = _decide(batch.session.get(PendingChange, change_id, with_for_update=True), change_id)
        for op in pending.ops_of(change):
            apply(batch, op)
        batch.finish()  # the revisions and their audit events first, then the decision's
        change.status, change.decided_by, change.decided_at = "published", reviewer, utcnow()
        batch.session.add(AuditEvent(at=change.decided_at, actor=reviewer, action="review.published",
                                     target_kind=change.kind, target_id=change.entity_id,
                                     detail=f"发布 {author or '—'} 提交的修改 #{change.id}：{change.title}"[:2000]))
        changed = batch.changes
    return changed


def reject(store: Store, change_id: int, reviewer: str | None, reason: str) -> None:
    """Refuse a pending change; the reason is required (the editor reads it) and kept."""
    text = clean_text(reason)[:pending.REASON_LIMIT]
    if not text:
        raise EditError("请写明退回的理由，编辑会看到它", field="reason")
    with store.session() as session:
        change = _decide(session.get(PendingChange, change_id, with_for_update=True), change_id)
        change.status, change.decided_by, change.decided_at, change.reason = "rejected", reviewer, utcnow(), text
        session.add(AuditEvent(at=change.decided_at, actor=reviewer, action="review.rejected",
                               target_kind=change.kind, target_id=change.entity_id,
                               detail=f"退回 {change.submitted_by or '—'} 提交的修改 #{change.id}：{text}"[:2000]))


def withdraw(store: Store, change_id: int, staff: str | None) -> None:
    """The author takes back their own pending change (kept as 已撤回)."""
    with store.session() as session:
        change = _decide(session.get(PendingChange, change_id, with_for_update=True), change_id)
        if change.submitted_by != staff:
            raise EditError("只能撤回自己提交的修改")
        change.status, change.decided_by, change.decided_at = "withdrawn", staff, utcnow()
        session.add(AuditEvent(at=change.decided_at, actor=staff, action="review.withdrawn",
                               target_kind=change.kind, target_id=change.entity_id,
                               detail=f"撤回修改 #{change.id}：{change.title}"[:2000]))
