"""The 待处理 queue's pages as the database ranks them equal a recount of the question log — with
groups staff handled, a handled group asked again, after more questions and after a purge —
on both databases."""

from __future__ import annotations

import datetime
from pathlib import Path

from sqlalchemy import select, text, update

from bot.questionlog import QuestionLog
from bot.questionlog_days import purge
from bot.questionlog_table import QuestionDay
from bot.questionlog_table import QuestionLogRow as LogRow
from bot.reports import queue as staff_queue
from bot.reports.grouping import TEXT_KEY_PREFIX, group_key
from bot.reports.queue import build_queue
from bot.reports.queue_marks import dismiss, latest_marks
from knowledge.base import shared_processor
from knowledge.document import SearchResult
from knowledge.store import Store
from tests.bot.test_questionlog_days import PERIOD, START, fill

Figures = tuple[int, int, int]
PAGES = [(0, 1), (0, 3), (2, 3), (4, 30), (0, 100), (50, 30)]


def recount(store: Store, since_id: dict[str, int] | None = None) -> dict[str, Figures]:
    """(questions, unanswered, newest id) per group of the period's open questions, row by row;
    with `since_id`, a group counts only its questions after that id."""
    found: dict[str, list[int]] = {}
    start, end = PERIOD.utc_bounds()
    with store.session() as session:
        for row in session.scalars(select(LogRow).where(LogRow.asked_at >= start, LogRow.asked_at < end)):
            if row.answered and row.feedback != "unsatisfied":
                continue
            key = group_key(row.terms, row.question)
            if since_id is not None and row.id <= since_id.get(key, 0):
                continue
            total = found.setdefault(key, [0, 0, 0])
            total[0] += 1
            total[1] += not row.answered
            total[2] = max(total[2], row.id)
    return {key: (n, unans, last) for key, (n, unans, last) in found.items()}


def expected_page(store: Store, offset: int, limit: int) -> tuple[list[tuple[str, Figures]], int, int]:
    """The page as the queue defines it, from the recount: the groups not handled ranked by their
    period's figures; a group asked again after its mark shown with what came after it."""
    counts = recount(store)
    marks = {m.group_key: m.last_log_id for m in latest_marks(store).values()}
    handled = {k for k, (_n, _u, last) in counts.items() if k in marks and last <= marks[k]}
    ranked = sorted(((k, v) for k, v in counts.items() if k not in handled), key=lambda kv: (-kv[1][0], -kv[1][2],
                                                                                             kv[0]))
    after = recount(store, since_id=marks)
    page = [(k, after[k] if k in marks else v) for k, v in ranked[offset:offset + limit]]
    page.sort(key=lambda kv: (-kv[1][0], -kv[1][2], kv[0]))
    return page, len(ranked), sum(v[0] for _k, v in ranked)


def shown_page(store: Store, offset: int, limit: int) -> tuple[list[tuple[str, Figures]], int, int]:
    queue = build_queue(store, PERIOD, offset=offset, limit=limit)
    return ([(g.key, (g.count, g.unanswered, g.last_id)) for g in queue.groups], queue.total_groups,
            queue.total_questions)


def assert_pages_equal_the_recount(store: Store) -> None:
    for offset, limit in PAGES:
        assert shown_page(store, offset, limit) == expected_page(store, offset, limit), (offset, limit)


def ask(log: QuestionLog, wording: str, n: int, first: int) -> None:
    """`n` unanswered questions of `wording`, a minute apart from START + `first` minutes."""
    terms = tuple(shared_processor().analyze(wording))
    for i in range(n):
        log.record(openid=f"later{i}", message_key=f"later{first + i}", question=wording,
                   result=SearchResult(wording, terms, (), False), answered=False, reply_kind="not_found",
                   latency_ms=5, asked_at=START + datetime.timedelta(minutes=first + i))


def test_the_ranked_pages_equal_a_recount_of_the_log_with_handled_and_reopened_groups(store: Store,
                                                                                     tmp_path: Path) -> None:
    log = fill(store, tmp_path)
    assert_pages_equal_the_recount(store)
    groups = build_queue(store, PERIOD).groups
    assert any(g.key.startswith(TEXT_KEY_PREFIX) for g in groups)  # greetings: grouped by their text
    # Staff handle two groups and the greetings; then the first is asked again.
    first, second = [g for g in groups if not g.key.startswith(TEXT_KEY_PREFIX)][:2]
    greeting = next(g for g in groups if g.key.startswith(TEXT_KEY_PREFIX))
    for group in (first, second, greeting):
        dismiss(store, group, "张三")
    assert_pages_equal_the_recount(store)
    ask(log, first.wording, 2, first=20_000)
    page, total, _questions = shown_page(store, 0, 100)
    assert dict(page)[first.key][:2] == (2, 2)  # counted from its mark on
    assert second.key not in dict(page) and greeting.key not in dict(page) and total == len(groups) - 2
    assert_pages_equal_the_recount(store)
    # More questions, and a purge that cuts a day of the period in two.
    ask(log, "宅基地怎么审批", 3, first=30_000)
    assert_pages_equal_the_recount(store)
    assert purge(store, 27, now=START + datetime.timedelta(days=30, hours=3, minutes=20)) > 0
    assert_pages_equal_the_recount(store)


def test_summary_rows_without_their_group_key_still_rank_as_the_recount(store: Store, tmp_path: Path) -> None:
    """Rows an older release summed during a rolling upgrade have no group key: summed in Python."""
    fill(store, tmp_path)
    groups = build_queue(store, PERIOD).groups
    dismiss(store, groups[1], "张三")
    with store.session() as session:
        session.execute(update(QuestionDay).where(QuestionDay.id % 2 == 0).values(group_key=""))
    staff_queue._counts_cache.clear()
    assert_pages_equal_the_recount(store)


def test_a_question_too_long_for_the_covering_index_is_logged_and_shown_with_its_wording(
        store: Store, tmp_path: Path) -> None:
    """PostgreSQL's covering index holds only open questions that fit a B-tree entry; a longer
    plea is written all the same and read through the index of long ones."""
    log = fill(store, tmp_path)
    plea = "我家老房子年久失修，" * 90 + "危房改造补助怎么申请"  # 910 characters, 2,730 bytes
    ask(log, plea, 2, first=20_000)
    with store.session() as session:
        stored = session.scalars(select(LogRow.question).where(LogRow.question.like("我家老房子%"))).all()
    assert len(stored) == 2 and len(stored[0].encode()) > 2400
    groups = build_queue(store, PERIOD).groups
    shown = [g for g in groups if any(w.startswith("我家老房子") for w, _n in g.wordings)]
    assert len(shown) == 1 and dict(shown[0].wordings)[stored[0]] == 2
    assert_pages_equal_the_recount(store)


def test_postgresql_vacuums_the_question_log_within_one_percent_of_new_rows(postgres_url: str) -> None:
    """The queue reads PostgreSQL's covering index alone only where VACUUM has marked the pages;
    the default (after 20 % new rows) would leave months of the newest questions unmarked."""
    db = Store(postgres_url)
    try:
        db.migrate()
        db.migrate()  # every start: set once, not altered again
        with db.engine.connect() as conn:
            options = conn.scalar(text("SELECT reloptions FROM pg_class WHERE oid = to_regclass('question_log')"))
            indexes = set(conn.scalars(text("SELECT indexname FROM pg_indexes WHERE tablename = 'question_log' "
                                            "AND schemaname = current_schema()")))
        assert options == ["autovacuum_vacuum_insert_scale_factor=0.01"]
        assert {"ix_question_log_open", "ix_question_log_open_long"} <= indexes
    finally:
        db.engine.dispose()
