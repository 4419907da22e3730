"""The SQL behind the reports: a handful of grouped scans, each returning a bounded result.

Periods are local (Beijing) calendar days, half-open. Timestamps in the database are naive
UTC, so bounds and day boundaries are shifted by +8 hours (China has one time zone and no
daylight saving).

Every query is shaped to one index of `question_log` (see knowledge/models.py), so that a
year of a million questions is read from narrow covering indexes and never from the wide
table rows (question text, hits JSON):

* ix_question_log_stats  (asked_at, answered, feedback, latency_ms, top_kind, top_id,
  top_category) — daily counts, feedback, entries and categories: a range scan;
* ix_question_log_group  (terms, question, answered, top_kind, top_id, asked_at) — the
  distinct wordings: a full scan in group order, so SQLite aggregates without sorting;
* ix_question_log_user_asked_at (user_hash, asked_at) — distinct askers, likewise.

For the last two, SQLite must not pick the asked_at range instead (it would then sort a
million rows): the time condition is written `+asked_at`, SQLite's documented way to keep a
term from choosing an index. PostgreSQL plans these well by itself and gets the plain column.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Date, DateTime, Integer, and_, case, cast, func, literal_column, select
from sqlalchemy.sql.elements import ColumnElement

from bot.reports.grouping import QuestionRow
from knowledge.models import QuestionLog as LogRow
from knowledge.store import Store

LOCAL_OFFSET = datetime.timedelta(hours=8)


@dataclass(frozen=True)
class Period:
    since: datetime.date  # first local day included
    until: datetime.date  # first local day *not* included

    def __post_init__(self) -> None:
        if self.until <= self.since:
            raise ValueError(f"empty period: {self.since} … {self.until}")

    @property
    def days(self) -> int:
        return (self.until - self.since).days

    def previous(self) -> Period:
        """The period of the same length just before this one (for rising topics)."""
        return Period(self.since - datetime.timedelta(days=self.days), self.since)

    def utc_bounds(self) -> tuple[datetime.datetime, datetime.datetime]:
        start = datetime.datetime.combine(self.since, datetime.time()) - LOCAL_OFFSET
        end = datetime.datetime.combine(self.until, datetime.time()) - LOCAL_OFFSET
        return start, end

    def label(self) -> str:
        last = self.until - datetime.timedelta(days=1)
        return f"{self.since:%Y-%m-%d} 至 {last:%Y-%m-%d}"


def _in(period: Period, *, index_free: bool = False, dialect: str = "") -> ColumnElement[bool]:
    start, end = period.utc_bounds()
    column: ColumnElement = LogRow.asked_at
    if index_free and dialect == "sqlite":
        column = literal_column("+question_log.asked_at", DateTime)
    return and_(column >= start, column < end)


def _sum(condition: ColumnElement[bool]) -> ColumnElement:
    return func.coalesce(func.sum(cast(case((condition, 1), else_=0), Integer)), 0)


@dataclass(frozen=True)
class DayRow:
    day: datetime.date
    total: int
    answered: int
    satisfied: int
    unsatisfied: int
    latency_sum: float


def day_rows(store: Store, period: Period) -> list[DayRow]:
    """Per local day: questions, answered, feedback and summed latency (summary adds these up)."""
    if store.engine.dialect.name == "sqlite":
        day = func.date(LogRow.asked_at, "+8 hours")
    else:
        day = cast(LogRow.asked_at + LOCAL_OFFSET, Date)
    day = day.label("day")
    stmt = (
        select(day, func.count(), _sum(LogRow.answered.is_(True)), _sum(LogRow.feedback == "satisfied"),
               _sum(LogRow.feedback == "unsatisfied"), func.coalesce(func.sum(LogRow.latency_ms), 0.0))
        .where(_in(period)).group_by(day).order_by(day)
    )
    with store.session() as session:
        out = []
        for value, total, answered, sat, unsat, latency in session.execute(stmt):
            if isinstance(value, str):
                value = datetime.date.fromisoformat(value)
            out.append(DayRow(value, int(total), int(answered), int(sat), int(unsat), float(latency)))
    return out


def count_users(store: Store, period: Period) -> int:
    """Distinct pseudonymous askers."""
    dialect = store.engine.dialect.name
    inner = select(LogRow.user_hash).where(_in(period, index_free=True, dialect=dialect)).group_by(LogRow.user_hash)
    with store.session() as session:
        return int(session.scalar(select(func.count()).select_from(inner.subquery())) or 0)


@dataclass(frozen=True)
class EntryRow:
    kind: str
    entry_id: int
    category: str | None
    count: int
    satisfied: int
    unsatisfied: int
    last_id: int


def entry_rows(store: Store, period: Period) -> list[EntryRow]:
    """Answered questions per (entry, category at the time), with feedback."""
    stmt = (
        select(LogRow.top_kind, LogRow.top_id, LogRow.top_category, func.count(),
               _sum(LogRow.feedback == "satisfied"), _sum(LogRow.feedback == "unsatisfied"), func.max(LogRow.id))
        .where(_in(period), LogRow.answered.is_(True))
        .group_by(LogRow.top_kind, LogRow.top_id, LogRow.top_category)
    )
    with store.session() as session:
        return [EntryRow(kind or "", entry_id, category, int(n), int(s), int(u), int(last))
                for kind, entry_id, category, n, s, u, last in session.execute(stmt)]


def question_rows(store: Store, period: Period) -> list[QuestionRow]:
    """One row per distinct (terms, wording, answered, entry): the input of all grouping."""
    dialect = store.engine.dialect.name
    keys = (LogRow.terms, LogRow.question, LogRow.answered, LogRow.top_kind, LogRow.top_id)
    stmt = (
        select(*keys, func.count(), func.max(LogRow.id))
        .where(_in(period, index_free=True, dialect=dialect))
        .group_by(*keys)
    )
    with store.session() as session:
        return [QuestionRow(t or "", q or "", bool(a), k, i, int(n), int(last))
                for t, q, a, k, i, n, last in session.execute(stmt)]


def entry_titles(store: Store, row_ids: Iterable[int]) -> dict[int, tuple[str, str | None]]:
    """Title and category stored with the given log rows: the entry as it was last matched."""
    ids = sorted(set(row_ids))
    if not ids:
        return {}
    with store.session() as session:
        stmt = select(LogRow.id, LogRow.top_title, LogRow.top_category).where(LogRow.id.in_(ids))
        return {row_id: (title or "", category) for row_id, title, category in session.execute(stmt)}
