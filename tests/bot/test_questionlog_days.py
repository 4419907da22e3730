"""The question log's per-day summary stays equal to summing the log itself, and so do the
report and the 待处理 queue read from it — on both databases."""

from __future__ import annotations

import datetime
import random
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select, update

from bot.privacy import pseudonymise
from bot.questionlog import QuestionLog
from bot.questionlog_days import BUILT_KEY, LOCAL_OFFSET, purge
from bot.questionlog_table import QuestionDay, QuestionDayTerm
from bot.questionlog_table import QuestionLogRow as LogRow
from bot.reports import Period, build_report, grouping
from bot.reports.aggregates import by_category, by_entry, rising_topics, top_groups, top_terms, unanswered_groups
from bot.reports.grouping import group_key
from bot.reports.queries import question_rows
from bot.reports.queue import build_queue
from knowledge.base import shared_processor
from knowledge.document import Document, Hit, SearchResult
from knowledge.models import Meta
from knowledge.store import Store

WORDINGS = ["低保怎么申请", "低保咋申请？", "请问低保怎么申请", "养老金什么时候发", "养老金 什么时候发",
            "你好", "你好！", "路灯坏了找谁修", "医保怎么交", "医保在手机上怎么交", "宅基地怎么审批"]
ENTRIES = [Document(kind="faq", id=1, title="低保申请", body="", category="社会救助"),
           Document(kind="faq", id=2, title="养老金发放", body="", category=None),
           Document(kind="item", id=3, title="医保缴费通知", body="", category="社会保障")]
# Local midnight is 16:00 UTC: questions either side of it fall on different days.
START = datetime.datetime(2026, 1, 4, 15, 0)
PERIOD = Period(datetime.date(2026, 1, 1), datetime.date(2026, 2, 1))


def fill(store: Store, tmp_path: Path, n: int = 240, seed: int = 3) -> QuestionLog:
    """`n` varied questions through the real write path, with feedback given, changed and replayed."""
    rng = random.Random(seed)
    log = QuestionLog(store, "secret", tmp_path / "spool", background=False)
    processor = shared_processor()
    for i in range(n):
        wording = rng.choice(WORDINGS)
        terms = tuple(processor.analyze(wording))
        doc = rng.choice([None, *ENTRIES])
        answered = doc is not None and rng.random() < 0.7
        result = SearchResult(wording, terms, (Hit(doc, 4.0, terms[:1]),) if doc else (), answered)
        asked_at = START + datetime.timedelta(minutes=37 * i)
        log.record(openid=f"u{i % 17}", message_key=f"m{i}", question=wording, result=result, answered=answered,
                   reply_kind="answer_faq" if answered else "not_found", latency_ms=rng.choice([3.1, 12.7, 40.0]),
                   asked_at=asked_at)
        if rng.random() < 0.4:
            log.record_feedback(f"m{i}", rng.choice(["satisfied", "unsatisfied"]))
        if rng.random() < 0.15:  # a citizen changing a rating, or the same rating again
            log.record_feedback(f"m{rng.randrange(i + 1)}", rng.choice(["satisfied", "unsatisfied"]))
        if rng.random() < 0.05:  # WeChat's retry of a message already logged
            log.record(openid=f"u{i % 17}", message_key=f"m{i}", question=wording, result=result,
                       answered=answered, reply_kind="answer_faq", latency_ms=1.0, asked_at=asked_at)
    return log


def summary(store: Store) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    with store.session() as session:
        return {(d.day, d.terms, d.answered, d.top_kind, d.top_id, d.top_category):
                (d.questions, d.satisfied, d.unsatisfied, round(d.latency_sum, 6), d.last_id, d.last_unsatisfied_id)
                for d in session.scalars(select(QuestionDay)) if d.questions}


def summed_from_the_log(store: Store) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    """The straightforward computation: every logged row, one by one."""
    sums: dict[tuple[Any, ...], list[Any]] = {}
    with store.session() as session:
        for row in session.scalars(select(LogRow)):
            key = ((row.asked_at + LOCAL_OFFSET).date(), row.terms, row.answered, row.top_kind, row.top_id,
                   row.top_category)
            total = sums.setdefault(key, [0, 0, 0, 0.0, 0, 0])
            total[0] += 1
            total[1] += row.feedback == "satisfied"
            total[2] += row.feedback == "unsatisfied"
            total[3] += row.latency_ms
            total[4] = max(total[4], row.id)
            if row.feedback == "unsatisfied":
                total[5] = max(total[5], row.id)
    return {k: (n, s, u, round(lat, 6), last, last_u) for k, (n, s, u, lat, last, last_u) in sums.items()}


def term_summary(store: Store) -> dict[tuple[datetime.date, str], int]:
    with store.session() as session:
        return {(d.day, d.term): d.questions for d in session.scalars(select(QuestionDayTerm)) if d.questions}


def terms_from_the_log(store: Store) -> dict[tuple[datetime.date, str], int]:
    """Questions per local day and topic term, one logged row at a time (a term once per question)."""
    counts: Counter[tuple[datetime.date, str]] = Counter()
    with store.session() as session:
        for row in session.scalars(select(LogRow)):
            for term in set(grouping.content_terms(row.terms)):
                if grouping.is_topic_term(term):
                    counts[((row.asked_at + LOCAL_OFFSET).date(), term)] += 1
    return dict(counts)


def test_the_summary_equals_the_log_summed_after_writes_retries_and_changed_ratings(store: Store,
                                                                                     tmp_path: Path) -> None:
    fill(store, tmp_path)
    expected = summed_from_the_log(store)
    assert len({key[0] for key in expected}) > 5  # several local days
    assert summary(store) == expected
    assert term_summary(store) == terms_from_the_log(store) != {}


def test_purging_old_questions_keeps_the_summary_exact(store: Store, tmp_path: Path) -> None:
    fill(store, tmp_path)
    now = START + datetime.timedelta(days=30, hours=3, minutes=20)  # a cut in the middle of a day
    assert purge(store, 27, now=now) > 0
    assert summary(store) == summed_from_the_log(store)
    assert term_summary(store) == terms_from_the_log(store) != {}


def test_a_log_written_before_the_summary_gets_it_built_at_migration(store: Store, tmp_path: Path) -> None:
    fill(store, tmp_path)
    expected = summed_from_the_log(store)
    with store.session() as session:
        session.execute(delete(QuestionDay))
        session.execute(delete(QuestionDayTerm))
        session.execute(delete(Meta).where(Meta.key == BUILT_KEY))
    assert store.needs_upgrade()  # commands ask for `flask db upgrade` rather than report nothing
    store.migrate()
    assert summary(store) == expected
    assert term_summary(store) == terms_from_the_log(store) != {}
    assert not store.needs_upgrade()
    store.migrate()  # once only: a second start finds it built
    assert summary(store) == expected


def _groups(groups: list[grouping.QuestionGroup]) -> list[tuple[Any, ...]]:
    return [(g.key, g.count, g.answered, g.wording, g.examples, g.entry, g.previous) for g in groups]


def test_the_report_from_the_summary_equals_the_report_from_every_row(store: Store, tmp_path: Path) -> None:
    fill(store, tmp_path, n=400)
    report = build_report(store, PERIOD, limit=5)
    rows = question_rows(store, PERIOD)
    before = grouping.count_by_key(question_rows(store, PERIOD.previous()))
    expected_top = top_groups(store, PERIOD, 5, rows=rows)
    expected_unanswered = unanswered_groups(store, PERIOD, 5, rows=rows)
    for group in expected_top:
        group.previous = before.get(group.key, 0)
    for group in expected_unanswered:
        group.previous = 0
    assert _groups(report.top_groups) == _groups(expected_top)
    assert _groups(report.unanswered) == _groups(expected_unanswered)
    assert report.summary.total == sum(r.count for r in rows) == 400  # every question in January
    assert report.summary.answered == sum(r.count for r in rows if r.answered)
    assert {(t.term, t.count) for t in report.top_terms} == set(
        sorted(grouping.term_counts(rows).items(), key=lambda kv: (-kv[1], kv[0]))[:15])


def test_the_queue_counts_from_the_summary_equal_counting_every_row(store: Store, tmp_path: Path) -> None:
    fill(store, tmp_path)
    expected: Counter[str] = Counter()
    unanswered: Counter[str] = Counter()
    newest: dict[str, int] = {}
    with store.session() as session:
        for row in session.scalars(select(LogRow)):
            if row.answered and row.feedback != "unsatisfied":
                continue
            key = group_key(row.terms, row.question)
            expected[key] += 1
            unanswered[key] += not row.answered
            newest[key] = max(newest.get(key, 0), row.id)
    queue = build_queue(store, PERIOD)
    assert queue.total_questions == sum(expected.values())
    assert {g.key: (g.count, g.unanswered, g.last_id) for g in queue.groups} == {
        k: (n, unanswered[k], newest[k]) for k, n in expected.items()}


@pytest.mark.parametrize("days", [1, 3])
def test_a_short_period_counts_only_its_own_days(store: Store, tmp_path: Path, days: int) -> None:
    fill(store, tmp_path)
    period = Period(datetime.date(2026, 1, 5), datetime.date(2026, 1, 5) + datetime.timedelta(days=days))
    start, end = period.utc_bounds()
    with store.session() as session:
        expected = sum(1 for row in session.scalars(select(LogRow)) if start <= row.asked_at < end)
    assert build_report(store, period).summary.total == expected > 0


def test_a_rating_given_after_a_view_of_the_queue_shows_at_the_next_view(store: Store, tmp_path: Path) -> None:
    log = fill(store, tmp_path, n=60)
    before = build_queue(store, PERIOD).total_questions
    with store.session() as session:
        satisfied = session.scalars(select(LogRow).where(LogRow.answered.is_(True), LogRow.feedback.is_(None))).first()
    assert satisfied is not None
    key = next(f"m{i}" for i in range(60) if pseudonymise(f"m{i}", "secret") == satisfied.message_key)
    log.record_feedback(key, "unsatisfied")
    assert build_queue(store, PERIOD).total_questions == before + 1
    log.record_feedback(key, "satisfied")
    assert build_queue(store, PERIOD).total_questions == before


def test_every_summary_row_names_the_report_group_of_its_wording_also_after_a_purge(store: Store,
                                                                                    tmp_path: Path) -> None:
    fill(store, tmp_path)
    purge(store, 27, now=START + datetime.timedelta(days=30, hours=3))
    with store.session() as session:
        rows = list(session.scalars(select(QuestionDay)))
    assert rows and {d.group_key for d in rows} >= {"", grouping.terms_key(rows[0].terms)}
    assert all(d.group_key == grouping.terms_key(d.terms) for d in rows)


def test_a_summary_made_with_another_grouping_rule_is_summed_again_at_migration(store: Store,
                                                                                tmp_path: Path) -> None:
    fill(store, tmp_path)
    expected = summary(store)
    with store.session() as session:
        session.execute(update(QuestionDay).values(group_key="stale"))
        session.execute(update(QuestionDayTerm).values(questions=QuestionDayTerm.questions + 5))
        session.merge(Meta(key=BUILT_KEY, value="grouping-0:an older stopword list"))
    assert store.needs_upgrade()
    store.migrate()
    with store.session() as session:
        assert all(d.group_key == grouping.terms_key(d.terms) for d in session.scalars(select(QuestionDay)))
    assert summary(store) == expected
    assert term_summary(store) == terms_from_the_log(store)
    assert not store.needs_upgrade()


def test_a_mid_month_report_equals_every_table_computed_from_every_row(store: Store, tmp_path: Path) -> None:
    """Previous-period counts, terms, rising topics and entries too (the previous period has questions)."""
    fill(store, tmp_path, n=400)
    period = Period(datetime.date(2026, 1, 10), datetime.date(2026, 1, 15))
    report = build_report(store, period, limit=4)
    rows, previous_rows = question_rows(store, period), question_rows(store, period.previous())
    assert previous_rows
    before = grouping.count_by_key(previous_rows)
    before_unanswered = grouping.count_by_key(r for r in previous_rows if not r.answered)
    expected_top = top_groups(store, period, 4, rows=rows)
    expected_unanswered = unanswered_groups(store, period, 4, rows=rows)
    for group in expected_top:
        group.previous = before.get(group.key, 0)
    for group in expected_unanswered:
        group.previous = before_unanswered.get(group.key, 0)
    assert any(g.previous for g in expected_top)
    assert _groups(report.top_groups) == _groups(expected_top)
    assert _groups(report.unanswered) == _groups(expected_unanswered)
    assert report.top_terms == top_terms(store, period, 14, rows=rows)
    assert report.rising == rising_topics(store, period, 4, rows=rows, previous_rows=previous_rows)
    assert report.entries == by_entry(store, period, 4)
    assert report.categories == by_category(store, period)


def test_a_version_5_database_gains_the_group_key_and_its_summary_is_summed_again(store: Store,
                                                                                  tmp_path: Path) -> None:
    from sqlalchemy import inspect, text

    fill(store, tmp_path)
    expected = summary(store)
    with store.engine.begin() as conn:
        if store.engine.dialect.name == "sqlite":  # PostgreSQL drops a column's indexes with it
            conn.execute(text("DROP INDEX ix_question_day_group"))
            conn.execute(text("DROP INDEX ix_question_day_group_terms"))
        conn.execute(text("ALTER TABLE question_day DROP COLUMN group_key"))
    with store.session() as session:
        session.merge(Meta(key="schema_version", value="5"))
        session.merge(Meta(key=BUILT_KEY, value="1"))  # as the release before marked it
    assert store.needs_upgrade()
    store.migrate()
    assert "group_key" in {c["name"] for c in inspect(store.engine).get_columns("question_day")}
    with store.session() as session:
        assert all(d.group_key == grouping.terms_key(d.terms) for d in session.scalars(select(QuestionDay)))
    assert summary(store) == expected


def test_summary_rows_without_their_group_key_still_count_in_the_queue_and_the_report(store: Store,
                                                                                       tmp_path: Path) -> None:
    """Rows an older release summed during a rolling upgrade have no group key: read from the log."""
    fill(store, tmp_path)
    expected_queue = {(g.key, g.count, g.unanswered, g.last_id, tuple(g.wordings))
                      for g in build_queue(store, PERIOD).groups}
    expected_report = build_report(store, PERIOD, limit=5)
    with store.session() as session:
        session.execute(update(QuestionDay).where(QuestionDay.id % 2 == 0).values(group_key=""))
    from bot.reports import queue as staff_queue

    staff_queue._counts_cache.clear()
    staff_queue._details_cache.clear()
    assert {(g.key, g.count, g.unanswered, g.last_id, tuple(g.wordings))
            for g in build_queue(store, PERIOD).groups} == expected_queue
    report = build_report(store, PERIOD, limit=5)
    assert _groups(report.top_groups) == _groups(expected_report.top_groups)
    assert _groups(report.unanswered) == _groups(expected_report.unanswered)


def askers_per_period(store: Store, periods: list[Period]) -> list[int]:
    from bot.reports.queries import count_users

    return [count_users(store, period) for period in periods]


def askers_from_the_log(store: Store, periods: list[Period]) -> list[int]:
    """Distinct pseudonyms of each period, one logged row at a time."""
    with store.session() as session:
        rows = [((row.asked_at + LOCAL_OFFSET).date(), row.user_hash) for row in session.scalars(select(LogRow))]
    return [len({user for day, user in rows if period.since <= day < period.until}) for period in periods]


ASKER_PERIODS = [PERIOD, Period(datetime.date(2026, 1, 5), datetime.date(2026, 1, 6)),
                 Period(datetime.date(2026, 1, 5), datetime.date(2026, 1, 12)),
                 Period(datetime.date(2026, 1, 8), datetime.date(2026, 3, 1)), PERIOD.previous()]


def test_distinct_askers_from_the_bitmaps_equal_counting_the_log_after_writes_and_retries(store: Store,
                                                                                       tmp_path: Path) -> None:
    fill(store, tmp_path, n=300)
    expected = askers_from_the_log(store, ASKER_PERIODS)
    assert expected[0] == 17 and all(expected[:4])  # the fill's 17 askers
    assert askers_per_period(store, ASKER_PERIODS) == expected


def test_distinct_askers_stay_exact_after_a_purge_and_unknown_askers_are_forgotten(store: Store,
                                                                                  tmp_path: Path) -> None:
    from bot.questionlog_table import Asker

    log = fill(store, tmp_path, n=300)
    now = START + datetime.timedelta(days=4, hours=3, minutes=20)  # a cut in the middle of a day
    assert purge(store, 0, now=now - datetime.timedelta(days=2)) > 0
    assert askers_per_period(store, ASKER_PERIODS) == askers_from_the_log(store, ASKER_PERIODS)
    # A purge of everything leaves no pseudonym behind; a returning asker is counted once.
    assert purge(store, 0, now=START + datetime.timedelta(days=400)) > 0
    with store.session() as session:
        assert session.scalars(select(Asker)).all() == []
    result = SearchResult("你好", ("你好",), (), False)
    for i, openid in enumerate(["u1", "u2", "u1"]):
        log.record(openid=openid, message_key=f"again{i}", question="你好", result=result, answered=False,
                   reply_kind="not_found", latency_ms=1.0, asked_at=START + datetime.timedelta(hours=i))
    assert askers_per_period(store, ASKER_PERIODS) == askers_from_the_log(store, ASKER_PERIODS)
    assert askers_per_period(store, [PERIOD]) == [2]


def test_a_log_written_before_the_askers_bitmaps_gets_them_built_at_migration(store: Store,
                                                                              tmp_path: Path) -> None:
    from bot.questionlog_days import ASKERS_BUILT_KEY
    from bot.questionlog_table import Asker, QuestionDayAskers

    fill(store, tmp_path)
    expected = askers_from_the_log(store, ASKER_PERIODS)
    with store.session() as session:
        session.execute(delete(QuestionDayAskers))
        session.execute(delete(Asker))
        session.execute(delete(Meta).where(Meta.key == ASKERS_BUILT_KEY))
    assert store.needs_upgrade()
    store.migrate()
    assert askers_per_period(store, ASKER_PERIODS) == expected
    assert not store.needs_upgrade()
