"""Report tables over the question log: one function per table, plain values out.

Each function takes the store and a `Period` and returns dataclasses ready for the CLI
renderers today and the staff admin later. The SQL lives in `queries.py` and returns only
bounded results (per day, per entry, per distinct wording); the near-duplicate grouping in
`grouping.py` works on those. Functions that share a query accept its rows (`rows=`,
`days=`, `entries=`) so that `build_report` runs each query once per period.
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass

from bot.reports import grouping
from bot.reports.grouping import QuestionGroup, QuestionRow, RisingTopic
from bot.reports.queries import (
    DayRow,
    EntryRow,
    Period,
    count_users,
    day_rows,
    entry_rows,
    entry_titles,
    question_rows,
    sum_by_key,
    wording_rows,
)
from knowledge.store import Store

UNANSWERED_CATEGORY = "（未能回答）"
NO_CATEGORY = "（未分类）"


@dataclass(frozen=True)
class Summary:
    total: int
    answered: int
    users: int
    satisfied: int
    unsatisfied: int
    avg_latency_ms: float

    @property
    def answered_rate(self) -> float:
        return self.answered / self.total if self.total else 0.0

    @property
    def unanswered(self) -> int:
        return self.total - self.answered

    @property
    def feedback(self) -> int:
        return self.satisfied + self.unsatisfied

    @property
    def satisfaction_rate(self) -> float | None:
        """满意 ÷ (满意 + 不满意); None without any feedback (not the same as 0 %)."""
        return self.satisfied / self.feedback if self.feedback else None


def summary(store: Store, period: Period, *, days: list[DayRow] | None = None, users: int | None = None) -> Summary:
    """Volume, answered rate, distinct askers, satisfaction and mean latency."""
    days = day_rows(store, period) if days is None else days
    total = sum(d.total for d in days)
    if users is None:
        users = count_users(store, period) if total else 0
    latency = sum(d.latency_sum for d in days) / total if total else 0.0
    return Summary(total, sum(d.answered for d in days), users, sum(d.satisfied for d in days),
                   sum(d.unsatisfied for d in days), round(latency, 1))


@dataclass(frozen=True)
class Day:
    day: datetime.date
    total: int
    answered: int

    @property
    def answered_rate(self) -> float:
        return self.answered / self.total if self.total else 0.0


def daily(store: Store, period: Period, *, days: list[DayRow] | None = None) -> list[Day]:
    """Questions and answered questions per local day; days without questions are included as 0."""
    found = {d.day: d for d in (day_rows(store, period) if days is None else days)}
    out = []
    current = period.since
    while current < period.until:
        row = found.get(current)
        out.append(Day(current, row.total if row else 0, row.answered if row else 0))
        current += datetime.timedelta(days=1)
    return out


@dataclass(frozen=True)
class CategoryCount:
    category: str
    count: int


def by_category(store: Store, period: Period, *, entries: list[EntryRow] | None = None,
                unanswered: int | None = None) -> list[CategoryCount]:
    """Answered questions per category of the entry that answered them, plus one row for the unanswered.

    An unanswered question's nearest entry did not answer it, so its category would mislead.
    """
    entries = entry_rows(store, period) if entries is None else entries
    counts: dict[str, int] = {}
    for row in entries:
        name = row.category or NO_CATEGORY
        counts[name] = counts.get(name, 0) + row.count
    out = [CategoryCount(name, n) for name, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    if unanswered is None:
        unanswered = sum(d.total - d.answered for d in day_rows(store, period))
    if unanswered:
        out.append(CategoryCount(UNANSWERED_CATEGORY, unanswered))
    return out


@dataclass(frozen=True)
class EntryCount:
    kind: str  # "faq" | "item"
    id: int
    title: str
    category: str | None
    count: int
    satisfied: int
    unsatisfied: int


def by_entry(store: Store, period: Period, limit: int = 20, *,
             entries: list[EntryRow] | None = None) -> list[EntryCount]:
    """The FAQ entries and items that answered most questions, with their feedback."""
    entries = entry_rows(store, period) if entries is None else entries
    merged = sum_by_key(entries, lambda row: (row.kind, row.entry_id))
    ranked = sorted(merged.items(), key=lambda kv: (-kv[1][0], kv[0]))[:limit]
    titles = entry_titles(store, (t[3] for _k, t in ranked))
    return [EntryCount(kind, entry_id, *titles.get(last, ("", None)), n, s, u)
            for (kind, entry_id), (n, s, u, last) in ranked]


class Wordings:
    """`wording_rows` of one period, each term string read once however many tables ask for it."""

    def __init__(self, store: Store, period: Period) -> None:
        self.store, self.period = store, period
        self._rows: dict[str, list[QuestionRow]] = {}

    def __call__(self, terms: list[str]) -> list[QuestionRow]:
        missing = [t for t in terms if t not in self._rows]
        for t in missing:
            self._rows[t] = []
        for row in wording_rows(self.store, self.period, missing):
            self._rows[row.terms].append(row)
        return [row for t in terms for row in self._rows[t]]


def _groups(store: Store, rows: list[QuestionRow], limit: int, period: Period,
            wordings: Wordings | None) -> list[QuestionGroup]:
    groups = grouping.top_groups(rows, limit, wordings=wordings or Wordings(store, period))
    titles = entry_titles(store, (g.entry_row for g in groups if g.entry_row is not None))
    for group in groups:
        if group.entry_row is not None:
            group.entry = titles.get(group.entry_row, ("", None))[0] or None
    return groups


def top_groups(store: Store, period: Period, limit: int = 20, *, rows: list[QuestionRow] | None = None,
               wordings: Wordings | None = None) -> list[QuestionGroup]:
    """The most-asked questions, near-duplicate wordings grouped (rule: grouping.py)."""
    return _groups(store, question_rows(store, period) if rows is None else rows, limit, period, wordings)


def unanswered_groups(store: Store, period: Period, limit: int = 20, *, rows: list[QuestionRow] | None = None,
                      wordings: Wordings | None = None) -> list[QuestionGroup]:
    """Questions the bot could not answer, grouped and ranked: what the FAQ should cover next."""
    rows = question_rows(store, period) if rows is None else rows
    return _groups(store, [r for r in rows if not r.answered], limit, period, wordings)


@dataclass(frozen=True)
class TermCount:
    term: str
    count: int
    share: float  # of all questions in the period


def top_terms(store: Store, period: Period, limit: int = 30, *, rows: list[QuestionRow] | None = None,
              counts: Counter[str] | None = None) -> list[TermCount]:
    """The topic terms in most questions (each question counts a term once)."""
    rows = question_rows(store, period) if rows is None else rows
    return term_table(grouping.term_counts(rows) if counts is None else counts, sum(r.count for r in rows), limit)


def term_table(counts: Counter[str], total: int, limit: int) -> list[TermCount]:
    """`top_terms` from questions per term and all questions of the period."""
    return [TermCount(term, n, n / total if total else 0.0)
            for term, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]]


def rising_topics(store: Store, period: Period, limit: int = 20, *, min_count: int | None = None,
                  rows: list[QuestionRow] | None = None, previous_rows: list[QuestionRow] | None = None,
                  counts: Counter[str] | None = None) -> list[RisingTopic]:
    """Terms asked about more than in the previous period of the same length (scaled to volume)."""
    rows = question_rows(store, period) if rows is None else rows
    if previous_rows is None:
        previous_rows = question_rows(store, period.previous())
    counts = grouping.term_counts(rows) if counts is None else counts
    return rising_from(counts, grouping.term_counts(previous_rows), sum(r.count for r in rows),
                       sum(r.count for r in previous_rows), limit, min_count=min_count)


def rising_from(counts: Counter[str], previous: Counter[str], total: int, previous_total: int, limit: int, *,
                min_count: int | None = None) -> list[RisingTopic]:
    """`rising_topics` from the questions per term and all questions of the two periods."""
    if min_count is None:  # at least 3 questions, and 0.1 % of the period's volume
        min_count = max(3, total // 1000)
    return grouping.rising(counts, previous, total, previous_total, limit=limit, min_count=min_count)
