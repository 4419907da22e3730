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
(bot/questionlog_days.py, exact at write time): a month is a few thousand summary rows, so
the first view after a start costs what later ones do. Only the wordings of the groups on
the requested page are read from the log, and kept per process while their group's figures
stay the same.
"""

from __future__ import annotations

import datetime
import heapq
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Text, case, func, literal_column, or_, select
from sqlalchemy.sql.elements import ColumnElement

from bot.questionlog_table import QuestionDay
from bot.questionlog_table import QuestionLogRow as LogRow
from bot.reports.grouping import TEXT_KEY_PREFIX, group_key, normalise_text, terms_key
from bot.reports.queries import Period, _in
from bot.reports.queue_marks import key_hash, latest_marks
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
                terms: list[str] | None = None, sqlite: bool = False, by_time: bool = False) -> list:
    """Unanswered and 不满意 questions of `period` grouped by `columns`, each with count and newest id.

    Given `terms` on SQLite, one condition is written index-free (`+column`, SQLite's
    documented idiom) to choose the index: the time and answered ones, so that the group index
    is sought by term instead of the whole period being walked; or, `by_time`, the terms, so
    that the period's rows are walked (cheaper when the terms are asked all year and the
    period is short).
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
    return [
        select(*columns, *figures).where(unanswered, when, *extra).group_by(*columns),
        select(*columns, *figures).where(LogRow.feedback == "unsatisfied", LogRow.answered.is_(True), _in(period),
                                         *extra).group_by(*columns),
    ]


_UNANSWERED = QuestionDay.answered.is_(False)
_OPEN = or_(_UNANSWERED, QuestionDay.unsatisfied > 0)  # summary rows with a question for the queue


def _summed_counts(store: Store, period: Period) -> tuple[dict[str, tuple[int, int, int]], dict[str, list[str]]]:
    """(group key → (questions, unanswered, newest id), text group key → its term strings), from the summary.

    Summed per group by the database (`question_day.group_key`). Unanswered questions count
    with their newest id; answered ones only as far as they were rated 不满意, with the newest
    such id. Term strings without a content word (greetings) are grouped by their text, so
    they alone are read from the log per wording; the term strings of the other groups are
    read when a group is shown (`_terms_for`).
    """
    stmt = (select(QuestionDay.group_key,
                   func.sum(case((_UNANSWERED, QuestionDay.questions), else_=QuestionDay.unsatisfied)),
                   func.sum(case((_UNANSWERED, QuestionDay.questions), else_=0)),
                   func.max(case((_UNANSWERED, QuestionDay.last_id), else_=QuestionDay.last_unsatisfied_id)))
            .where(QuestionDay.day >= period.since, QuestionDay.day < period.until, _OPEN)
            .group_by(QuestionDay.group_key))
    found: dict[str, tuple[int, int, int]] = {}
    terms_by_key: dict[str, list[str]] = {}
    texts: dict[str, list[int]] = {}
    with store.engine.connect() as conn:  # read-only: Core, no ORM row machinery
        for key, n, not_answered, last in conn.execute(stmt):
            if key:
                _add(texts, key, int(n), int(not_answered), int(last))
        # Rows without a group key: greetings, grouped by their text (read from the log), and
        # rows an older release summed during a rolling upgrade, grouped here by their terms.
        wordless: list[str] = []
        for terms, n, not_answered, last in conn.execute(stmt.where(QuestionDay.group_key == "").group_by(
                QuestionDay.terms).with_only_columns(QuestionDay.terms, *stmt.selected_columns[1:])):
            key = terms_key(terms)
            if key:
                _add(texts, key, int(n), int(not_answered), int(last))
                terms_by_key.setdefault(key, []).append(terms)
            else:
                wordless.append(terms)
        if wordless:
            for stmt in _queue_rows(period, LogRow.terms, LogRow.question, LogRow.answered,
                                    terms=sorted(set(wordless)), sqlite=store.engine.dialect.name == "sqlite"):
                for terms, question, was_answered, n, last in conn.execute(stmt).all():
                    key = group_key(terms, question)
                    _add(texts, key, int(n), 0 if was_answered else int(n), int(last))
                    terms_by_key.setdefault(key, []).append(terms)
    found = {key: (n, unans, last) for key, (n, unans, last) in texts.items()}
    return found, terms_by_key


def _terms_for(store: Store, period: Period, keys: Iterable[str]) -> dict[str, list[str]]:
    """The term strings of the groups `keys` (term-keyed ones) with a question for the queue in `period`."""
    wanted = sorted(k for k in set(keys) if not k.startswith(TEXT_KEY_PREFIX))
    found: dict[str, list[str]] = {}
    with store.engine.connect() as conn:
        for start in range(0, len(wanted), 500):
            stmt = (select(QuestionDay.group_key, QuestionDay.terms).distinct()
                    .where(QuestionDay.day >= period.since, QuestionDay.day < period.until, _OPEN,
                           QuestionDay.group_key.in_(wanted[start:start + 500])))
            for key, terms in conn.execute(stmt):
                found.setdefault(key, []).append(terms)
    return found


_counts_cache: dict[tuple[str, Period], tuple[tuple[Any, ...], dict[str, tuple[int, int, int]],
                                              dict[str, list[str]]]] = {}


def _current_counts(store: Store, period: Period) -> tuple[dict[str, tuple[int, int, int]], dict[str, list[str]]]:
    """`_summed_counts`, reused while the period's summary totals stay the same.

    The totals (questions, ratings, newest ids: one pass over the period's summary index)
    change with every question logged and every rating given or changed; only a 不满意
    withdrawn and another given between two views, with no question in between, could leave
    them equal. The dictionaries returned are shared: callers must not change them.
    """
    stmt = select(func.count(), func.sum(QuestionDay.questions), func.sum(QuestionDay.satisfied),
                  func.sum(QuestionDay.unsatisfied), func.max(QuestionDay.last_id),
                  func.sum(QuestionDay.last_unsatisfied_id)).where(
        QuestionDay.day >= period.since, QuestionDay.day < period.until)
    with store.engine.connect() as conn:
        version = tuple(conn.execute(stmt).one())
    key = (store.url, period)
    with _details_lock:
        cached = _counts_cache.get(key)
    if cached is None or cached[0] != version:
        found, terms_by_key = _summed_counts(store, period)
        with _details_lock:
            if len(_counts_cache) > 50:
                _counts_cache.clear()
            _counts_cache[key] = (version, found, terms_by_key)
    else:
        found, terms_by_key = cached[1], cached[2]
    return found, terms_by_key


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
        for stmt in _queue_rows(period, LogRow.terms, since_id=since_id):
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
                                    sqlite=sqlite, by_time=bool(by_time)):
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
    counts, terms_by_key = _current_counts(store, period)
    if only is not None:
        counts = {k: v for k, v in counts.items() if key_hash(k) == only}
    marks = {mark.group_key: mark for mark in latest_marks(store).values()}  # staff-made: a few hundred
    reopened: dict[str, int] = {}
    handled: set[str] = set()
    for key in [k for k in marks if k in counts]:
        mark = marks[key]
        if counts[key][2] <= mark.last_log_id:
            handled.add(key)
        else:
            reopened[key] = mark.last_log_id
    order = lambda kv: (-kv[1][0], -kv[1][2], kv[0])  # noqa: E731 - most asked, then newest
    if limit is None:
        ranked = sorted(((k, v) for k, v in counts.items() if k not in handled), key=order)
        page = ranked[offset:]
    else:  # the page only: a quarter has ~25,000 groups
        first = heapq.nsmallest(offset + limit + len(handled), counts.items(), key=order)
        page = [kv for kv in first if kv[0] not in handled][offset:offset + limit]
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
