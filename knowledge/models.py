"""Database tables. One declarative base so that one `create_all` builds the whole schema.

Columns are named in English; the portal's Chinese names are in comments, since staff and the
importers speak of 索引号 and 文号, not of index_number and doc_number.
"""

from __future__ import annotations

import datetime
import json

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, InstrumentedAttribute, Mapped, mapped_column


def utcnow() -> datetime.datetime:
    """Naive UTC, because SQLite keeps no time zone and both backends must compare alike."""
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


def max_chars(column: InstrumentedAttribute) -> int:
    """The length of a String column: text limits are written once, in the schema, and read here."""
    length = column.property.columns[0].type.length
    if length is None:
        raise TypeError(f"{column} has no length")
    return length


class DisclosureItem(Base):
    """One published item of the 政府信息公开 portal."""

    __tablename__ = "disclosure_item"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    index_number: Mapped[str | None] = mapped_column(String(100), unique=True)  # 索引号
    doc_number: Mapped[str | None] = mapped_column(String(200))  # 文号
    title: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str | None] = mapped_column(String(1000), unique=True)
    published: Mapped[datetime.date | None] = mapped_column(Date)  # 发布日期
    publisher: Mapped[str | None] = mapped_column(String(200))  # 发布机构
    category: Mapped[str | None] = mapped_column(String(200))  # 所属分类
    keywords: Mapped[str] = mapped_column(String(500), default="")  # 关键词, space separated
    disclosure_period: Mapped[str | None] = mapped_column(String(100))  # 公开时限
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    editor: Mapped[str | None] = mapped_column(String(100))

    @property
    def keyword_list(self) -> list[str]:
        return [k for k in self.keywords.split() if k]


class FaqEntry(Base):
    """A question staff answer once, with the other ways citizens ask it (相似问法)."""

    __tablename__ = "faq_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question: Mapped[str] = mapped_column(String(1000))
    # The normalised question, so that re-importing a file updates instead of duplicating.
    question_key: Mapped[str] = mapped_column(String(1000), unique=True)
    similar_json: Mapped[str] = mapped_column(Text, default="[]")
    answer: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(1000))
    category: Mapped[str | None] = mapped_column(String(200))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    editor: Mapped[str | None] = mapped_column(String(100))

    @property
    def similar(self) -> list[str]:
        return list(json.loads(self.similar_json or "[]"))

    @similar.setter
    def similar(self, values: list[str]) -> None:
        self.similar_json = json.dumps([v for v in values if v], ensure_ascii=False)


class SegmentCache(Base):
    """Segmented text keyed by sha1(lexicon version + text): a rebuild skips unchanged text."""

    __tablename__ = "segment_cache"

    text_hash: Mapped[str] = mapped_column(String(40), primary_key=True)
    tokens: Mapped[str] = mapped_column(Text)  # tab separated


class Meta(Base):
    """Small key/value facts about the database: schema version, knowledge-base version."""

    __tablename__ = "kb_meta"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))


class QuestionLog(Base):
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
    channel: Mapped[str] = mapped_column(String(20), default="wechat")

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
