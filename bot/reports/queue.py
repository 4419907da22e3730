"""The staff queue: questions the bot did not answer (or answered to a 不满意), grouped and ranked.

Groups are the report's (bot/reports/grouping.py): 低保怎么申请 / 低保咋申请 are one group, so
staff fix a question once, not once per wording. A group is dealt with in one of three ways,
each recorded as a `QueueMark` in the same transaction as the knowledge-base change it made
(`bot.reports.queue_marks`):

* 加入相似问法 — the citizens' wordings become 相似问法 of an existing FAQ entry;
* 新建FAQ — a new entry answers them;
* 忽略 — nothing to answer (greetings, messages meant for a person).

A marked group leaves the queue; only wordings asked after the mark bring it back (the fix
did not work, or the wording is new). The report's unanswered table shows the marks too.

Cost: the counts of every group come from the question log's per-day summary
(bot/questionlog_days.py, exact at write time): a month is a few thousand summary rows. A
page of the queue is ranked by the database (bot/reports/queue_rank.py), so only its thirty
groups come back to Python; the page of a group (`only`) and a summary with rows an older
release wrote without their group key are summed per group here. Only the wordings of the
groups on the requested page are read from the log, and kept per process while their
group's figures stay the same.
"""

from __future__ import annotations

import datetime
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Text, func, literal_column, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from bot.questionlog_table import OPEN_COVERED, QuestionDay, QueueMark
from bot.questionlog_table import QuestionLogRow as LogRow
from bot.reports.grouping import TEXT_KEY_PREFIX, group_key, normalise_text, terms_key
from bot.reports.queries import Period, _in
from bot.reports.queue_marks import key_hash, latest_marks
from bot.reports.queue_rank import OPEN, RankedPage, group_sums, order, ranked_page
from knowledge.store import Store


@dataclass(frozen=True)
class _Row:
    terms: str
    question: str
    answered: bool
    kind: str | None
    entry_id: int | None
    count: int
    last_id: int


@dataclass
class QueueGroup:
    key: str
    count: int = 0
    unanswered: int = 0
    unsatisfied: int = 0
    last_id: int = 0
    wordings: list[tuple[str, int]] = field(default_factory=list)  # commonest first, punctuation folded
    nearest: list[tuple[str, int, int]] = field(default_factory=list)  # (kind, id, times) the search came closest
    reopened: bool = False  # marked before, asked again since

    @property
    def hash(self) -> str:
        return key_hash(self.key)

    @property
    def wording(self) -> str:
        return self.wordings[0][0] if self.wordings else ""


def _queue_rows(period: Period, *columns: Any, since_id: int = 0,
                terms: list[str] | None = None, sqlite: bool = False, by_time: bool = False,
                postgres: bool = False) -> list:
    """Unanswered and 不满意 questions of `period` grouped by `columns`, each with count and newest id.

    Given `terms` on SQLite, one condition is written index-free (`+column`, SQLite's
    documented idiom) to choose the index: the time and answered ones, so that the group index
    is sought by term instead of the whole period being walked; or, `by_time`, the terms, so
    that the period's rows are walked (cheaper when the terms are asked all year and the
    period is short).

    On PostgreSQL the unanswered ones are read in two parts, each matching a partial index's
    predicate word for word (the planner proves a partial index usable only so): the questions
    short enough for the covering index, read from the index alone, and the rare longer ones
    (`questionlog_table.OPEN_COVERED`).
    """
    figures = (func.count(), func.max(LogRow.id))
    extra = [LogRow.id > since_id] if since_id else []
    unanswered: ColumnElement[bool] = LogRow.answered.is_(False)
    when = _in(period)
    if terms is not None:
        if sqlite and by_time:
            extra.append(literal_column("+question_log.terms", Text).in_(terms))
        else:
            extra.append(LogRow.terms.in_(terms))
            if sqlite:
                unanswered, when = literal_column("+question_log.answered") == 0, _in(period, index_free=True)
    parts: list[list[ColumnElement[bool]]] = (
        [[literal_column(OPEN_COVERED)], [literal_column(f"NOT ({OPEN_COVERED})")]] if postgres else [[]])
    return [
        *(select(*columns, *figures).where(unanswered, *part, when, *extra).group_by(*columns) for part in parts),
        select(*columns, *figures).where(LogRow.feedback == "unsatisfied", LogRow.answered.is_(True), _in(period),
                                         *extra).group_by(*columns),
    ]


def _postgres(store: Store) -> bool:
    return store.engine.dialect.name == "postgresql"


def _summed_counts(store: Store, period: Period) -> tuple[dict[str, tuple[int, int, int]], dict[str, list[str]]]:
    """(group key → (questions, unanswered, newest id), text group key → its term strings), from the summary.

    Summed per group by the database (`question_day.group_key`, `queue_rank.group_sums`). Term
    strings without a content word (greetings) are grouped by their text, so they alone are
    read from the log per wording (`_wordless_counts`); the term strings of the other groups
    are read when a group is shown (`_terms_for`).
    """
    texts: dict[str, list[int]] = {}
    with store.engine.connect() as conn:  # read-only: Core, no ORM row machinery
        for key, n, not_answered, last in conn.execute(group_sums(period)):
            if key:
                _add(texts, key, int(n), int(not_answered), int(last))
        wordless, terms_by_key, _legacy = _wordless_counts(store, conn, period)
    for key, (n, not_answered, last) in wordless.items():
        _add(texts, key, n, not_answered, last)
    found = {key: (n, unans, last) for key, (n, unans, last) in texts.items()}
    return found, terms_by_key


def _wordless_counts(store: Store, conn: Connection, period: Period,
                     ) -> tuple[dict[str, tuple[int, int, int]], dict[str, list[str]], bool]:
    """The figures and term strings of the groups of the summary rows without a group key.

    Greetings, grouped by their text (read from the log), and rows an older release summed
    during a rolling upgrade, grouped here by their terms; the flag says whether there were
    such rows (their groups may have keyed rows too).
    """
    texts: dict[str, list[int]] = {}
    terms_by_key: dict[str, list[str]] = {}
    wordless: list[str] = []
    legacy = False
    sums = group_sums(period).where(QuestionDay.group_key == "")
    for terms, n, not_answered, last in conn.execute(sums.group_by(QuestionDay.terms).with_only_columns(
            QuestionDay.terms, *sums.selected_columns[1:])):
        key = terms_key(terms)
        if key:
            legacy = True
            _add(texts, key, int(n), int(not_answered), int(last))
            terms_by_key.setdefault(key, []).append(terms)
        else:
            wordless.append(terms)
    if wordless:
        for stmt in _queue_rows(period, LogRow.terms, LogRow.question, LogRow.answered,
                                terms=sorted(set(wordless)), sqlite=store.engine.dialect.name == "sqlite",
                                postgres=_postgres(store)):
            for terms, question, was_answered, n, last in conn.execute(stmt).all():
                key = group_key(terms, question)
                _add(texts, key, int(n), 0 if was_answered else int(n), int(last))
                terms_by_key.setdefault(key, []).append(terms)
    return {key: (n, unans, last) for key, (n, unans, last) in texts.items()}, terms_by_key, legacy


def _terms_for(store: Store, period: Period, keys: Iterable[str]) -> dict[str, list[str]]:
    """The term strings of the groups `keys` (term-keyed ones) with a question for the queue in `period`."""
    wanted = sorted(k for k in set(keys) if not k.startswith(TEXT_KEY_PREFIX))
    found: dict[str, list[str]] = {}
    with store.engine.connect() as conn:
        for start in range(0, len(wanted), 500):
            stmt = (select(QuestionDay.group_key, QuestionDay.terms).distinct()
                    .where(QuestionDay.day >= period.since, QuestionDay.day < period.until, OPEN,
                           QuestionDay.group_key.in_(wanted[start:start + 500])))
            for key, terms in conn.execute(stmt):
                found.setdefault(key, []).append(terms)
    return found


# Figures per (database, period[, page]) with the summary's totals (and marks) they were read for.
_counts_cache: dict[tuple[Any, ...], tuple[tuple[Any, ...], Any]] = {}


def _cached(key: tuple[Any, ...], version: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
    with _details_lock:
        cached = _counts_cache.get(key)
    if cached is not None and cached[0] == version:
        return cached[1]
    value = compute()
    with _details_lock:
        if len(_counts_cache) > 50:
            _counts_cache.clear()
        _counts_cache[key] = (version, value)
    return value


def _summary_version(store: Store, period: Period) -> tuple[Any, ...]:
    """The period's summary totals: questions, ratings, newest ids (one pass over its summary index).

    They change with every question logged and every rating given or changed; only a 不满意
    withdrawn and another given between two views, with no question in between, could leave
    them equal.
    """
    stmt = select(func.count(), func.sum(QuestionDay.questions), func.sum(QuestionDay.satisfied),
                  func.sum(QuestionDay.unsatisfied), func.max(QuestionDay.last_id),
                  func.sum(QuestionDay.last_unsatisfied_id)).where(
        QuestionDay.day >= period.since, QuestionDay.day < period.until)
    with store.engine.connect() as conn:
        return tuple(conn.execute(stmt).one())


def _current_counts(store: Store, period: Period) -> tuple[dict[str, tuple[int, int, int]], dict[str, list[str]]]:
    """`_summed_counts`, reused while the period's summary totals stay the same.

    The dictionaries returned are shared: callers must not change them.
    """
    return cast(tuple[dict[str, tuple[int, int, int]], dict[str, list[str]]], _cached(
        (store.url, period), _summary_version(store, period), lambda: _summed_counts(store, period)))


def _current_page(store: Store, period: Period, marks: dict[str, QueueMark], offset: int, limit: int,
                  ) -> tuple[RankedPage, dict[str, list[str]]] | None:
    """`queue_rank.ranked_page` and the text groups' term strings, reused while the summary totals
    and the marks stay the same; None while summary rows without a group key but with content
    words exist (a rolling upgrade's: their groups are summed in Python, `_summed_counts`)."""
    version = (*_summary_version(store, period), len(marks), max((m.id for m in marks.values()), default=0))

    def compute() -> tuple[RankedPage, dict[str, list[str]]] | None:
        with store.engine.connect() as conn:
            texts, terms_by_key, legacy = _wordless_counts(store, conn, period)
            if legacy:
                return None
            return ranked_page(conn, period, texts, marks, offset, limit), terms_by_key

    return cast(tuple[RankedPage, dict[str, list[str]]] | None,
                _cached((store.url, period, offset, limit), version, compute))


# The wordings of groups already shown, per (database, period, group), with the group's
# figures they were read for: valid while those figures stay the same.
_details_cache: dict[tuple[str, Period, str], tuple[tuple[int, ...], list[_Row]]] = {}
_details_lock = threading.Lock()
MAX_CACHED_DETAILS = 5000


def _add(found: dict[str, list[int]], key: str, n: int, unanswered: int, last: int) -> None:
    total = found.setdefault(key, [0, 0, 0])
    total[0] += n
    total[1] += unanswered
    total[2] = max(total[2], last)


def _terms_of(store: Store, period: Period, keys: set[str], since_id: int) -> dict[str, list[str]]:
    """The term strings asked after `since_id` that belong to each of `keys` (a reopened group)."""
    by_key: dict[str, list[str]] = {}
    with store.engine.connect() as conn:
        for stmt in _queue_rows(period, LogRow.terms, since_id=since_id, postgres=_postgres(store)):
            for terms, _n, _last in conn.execute(stmt).all():
                key = group_key(terms)
                if key in keys or key.startswith(TEXT_KEY_PREFIX):
                    by_key.setdefault(key, []).append(terms)
    return by_key


def _details(store: Store, period: Period, terms: list[str], since_id: int = 0, *,
             by_time: bool | None = None) -> list[_Row]:
    """The wordings of `terms` asked in `period` (after `since_id`), read from the log.

    `by_time` (SQLite): walk the period rather than seek each term string through the year;
    None lets SQLite's planner choose (it seeks the terms).
    """
    keys = (LogRow.terms, LogRow.question, LogRow.answered, LogRow.top_kind, LogRow.top_id)
    rows: list[_Row] = []
    sqlite = by_time is not None and store.engine.dialect.name == "sqlite"
    with store.engine.connect() as conn:
        for start in range(0, len(terms), 500):
            for stmt in _queue_rows(period, *keys, since_id=since_id, terms=terms[start:start + 500],
                                    sqlite=sqlite, by_time=bool(by_time), postgres=_postgres(store)):
                rows += [_Row(t, q, bool(a), k, i, int(n), int(last)) for t, q, a, k, i, n, last in conn.execute(stmt)]
    return rows


def _walk_period(store: Store, period: Period, shown: int, total: int) -> bool:
    """Whether reading the period's open questions is cheaper than seeking the shown groups' terms.

    Seeking reads every question of those term strings in the log (about `shown` × the log's
    days ÷ the period's days); walking reads the period's `total`.
    """
    with store.engine.connect() as conn:
        first = conn.scalar(select(func.min(QuestionDay.day)))
    if first is None:
        return False
    if isinstance(first, str):
        first = datetime.date.fromisoformat(first)
    span = max(period.days, (period.until - first).days)
    return shown * span > total * period.days


@dataclass
class Queue:
    groups: list[QueueGroup]  # the requested page, in full detail
    total_groups: int
    total_questions: int


def build_queue(store: Store, period: Period, *, only: str | None = None, offset: int = 0,
                limit: int | None = None) -> Queue:
    """The open groups of `period`, most asked first: counts for all, details for the requested slice.

    `only`: just the group with that key hash. A marked group counts only what was asked
    after its mark (and is left out when nothing was).
    """
    marks = {mark.group_key: mark for mark in latest_marks(store).values()}  # staff-made: a few hundred
    ranked = _current_page(store, period, marks, offset, limit) if only is None and limit is not None else None
    if ranked is not None:  # the page ranked by the database
        ranks, terms_by_key = ranked
        page, total_groups, total_questions = ranks.page, ranks.total_groups, ranks.total_questions
        counts = dict(page)
        reopened = {k: marks[k].last_log_id for k in counts if k in marks}  # handled ones are not on it
    else:
        counts, terms_by_key = _current_counts(store, period)
        if only is not None:
            counts = {k: v for k, v in counts.items() if key_hash(k) == only}
        reopened = {}
        handled: set[str] = set()
        for key in [k for k in marks if k in counts]:
            mark = marks[key]
            if counts[key][2] <= mark.last_log_id:
                handled.add(key)
            else:
                reopened[key] = mark.last_log_id
        ranked_all = sorted(((k, v) for k, v in counts.items() if k not in handled), key=order)
        page = ranked_all[offset:] if limit is None else ranked_all[offset:offset + limit]
        total_groups = len(counts) - len(handled)
        total_questions = sum(v[0] for v in counts.values()) - sum(counts[k][0] for k in handled)
    wanted = {key for key, _ in page}
    groups = []
    if wanted:
        plain = {k for k in wanted if k not in reopened}
        with _details_lock:
            cached = {k: found[1] for k in plain
                      if (found := _details_cache.get((store.url, period, k))) and found[0] == tuple(counts[k])}
        missing = plain - set(cached)
        fresh: dict[str, list[_Row]] = {k: [] for k in missing}
        member_terms = _terms_for(store, period, missing)
        for key, terms in terms_by_key.items():
            member_terms[key] = [*member_terms.get(key, []), *terms]
        by_time = _walk_period(store, period, sum(counts[k][0] for k in missing), total_questions)
        for row in _details(store, period, sorted({t for k in missing for t in member_terms.get(k, [])}),
                            by_time=by_time):
            key = group_key(row.terms, row.question)
            if key in missing:
                fresh[key].append(row)
        with _details_lock:
            if len(_details_cache) > MAX_CACHED_DETAILS:
                _details_cache.clear()
            for key, members_of in fresh.items():
                _details_cache[(store.url, period, key)] = (tuple(counts[key]), members_of)
        rows = [row for k in plain for row in (cached.get(k) or fresh.get(k, []))]
        for key, since in reopened.items():  # few: one query each, counting only what came after the mark
            if key in wanted:
                again = _terms_of(store, period, {key}, since_id=since).get(key, [])
                rows += _details(store, period, sorted(set(again)), since_id=since)
        members: dict[str, list[_Row]] = {}
        for row in rows:
            key = group_key(row.terms, row.question)
            if key in wanted:
                members.setdefault(key, []).append(row)
        groups = [_group(key, members[key], reopened=key in reopened) for key, _ in page if key in members]
        groups.sort(key=lambda g: (-g.count, -g.last_id, g.key))
    return Queue(groups, total_groups, total_questions)


def _group(key: str, members: list[_Row], *, reopened: bool) -> QueueGroup:
    group = QueueGroup(key=key, reopened=reopened)
    wordings: Counter[str] = Counter()
    shown: dict[str, str] = {}
    nearest: Counter[tuple[str, int]] = Counter()
    for row in members:
        group.count += row.count
        if row.answered:
            group.unsatisfied += row.count
        else:
            group.unanswered += row.count
        group.last_id = max(group.last_id, row.last_id)
        norm = normalise_text(row.question)
        shown.setdefault(norm, row.question.strip())
        wordings[norm] += row.count
        if row.kind == "faq" and row.entry_id is not None:
            nearest[("faq", row.entry_id)] += row.count
    group.wordings = [(shown[n], c) for n, c in sorted(wordings.items(), key=lambda kv: (-kv[1], kv[0]))]
    group.nearest = [(kind, entry_id, n) for (kind, entry_id), n in nearest.most_common(3)]
    return group
