"""Reports over the question log for the 政策解读 office: what citizens ask, what goes unanswered.

Each table is a function of (store, period) returning plain values (`aggregates.py`), so the
CLI and, later, the staff admin share them. `build_report` gathers every table for one period
with as few queries as possible (one grouped scan of the term strings per period), and
`render.py` turns a report into a table, CSV, XLSX, JSON or one self-contained HTML page.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from bot.reports.aggregates import (
    CategoryCount,
    Day,
    EntryCount,
    Summary,
    TermCount,
    by_category,
    by_entry,
    daily,
    rising_topics,
    satisfaction,
    summary,
    top_groups,
    top_terms,
    unanswered_groups,
)
from bot.reports.grouping import QuestionGroup, RisingTopic, count_by_key, group_key
from bot.reports.queries import Period, day_rows, entry_rows, question_rows
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
    "satisfaction",
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


def build_report(store: Store, period: Period, *, limit: int = 20) -> Report:
    """Every table for `period`, each query run once; group counts of the previous period filled in."""
    previous = period.previous()
    rows, previous_rows = question_rows(store, period), question_rows(store, previous)
    days, previous_days = day_rows(store, period), day_rows(store, previous)
    entries = entry_rows(store, period)
    totals = summary(store, period, days=days)
    groups = top_groups(store, period, limit, rows=rows)
    unanswered = unanswered_groups(store, period, limit, rows=rows)
    before = count_by_key(previous_rows)
    before_unanswered = count_by_key(r for r in previous_rows if not r.answered)
    for group in groups:
        group.previous = before.get(group.key, 0)
    for group in unanswered:
        group.previous = before_unanswered.get(group.key, 0)
    return Report(
        period=period,
        generated_at=datetime.datetime.now(datetime.UTC).replace(tzinfo=None) + datetime.timedelta(hours=8),
        summary=totals,
        previous_summary=summary(store, previous, days=previous_days),
        daily=daily(store, period, days=days),
        top_groups=groups,
        unanswered=unanswered,
        top_terms=top_terms(store, period, limit + 10, rows=rows),
        rising=rising_topics(store, period, limit, rows=rows, previous_rows=previous_rows),
        categories=by_category(store, period, entries=entries, unanswered=totals.unanswered),
        entries=by_entry(store, period, limit, entries=entries),
    )
