"""Aggregates over the question log, computed in SQL so a year of questions stays cheap.

Each function takes the store and a `Period` and returns plain values (dataclasses), ready for
the CLI renderers today and the staff admin later. Periods are local (Beijing) calendar days,
half-open: `Period(date(2026, 1, 1), date(2026, 4, 1))` is the first quarter. Timestamps in
the database are naive UTC, so bounds and day boundaries are shifted by +8 hours (China has
one time zone and no daylight saving).

Only fixed-size results leave the database: counts per day, per category, per entry, and per
distinct *term string*; near-duplicate grouping then works on those distinct strings
(`grouping.py`), never on individual rows.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from sqlalchemy import Date, Integer, and_, bindparam, case, cast, func, select
from sqlalchemy.sql.elements import ColumnElement

from bot.reports import grouping
from bot.reports.grouping import QuestionGroup, RisingTopic
from knowledge.models import QuestionLog as LogRow
from knowledge.store import Store

LOCAL_OFFSET = datetime.timedelta(hours=8)
UNANSWERED_CATEGORY = "（未能回答）"
NO_CATEGORY = "（未分类）"
CHUNK = 500  # values per IN (...) list

Rows = list[tuple[str, str, bool, int]]  # (terms, text, answered, count), see term_rows


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


def _in(period: Period) -> ColumnElement[bool]:
    start, end = period.utc_bounds()
    return and_(LogRow.asked_at >= start, LogRow.asked_at < end)


def _int(expr: ColumnElement) -> ColumnElement:
    return func.coalesce(func.sum(cast(expr, Integer)), 0)


_ANSWERED = case((LogRow.answered.is_(True), 1), else_=0)
_SATISFIED = case((LogRow.feedback == "satisfied", 1), else_=0)
_UNSATISFIED = case((LogRow.feedback == "unsatisfied", 1), else_=0)


# -- headline figures ---------------------------------------------------------------------------


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


def summary(store: Store, period: Period) -> Summary:
    """Volume, answered rate, distinct askers, satisfaction and mean latency."""
    stmt = select(
        func.count(), _int(_ANSWERED), func.count(func.distinct(LogRow.user_hash)),
        _int(_SATISFIED), _int(_UNSATISFIED), func.coalesce(func.avg(LogRow.latency_ms), 0.0),
    ).where(_in(period))
    with store.session() as session:
        total, answered, users, sat, unsat, latency = session.execute(stmt).one()
    return Summary(int(total), int(answered), int(users), int(sat), int(unsat), round(float(latency), 1))


def satisfaction(store: Store, period: Period) -> Summary:
    """Same figures as `summary`; named for the 满意度 table."""
    return summary(store, period)


@dataclass(frozen=True)
class Day:
    day: datetime.date
    total: int
    answered: int

    @property
    def answered_rate(self) -> float:
        return self.answered / self.total if self.total else 0.0


def _local_day(dialect: str) -> ColumnElement:
    if dialect == "sqlite":
        return func.date(LogRow.asked_at, "+8 hours")
    return cast(LogRow.asked_at + LOCAL_OFFSET, Date)


def daily(store: Store, period: Period) -> list[Day]:
    """Questions and answered questions per local day; days without questions are included as 0."""
    day = _local_day(store.engine.dialect.name).label("day")
    stmt = select(day, func.count(), _int(_ANSWERED)).where(_in(period)).group_by(day).order_by(day)
    with store.session() as session:
        found = {}
        for value, total, answered in session.execute(stmt):
            if isinstance(value, str):
                value = datetime.date.fromisoformat(value)
            found[value] = (int(total), int(answered))
    out = []
    current = period.since
    while current < period.until:
        total, answered = found.get(current, (0, 0))
        out.append(Day(current, total, answered))
        current += datetime.timedelta(days=1)
    return out


# -- by category and by matched entry -------------------------------------------------------


@dataclass(frozen=True)
class CategoryCount:
    category: str
    count: int


def by_category(store: Store, period: Period) -> list[CategoryCount]:
    """Answered questions per category of the entry that answered them, plus one row for the unanswered.

    An unanswered question's nearest entry did not answer it, so its category would mislead.
    """
    category = func.coalesce(LogRow.top_category, NO_CATEGORY)
    stmt = (
        select(category, func.count())
        .where(_in(period), LogRow.answered.is_(True))
        .group_by(category)
        .order_by(func.count().desc(), category)
    )
    unanswered = select(func.count()).where(_in(period), LogRow.answered.is_(False))
    with store.session() as session:
        rows = [CategoryCount(name, int(count)) for name, count in session.execute(stmt)]
        missing = int(session.scalar(unanswered) or 0)
    if missing:
        rows.append(CategoryCount(UNANSWERED_CATEGORY, missing))
    return rows


@dataclass(frozen=True)
class EntryCount:
    kind: str  # "faq" | "item"
    id: int
    title: str
    category: str | None
    count: int
    satisfied: int
    unsatisfied: int


def by_entry(store: Store, period: Period, limit: int = 20) -> list[EntryCount]:
    """The FAQ entries and items that answered most questions, with their feedback."""
    count = func.count()
    stmt = (
        select(LogRow.top_kind, LogRow.top_id, func.max(LogRow.top_title), func.max(LogRow.top_category),
               count, _int(_SATISFIED), _int(_UNSATISFIED))
        .where(_in(period), LogRow.answered.is_(True), LogRow.top_id.is_not(None))
        .group_by(LogRow.top_kind, LogRow.top_id)
        .order_by(count.desc(), LogRow.top_kind, LogRow.top_id)
        .limit(limit)
    )
    with store.session() as session:
        return [EntryCount(kind or "", int(id_), title or "", cat, int(n), int(s), int(u))
                for kind, id_, title, cat, n, s, u in session.execute(stmt)]


# -- wordings, groups and terms ----------------------------------------------------------------


def term_rows(store: Store, period: Period, *, answered: bool | None = None) -> Rows:
    """`(terms, text, answered, count)` per distinct term string; text only where terms are empty."""
    text = case((LogRow.terms == "", LogRow.question), else_="")
    stmt = select(LogRow.terms, text, LogRow.answered, func.count()).where(_in(period))
    if answered is not None:
        stmt = stmt.where(LogRow.answered.is_(answered))
    stmt = stmt.group_by(LogRow.terms, text, LogRow.answered)
    with store.session() as session:
        return [(t or "", q or "", bool(a), int(n)) for t, q, a, n in session.execute(stmt)]


def _wording_rows(
    store: Store, period: Period, term_strings: set[str], texts: set[str], *, answered: bool | None
) -> list[tuple[str, str, str | None, bool, int]]:
    """`(terms, question, entry title, answered, count)` for the given term strings / bare texts."""
    rows: list[tuple[str, str, str | None, bool, int]] = []
    batches = [(LogRow.terms, sorted(term_strings)), (LogRow.question, sorted(texts))]
    for column, values in batches:
        for start in range(0, len(values), CHUNK):
            condition = column.in_(bindparam("values", expanding=True))
            if column is LogRow.question:
                condition = and_(LogRow.terms == "", condition)
            stmt = select(LogRow.terms, LogRow.question, LogRow.top_title, LogRow.answered, func.count()).where(
                _in(period), condition)
            if answered is not None:
                stmt = stmt.where(LogRow.answered.is_(answered))
            stmt = stmt.group_by(LogRow.terms, LogRow.question, LogRow.top_title, LogRow.answered)
            with store.session() as session:
                result = session.execute(stmt, {"values": values[start:start + CHUNK]})
                rows.extend((t or "", q or "", e, bool(a), int(n)) for t, q, e, a, n in result)
    return rows


def question_groups(
    store: Store, period: Period, limit: int = 20, *, answered: bool | None = None, examples: int = 3,
    rows: Rows | None = None,
) -> list[QuestionGroup]:
    """The most-asked questions, near-duplicate wordings grouped (rule: grouping.py).

    `rows` (from `term_rows` over all questions) saves the query when a caller needs several
    of these tables for one period.
    """
    if rows is None:
        rows = term_rows(store, period, answered=answered)
    elif answered is not None:
        rows = [row for row in rows if row[2] is answered]
    top = grouping.ranked(grouping.merge_rows(rows), limit)
    wanted = {g.key for g in top}
    term_strings, texts = set(), set()
    for terms, text, _answered, _count in rows:
        if grouping.group_key(terms, text) in wanted:
            (term_strings if terms else texts).add(terms or text)
    wordings = _wording_rows(store, period, term_strings, texts, answered=answered)
    grouping.attach_wordings(top, wordings, examples=examples)
    return top


def top_groups(store: Store, period: Period, limit: int = 20, *, rows: Rows | None = None) -> list[QuestionGroup]:
    """Top question groups over all questions, each with the entry that answered it most often."""
    return question_groups(store, period, limit, rows=rows)


def unanswered_groups(
    store: Store, period: Period, limit: int = 20, *, rows: Rows | None = None
) -> list[QuestionGroup]:
    """Questions the bot could not answer, grouped and ranked: what the FAQ should cover next.

    `entry` is the nearest entry (below the answer threshold) — often the one to extend.
    """
    return question_groups(store, period, limit, answered=False, rows=rows)


@dataclass(frozen=True)
class TermCount:
    term: str
    count: int
    share: float  # of all questions in the period


def top_terms(store: Store, period: Period, limit: int = 30, *, rows: Rows | None = None) -> list[TermCount]:
    """The topic terms in most questions (each question counts a term once)."""
    if rows is None:
        rows = term_rows(store, period)
    total = sum(n for *_rest, n in rows)
    counts = grouping.term_counts(rows)
    return [TermCount(term, n, n / total if total else 0.0)
            for term, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]]


def rising_topics(
    store: Store, period: Period, limit: int = 20, *, min_count: int | None = None,
    rows: Rows | None = None, previous_rows: Rows | None = None,
) -> list[RisingTopic]:
    """Terms asked about more than in the previous period of the same length (scaled to volume)."""
    current_rows = term_rows(store, period) if rows is None else rows
    if previous_rows is None:
        previous_rows = term_rows(store, period.previous())
    total = sum(n for *_rest, n in current_rows)
    previous_total = sum(n for *_rest, n in previous_rows)
    if min_count is None:  # at least 3 questions, and 0.1 % of the period's volume
        min_count = max(3, total // 1000)
    return grouping.rising(grouping.term_counts(current_rows), grouping.term_counts(previous_rows),
                           total, previous_total, limit=limit, min_count=min_count)
