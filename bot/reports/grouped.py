"""The report's tables from the per-day summary's group keys: SQL groups, Python sees the shown groups only.

`question_day.group_key` is each summary row's report group (`grouping.terms_key`, kept at
write time), so the database sums a period per group and Python ranks plain tuples instead of
grouping ten thousand wordings per view. What the tables then need in detail — the entries,
wordings and previous counts of the forty groups shown — is read for those groups alone.
The result is the same as grouping every row (`aggregates.top_groups` and the others;
tests/bot/test_reports_grouped.py compares them).

Term strings without a content word (greetings) have no group key: they are grouped by their
text, read from the log per wording as before (`queries.wording_rows`).
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import case, func, select

from bot.questionlog_table import QuestionDay, QuestionDayTerm
from bot.reports.grouping import TEXT_KEY_PREFIX, QuestionRow, count_by_key, group_key, terms_key
from bot.reports.queries import EntryRow, Period, entries_from, wording_rows
from knowledge.store import Store

_IN_CHUNK = 500


def _in_period(period: Period) -> list:
    return [QuestionDay.day >= period.since, QuestionDay.day < period.until]


def wordless_rows(store: Store, period: Period) -> list[QuestionRow]:
    """The period's summary rows without a group key, as question rows.

    Term strings with no content word (greetings) are grouped by their text, so their
    questions are read from the log per wording. A row with content words but no key was
    summed by an older release during a rolling upgrade: it is returned as summed (wording
    left empty) and grouped by its terms here.
    """
    columns = (QuestionDay.terms, QuestionDay.answered, QuestionDay.top_kind, QuestionDay.top_id,
               QuestionDay.top_category)
    stmt = (select(*columns, func.sum(QuestionDay.questions), func.sum(QuestionDay.satisfied),
                   func.sum(QuestionDay.unsatisfied), func.max(QuestionDay.last_id))
            .where(*_in_period(period), QuestionDay.group_key == "").group_by(*columns))
    rows: list[QuestionRow] = []
    texts: set[str] = set()
    with store.engine.connect() as conn:
        for terms, answered, kind, entry_id, category, n, sat, unsat, last in conn.execute(stmt):
            if terms_key(terms):
                rows.append(QuestionRow(terms, "", bool(answered), kind, entry_id, category, int(n), int(sat),
                                        int(unsat), int(last)))
            else:
                texts.add(terms)
    return rows + (wording_rows(store, period, sorted(texts)) if texts else [])


@dataclass
class GroupCounts:
    """Questions and unanswered questions per group key of one period (greetings by their text)."""

    total: dict[str, int]
    unanswered: dict[str, int]
    wordless: list[QuestionRow]  # the rows of the text-keyed groups


def group_counts(store: Store, period: Period) -> GroupCounts:
    unanswered = func.sum(case((QuestionDay.answered.is_(False), QuestionDay.questions), else_=0))
    stmt = (select(QuestionDay.group_key, func.sum(QuestionDay.questions), unanswered)
            .where(*_in_period(period), QuestionDay.group_key != "").group_by(QuestionDay.group_key))
    total: dict[str, int] = {}
    not_answered: dict[str, int] = {}
    with store.engine.connect() as conn:
        for key, n, unans in conn.execute(stmt):
            total[key] = int(n)
            if unans:
                not_answered[key] = int(unans)
    wordless = wordless_rows(store, period)
    for key, n in count_by_key(wordless).items():
        total[key] = total.get(key, 0) + n
    for key, n in count_by_key(r for r in wordless if not r.answered).items():
        not_answered[key] = not_answered.get(key, 0) + n
    return GroupCounts(total, not_answered, wordless)


def ranked(counts: dict[str, int], limit: int) -> list[str]:
    """The `limit` largest groups, as `grouping.top_groups` ranks them (count, then key)."""
    return [key for key, _n in heapq.nsmallest(limit, counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def rows_of(store: Store, period: Period, keys: Iterable[str], wordless: list[QuestionRow]) -> list[QuestionRow]:
    """`queries.summary_rows` restricted to the groups `keys`: every row of those groups, no other."""
    wanted = set(keys)
    plain = sorted(k for k in wanted if not k.startswith(TEXT_KEY_PREFIX))
    columns = (QuestionDay.terms, QuestionDay.answered, QuestionDay.top_kind, QuestionDay.top_id,
               QuestionDay.top_category)
    rows: list[QuestionRow] = []
    with store.engine.connect() as conn:
        for start in range(0, len(plain), _IN_CHUNK):
            stmt = (select(*columns, func.sum(QuestionDay.questions), func.sum(QuestionDay.satisfied),
                           func.sum(QuestionDay.unsatisfied), func.max(QuestionDay.last_id))
                    .where(*_in_period(period), QuestionDay.group_key.in_(plain[start:start + _IN_CHUNK]))
                    .group_by(*columns))
            rows += [QuestionRow(terms, "", bool(answered), kind, entry_id, category, int(n), int(sat), int(unsat),
                                 int(last))
                     for terms, answered, kind, entry_id, category, n, sat, unsat, last in conn.execute(stmt)]
    return rows + [r for r in wordless if group_key(r.terms, r.question) in wanted]


def previous_counts(store: Store, period: Period, keys: Iterable[str]) -> tuple[Counter[str], Counter[str]]:
    """(questions, unanswered questions) of the groups `keys` in `period` (a previous period)."""
    wanted = set(keys)
    total: Counter[str] = Counter()
    not_answered: Counter[str] = Counter()
    plain = sorted(k for k in wanted if not k.startswith(TEXT_KEY_PREFIX))
    unanswered = func.sum(case((QuestionDay.answered.is_(False), QuestionDay.questions), else_=0))
    with store.engine.connect() as conn:
        for start in range(0, len(plain), _IN_CHUNK):
            stmt = (select(QuestionDay.group_key, func.sum(QuestionDay.questions), unanswered)
                    .where(*_in_period(period), QuestionDay.group_key.in_(plain[start:start + _IN_CHUNK]))
                    .group_by(QuestionDay.group_key))
            for key, n, unans in conn.execute(stmt):
                total[key], not_answered[key] = int(n), int(unans)
    wordless = wordless_rows(store, period)  # greetings (and rows summed without a group key)
    if wordless:
        total.update({k: n for k, n in count_by_key(wordless).items() if k in wanted})
        not_answered.update({k: n for k, n in count_by_key(r for r in wordless if not r.answered).items()
                             if k in wanted})
    return total, not_answered


def term_totals(store: Store, period: Period) -> Counter[str]:
    """Questions per topic term of the period (`question_day_term`, kept at write time)."""
    stmt = (select(QuestionDayTerm.term, func.sum(QuestionDayTerm.questions))
            .where(QuestionDayTerm.day >= period.since, QuestionDayTerm.day < period.until)
            .group_by(QuestionDayTerm.term))
    with store.engine.connect() as conn:
        return Counter({term: int(n) for term, n in conn.execute(stmt)})


def entry_totals(store: Store, period: Period) -> list[EntryRow]:
    """What `queries.entries_from` folds from the question rows: answered questions per entry and category."""
    keys = (QuestionDay.top_kind, QuestionDay.top_id, QuestionDay.top_category)
    stmt = (select(*keys, func.sum(QuestionDay.questions), func.sum(QuestionDay.satisfied),
                   func.sum(QuestionDay.unsatisfied), func.max(QuestionDay.last_id))
            .where(*_in_period(period), QuestionDay.answered.is_(True), QuestionDay.top_id.is_not(None))
            .group_by(*keys))
    with store.engine.connect() as conn:
        rows = [QuestionRow("", "", True, kind, entry_id, category, int(n), int(sat), int(unsat), int(last))
                for kind, entry_id, category, n, sat, unsat, last in conn.execute(stmt)]
    return entries_from(rows)  # the same fold (a NULL kind counts as "")
