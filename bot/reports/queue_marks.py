"""What staff did with a group of the 待处理 queue (`bot.reports.queue`): the marks, and the
three actions that make one — 加入相似问法, 新建FAQ, 忽略 — each through the one write path.

A mark is written in the same transaction as the knowledge-base change it records (or, when
the change waits for review, right after its submission), so a group never leaves the queue
without its fix, nor stays in it after being fixed. The report's unanswered table shows the
marks too (`annotate_handled`).
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.questionlog_table import QuestionLogRow as LogRow
from bot.questionlog_table import QueueMark
from bot.reports.grouping import QuestionGroup
from knowledge.editor import EditBatch, EditError, EditResult, FaqData, KbEditor
from knowledge.models import FaqEntry
from knowledge.store import Store

if TYPE_CHECKING:
    from bot.reports.queue import QueueGroup

ACTIONS = {"similar": "已加入相似问法", "new_faq": "已新建问答", "dismissed": "已忽略"}
SOURCE = "待处理问题"


def key_hash(key: str) -> str:
    """A fixed-length handle for a group key (URLs and the mark table)."""
    return hashlib.sha1(key.encode("utf-8")).hexdigest()


def latest_marks(store: Store, hashes: Iterable[str] | None = None) -> dict[str, QueueMark]:
    """The newest mark of each group (all groups, or those whose key hashes are given)."""
    stmt = select(QueueMark).order_by(QueueMark.id)
    if hashes is not None:
        wanted = sorted(set(hashes))
        if not wanted:
            return {}
        stmt = stmt.where(QueueMark.key_hash.in_(wanted))
    with store.session() as session:
        return {mark.key_hash: mark for mark in session.scalars(stmt)}


def _mark(session: Session, group: QueueGroup, action: str, staff: str | None, entry_id: int | None) -> None:
    newest = session.scalar(select(func.max(LogRow.id))) or 0
    session.add(QueueMark(key_hash=group.hash, group_key=group.key, wording=group.wording[:1000],
                          action=action, entry_id=entry_id, last_log_id=max(newest, group.last_id),
                          staff=staff, at=datetime.datetime.now(datetime.UTC).replace(tzinfo=None)))


def add_as_similar(store: Store, group: QueueGroup, faq_id: int, wordings: list[str], staff: str | None,
                   *, review: bool = False) -> EditResult:
    """Add `wordings` (the group's, as staff picked them) to entry `faq_id`'s 相似问法; mark the group.

    With `review` (an editor while review is required) the edit becomes a pending change
    (`result.pending`) and the group is marked handled all the same: staff have dealt with it.
    """
    picked = [w for w in wordings if w.strip()]
    if not picked:
        raise EditError("请至少选择一种问法")

    def edit(batch: EditBatch) -> EditResult:
        entry = batch.session.get(FaqEntry, faq_id)
        if entry is None or entry.deleted_at is not None:
            raise EditError(f"找不到编号为 {faq_id} 的问答")
        return batch.save_faq(FaqData(question=entry.question, answer=entry.answer,
                                      similar=[*entry.similar, *picked]), faq_id=faq_id)

    return _handle(store, group, staff, review, "similar", edit, lambda _result: faq_id)


def create_faq(store: Store, group: QueueGroup, data: FaqData, staff: str | None, *, review: bool = False,
               ) -> EditResult:
    """Save a new FAQ entry written for this group (under `review`: submit it); mark the group."""
    return _handle(store, group, staff, review, "new_faq", lambda batch: batch.save_faq(data),
                   lambda result: None if review else result.row.id)


def _handle(store: Store, group: QueueGroup, staff: str | None, review: bool, action: str,
            edit: Callable[[EditBatch], EditResult], entry_of: Callable[[EditResult], int | None]) -> EditResult:
    """One edit through the write path and the group's mark — in the same transaction when it
    is written; after the submission when it waits for review (the edit's transaction is rolled
    back then)."""
    with KbEditor(store, editor=staff, source=SOURCE, review=review).batch() as batch:
        result = edit(batch)
        if not review:
            batch.session.flush()
            _mark(batch.session, group, action, staff, entry_of(result))
    if review:
        with store.session() as session:
            _mark(session, group, action, staff, entry_of(result))
        result = dataclasses.replace(result, pending=batch.pending_id)
    return result


def dismiss(store: Store, group: QueueGroup, staff: str | None) -> None:
    with store.session() as session:
        _mark(session, group, "dismissed", staff, None)


def annotate_handled(store: Store, groups: list[QuestionGroup]) -> None:
    """Fill `handled` of the report's unanswered groups from the marks staff made."""
    marks = latest_marks(store, [key_hash(g.key) for g in groups])
    for group in groups:
        mark = marks.get(key_hash(group.key))
        if mark is not None:
            target = f" → 问答 {mark.entry_id}" if mark.entry_id else ""
            group.handled = f"{ACTIONS.get(mark.action, mark.action)}{target}（{mark.staff or '—'}，{mark.at:%m-%d}）"
