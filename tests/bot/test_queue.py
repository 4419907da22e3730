"""The staff queue of unanswered and 不满意 questions, and what handling a group does, on both databases."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.questionlog import QuestionLog
from bot.reports import Period, build_report
from bot.reports.queue import build_queue
from bot.reports.queue_marks import add_as_similar, create_faq, dismiss
from bot.reports.render import render_csv
from knowledge.base import shared_processor
from knowledge.document import Document, Hit, SearchResult
from knowledge.editor import EditError, FaqData, KbEditor
from knowledge.models import FaqEntry, Revision
from knowledge.store import Store

BEIJING = datetime.timezone(datetime.timedelta(hours=8))
JANUARY = Period(datetime.date(2026, 1, 1), datetime.date(2026, 2, 1))
START = datetime.datetime(2026, 1, 5, 10, tzinfo=BEIJING)


class Log:
    """A question log with a clock of its own: each question a minute after the last."""

    def __init__(self, store: Store, tmp_path: Path) -> None:
        self.log = QuestionLog(store, "secret", tmp_path / "spool", background=False)
        self.n = 0

    def ask(self, wording: str, times: int = 1, *, answer: Document | None = None, near: Document | None = None,
            feedback: str | None = None) -> None:
        processor = shared_processor()
        for _ in range(times):
            terms = tuple(processor.analyze(wording))
            doc = answer or near
            hits = (Hit(doc, 5.0, terms[:1]),) if doc else ()
            key = f"m{self.n}"
            self.log.record(openid=f"user{self.n}", message_key=key, question=wording,
                            result=SearchResult(wording, terms, hits, answer is not None), answered=answer is not None,
                            reply_kind="answer_faq" if answer else "not_found", latency_ms=5,
                            asked_at=START + datetime.timedelta(minutes=self.n))
            if feedback:
                self.log.record_feedback(key, feedback)
            self.n += 1


@pytest.fixture
def log(store: Store, tmp_path: Path) -> Log:
    return Log(store, tmp_path)


def entry(store: Store, question: str, answer: str, similar: tuple[str, ...] = ()) -> int:
    return KbEditor(store, editor="张三").save_faq(FaqData(question, answer, similar=similar)).id or 0


def test_the_queue_groups_wordings_and_puts_the_most_asked_first(store: Store, log: Log) -> None:
    apply = Document(kind="faq", id=7, title="低保怎么申请", body="")
    log.ask("宅基地怎么审批", 3, near=apply)
    log.ask("宅基地咋审批？", 2)
    log.ask("路灯坏了找谁", 1)
    log.ask("低保怎么申请", 4, answer=apply)  # answered and not rated: not in the queue
    log.ask("低保标准是多少", 2, answer=apply, feedback="unsatisfied")
    queue = build_queue(store, JANUARY).groups
    assert [(g.wording, g.count, g.unanswered, g.unsatisfied) for g in queue] == [
        ("宅基地怎么审批", 5, 5, 0), ("低保标准是多少", 2, 0, 2), ("路灯坏了找谁", 1, 1, 0)]
    assert queue[0].wordings == [("宅基地怎么审批", 3), ("宅基地咋审批？", 2)]
    assert queue[0].nearest == [("faq", 7, 3)]


def test_the_queue_is_empty_outside_its_period(store: Store, log: Log) -> None:
    log.ask("宅基地怎么审批", 2)
    assert build_queue(store, Period(datetime.date(2026, 2, 1), datetime.date(2026, 3, 1))).groups == []


def test_adding_the_wordings_as_similar_questions_edits_the_entry_and_takes_the_group_off_the_queue(
        store: Store, log: Log) -> None:
    faq = entry(store, "农村宅基地审批流程", "向村委会提出申请，经镇政府审核后报县自然资源局审批。")
    log.ask("宅基地怎么审批", 3)
    log.ask("宅基地咋审批？", 1)
    [group] = build_queue(store, JANUARY).groups
    version = store.kb_version()
    add_as_similar(store, group, faq, [w for w, _ in group.wordings], "李四")
    with store.session() as session:
        row = session.get(FaqEntry, faq)
        assert row is not None and row.similar == ["宅基地怎么审批", "宅基地咋审批？"]
        assert session.scalars(select(Revision.note).where(Revision.entity_id == faq)).all()[-1] == "待处理问题"
    assert store.kb_version() > version
    assert build_queue(store, JANUARY).groups == []


def test_a_handled_group_comes_back_only_when_asked_unanswered_again(store: Store, log: Log) -> None:
    log.ask("宅基地怎么审批", 3)
    [group] = build_queue(store, JANUARY).groups
    dismiss(store, group, "李四")
    assert build_queue(store, JANUARY).groups == []
    log.ask("宅基地咋审批", 1)
    [again] = build_queue(store, JANUARY).groups
    assert (again.count, again.reopened, again.wording) == (1, True, "宅基地咋审批")


def test_a_new_faq_written_for_a_group_is_saved_and_marks_it(store: Store, log: Log) -> None:
    log.ask("路灯坏了找谁", 2)
    [group] = build_queue(store, JANUARY).groups
    data = FaqData("路灯坏了找谁报修", "拨打镇城管办电话报修。", similar=["路灯坏了找谁"])
    result = create_faq(store, group, data, "李四")
    assert result.id and build_queue(store, JANUARY).groups == []


def test_adding_to_an_entry_that_does_not_exist_changes_nothing(store: Store, log: Log) -> None:
    log.ask("路灯坏了找谁", 2)
    [group] = build_queue(store, JANUARY).groups
    with pytest.raises(EditError, match="找不到编号为 999 的问答"):
        add_as_similar(store, group, 999, ["路灯坏了找谁"], "李四")
    assert len(build_queue(store, JANUARY).groups) == 1


def test_the_report_shows_which_unanswered_groups_staff_handled(store: Store, log: Log) -> None:
    faq = entry(store, "农村宅基地审批流程", "向村委会提出申请。")
    log.ask("宅基地怎么审批", 3)
    log.ask("路灯坏了找谁", 1)
    group = next(g for g in build_queue(store, JANUARY).groups if g.wording == "宅基地怎么审批")
    add_as_similar(store, group, faq, ["宅基地怎么审批"], "李四")
    report = build_report(store, JANUARY)
    handled = {g.wording: g.handled for g in report.unanswered}
    assert handled["路灯坏了找谁"] is None
    assert (handled["宅基地怎么审批"] or "").startswith(f"已加入相似问法 → 问答 {faq}（李四")
    assert "已加入相似问法 → 问答" in render_csv(report)


def test_a_version_4_database_gains_the_reply_column_and_the_queue_table_and_indexes(store: Store) -> None:
    from sqlalchemy import inspect, select, text

    from knowledge.models import Meta
    from knowledge.store import SCHEMA_VERSION

    with store.engine.begin() as conn:
        conn.execute(text("DROP INDEX ix_question_log_feedback"))
        conn.execute(text("ALTER TABLE question_log DROP COLUMN reply_text"))
        conn.execute(text("DROP TABLE queue_mark"))
    with store.session() as session:
        session.merge(Meta(key="schema_version", value="4"))
    assert store.needs_upgrade()
    store.migrate()
    found = inspect(store.engine)
    assert "reply_text" in {c["name"] for c in found.get_columns("question_log")}
    assert "queue_mark" in found.get_table_names()
    assert "ix_question_log_feedback" in {i["name"] for i in found.get_indexes("question_log")}
    with store.session() as session:
        assert session.scalar(select(Meta.value).where(Meta.key == "schema_version")) == str(SCHEMA_VERSION) == "6"
