"""Report functions on a small, hand-built question log, on SQLite and on the real PostgreSQL."""

from __future__ import annotations

import csv
import datetime
import io
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.questionlog import QuestionLog
from bot.reports import (
    Period,
    build_report,
    by_category,
    by_entry,
    daily,
    group_key,
    rising_topics,
    summary,
    top_groups,
    top_terms,
    unanswered_groups,
)
from bot.reports.html import render_html
from bot.reports.render import render_csv, render_json, render_table, render_xlsx
from knowledge.base import shared_processor
from knowledge.document import Document, Hit, SearchResult
from knowledge.store import Store

BEIJING = datetime.timezone(datetime.timedelta(hours=8))
Q1 = Period(datetime.date(2026, 1, 1), datetime.date(2026, 4, 1))
APPLY = Document(kind="faq", id=1, title="低保怎么申请？", body="", category="社会救助")
STANDARD = Document(kind="faq", id=2, title="低保标准是多少？", body="", category="社会救助")
SPRING = Document(kind="item", id=3, title="2026年春耕补贴发放公示", body="", category="农业农村")

# (wording, times, answering document or None, local day in Q1 or in the previous quarter)
CURRENT = [
    ("低保怎么申请", 3, APPLY), ("低保咋申请", 2, APPLY), ("怎么申请低保", 1, APPLY),
    ("请问如何申请低保？", 1, APPLY), ("低保标准是多少", 2, STANDARD), ("春耕补贴什么时候发", 4, SPRING),
    ("宅基地怎么审批", 3, None), ("宅基地咋审批？", 1, None), ("路灯坏了找谁", 2, None), ("你好", 1, None),
]
PREVIOUS = [("低保怎么申请", 10, APPLY), ("路灯坏了找谁", 1, None)]


def log_questions(log: QuestionLog, questions: list, start: datetime.datetime, prefix: str) -> None:
    processor = shared_processor()
    n = 0
    for wording, times, doc in questions:
        for _ in range(times):
            terms = tuple(processor.analyze(wording))
            hits = (Hit(doc, 5.0, terms[:1]),) if doc else ()
            log.record(openid=f"user{n % 4}", message_key=f"{prefix}{n}", question=wording,
                       result=SearchResult(wording, terms, hits, doc is not None), answered=doc is not None,
                       reply_kind="answer" if doc else "not_found", latency_ms=10 + n,
                       asked_at=start + datetime.timedelta(days=n % 28, hours=10))
            n += 1


@pytest.fixture
def logged(store: Store, tmp_path: Path) -> Store:
    log = QuestionLog(store, "secret", tmp_path / "spool", background=False)
    log_questions(log, CURRENT, datetime.datetime(2026, 1, 1, tzinfo=BEIJING), "c")
    log_questions(log, PREVIOUS, datetime.datetime(2025, 11, 1, tzinfo=BEIJING), "p")
    for key, value in (("c0", "satisfied"), ("c1", "satisfied"), ("c3", "unsatisfied")):
        log.record_feedback(key, value)
    # Period edges, Beijing time: the last minute of the quarter is in, the first of the next is out.
    for key, moment in (("edge-in", datetime.datetime(2026, 3, 31, 23, 59, tzinfo=BEIJING)),
                        ("edge-out", datetime.datetime(2026, 4, 1, 0, 0, 30, tzinfo=BEIJING))):
        log.record(openid="edge", message_key=key, question="你好", result=None, answered=False,
                   reply_kind="help", latency_ms=1, asked_at=moment)
    return store


def test_near_duplicate_wordings_are_one_group_shown_by_the_commonest(logged: Store) -> None:
    first = top_groups(logged, Q1)[0]
    assert (first.count, first.wording, first.entry) == (7, "低保怎么申请", APPLY.title)
    assert set(first.examples) == {"低保咋申请", "怎么申请低保", "请问如何申请低保？"}


def test_the_grouping_rule_ignores_order_and_how_the_question_is_asked() -> None:
    analyze = shared_processor().analyze
    wordings = ("低保怎么申请", "低保咋申请", "怎么申请低保", "请问如何申请低保？")
    keys = {group_key(" ".join(analyze(q)), q) for q in wordings}
    assert len(keys) == 1
    assert group_key(" ".join(analyze("低保标准是多少")), "") not in keys


def test_groups_are_ranked_by_count_and_carry_the_previous_period(logged: Store) -> None:
    report = build_report(logged, Q1)
    ranked = [(g.wording, g.count, g.previous) for g in report.top_groups]
    assert ranked[0] == ("低保怎么申请", 7, 10)
    assert set(ranked[1:3]) == {("宅基地怎么审批", 4, 0), ("春耕补贴什么时候发", 4, 0)}


def test_unanswered_questions_are_grouped_and_ranked(logged: Store) -> None:
    groups = unanswered_groups(logged, Q1)
    assert [(g.wording, g.count) for g in groups] == [("宅基地怎么审批", 4), ("你好", 2), ("路灯坏了找谁", 2)]
    assert all(g.answered == 0 for g in groups)


def test_top_terms_count_each_question_once_and_skip_question_words(logged: Store) -> None:
    terms = {t.term: t.count for t in top_terms(logged, Q1)}
    assert terms["最低生活保障"] == 9 and terms["春耕"] == 4 and terms["宅基地"] == 4
    assert "如何" not in terms and "什么" not in terms and "申请" not in terms


def test_rising_topics_compare_with_the_previous_period_scaled_to_volume(logged: Store) -> None:
    rising = {t.term: t for t in rising_topics(logged, Q1)}
    assert {"春耕", "补贴", "宅基地"} <= set(rising) and "审批" not in rising  # a generic verb is no topic
    assert rising["春耕"].previous == 0 and rising["春耕"].change is None
    assert "最低生活保障" not in rising  # asked 9 times, but 10 of 11 questions last quarter


def test_answered_rate_users_and_satisfaction(logged: Store) -> None:
    s = summary(logged, Q1)
    assert (s.total, s.answered, s.unanswered, s.users) == (21, 13, 8, 5)
    assert (s.satisfied, s.unsatisfied) == (2, 1) and s.satisfaction_rate == pytest.approx(2 / 3)


def test_questions_by_category_and_by_matched_entry(logged: Store) -> None:
    assert [(c.category, c.count) for c in by_category(logged, Q1)] == [
        ("社会救助", 9), ("农业农村", 4), ("（未能回答）", 8)]
    entries = by_entry(logged, Q1)
    assert [(e.kind, e.id, e.count, e.satisfied, e.unsatisfied) for e in entries] == [
        ("faq", 1, 7, 2, 1), ("item", 3, 4, 0, 0), ("faq", 2, 2, 0, 0)]


def test_daily_volume_uses_beijing_days_and_includes_empty_days(logged: Store) -> None:
    days = daily(logged, Q1)
    assert len(days) == 90 and days[0].day == datetime.date(2026, 1, 1)
    assert sum(d.total for d in days) == 21
    assert days[-1].total == 1  # 23:59 on 31 March, Beijing time (15:59 UTC)
    assert days[0].answered_rate == pytest.approx(days[0].answered / days[0].total)


def test_without_a_previous_period_nothing_is_said_to_rise(logged: Store) -> None:
    assert rising_topics(logged, Period(datetime.date(2025, 11, 1), datetime.date(2026, 4, 1))) == []


def test_an_empty_period_reports_zeros_not_errors(store: Store) -> None:
    report = build_report(store, Q1)
    assert report.summary.total == 0 and report.summary.satisfaction_rate is None and report.top_groups == []
    assert "（无数据）" in render_table(report) and render_html(report)


def test_every_format_renders_the_same_tables_with_chinese_headers(logged: Store) -> None:
    report = build_report(logged, Q1)
    table = render_table(report)
    assert "【热门问题】" in table and "低保怎么申请" in table
    csv_text = render_csv(report)
    assert "常见问法,提问次数,上期次数" in csv_text
    book = load_workbook(io.BytesIO(render_xlsx(report)))
    assert book.sheetnames == ["概览", "每日提问量", "热门问题", "未能回答的问题", "热词", "上升话题", "按分类",
                               "按匹配条目", "满意度"]
    assert [c.value for c in book["热门问题"][1]][:3] == ["排名", "常见问法", "提问次数"]
    data = json.loads(render_json(report))
    assert data["summary"]["total"] == 21 and data["top_groups"][0]["wording"] == "低保怎么申请"


def test_citizens_text_cannot_become_a_formula_or_break_the_page(store: Store, tmp_path: Path) -> None:
    log = QuestionLog(store, "secret", tmp_path / "spool", background=False)
    nasty = '=HYPERLINK("http://x")</script><script>alert(1)</script>'
    log.record(openid="u", message_key="n", question=nasty, result=None, answered=False, reply_kind="not_found",
               latency_ms=1, asked_at=datetime.datetime(2026, 2, 1, tzinfo=BEIJING))
    report = build_report(store, Q1)
    sheet = load_workbook(io.BytesIO(render_xlsx(report)))["未能回答的问题"]
    assert sheet["B2"].data_type == "s"
    cells = [cell for row in csv.reader(io.StringIO(render_csv(report))) for cell in row]
    assert "'=HYPERLINK" in " ".join(cells) and not any(cell.startswith("=") for cell in cells)
    assert "<script>alert(1)" not in render_html(report)


def test_a_full_report_and_the_single_tables_agree(logged: Store) -> None:
    report = build_report(logged, Q1)
    assert report.entries == by_entry(logged, Q1)
    assert report.categories == by_category(logged, Q1)
    assert report.summary == summary(logged, Q1)
    assert [g.key for g in report.top_groups] == [g.key for g in top_groups(logged, Q1)]


def test_a_short_period_is_grouped_from_its_time_range(logged: Store) -> None:
    # Under a tenth of the log: SQLite sorts the period's rows instead of walking the group index.
    day = Period(datetime.date(2026, 1, 1), datetime.date(2026, 1, 2))
    groups = top_groups(logged, day)
    assert sum(g.count for g in groups) == summary(logged, day).total > 0
