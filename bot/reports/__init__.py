"""Reports over the question log for the 政策解读 office: what citizens ask, what goes unanswered.

Each table is a function of (store, period) returning plain values (`aggregates.py`), so the
CLI and, later, the staff admin share them. `build_report` gathers every table for one period
with as few queries as possible (one grouped scan of the term strings per period), and
`render.py` turns a report into a table, CSV, XLSX, JSON or one self-contained HTML page.
"""

from __future__ import annotations

import datetime
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from sqlalchemy import select

from bot.questionlog_table import QuestionDay
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
    rising_topics,
    summary,
    top_groups,
    top_terms,
    unanswered_groups,
)
from bot.reports.grouping import MEMO_SIZE, QuestionGroup, RisingTopic, count_by_key, group_key, term_counts
from bot.reports.queries import Period, count_users, day_rows, entries_from, local_now, summary_rows
from bot.reports.queue import annotate_handled
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

    Counts come from the question log's per-day summary (`summary_rows`, `day_rows`), the
    wordings of the shown groups from the log itself; each query runs once, and the
    independent ones run side by side on their own connections.
    """
    previous = period.previous()
    with ThreadPoolExecutor(max_workers=3, thread_name_prefix="report") as pool:
        # Largest first: the summed wordings of the period, then the smaller scans.
        rows_job = pool.submit(summary_rows, store, period)
        days_job = pool.submit(day_rows, store, period)
        users_job = pool.submit(count_users, store, period)
        previous_rows_job = pool.submit(summary_rows, store, previous, entries=False)
        previous_days_job = pool.submit(day_rows, store, previous)
        previous_users_job = pool.submit(count_users, store, previous)
        rows = rows_job.result()
        wordings = Wordings(store, period)  # the two tables' groups share many term strings
        groups = top_groups(store, period, limit, rows=rows, wordings=wordings)
        unanswered = unanswered_groups(store, period, limit, rows=rows, wordings=wordings)
        counts = term_counts(rows)
        days, users = days_job.result(), users_job.result()
        previous_rows = previous_rows_job.result()
        previous_days, previous_users = previous_days_job.result(), previous_users_job.result()
    before = count_by_key(previous_rows)
    before_unanswered = count_by_key(r for r in previous_rows if not r.answered)
    for group in groups:
        group.previous = before.get(group.key, 0)
    for group in unanswered:
        group.previous = before_unanswered.get(group.key, 0)
    totals = summary(store, period, days=days, users=users)
    entries = entries_from(rows)
    annotate_handled(store, unanswered)
    return Report(
        period=period,
        generated_at=local_now(),
        summary=totals,
        previous_summary=summary(store, previous, days=previous_days, users=previous_users),
        daily=daily(store, period, days=days),
        top_groups=groups,
        unanswered=unanswered,
        top_terms=top_terms(store, period, limit + 10, rows=rows, counts=counts),
        rising=rising_topics(store, period, limit, rows=rows, previous_rows=previous_rows, counts=counts),
        categories=by_category(store, period, entries=entries, unanswered=totals.unanswered),
        entries=by_entry(store, period, limit, entries=entries),
    )
