"""The SQL behind the reports: a handful of grouped scans, each returning a bounded result.

Periods are local (Beijing) calendar days, half-open. Timestamps in the database are naive
UTC, so bounds and day boundaries are shifted by +8 hours (China has one time zone and no
daylight saving).

Every query is shaped to one index of `question_log` (see knowledge/models.py), so that a
year of a million questions is read from narrow covering indexes and never from the wide
table rows (question text, hits JSON):

* ix_question_log_stats  (asked_at, answered, feedback, latency_ms, top_kind, top_id,
  top_category) — daily counts, feedback, entries and categories: a range scan;
* ix_question_log_group  (terms, question, answered, top_kind, top_id, top_category, asked_at,
  feedback) — the distinct wordings, with entries and feedback: a full scan in group order,
  so SQLite aggregates without sorting;
* ix_question_log_user_asked_at (user_hash, asked_at) — an asker's questions (distinct askers
  of a period come from bot.questionlog_askers' per-day bitmaps, not from the log).

For the group index, SQLite must not pick the asked_at range instead (it would then sort a
million rows): the time condition is written `+asked_at`, SQLite's documented way to keep a
term from choosing an index — when the period holds a good share of the log; a small period
is cheaper through its time range (`_in_for_grouping`). PostgreSQL plans these by itself.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from sqlalchemy import (
    Connection,
    DateTime,
    Integer,
    and_,
    case,
    cast,
    func,
    literal_column,
    select,
    text,
)
from sqlalchemy.sql.elements import ColumnElement

from bot import questionlog_askers as askers
from bot.questionlog_table import QuestionDay
from bot.questionlog_table import QuestionLogRow as LogRow
from bot.reports.grouping import TEXT_KEY_PREFIX, QuestionRow, group_key
from bot.turn import Feedback
from knowledge.store import Store


class _Figures(Protocol):
    """A row with per-entry figures: `EntryRow` and `QuestionRow` both are."""

    @property
    def count(self) -> int: ...
    @property
    def satisfied(self) -> int: ...
    @property
    def unsatisfied(self) -> int: ...
    @property
    def last_id(self) -> int: ...


_R = TypeVar("_R", bound=_Figures)
_K = TypeVar("_K", bound=Hashable)

# The reports' calendar: China Standard Time, UTC+8 all year (no daylight saving). The one
# definition for the project; timestamps are stored as naive UTC (knowledge.models.utcnow).
LOCAL_OFFSET = datetime.timedelta(hours=8)
LOCAL_TZ = datetime.timezone(LOCAL_OFFSET)


def local_now() -> datetime.datetime:
    """Beijing wall-clock time now, naive, as report periods and stamps are written."""
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None) + LOCAL_OFFSET


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


def _in(period: Period, *, index_free: bool = False) -> ColumnElement[bool]:
    start, end = period.utc_bounds()
    column = literal_column("+question_log.asked_at", DateTime) if index_free else LogRow.asked_at
    return and_(column >= start, column < end)


def _in_for_grouping(session: Connection, period: Period) -> ColumnElement[bool] | None:
    """The time condition for a GROUP BY that an index can deliver in order (SQLite).

    Walking the whole group-ordered index pays off when the period holds a good share of the
    log (a quarter of a year: 0.4 s instead of 1.3 s); for a small or empty period, sorting
    its few rows from the time range is cheaper. None: the period has no question at all.
    """
    if session.dialect.name != "sqlite":
        return _in(period)
    # The period's questions from the per-day summary (exact, and a few thousand rows to sum
    # instead of the period's questions to count).
    found = session.scalar(select(func.sum(QuestionDay.questions)).where(
        QuestionDay.day >= period.since, QuestionDay.day < period.until)) or 0
    if not found:
        return None
    # Two statements: SQLite answers a lone min() or max() from the rowid at once, not both.
    low, high = session.scalar(select(func.min(LogRow.id))) or 0, session.scalar(select(func.max(LogRow.id))) or 0
    return _in(period, index_free=found * 10 >= (high - low + 1))


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
    """Per local day with questions: questions, answered, feedback, summed latency (summary adds these up).

    Read from the per-day summary (bot/questionlog_days.py): a few thousand rows a month.
    """
    figures = (func.sum(QuestionDay.questions), _sum_of(QuestionDay.answered.is_(True), QuestionDay.questions),
               func.sum(QuestionDay.satisfied), func.sum(QuestionDay.unsatisfied), func.sum(QuestionDay.latency_sum))
    stmt = (select(QuestionDay.day, *figures).where(QuestionDay.day >= period.since, QuestionDay.day < period.until)
            .group_by(QuestionDay.day).order_by(QuestionDay.day))
    with store.engine.connect() as session:  # read-only: Core, no ORM row machinery
        return [DayRow(day if isinstance(day, datetime.date) else datetime.date.fromisoformat(day),
                       int(total), int(answered), int(sat), int(unsat), float(latency))
                for day, total, answered, sat, unsat, latency in session.execute(stmt) if total]


def _sum_of(condition: ColumnElement[bool], value: Any) -> ColumnElement:
    return func.coalesce(func.sum(case((condition, value), else_=0)), 0)


def count_users(store: Store, period: Period) -> int:
    """Distinct pseudonymous askers, from the per-day bitmaps of askers (bot.questionlog_askers)."""
    with store.engine.connect() as session:  # read-only: Core, no ORM row machinery
        return askers.count(session, period.since, period.until)


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
               _sum(LogRow.feedback == Feedback.SATISFIED), _sum(LogRow.feedback == Feedback.UNSATISFIED),
               func.max(LogRow.id))
        .where(_in(period), LogRow.answered.is_(True))
        .group_by(LogRow.top_kind, LogRow.top_id, LogRow.top_category)
    )
    with store.engine.connect() as session:  # read-only: Core, no ORM row machinery
        return [EntryRow(kind or "", entry_id, category, int(n), int(s), int(u), int(last))
                for kind, entry_id, category, n, s, u, last in session.execute(stmt)]


def question_rows(store: Store, period: Period) -> list[QuestionRow]:
    """One row per distinct (terms, wording, answered, entry): the input of grouping and terms.

    It carries the entry's category and the feedback too, so that a full report derives the
    per-entry and per-category tables from it (`entries_from`) instead of scanning again.
    """
    keys = (LogRow.terms, LogRow.question, LogRow.answered, LogRow.top_kind, LogRow.top_id, LogRow.top_category)
    with store.engine.connect() as session:  # read-only: Core, no ORM row machinery
        condition = _in_for_grouping(session, period)
        if condition is None:
            return []
        stmt = (
            select(*keys, func.count(), _sum(LogRow.feedback == Feedback.SATISFIED),
                   _sum(LogRow.feedback == Feedback.UNSATISFIED), func.max(LogRow.id))
            .where(condition)
            .group_by(*keys)
        )
        if store.engine.dialect.name == "postgresql":  # ~10⁵ groups of text: hash in memory, not on disk
            session.execute(text("SET LOCAL work_mem = '64MB'"))
        return [QuestionRow(*row) for row in session.execute(stmt)]


def summary_rows(store: Store, period: Period, *, entries: bool = True) -> list[QuestionRow]:
    """What `question_rows` returns, one row per analysed wording (terms) instead of per wording.

    Read from the per-day summary; `question` is left empty, except for term strings with no
    content word (greetings), which are grouped by their text and so read per wording from the
    log. The shown groups' wordings are read afterwards (`wording_rows`), for those groups only.
    `entries=False`: counts per wording and outcome only, entry and feedback left empty (a
    previous period, compared by group and term).
    """
    keys: tuple[Any, ...] = (QuestionDay.terms, QuestionDay.answered)
    if entries:
        keys += (QuestionDay.top_kind, QuestionDay.top_id, QuestionDay.top_category)
    else:
        keys += (literal_column("NULL"), literal_column("NULL"), literal_column("NULL"))
    stmt = (select(*keys, func.sum(QuestionDay.questions), func.sum(QuestionDay.satisfied),
                   func.sum(QuestionDay.unsatisfied), func.max(QuestionDay.last_id))
            .where(QuestionDay.day >= period.since, QuestionDay.day < period.until)
            .group_by(*keys[:5 if entries else 2]))
    rows: list[QuestionRow] = []
    wordless: set[str] = set()
    with store.engine.connect() as session:  # read-only: Core, no ORM row machinery
        for found in session.execute(stmt):
            terms, answered, kind, entry_id, category, n, sat, unsat, last = tuple(found)
            if group_key(terms).startswith(TEXT_KEY_PREFIX):
                wordless.add(terms)
            else:
                rows.append(QuestionRow(terms, "", bool(answered), kind, entry_id, category, int(n), int(sat),
                                        int(unsat), int(last)))
    return rows + wording_rows(store, period, sorted(wordless))


def wording_rows(store: Store, period: Period, terms: list[str]) -> list[QuestionRow]:
    """`question_rows` restricted to the given term strings (read from the log, by term on SQLite)."""
    keys = (LogRow.terms, LogRow.question, LogRow.answered, LogRow.top_kind, LogRow.top_id, LogRow.top_category)
    rows: list[QuestionRow] = []
    sqlite = store.engine.dialect.name == "sqlite"
    with store.engine.connect() as session:  # read-only: Core, no ORM row machinery
        if not sqlite and terms:  # thousands of wordings: hash them in memory rather than sort text
            session.execute(text("SET LOCAL work_mem = '64MB'"))
        for start in range(0, len(terms), 500):
            stmt = (select(*keys, func.count(), _sum(LogRow.feedback == Feedback.SATISFIED),
                           _sum(LogRow.feedback == Feedback.UNSATISFIED), func.max(LogRow.id))
                    .where(_in(period, index_free=sqlite), LogRow.terms.in_(terms[start:start + 500]))
                    .group_by(*keys))
            rows += [QuestionRow(*row) for row in session.execute(stmt)]
    return rows


def sum_by_key(rows: Iterable[_R], key: Callable[[_R], _K]) -> dict[_K, list[int]]:
    """[questions, satisfied, unsatisfied, newest log row id] per key: the one per-entry merge."""
    merged: dict[_K, list[int]] = {}
    for row in rows:
        total = merged.setdefault(key(row), [0, 0, 0, 0])
        total[0] += row.count
        total[1] += row.satisfied
        total[2] += row.unsatisfied
        total[3] = max(total[3], row.last_id)
    return merged


def entries_from(rows: Iterable[QuestionRow]) -> list[EntryRow]:
    """What `entry_rows` returns, folded from the question rows already in hand."""
    answered = (row for row in rows if row.answered and row.entry_id is not None)
    merged = sum_by_key(answered, lambda row: (row.kind or "", row.entry_id, row.category))
    return [EntryRow(kind, entry_id, category, *figures)
            for (kind, entry_id, category), figures in merged.items() if entry_id is not None]


def entry_titles(store: Store, row_ids: Iterable[int]) -> dict[int, tuple[str, str | None]]:
    """Title and category stored with the given log rows: the entry as it was last matched."""
    ids = sorted(set(row_ids))
    if not ids:
        return {}
    with store.engine.connect() as session:  # read-only: Core, no ORM row machinery
        stmt = select(LogRow.id, LogRow.top_title, LogRow.top_category).where(LogRow.id.in_(ids))
        return {row_id: (title or "", category) for row_id, title, category in session.execute(stmt)}
