"""Pending changes in the one write path: an editor's batch under review writes nothing citizens
are served (no row, no version bump), is stored with its records, and publishing replays it
with a revision; the command line decides them like a reviewer.

Every store test runs against SQLite (a temporary file) and the real PostgreSQL.
"""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select

from bot.runtime import get_runtime
from knowledge import pending, review
from knowledge.editor import Change, FaqData, ItemData, KbEditor
from knowledge.models import FaqEntry, PendingChange, Revision
from knowledge.store import Store


def test_a_save_under_review_writes_no_row_and_bumps_no_version(store: Store) -> None:
    version = store.kb_version()
    result = KbEditor(store, editor="编辑甲", review=True).save_faq(FaqData("低保怎么申请", "书面申请。"))
    assert result.change is Change.CREATED and result.pending is not None
    assert store.kb_version() == version
    with store.session() as session:
        assert session.scalar(select(func.count(FaqEntry.id))) == 0
        assert session.scalar(select(func.count(Revision.id))) == 0
        change = session.get(PendingChange, result.pending)
        assert change is not None
        records = pending.records_of(change)
    assert [(r.kind, r.id, r.action, r.before, r.after["answer"]) for r in records] == [  # type: ignore[index]
        ("faq", None, "created", None, "书面申请。")]


def test_an_unchanged_save_under_review_stores_nothing(store: Store) -> None:
    KbEditor(store, editor="审核乙").save_faq(FaqData("低保怎么申请", "书面申请。"))
    result = KbEditor(store, editor="编辑甲", review=True).save_faq(FaqData("低保怎么申请", "书面申请。"))
    assert result.change is Change.UNCHANGED and result.pending is None


def test_publishing_replays_the_change_with_a_revision_and_one_version_bump(store: Store) -> None:
    boss = KbEditor(store, editor="审核乙")
    item_id = boss.save_item(ItemData(title="某镇通知", body="旧正文")).id
    number = KbEditor(store, editor="编辑甲", review=True).save_item(
        ItemData(title="某镇通知", body="新正文", status="已废止", valid_until="2030-01-31"), item_id=item_id).pending
    assert number is not None
    version = store.kb_version()
    assert review.publish(store, number, "审核乙") == 1
    assert store.kb_version() == version + 1
    with store.session() as session:
        rev = session.scalars(select(Revision).order_by(Revision.id.desc())).first()
        assert rev is not None and (rev.editor, rev.action) == ("编辑甲", "updated")
        assert '"status": "已废止"' in (rev.after_json or "")


def test_cli_lists_publishes_and_rejects_pending_changes(app: Flask) -> None:
    db = get_runtime(app).db
    editor = KbEditor(db, editor="编辑甲", review=True)
    first = editor.save_faq(FaqData("低保怎么申请", "书面申请。")).pending
    second = editor.save_faq(FaqData("危房改造补助多少钱", "按等级补助。")).pending
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["kb", "pending"])
    assert listed.exit_code == 0 and "共 2 项待审核" in listed.output and "低保怎么申请" in listed.output
    published = runner.invoke(args=["kb", "publish", str(first), "--editor", "审核乙"])
    assert published.exit_code == 0 and f"已发布 #{first}" in published.output
    refused = runner.invoke(args=["kb", "reject", str(second)])
    assert refused.exit_code == 2  # --reason is required
    rejected = runner.invoke(args=["kb", "reject", str(second), "--reason", "重复"])
    assert rejected.exit_code == 0
    again = runner.invoke(args=["kb", "publish", str(second)])
    assert again.exit_code == 1 and "已退回" in again.output
    with db.session() as session:
        assert [f.question for f in session.scalars(select(FaqEntry))] == ["低保怎么申请"]
