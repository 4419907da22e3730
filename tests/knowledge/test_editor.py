"""The one write path: validation, upsert keys, editor and timestamps, one version bump per edit.

Every test runs against SQLite (a temporary file) and the real PostgreSQL.
"""

from __future__ import annotations

import datetime

import pytest
from sqlalchemy import func, select

from knowledge.editor import Change, EditError, FaqData, ItemData, KbEditor, question_key
from knowledge.models import DisclosureItem, FaqEntry
from knowledge.store import Store


@pytest.fixture
def editor(store: Store) -> KbEditor:
    return KbEditor(store, editor="张三")


FAQ = FaqData(question="低保怎么申请？", answer="向户籍所在地的镇人民政府提出书面申请。",
              similar="低保去哪办|怎么吃低保")
ITEM = ItemData(title="某镇2023年工作总结", body="正文", index_number="640000-001/2023-00001",
                published="2023年3月8日", keywords="工作总结、年度")


def faq_count(store: Store) -> int:
    with store.session() as session:
        return session.scalar(select(func.count(FaqEntry.id))) or 0


def get_faq(store: Store, faq_id: int) -> FaqEntry:
    with store.session() as session:
        row = session.get(FaqEntry, faq_id)
        assert row is not None
        return row


def test_creating_an_faq_records_editor_and_timestamps_and_bumps_the_version(store: Store, editor: KbEditor) -> None:
    result = editor.save_faq(FAQ)
    row = get_faq(store, result.id or 0)
    assert (result.change, row.editor, row.similar, store.kb_version()) == (
        Change.CREATED, "张三", ["低保去哪办", "怎么吃低保"], 1)
    assert row.created_at == row.updated_at


def test_saving_the_same_faq_again_is_unchanged_and_does_not_bump(store: Store, editor: KbEditor) -> None:
    editor.save_faq(FAQ)
    assert editor.save_faq(FAQ).change is Change.UNCHANGED
    assert store.kb_version() == 1


def test_the_same_question_typed_differently_updates_the_existing_entry(store: Store, editor: KbEditor) -> None:
    first = editor.save_faq(FAQ)
    second = editor.save_faq(FaqData(question="低保怎麼申請 ?", answer="新答案"))
    assert (second.change, second.id, faq_count(store), get_faq(store, first.id or 0).answer) == (
        Change.UPDATED, first.id, 1, "新答案")


def test_question_key_folds_width_script_case_and_punctuation() -> None:
    assert question_key("ＥＴＣ卡怎麼辦理？") == question_key("etc卡 怎么办理") == "etc卡怎么办理"


def test_an_update_keeps_fields_not_given_and_clears_fields_given_empty(store: Store, editor: KbEditor) -> None:
    faq_id = editor.save_faq(FaqData(question="问", answer="答", similar=["另一种问法"], category="救助")).id or 0
    editor.save_faq(FaqData(question="问", answer="新答", category=""))
    row = get_faq(store, faq_id)
    assert (row.similar, row.category) == (["另一种问法"], None)


def test_an_update_changes_updated_at_and_editor_but_not_created_at(store: Store) -> None:
    faq_id = KbEditor(store, editor="张三").save_faq(FAQ).id or 0
    before = get_faq(store, faq_id)
    KbEditor(store, editor="李四").save_faq(FaqData(question=FAQ.question, answer="改过的答案"))
    after = get_faq(store, faq_id)
    assert (after.editor, after.created_at) == ("李四", before.created_at)
    assert after.updated_at >= before.updated_at


def test_similar_questions_are_split_deduplicated_and_never_repeat_the_question(editor: KbEditor,
                                                                               store: Store) -> None:
    faq_id = editor.save_faq(FaqData(question="低保怎么申请", answer="答",
                                     similar="低保去哪办；低保去哪办\n低保怎么申请？; 吃低保")).id or 0
    assert get_faq(store, faq_id).similar == ["低保去哪办", "吃低保"]


@pytest.mark.parametrize(("data", "reason"), [
    (FaqData(question="  ", answer="答"), "问题不能为空"),
    (FaqData(question="问", answer=" \n "), "答案不能为空"),
    (FaqData(question="问", answer="答", url="www.example.com"), "http"),
    (FaqData(question="问" * 1001, answer="答"), "问题太长"),
])
def test_invalid_faq_is_rejected_with_a_chinese_reason_and_nothing_is_written(
        store: Store, editor: KbEditor, data: FaqData, reason: str) -> None:
    with pytest.raises(EditError, match=reason):
        editor.save_faq(data)
    assert (faq_count(store), store.kb_version()) == (0, 0)


def test_renaming_a_question_onto_another_existing_question_is_refused(editor: KbEditor) -> None:
    editor.save_faq(FaqData(question="甲", answer="答"))
    other = editor.save_faq(FaqData(question="乙", answer="答")).id
    with pytest.raises(EditError, match="已有相同的问题"):
        editor.save_faq(FaqData(question="甲", answer="答"), faq_id=other)


def test_editing_by_id_can_rename_the_question(store: Store, editor: KbEditor) -> None:
    faq_id = editor.save_faq(FAQ).id or 0
    editor.save_faq(FaqData(question="最低生活保障怎么申请", answer="答"), faq_id=faq_id)
    assert (get_faq(store, faq_id).question_key, faq_count(store)) == ("最低生活保障怎么申请", 1)


def test_disabling_an_faq_hides_it_from_the_index_and_bumps_the_version(store: Store, editor: KbEditor) -> None:
    faq_id = editor.save_faq(FAQ).id or 0
    assert editor.set_faq_enabled(faq_id, False) is Change.UPDATED
    assert (store.load_documents(), store.kb_version()) == ([], 2)


def test_disabling_an_already_disabled_faq_changes_nothing(store: Store, editor: KbEditor) -> None:
    faq_id = editor.save_faq(FAQ).id or 0
    editor.set_faq_enabled(faq_id, False)
    assert editor.set_faq_enabled(faq_id, False) is Change.UNCHANGED
    assert store.kb_version() == 2


def test_deleting_an_faq_moves_it_to_the_trash_and_bumps_the_version(store: Store, editor: KbEditor) -> None:
    faq_id = editor.save_faq(FAQ).id or 0
    assert editor.delete_faq(faq_id) is True
    assert get_faq(store, faq_id).deleted_at is not None
    assert (store.load_documents(), store.kb_version()) == ([], 2)


def test_deleting_a_missing_row_reports_false_and_does_not_bump(store: Store, editor: KbEditor) -> None:
    assert (editor.delete_faq(999), editor.delete_item(999), store.kb_version()) == (False, False, 0)


def test_an_item_is_normalised_on_save(store: Store, editor: KbEditor) -> None:
    item_id = editor.save_item(ITEM).id
    with store.session() as session:
        row = session.get(DisclosureItem, item_id)
        assert row is not None
        assert (row.published, row.keywords, row.url, row.editor) == (
            datetime.date(2023, 3, 8), "工作总结 年度", None, "张三")


def test_an_item_without_url_is_updated_by_its_index_number(store: Store, editor: KbEditor) -> None:
    first = editor.save_item(ITEM)
    second = editor.save_item(ItemData(title="改过的标题", body="正文", index_number=ITEM.index_number))
    assert (second.change, second.id) == (Change.UPDATED, first.id)


def test_an_item_is_updated_by_url_first(store: Store, editor: KbEditor) -> None:
    first = editor.save_item(ItemData(title="甲", url="https://example.gov.cn/1.html"))
    second = editor.save_item(ItemData(title="乙", url="https://example.gov.cn/1.html", index_number="X-1"))
    assert (second.change, second.id) == (Change.UPDATED, first.id)


def test_url_and_index_number_of_two_different_items_is_a_conflict(editor: KbEditor) -> None:
    editor.save_item(ItemData(title="甲", url="https://example.gov.cn/1.html"))
    editor.save_item(ItemData(title="乙", body="正文", index_number="X-2"))
    with pytest.raises(EditError, match="两条不同的信息"):
        editor.save_item(ItemData(title="丙", url="https://example.gov.cn/1.html", index_number="X-2"))


def test_an_item_needs_a_body_or_a_url(editor: KbEditor) -> None:
    with pytest.raises(EditError, match="正文和链接至少要有一个"):
        editor.save_item(ItemData(title="只有标题"))


def test_an_unreadable_date_is_rejected_in_chinese(editor: KbEditor) -> None:
    with pytest.raises(EditError, match="发布日期“去年”无法识别"):
        editor.save_item(ItemData(title="甲", body="乙", published="去年"))


def test_a_batch_of_many_edits_bumps_the_version_once(store: Store, editor: KbEditor) -> None:
    with editor.batch() as batch:
        for n in range(20):
            batch.save_faq(FaqData(question=f"问题{n}", answer="答"))
        batch.save_item(ITEM)
    assert (faq_count(store), store.kb_version()) == (20, 1)


def test_a_batch_that_fails_writes_nothing(store: Store, editor: KbEditor) -> None:
    with pytest.raises(RuntimeError), editor.batch() as batch:
        batch.save_faq(FAQ)
        raise RuntimeError("boom")
    assert (faq_count(store), store.kb_version()) == (0, 0)
