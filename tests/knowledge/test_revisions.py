"""Revisions, the 回收站 and restoring: every write through the editor leaves who/when/before/after.

Every test runs against SQLite (a temporary file) and the real PostgreSQL.
"""

from __future__ import annotations

import datetime

import pytest
from sqlalchemy import select, update

from knowledge.editor import EditError, FaqData, ItemData, KbEditor
from knowledge.models import AuditEvent, DisclosureItem, FaqEntry, Revision
from knowledge.revisions import diff, history, loads
from knowledge.store import Store

FAQ = FaqData(question="低保怎么申请？", answer="向镇人民政府提出书面申请。", similar="低保去哪办")
ITEM = ItemData(title="某镇2023年工作总结", body="正文", index_number="640000-001/2023-00001")


@pytest.fixture
def editor(store: Store) -> KbEditor:
    return KbEditor(store, editor="张三", source="后台")


def revisions(store: Store, kind: str, entity_id: int) -> list[Revision]:
    with store.session() as session:
        return list(reversed(history(session, kind, entity_id)))


def served_keys(store: Store) -> set[str]:
    return {doc.key for doc in store.load_documents()}


def test_every_faq_change_records_a_revision_with_before_and_after(store: Store, editor: KbEditor) -> None:
    faq_id = editor.save_faq(FAQ).id or 0
    editor.save_faq(FaqData(question=FAQ.question, answer="新答案"), faq_id=faq_id)
    editor.set_faq_enabled(faq_id, False)
    revs = revisions(store, "faq", faq_id)
    assert [r.action for r in revs] == ["created", "updated", "disabled"]
    assert {r.editor for r in revs} == {"张三"}
    assert revs[0].before_json is None
    before, after = loads(revs[1].before_json), loads(revs[1].after_json)
    assert before is not None and after is not None
    assert (before["answer"], after["answer"]) == ("向镇人民政府提出书面申请。", "新答案")
    assert [d.name for d in diff("faq", loads(revs[1].before_json), loads(revs[1].after_json))] == ["answer"]


def test_an_unchanged_save_records_no_revision(store: Store, editor: KbEditor) -> None:
    faq_id = editor.save_faq(FAQ).id or 0
    editor.save_faq(FAQ, faq_id=faq_id)
    assert len(revisions(store, "faq", faq_id)) == 1


def test_each_change_is_in_the_audit_trail_linked_to_its_revision(store: Store, editor: KbEditor) -> None:
    faq_id = editor.save_faq(FAQ).id or 0
    editor.delete_faq(faq_id)
    with store.session() as session:
        events = list(session.scalars(select(AuditEvent).order_by(AuditEvent.id)))
        rev_ids = [r.id for r in session.scalars(select(Revision).order_by(Revision.id))]
    assert [(e.action, e.actor, e.target_id) for e in events] == [
        ("faq.created", "张三", faq_id), ("faq.deleted", "张三", faq_id)]
    assert [e.revision_id for e in events] == rev_ids


def test_a_deleted_faq_is_not_served_and_comes_back_from_the_trash(store: Store, editor: KbEditor) -> None:
    faq_id = editor.save_faq(FAQ).id or 0
    editor.delete_faq(faq_id)
    assert f"faq:{faq_id}" not in served_keys(store)
    assert editor.restore_faq(faq_id) is True
    assert f"faq:{faq_id}" in served_keys(store)
    assert [r.action for r in revisions(store, "faq", faq_id)] == ["created", "deleted", "restored"]


def test_importing_a_question_that_is_in_the_trash_is_refused(store: Store, editor: KbEditor) -> None:
    faq_id = editor.save_faq(FAQ).id or 0
    editor.delete_faq(faq_id)
    with pytest.raises(EditError, match="回收站"):
        editor.save_faq(FaqData(question="低保怎么申请", answer="另一个答案"))


def test_a_faq_in_the_trash_cannot_be_edited_until_restored(store: Store, editor: KbEditor) -> None:
    faq_id = editor.save_faq(FAQ).id or 0
    editor.delete_faq(faq_id)
    with pytest.raises(EditError, match="回收站"):
        editor.save_faq(FaqData(question=FAQ.question, answer="改"), faq_id=faq_id)


def test_the_trash_is_purged_after_thirty_days_keeping_the_history(store: Store, editor: KbEditor) -> None:
    old_id = editor.save_faq(FAQ).id or 0
    new_id = editor.save_faq(FaqData(question="临时救助怎么申请", answer="到民政办。")).id or 0
    editor.delete_faq(old_id)
    editor.delete_faq(new_id)
    with store.session() as session:
        session.execute(update(FaqEntry).where(FaqEntry.id == old_id)
                        .values(deleted_at=datetime.datetime(2020, 1, 1)))
    assert editor.purge_trash() == 1
    with store.session() as session:
        assert session.get(FaqEntry, old_id) is None
        assert session.get(FaqEntry, new_id) is not None
    assert revisions(store, "faq", old_id)[-1].action == "purged"


def test_reverting_brings_back_an_old_version_as_a_new_revision(store: Store, editor: KbEditor) -> None:
    faq_id = editor.save_faq(FAQ).id or 0
    editor.save_faq(FaqData(question="低保如何申请？", answer="新答案", similar="", office="民政办"), faq_id=faq_id)
    first = revisions(store, "faq", faq_id)[0]
    editor.revert(first.id)
    with store.session() as session:
        row = session.get(FaqEntry, faq_id)
        assert row is not None
        assert (row.question, row.answer, row.similar, row.office) == (
            FAQ.question, FAQ.answer, ["低保去哪办"], None)
    assert revisions(store, "faq", faq_id)[-1].action == "reverted"


def test_items_are_disabled_deleted_and_reverted_the_same_way(store: Store, editor: KbEditor) -> None:
    item_id = editor.save_item(ITEM).id or 0
    editor.save_item(ItemData(title="改过的标题", body="新正文", index_number=ITEM.index_number), item_id=item_id)
    editor.set_item_enabled(item_id, False)
    assert f"item:{item_id}" not in served_keys(store)
    editor.revert(revisions(store, "item", item_id)[0].id)
    with store.session() as session:
        row = session.get(DisclosureItem, item_id)
        assert row is not None
        assert (row.title, row.body, row.enabled) == (ITEM.title, "正文", True)
    editor.delete_item(item_id)
    assert f"item:{item_id}" not in served_keys(store)
    assert [r.action for r in revisions(store, "item", item_id)] == [
        "created", "updated", "disabled", "reverted", "enabled", "deleted"]


def test_an_expired_faq_is_not_served(store: Store, editor: KbEditor) -> None:
    yesterday = datetime.date.today() - datetime.timedelta(days=1)
    faq_id = editor.save_faq(FaqData(question="今年春耕补贴", answer="已发放。", valid_until=yesterday)).id
    keep_id = editor.save_faq(FaqData(question="明年春耕补贴", answer="待定。", valid_until="2999-01-01")).id
    assert served_keys(store) == {f"faq:{keep_id}"}
    assert faq_id != keep_id


def test_a_bad_valid_until_date_is_refused_with_its_label(store: Store, editor: KbEditor) -> None:
    with pytest.raises(EditError, match="有效期至"):
        editor.save_faq(FaqData(question="问题", answer="答案", valid_until="明年"))


def test_the_index_drops_an_entry_the_day_after_its_valid_until(store: Store, editor: KbEditor,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from knowledge.base import KnowledgeBase, shared_processor

    today = datetime.date.today()
    editor.save_faq(FaqData(question="今天截止的补贴申报", answer="今天之内到民政办。", valid_until=today))
    kb = KnowledgeBase(store, shared_processor(), reload_interval=0)
    kb.load()
    assert kb.size == 1

    class Tomorrow(datetime.date):
        @classmethod
        def today(cls) -> Tomorrow:
            day = today + datetime.timedelta(days=1)
            return cls(day.year, day.month, day.day)

    monkeypatch.setattr(datetime, "date", Tomorrow)
    kb.maybe_reload(wait=True)
    assert kb.size == 0


def test_a_big_batch_keeps_every_revision_and_one_summary_audit_event(store: Store) -> None:
    with KbEditor(store, editor="张三", source="导入 faq.xlsx").batch() as batch:
        for n in range(60):
            batch.save_faq(FaqData(question=f"第{n}个问题", answer="答案"))
    with store.session() as session:
        assert len(session.scalars(select(Revision)).all()) == 60
        [event] = session.scalars(select(AuditEvent)).all()
    assert (event.action, event.actor, event.detail) == ("kb.batch", "张三", "导入 faq.xlsx：问答新建 60 条")
