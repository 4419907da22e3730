"""Reports over the question log for the 政策解读 office: what citizens ask, what goes unanswered.

Each table is a function of (store, period) returning plain values (`aggregates.py`), so the
CLI and, later, the staff admin share them. `build_report` gathers every table for one period
from the per-day summary's group sums (`grouped.py`: the shown groups read in detail), and
`render.py` turns a report into a table, CSV, XLSX, JSON or one self-contained HTML page.
"""

from __future__ import annotations

import datetime
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from sqlalchemy import select

from bot.questionlog_table import QuestionDay
from bot.reports import grouped
from bot.reports.aggregates import (
    CategoryCount,
    Day,
    EntryCount,
    Summary,
    TermCount,
    Wordings,
    by_category,
    by_entry,
    daily,
    rising_from,
    rising_topics,
    summary,
    term_table,
    top_groups,
    top_terms,
    unanswered_groups,
)
from bot.reports.grouping import MEMO_SIZE, QuestionGroup, RisingTopic, group_key
from bot.reports.queries import Period, count_users, day_rows, local_now
from bot.reports.queue_marks import annotate_handled
from knowledge.store import Store

__all__ = [
    "CategoryCount",
    "Day",
    "EntryCount",
    "Period",
    "QuestionGroup",
    "Report",
    "RisingTopic",
    "Summary",
    "TermCount",
    "build_report",
    "by_category",
    "by_entry",
    "daily",
    "group_key",
    "rising_topics",
    "summary",
    "top_groups",
    "top_terms",
    "unanswered_groups",
]


@dataclass
class Report:
    period: Period
    generated_at: datetime.datetime  # local time
    summary: Summary
    previous_summary: Summary
    daily: list[Day]
    top_groups: list[QuestionGroup]
    unanswered: list[QuestionGroup]
    top_terms: list[TermCount]
    rising: list[RisingTopic]
    categories: list[CategoryCount]
    entries: list[EntryCount]


def warm_up(store: Store, days: int = 400) -> int:
    """Fill the grouping's memo with the term strings logged in the last `days`; returns how many.

    Grouping analyses each distinct term string once per process (~10 µs each, ~10,000 a
    month); done at start (`bot.startup.prepare`, in gunicorn's master before the workers
    fork) like jieba's dictionary, the first report or 待处理 view does not pay for it.
    """
    since = local_now().date() - datetime.timedelta(days=days)
    with store.engine.connect() as conn:
        terms = conn.scalars(select(QuestionDay.terms).where(QuestionDay.day >= since).distinct()).all()
    for value in terms[:MEMO_SIZE]:
        group_key(value)
    return len(terms)


def build_report(store: Store, period: Period, *, limit: int = 20) -> Report:
    """Every table for `period`; group counts of the previous period filled in for comparison.

    Counts come from the question log's per-day summary, summed per group by the database
    (`grouped.py`), so Python ranks plain numbers and reads the entries and wordings of the
    shown groups only (wordings from the log). The independent queries run side by side on
    their own connections (SQLite and PostgreSQL work while Python ranks).
    """
    previous = period.previous()
    with ThreadPoolExecutor(max_workers=3, thread_name_prefix="report") as pool:
        users_job = pool.submit(count_users, store, period)
        previous_users_job = pool.submit(count_users, store, previous)
        terms_job = pool.submit(grouped.term_totals, store, period)
        previous_terms_job = pool.submit(grouped.term_totals, store, previous)
        days_job = pool.submit(day_rows, store, period)
        previous_days_job = pool.submit(day_rows, store, previous)
        entries_job = pool.submit(grouped.entry_totals, store, period)
        counts = grouped.group_counts(store, period)
        top_keys = set(grouped.ranked(counts.total, limit))
        unanswered_keys = set(grouped.ranked(counts.unanswered, limit))
        shown = {*top_keys, *unanswered_keys}
        before, before_unanswered = grouped.previous_counts(store, previous, shown)
        rows = grouped.rows_of(store, period, shown, counts.wordless)
        wordings = Wordings(store, period)  # the two tables' groups share many term strings:
        wordings(sorted({r.terms for r in rows if not r.question}))  # read once, in one pass on PostgreSQL
        top_rows = [r for r in rows if group_key(r.terms, r.question) in top_keys]
        groups = top_groups(store, period, limit, rows=top_rows, wordings=wordings)
        unanswered_rows = [r for r in rows if group_key(r.terms, r.question) in unanswered_keys]
        unanswered = unanswered_groups(store, period, limit, rows=unanswered_rows, wordings=wordings)
        term_counts, previous_term_counts = terms_job.result(), previous_terms_job.result()
        days, users = days_job.result(), users_job.result()
        previous_days, previous_users = previous_days_job.result(), previous_users_job.result()
        entries = entries_job.result()
    total, previous_total = sum(d.total for d in days), sum(d.total for d in previous_days)
    for group in groups:
        group.previous = before.get(group.key, 0)
    for group in unanswered:
        group.previous = before_unanswered.get(group.key, 0)
    totals = summary(store, period, days=days, users=users)
    annotate_handled(store, unanswered)
    return Report(
        period=period,
        generated_at=local_now(),
        summary=totals,
        previous_summary=summary(store, previous, days=previous_days, users=previous_users),
        daily=daily(store, period, days=days),
        top_groups=groups,
        unanswered=unanswered,
        top_terms=term_table(term_counts, total, limit + 10),
        rising=rising_from(term_counts, previous_term_counts, total, previous_total, limit),
        categories=by_category(store, period, entries=entries, unanswered=totals.unanswered),
        entries=by_entry(store, period, limit, entries=entries),
    )
