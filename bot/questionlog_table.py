"""The question_log table (one row per citizen question, as the policy office reads it), its
per-day summary question_day (bot/questionlog_days.py), and the queue_mark table (which
groups of unanswered wordings staff have dealt with).

Owned by the bot (written by `bot.questionlog`, read by `bot.reports`), but declared on the
knowledge base's `Base`, so that `Store.migrate` (`flask db upgrade`, server start) creates and
upgrades it with every other table. Importing `bot` registers it.
"""

from __future__ import annotations

import datetime

from sqlalchemy import Boolean, Date, DateTime, Float, Index, Integer, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from knowledge.models import Base, utcnow
from knowledge.store import AFTER_MIGRATE, Store

# An open question whose masked text and terms take at most this many bytes is read from
# PostgreSQL's covering index ix_question_log_open; the predicate is written out once, here,
# because the planner uses a partial index only for a query that states its predicate.
OPEN_COVERED = "octet_length(question) + octet_length(terms) <= 2400"


class QuestionLogRow(Base):
    """One citizen question as the policy office will read it: pseudonymised and masked."""

    __tablename__ = "question_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    asked_at: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow)
    user_hash: Mapped[str] = mapped_column(String(64))  # HMAC-SHA256 of the OpenID
    # Dedupe key of the inbound message, so a WeChat retry is never logged twice.
    message_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    question: Mapped[str] = mapped_column(Text)  # personal data masked
    terms: Mapped[str] = mapped_column(Text, default="")  # space separated analysed terms
    hits_json: Mapped[str] = mapped_column(Text, default="[]")  # [{kind, id, title, score}]
    top_kind: Mapped[str | None] = mapped_column(String(10))
    top_id: Mapped[int | None] = mapped_column(Integer)
    top_title: Mapped[str | None] = mapped_column(String(1000))
    top_category: Mapped[str | None] = mapped_column(String(200))
    top_score: Mapped[float | None] = mapped_column(Float)
    answered: Mapped[bool] = mapped_column(Boolean, default=False)
    reply_kind: Mapped[str] = mapped_column(String(20), default="")
    latency_ms: Mapped[float] = mapped_column(Float, default=0.0)
    feedback: Mapped[str | None] = mapped_column(String(12))  # "satisfied" | "unsatisfied" (11 chars)
    reply_text: Mapped[str | None] = mapped_column(Text)  # the reply as sent, personal data masked

    # Shaped to the reports' queries (bot/reports/queries.py) so that a year of a million rows is
    # read from narrow covering indexes, never from the wide rows; the stats index also serves
    # every asked_at range (purge, hot topics). The group index is SQLite's: PostgreSQL hashes
    # the same GROUP BY quickly without it, and would refuse index entries for very long text.
    __table_args__ = (
        Index("ix_question_log_stats", "asked_at", "answered", "feedback", "latency_ms", "top_kind", "top_id",
              "top_category"),
        Index("ix_question_log_group", "terms", "question", "answered", "top_kind", "top_id", "top_category",
              "asked_at", "feedback").ddl_if(dialect="sqlite"),
        Index("ix_question_log_user_asked_at", "user_hash", "asked_at"),
        # The staff queue (bot/reports/queue.py): unanswered questions of a period, and the few
        # rated 不满意. SQLite reads the wording from the index itself; PostgreSQL from the two
        # partial indexes below.
        Index("ix_question_log_queue", "answered", "asked_at", "terms", "question", "top_kind", "top_id"
              ).ddl_if(dialect="sqlite"),
        Index("ix_question_log_unanswered", "answered", "asked_at").ddl_if(dialect="postgresql"),
        # PostgreSQL reads the queue's wordings from these, not from the wide rows: the open
        # questions whose text fits a B-tree entry (2,704 bytes at most, with the other columns),
        # and an index of the rare longer ones, so that no question is ever refused an entry.
        Index("ix_question_log_open", "asked_at",
              postgresql_include=["terms", "question", "top_kind", "top_id", "answered", "id"],
              postgresql_where=text(f"answered IS false AND {OPEN_COVERED}")).ddl_if(dialect="postgresql"),
        Index("ix_question_log_open_long", "asked_at",
              postgresql_where=text(f"answered IS false AND NOT ({OPEN_COVERED})")).ddl_if(dialect="postgresql"),
        Index("ix_question_log_feedback", "feedback", "asked_at"),
        # Distinct askers of a period (the report's summary): read from the index alone.
        Index("ix_question_log_asked_at_user", "asked_at", "user_hash"),
    )


class QuestionDay(Base):
    """The question log summed per local day and analysed wording (terms string), outcome and entry.

    Kept exact at write time by `bot.questionlog_days`, in the transaction that writes the
    rows, so the reports and the 待处理 queue read a period's few thousand summary rows instead
    of its tens of thousands of questions. `key_hash` (SHA-1 of terms, answered, entry and
    category) makes the (day, key) pair unique without indexing text of any length.
    """

    __tablename__ = "question_day"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[datetime.date] = mapped_column(Date)  # local (Beijing) calendar day
    key_hash: Mapped[str] = mapped_column(String(40))
    terms: Mapped[str] = mapped_column(Text, default="")
    # The report's group of `terms` (bot.reports.grouping.terms_key; "" for a wording without a
    # content word, grouped by its text instead), so that SQL groups and ranks whole groups.
    group_key: Mapped[str] = mapped_column(Text, default="", server_default="")
    answered: Mapped[bool] = mapped_column(Boolean, default=False)
    top_kind: Mapped[str | None] = mapped_column(String(10))
    top_id: Mapped[int | None] = mapped_column(Integer)
    top_category: Mapped[str | None] = mapped_column(String(200))
    questions: Mapped[int] = mapped_column(Integer, default=0)
    satisfied: Mapped[int] = mapped_column(Integer, default=0)
    unsatisfied: Mapped[int] = mapped_column(Integer, default=0)
    latency_sum: Mapped[float] = mapped_column(Float, default=0.0)
    last_id: Mapped[int] = mapped_column(Integer, default=0)  # newest question_log id
    last_unsatisfied_id: Mapped[int] = mapped_column(Integer, default=0)  # newest rated 不满意, 0: none

    # SQLite reads a period of the reports and the queue from the covering index alone (about
    # half the time of visiting the rows); PostgreSQL reads the rows of the day range.
    __table_args__ = (
        Index("ux_question_day_key", "day", "key_hash", unique=True),
        Index("ix_question_day_period", "day", "terms", "answered", "top_kind", "top_id", "top_category",
              "questions", "satisfied", "unsatisfied", "latency_sum", "last_id", "last_unsatisfied_id"
              ).ddl_if(dialect="sqlite"),
        Index("ix_question_day_group", "day", "group_key", "answered", "questions", "unsatisfied", "last_id",
              "last_unsatisfied_id").ddl_if(dialect="sqlite"),
        # The term strings of the thirty groups a page of the 待处理 queue shows, sought by key
        # instead of walking the period. PostgreSQL's is a hash index: a B-tree refuses a
        # very long key, and the lookups are by equality only.
        Index("ix_question_day_group_terms", "group_key", "day", "answered", "unsatisfied", "terms"
              ).ddl_if(dialect="sqlite"),
        Index("ix_question_day_group_key", "group_key", postgresql_using="hash").ddl_if(dialect="postgresql"),
        # The period's totals that tell whether the queue's cached figures are still current
        # (bot/reports/queue.py), from the index alone: a third of the time of the heap.
        Index("ix_question_day_totals", "day", postgresql_include=["questions", "satisfied", "unsatisfied", "last_id",
                                                                   "last_unsatisfied_id"]).ddl_if(dialect="postgresql"),
    )


class QuestionDayTerm(Base):
    """Questions per local day and topic term (热词, 上升话题): `question_day` summed per term.

    Kept with `question_day` in the same transactions (bot.questionlog_days); a term counts
    once per question (`grouping.topic_terms` of its terms string). `term_hash` (SHA-1 of the
    term) makes (day, term) unique without indexing text of any length.
    """

    __tablename__ = "question_day_term"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[datetime.date] = mapped_column(Date)
    term_hash: Mapped[str] = mapped_column(String(40))
    term: Mapped[str] = mapped_column(Text)
    questions: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        Index("ux_question_day_term_key", "day", "term_hash", unique=True),
        Index("ix_question_day_term_period", "day", "term", "questions").ddl_if(dialect="sqlite"),
    )


class Asker(Base):
    """A number for each pseudonymous asker in the log, so that a day's askers fit in a bitmap.

    Numbers are never reused (SQLite AUTOINCREMENT; a PostgreSQL sequence): a bit always means
    the same asker. Rows whose asker has no question left are deleted by the retention purge.
    """

    __tablename__ = "asker"
    __table_args__ = {"sqlite_autoincrement": True}  # noqa: RUF012 - SQLAlchemy reads it once

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_hash: Mapped[str] = mapped_column(String(64), unique=True)


class QuestionDayAskers(Base):
    """The askers of each local day as bitmaps of `Asker.id` (bot/questionlog_askers.py).

    Distinct askers of a period are the bits set in the OR of its days' bitmaps: a month's ~80
    thousand (day, asker) pairs are read as a few hundred kilobytes instead of counted from the
    log. `chunk` splits the asker numbers into blocks of `CHUNK_BITS`, so a row stays small
    and writers of one day but different blocks do not wait for each other.
    """

    __tablename__ = "question_day_askers"

    day: Mapped[datetime.date] = mapped_column(Date, primary_key=True)
    chunk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    bits: Mapped[bytes] = mapped_column(LargeBinary, default=b"")  # little-endian: bit i = asker chunk*N+i


class QueueMark(Base):
    """A group of citizens' wordings staff dealt with: added as 相似问法, made a new FAQ, or set aside.

    Keyed by the report grouping's key (bot/reports/grouping.py) through its SHA-1, since the
    key is term text of any length. `last_log_id` is the newest logged question when the mark
    was made: the group leaves the queue, and comes back only if it is asked — and again not
    answered — after that.
    """

    __tablename__ = "queue_mark"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(40), index=True)
    group_key: Mapped[str] = mapped_column(Text)
    wording: Mapped[str] = mapped_column(Text, default="")  # the group's commonest wording, for the report
    action: Mapped[str] = mapped_column(String(20))  # similar | new_faq | dismissed
    entry_id: Mapped[int | None] = mapped_column(Integer)
    last_log_id: Mapped[int] = mapped_column(Integer, default=0)
    staff: Mapped[str | None] = mapped_column(String(100))
    at: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow)


# An index-only scan skips the row itself only on pages the visibility map marks all-visible,
# which VACUUM does. PostgreSQL vacuums an insert-only table after 20 % new rows by default: at
# a township's pace months of the newest questions, the very ones the queue reads. At 1 % it
# stays days behind, and vacuuming an appended table reads just the new pages.
VACUUM_INSERT_SCALE = "0.01"


def tune_vacuum(store: Store) -> None:
    """Set the question log's insert-vacuum threshold on PostgreSQL, once (a no-op when set)."""
    if store.engine.dialect.name != "postgresql":
        return
    setting = f"autovacuum_vacuum_insert_scale_factor={VACUUM_INSERT_SCALE}"
    with store.engine.begin() as conn:
        options = conn.scalar(text("SELECT reloptions FROM pg_class WHERE oid = to_regclass('question_log')"))
        if setting not in (options or []):
            conn.execute(text(f"ALTER TABLE question_log SET ({setting})"))


AFTER_MIGRATE.append(tune_vacuum)
