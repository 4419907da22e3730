"""The question log's per-day summary (`question_day`, and per topic term `question_day_term`),
kept exact in the write transaction.

A year of a million questions is too much to group on every view of a report or of the 待处理
queue (seconds); a month of it summed per day and analysed wording is a few thousand rows.
Every change to `question_log` goes through here and updates the summary in the same
transaction, so the two never disagree:

* `insert_rows` — new questions (INSERT … ON CONFLICT DO NOTHING RETURNING: a replayed row that
  was already written is counted once, like the row itself);
* `set_feedback` — 满意/不满意 on a logged question (changing a rating moves it between counts);
* `purge` — retention: whole days leave the summary, the cut-off day is summed again.

Each summary row also names its report group (`group_key`), and each question adds to the
day's count of each of its topic terms: both follow the report's grouping rule, whose
version is the summary's mark, so a release that changes the rule re-sums it once.

The distinct askers of each day are kept alongside, as bitmaps (`bot.questionlog_askers`).

A database written by a release without the summary gets it built once, at `Store.migrate`
(`ensure_built`, under a lock so that two starting workers do not both build it).
"""

from __future__ import annotations

import datetime
import hashlib
import logging
from collections.abc import Iterable
from typing import Any, cast

from sqlalchemy import CursorResult, Date, and_, case, delete, func, select, text, update
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from bot import questionlog_askers as askers
from bot.questionlog_table import QuestionDay, QuestionDayTerm
from bot.questionlog_table import QuestionLogRow as LogRow
from bot.reports.grouping import rule_version, terms_key, topic_terms
from bot.turn import Feedback
from knowledge.models import Meta
from knowledge.store import AFTER_MIGRATE, PENDING_AFTER_MIGRATE, Store, insert_for

log = logging.getLogger(__name__)

LOCAL_OFFSET = datetime.timedelta(hours=8)  # as bot.reports.queries: China Standard Time, no DST
BUILT_KEY = "question_day_built"
ASKERS_BUILT_KEY = "question_day_askers_built"  # the askers' bitmaps (bot.questionlog_askers)
_BATCH = 5000
_KEY_COLUMNS = (LogRow.terms, LogRow.answered, LogRow.top_kind, LogRow.top_id, LogRow.top_category)


def local_day(asked_at: datetime.datetime) -> datetime.date:
    """The local calendar day of a naive-UTC timestamp."""
    return (asked_at + LOCAL_OFFSET).date()


def day_key(terms: str, answered: bool, kind: str | None, entry_id: int | None, category: str | None) -> str:
    """SHA-1 of what a summary row is per day: wording (terms), outcome, entry and its category."""
    parts = (terms or "", "1" if answered else "0", kind or "", "" if entry_id is None else str(entry_id),
             "\x01" if category is None else category)
    return hashlib.sha1("\x00".join(parts).encode("utf-8")).hexdigest()


def _insert(session: Session) -> Any:
    return insert_for(session.get_bind().dialect.name)


def _greatest(session: Session, a: Any, b: Any) -> Any:
    return func.greatest(a, b) if session.get_bind().dialect.name == "postgresql" else func.max(a, b)


def insert_rows(session: Session, rows: list[dict[str, Any]]) -> int:
    """Insert question rows not yet logged (by message key) and add them to the summary; returns how many."""
    stmt = (_insert(session)(LogRow).on_conflict_do_nothing(index_elements=["message_key"])
            .returning(LogRow.id, LogRow.asked_at, *_KEY_COLUMNS, LogRow.latency_ms, LogRow.user_hash))
    inserted = session.execute(stmt, rows).all() if rows else []
    sums: dict[tuple[datetime.date, str], dict[str, Any]] = {}
    for row_id, asked_at, terms, answered, kind, entry_id, category, latency, _user in inserted:
        day = local_day(asked_at)
        found = sums.setdefault((day, day_key(terms, answered, kind, entry_id, category)), {
            "terms": terms or "", "group_key": terms_key(terms or ""), "answered": bool(answered),
            "top_kind": kind, "top_id": entry_id,
            "top_category": category, "questions": 0, "satisfied": 0, "unsatisfied": 0, "latency_sum": 0.0,
            "last_id": 0, "last_unsatisfied_id": 0})
        found["questions"] += 1
        found["latency_sum"] += float(latency or 0.0)
        found["last_id"] = max(found["last_id"], int(row_id))
    if sums:
        _add(session, [{"day": day, "key_hash": key, **values} for (day, key), values in sorted(sums.items())])
        _add_terms(session, ((day, values["terms"], values["questions"]) for (day, _k), values in sums.items()))
        askers.add(session, ((local_day(row.asked_at), row.user_hash) for row in inserted))
    return len(inserted)


def _add_terms(session: Session, per_terms: Iterable[tuple[datetime.date, str, int]]) -> None:
    """Add questions per (day, terms string) to the per-day topic-term counts (sorted: no deadlock)."""
    sums: dict[tuple[datetime.date, str], int] = {}
    for day, terms, n in per_terms:
        for term in topic_terms(terms):
            sums[(day, term)] = sums.get((day, term), 0) + n
    if not sums:
        return
    table = QuestionDayTerm.__table__
    stmt = _insert(session)(QuestionDayTerm)
    stmt = stmt.on_conflict_do_update(index_elements=["day", "term_hash"],
                                      set_={"questions": table.c.questions + stmt.excluded.questions})
    values = [{"day": day, "term_hash": hashlib.sha1(term.encode("utf-8")).hexdigest(), "term": term,
               "questions": n} for (day, term), n in sums.items()]
    values.sort(key=lambda v: (v["day"], v["term_hash"]))
    for start in range(0, len(values), _BATCH):
        session.execute(stmt, values[start:start + _BATCH])


def _rebuild_terms(session: Session, since: datetime.date | None, until: datetime.date | None) -> None:
    """Sum the topic-term counts of local days [since, until) afresh from `question_day`."""
    wipe = delete(QuestionDayTerm)
    source = select(QuestionDay.day, QuestionDay.terms, func.sum(QuestionDay.questions))
    if since is not None:
        wipe, source = wipe.where(QuestionDayTerm.day >= since), source.where(QuestionDay.day >= since)
    if until is not None:
        wipe, source = wipe.where(QuestionDayTerm.day < until), source.where(QuestionDay.day < until)
    session.execute(wipe)
    rows = session.execute(source.group_by(QuestionDay.day, QuestionDay.terms)).all()
    _add_terms(session, ((datetime.date.fromisoformat(day) if isinstance(day, str) else day, terms, int(n))
                         for day, terms, n in rows))


def _add(session: Session, values: list[dict[str, Any]]) -> None:
    """Upsert summary rows, adding to the counts of rows that exist (sorted: no deadlock between writers)."""
    table = QuestionDay.__table__
    stmt = _insert(session)(QuestionDay)
    excluded = stmt.excluded
    stmt = stmt.on_conflict_do_update(index_elements=["day", "key_hash"], set_={
        "questions": table.c.questions + excluded.questions,
        "satisfied": table.c.satisfied + excluded.satisfied,
        "unsatisfied": table.c.unsatisfied + excluded.unsatisfied,
        "latency_sum": table.c.latency_sum + excluded.latency_sum,
        "last_id": _greatest(session, table.c.last_id, excluded.last_id),
        "last_unsatisfied_id": _greatest(session, table.c.last_unsatisfied_id, excluded.last_unsatisfied_id),
    })
    for start in range(0, len(values), _BATCH):
        session.execute(stmt, values[start:start + _BATCH])


def _same_key(row: Any) -> ColumnElement[bool]:
    """The question_log rows of the summary row that `row` (a logged question) belongs to."""
    start = datetime.datetime.combine(local_day(row.asked_at), datetime.time()) - LOCAL_OFFSET
    conditions = [LogRow.asked_at >= start, LogRow.asked_at < start + datetime.timedelta(days=1),
                  LogRow.terms == row.terms, LogRow.answered.is_(bool(row.answered))]
    for column, value in ((LogRow.top_kind, row.top_kind), (LogRow.top_id, row.top_id),
                          (LogRow.top_category, row.top_category)):
        conditions.append(column.is_(None) if value is None else column == value)
    return and_(*conditions)


def set_feedback(session: Session, message_key: str, value: str) -> None:
    """Rate the logged question with this (hashed) message key and move it between the summary's counts."""
    stmt = select(LogRow.id, LogRow.feedback, LogRow.asked_at, *_KEY_COLUMNS).where(LogRow.message_key == message_key)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()  # two ratings of one question at once: one after the other
    row = session.execute(stmt).first()
    if row is None or row.feedback == value:
        return
    session.execute(update(LogRow).where(LogRow.id == row.id).values(feedback=value))
    sat = int(value == Feedback.SATISFIED) - int(row.feedback == Feedback.SATISFIED)
    unsat = int(value == Feedback.UNSATISFIED) - int(row.feedback == Feedback.UNSATISFIED)
    table = QuestionDay.__table__
    changes: dict[str, Any] = {"satisfied": table.c.satisfied + sat, "unsatisfied": table.c.unsatisfied + unsat}
    if unsat > 0:
        changes["last_unsatisfied_id"] = _greatest(session, table.c.last_unsatisfied_id, row.id)
    elif unsat < 0:  # the newest 不满意 may have been this one: look again (rare)
        newest = select(func.coalesce(func.max(LogRow.id), 0)).where(
            _same_key(row), LogRow.feedback == Feedback.UNSATISFIED).scalar_subquery()
        changes["last_unsatisfied_id"] = newest
    key = day_key(row.terms, row.answered, row.top_kind, row.top_id, row.top_category)
    session.execute(update(QuestionDay).where(QuestionDay.day == local_day(row.asked_at),
                                              QuestionDay.key_hash == key).values(**changes))


def _day_of(session: Session) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return sql_cast(LogRow.asked_at + LOCAL_OFFSET, Date)
    return func.date(LogRow.asked_at, "+8 hours")


def rebuild(session: Session, since: datetime.date | None = None, until: datetime.date | None = None) -> int:
    """Sum the summary of local days [since, until) (all days when None) afresh from question_log."""
    wipe = delete(QuestionDay)
    source = select(_day_of(session), *_KEY_COLUMNS, func.count(),
                    func.coalesce(func.sum(case((LogRow.feedback == Feedback.SATISFIED, 1), else_=0)), 0),
                    func.coalesce(func.sum(case((LogRow.feedback == Feedback.UNSATISFIED, 1), else_=0)), 0),
                    func.coalesce(func.sum(LogRow.latency_ms), 0.0), func.max(LogRow.id),
                    func.coalesce(func.max(case((LogRow.feedback == Feedback.UNSATISFIED, LogRow.id), else_=0)), 0))
    if since is not None:
        wipe = wipe.where(QuestionDay.day >= since)
        source = source.where(LogRow.asked_at >= datetime.datetime.combine(since, datetime.time()) - LOCAL_OFFSET)
    if until is not None:
        wipe = wipe.where(QuestionDay.day < until)
        source = source.where(LogRow.asked_at < datetime.datetime.combine(until, datetime.time()) - LOCAL_OFFSET)
    if session.get_bind().dialect.name == "postgresql":  # maintenance: a year's log may take longer than
        session.execute(text("SET LOCAL statement_timeout = 0"))  # the reply path's statement timeout
    session.execute(wipe)
    values: list[dict[str, Any]] = []
    count = 0
    for day, terms, answered, kind, entry_id, category, n, sat, unsat, latency, last, last_unsat in session.execute(
            source.group_by(*source.selected_columns[:6])):
        if isinstance(day, str):
            day = datetime.date.fromisoformat(day)
        values.append({"day": day, "key_hash": day_key(terms, answered, kind, entry_id, category),
                       "terms": terms or "", "group_key": terms_key(terms or ""), "answered": bool(answered),
                       "top_kind": kind, "top_id": entry_id, "top_category": category, "questions": int(n),
                       "satisfied": int(sat), "unsatisfied": int(unsat), "latency_sum": float(latency),
                       "last_id": int(last), "last_unsatisfied_id": int(last_unsat)})
        if len(values) >= _BATCH:
            count += _flush(session, values)
    count += _flush(session, values)
    _rebuild_terms(session, since, until)
    return count


def rebuild_askers(session: Session, since: datetime.date | None = None, until: datetime.date | None = None) -> None:
    """Mark the askers of local days [since, until) (all days when None) afresh from question_log."""
    source = select(_day_of(session), LogRow.user_hash)
    if since is not None:
        source = source.where(LogRow.asked_at >= datetime.datetime.combine(since, datetime.time()) - LOCAL_OFFSET)
    if until is not None:
        source = source.where(LogRow.asked_at < datetime.datetime.combine(until, datetime.time()) - LOCAL_OFFSET)
    askers.wipe(session, since, until)
    pairs: list[tuple[datetime.date, str]] = []
    for day, user in session.execute(source.group_by(*source.selected_columns)):
        pairs.append((datetime.date.fromisoformat(day) if isinstance(day, str) else day, user))
        if len(pairs) >= 20 * _BATCH:  # bounded memory for a year's log
            askers.add(session, pairs)
            pairs.clear()
    askers.add(session, pairs)


def _flush(session: Session, values: list[dict[str, Any]]) -> int:
    n = len(values)
    if values:
        _add(session, values)
        values.clear()
    return n


def purge(store: Store, older_than_days: int, *, now: datetime.datetime | None = None, dry_run: bool = False) -> int:
    """Delete questions older than the retention period; returns how many (would be) deleted."""
    moment = now if now is not None else datetime.datetime.now(datetime.UTC)
    if moment.tzinfo is not None:
        moment = moment.astimezone(datetime.UTC).replace(tzinfo=None)
    cutoff = moment - datetime.timedelta(days=older_than_days)
    with store.session() as session:
        if dry_run:
            return session.scalar(select(func.count()).select_from(LogRow).where(LogRow.asked_at < cutoff)) or 0
        deleted = session.execute(delete(LogRow).where(LogRow.asked_at < cutoff))
        first_kept = local_day(cutoff)
        session.execute(delete(QuestionDay).where(QuestionDay.day < first_kept))
        session.execute(delete(QuestionDayTerm).where(QuestionDayTerm.day < first_kept))
        rebuild(session, first_kept, first_kept + datetime.timedelta(days=1))  # the day cut in two
        askers.wipe(session, None, first_kept)
        rebuild_askers(session, first_kept, first_kept + datetime.timedelta(days=1))
        askers.prune(session)
        return cast(CursorResult[Any], deleted).rowcount or 0


def ensure_built(store: Store) -> None:
    """Build the summary for a log written before it existed, or summed with another grouping rule.

    Run by `Store.migrate`. The mark in kb_meta is the grouping rule's version
    (`grouping.rule_version`: the report stopwords decide each row's `group_key`), so a release
    that changes the rule re-sums the summary once. Under a lock that also holds back new
    questions for the seconds it takes (a million questions: ~20 s), so that no row is summed
    twice or missed; later calls see the mark and return at once.
    """
    with store.session() as session:
        if not _not_built(session):
            return
    with store.session() as session:
        if store.engine.dialect.name == "postgresql":
            session.execute(text("LOCK TABLE question_log, question_day, question_day_term, asker, "
                                 "question_day_askers IN SHARE ROW EXCLUSIVE MODE"))
        else:  # take SQLite's write lock before reading, so the check and the build are one step
            session.execute(update(Meta).where(Meta.key == BUILT_KEY).values(value=Meta.value))
        if not _not_built(session):
            return
        count = 0
        if _summary_stale(session):
            count = rebuild(session)
            session.merge(Meta(key=BUILT_KEY, value=rule_version()))
        if session.get(Meta, ASKERS_BUILT_KEY) is None:
            if session.get_bind().dialect.name == "postgresql":
                session.execute(text("SET LOCAL statement_timeout = 0"))
            rebuild_askers(session)
            session.merge(Meta(key=ASKERS_BUILT_KEY, value="1"))
    if count:
        log.info("question log: per-day summary built (%d rows)", count)


def _not_built(session: Session) -> bool:
    return _summary_stale(session) or session.get(Meta, ASKERS_BUILT_KEY) is None


def _summary_stale(session: Session) -> bool:
    mark = session.get(Meta, BUILT_KEY)
    return mark is None or mark.value != rule_version()


AFTER_MIGRATE.append(ensure_built)
PENDING_AFTER_MIGRATE.append(_not_built)
