"""The tables of learning from citizens' choices (`bot.learning`): the evidence and the suggestions.

Declared on the knowledge base's `Base` like the question log's, so `Store.migrate` (`flask db
upgrade`, server start) creates them in an existing database too; kept apart from the question
log's tables, which the reports read and aggregate.
"""

from __future__ import annotations

import datetime

from sqlalchemy import Boolean, DateTime, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from knowledge.models import Base, utcnow


class ChoiceEvidence(Base):
    """One citizen opening one FAQ entry from the list that answered their wording.

    Pseudonymised (`user_hash`, `message_key`: HMAC-SHA256 like the question log) and masked
    (`wording`). A pick counts once `LEARN_WINDOW` seconds have passed without the citizen
    doubting it (`doubted`: 不满意, 更多, another number or a new question within the window).
    """

    __tablename__ = "choice_evidence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_hash: Mapped[str] = mapped_column(String(64))
    message_key: Mapped[str] = mapped_column(String(200), unique=True)  # the pick message: replays stay single
    group_key: Mapped[str] = mapped_column(Text)  # the report's grouping of the wording (bot/reports/grouping.py)
    key_hash: Mapped[str] = mapped_column(String(40))  # SHA-1 of group_key, as the 待处理 queue keys groups
    wording: Mapped[str] = mapped_column(Text)  # the question the list answered, masked
    entry_kind: Mapped[str] = mapped_column(String(10))
    entry_id: Mapped[int] = mapped_column(Integer)
    picked_at: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow)
    doubted: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        Index("ix_choice_evidence_group", "key_hash", "entry_kind", "entry_id"),
        Index("ix_choice_evidence_user", "user_hash", "picked_at"),
        Index("ix_choice_evidence_picked_at", "picked_at"),
    )


class LearnedSimilar(Base):
    """A wording group that chose one entry often enough: a suggested 相似问法 and what became of it.

    One row per (group, entry), whatever its status, so a rejected suggestion is never made
    again. `status`: suggested (waiting for staff), approved (by staff), auto (added without
    staff, `LEARN_AUTO_APPROVE`), rejected, present (the wording was already the entry's), lapsed
    (was suggested, but the group's evidence no longer reaches the threshold; suggested again if
    it does).
    """

    __tablename__ = "learned_similar"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(40))
    group_key: Mapped[str] = mapped_column(Text)
    entry_kind: Mapped[str] = mapped_column(String(10))
    entry_id: Mapped[int] = mapped_column(Integer)
    wording: Mapped[str] = mapped_column(Text)  # the 相似问法 to add: the group's commonest masked wording
    examples_json: Mapped[str] = mapped_column(Text, default="[]")  # other masked wordings of the group
    citizens: Mapped[int] = mapped_column(Integer, default=0)  # distinct citizens who chose this entry
    group_citizens: Mapped[int] = mapped_column(Integer, default=0)  # distinct citizens who chose any entry
    choices: Mapped[int] = mapped_column(Integer, default=0)  # picks of this entry (one citizen may repeat)
    status: Mapped[str] = mapped_column(String(12), default="suggested")
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow)
    decided_at: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    staff: Mapped[str | None] = mapped_column(String(100))

    __table_args__ = (
        UniqueConstraint("key_hash", "entry_kind", "entry_id", name="uq_learned_similar_group_entry"),
        Index("ix_learned_similar_status", "status"),
    )
