"""Knowledge-base tables, and the one declarative base every table of the project uses.

One `Base` (one metadata) means one `create_all` and one migration path (`knowledge.store`)
build the whole schema, SQLite or PostgreSQL. Tables owned by other packages register on it
when imported: the question log lives in `bot.questionlog_table`, next to the code that
writes and reads it.

Columns are named in English; the portal's Chinese names are in comments, since staff and the
importers speak of 索引号 and 文号, not of index_number and doc_number.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
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


def max_chars(column: InstrumentedAttribute[Any]) -> int:
    """The length of a String column: text limits are written once, in the schema, and read here."""
    length = column.property.columns[0].type.length
    if not isinstance(length, int):
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
    status: Mapped[str | None] = mapped_column(String(20))  # 有效 / 废止 / 失效 (None: not stated)
    valid_until: Mapped[datetime.date | None] = mapped_column(Date)  # 有效期至
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
