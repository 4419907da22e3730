"""Distinct askers per local day as bitmaps (`question_day_askers`), kept exact at write time.

The report shows how many different people asked in a period and in the one before. Counting
distinct pseudonyms from the log reads every question of the period (a month of a million-a-year
log: ~80,000 index entries, ~60 ms each time). A (day, asker) table would not be smaller — most
askers ask once a day — so each asker gets a number (`asker`) and each day a bitmap of the
numbers that asked: the period's count is the set bits of the OR of its days' bitmaps, a few
hundred kilobytes read and OR-ed as Python integers.

Written in the transactions of `bot.questionlog_days` (new questions, retention purge, the
build at migration), in (day, chunk) order so that concurrent writers cannot deadlock; on
PostgreSQL a bitmap row is read FOR UPDATE, so two writers of one block serialise.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, delete, exists, select, text, tuple_, update
from sqlalchemy.orm import Session

from bot.questionlog_table import Asker, QuestionDayAskers
from bot.questionlog_table import QuestionLogRow as LogRow
from knowledge.store import insert_for

CHUNK_BITS = 8192  # asker numbers per bitmap row: at most 1 KiB each
_BATCH = 500  # keys per IN list


def _insert(session: Session) -> Any:
    return insert_for(session.get_bind().dialect.name)


def add(session: Session, pairs: Iterable[tuple[datetime.date, str]]) -> None:
    """Mark each (local day, user_hash) pair as asking on that day (idempotent)."""
    wanted = set(pairs)
    if not wanted:
        return
    hashes = sorted({user for _day, user in wanted})
    new_askers = _insert(session)(Asker).on_conflict_do_nothing(index_elements=["user_hash"])
    numbers: dict[str, int] = {}
    for start in range(0, len(hashes), _BATCH):
        part = hashes[start:start + _BATCH]
        session.execute(new_askers, [{"user_hash": user} for user in part])
        numbers.update((user, int(number)) for user, number in session.execute(
            select(Asker.user_hash, Asker.id).where(Asker.user_hash.in_(part))))
    masks: dict[tuple[datetime.date, int], int] = {}
    for day, user in wanted:
        number = numbers[user]
        key = (day, number // CHUNK_BITS)
        masks[key] = masks.get(key, 0) | (1 << (number % CHUNK_BITS))
    keys = sorted(masks)
    new_rows = _insert(session)(QuestionDayAskers).on_conflict_do_nothing(index_elements=["day", "chunk"])
    table = cast(Table, QuestionDayAskers.__table__)  # Core: an executemany by key, no ORM bulk rules
    change = (update(table).where(table.c.day == bindparam("k_day"), table.c.chunk == bindparam("k_chunk"))
              .values(bits=bindparam("k_bits")))
    for start in range(0, len(keys), _BATCH):
        block = keys[start:start + _BATCH]
        session.execute(new_rows, [{"day": day, "chunk": chunk, "bits": b""} for day, chunk in block])
        found = (select(QuestionDayAskers.day, QuestionDayAskers.chunk, QuestionDayAskers.bits)
                 .where(tuple_(QuestionDayAskers.day, QuestionDayAskers.chunk).in_(block))
                 .order_by(QuestionDayAskers.day, QuestionDayAskers.chunk))
        if session.get_bind().dialect.name == "postgresql":
            found = found.with_for_update()
        updates = []
        for day, chunk, bits in session.execute(found):
            old = int.from_bytes(bits or b"", "little")
            new = old | masks[(_as_date(day), chunk)]
            if new != old:
                updates.append({"k_day": day, "k_chunk": chunk, "k_bits": new.to_bytes((new.bit_length() + 7) // 8,
                                                                                         "little")})
        if updates:
            session.execute(change, updates)


def _as_date(day: Any) -> datetime.date:
    return datetime.date.fromisoformat(day) if isinstance(day, str) else day


def wipe(session: Session, since: datetime.date | None, until: datetime.date | None) -> None:
    """Forget the askers of local days [since, until) (all days when None), to sum them again."""
    stmt = delete(QuestionDayAskers)
    if since is not None:
        stmt = stmt.where(QuestionDayAskers.day >= since)
    if until is not None:
        stmt = stmt.where(QuestionDayAskers.day < until)
    session.execute(stmt)


def prune(session: Session) -> None:
    """Delete the numbers of askers who have no question left in the log (after a purge).

    On PostgreSQL under a lock that waits for, and holds back, writers adding askers, so that
    no writer keeps a number this deletes (its asker would then be counted twice).
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE asker IN SHARE ROW EXCLUSIVE MODE"))
    session.execute(delete(Asker).where(~exists().where(LogRow.user_hash == Asker.user_hash)))


def count(connection: Connection, since: datetime.date, until: datetime.date) -> int:
    """Distinct askers of local days [since, until): the set bits of the days' bitmaps OR-ed."""
    union: dict[int, int] = {}
    stmt = select(QuestionDayAskers.chunk, QuestionDayAskers.bits).where(
        QuestionDayAskers.day >= since, QuestionDayAskers.day < until)
    for chunk, bits in connection.execute(stmt):
        union[chunk] = union.get(chunk, 0) | int.from_bytes(bits or b"", "little")
    return sum(bits.bit_count() for bits in union.values())
