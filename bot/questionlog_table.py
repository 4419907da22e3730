"""The question_log table: one row per citizen question, as the policy office reads it.

Owned by the bot (written by `bot.questionlog`, read by `bot.reports`), but declared on the
knowledge base's `Base`, so that `Store.migrate` (`flask db upgrade`, server start) creates and
upgrades it with every other table. Importing `bot` registers it.
"""

from __future__ import annotations

import datetime

from sqlalchemy import Boolean, DateTime, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from knowledge.models import Base, utcnow


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
    )
