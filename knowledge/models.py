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
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Soft delete: the row stays in the 回收站 for 30 days, restorable, then is purged.
    deleted_at: Mapped[datetime.datetime | None] = mapped_column(DateTime)

    __table_args__ = (Index("ix_disclosure_item_list", "deleted_at", "updated_at", "id"),)

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
    office: Mapped[str | None] = mapped_column(String(200))  # 责任科室: who keeps the answer right
    valid_until: Mapped[datetime.date | None] = mapped_column(Date)  # 有效期至: not served after this day
    deleted_at: Mapped[datetime.datetime | None] = mapped_column(DateTime)  # in the 回收站 since

    # The staff list pages: newest first among live (or trashed) entries, and the category menu.
    __table_args__ = (
        Index("ix_faq_entry_list", "deleted_at", "updated_at", "id"),
        Index("ix_faq_entry_category", "category"),
    )

    @property
    def similar(self) -> list[str]:
        return list(json.loads(self.similar_json or "[]"))

    @similar.setter
    def similar(self, values: list[str]) -> None:
        self.similar_json = json.dumps([v for v in values if v], ensure_ascii=False)


class Revision(Base):
    """One saved change of an FAQ entry or item: who, when, and the whole record before and after.

    Snapshots, not field diffs, so that "restore this version" needs nothing but this row and
    the diff view can compare any two revisions.
    """

    __tablename__ = "kb_revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # "faq" | "item"
    entity_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(20))  # created, updated, disabled, deleted, restored, ...
    at: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow)
    editor: Mapped[str | None] = mapped_column(String(100))
    before_json: Mapped[str | None] = mapped_column(Text)
    after_json: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (Index("ix_kb_revision_entity", "kind", "entity_id", "id"),)


class PendingChange(Base):
    """An editor's change waiting for a reviewer (待审核), and what became of it.

    The change is kept as the editor calls that made it (`ops_json`, replayed through the one
    write path when a reviewer publishes) and as the records it would write at the time it was
    submitted (`changes_json`: kind, id, action, snapshots before and after). Rows are never
    deleted: a rejected or superseded change stays readable, with who decided and why.
    """

    __tablename__ = "kb_pending"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending.STATUS_LABELS
    kind: Mapped[str | None] = mapped_column(String(10))  # "faq" | "item" when it changes one record
    entity_id: Mapped[int | None] = mapped_column(Integer)  # that record's id (None: it creates one)
    title: Mapped[str] = mapped_column(String(500), default="")
    count: Mapped[int] = mapped_column(Integer, default=0)  # records it changes
    ops_json: Mapped[str] = mapped_column(Text)
    changes_json: Mapped[str] = mapped_column(Text)
    base_revision: Mapped[int] = mapped_column(Integer, default=0)  # the entry's newest revision when submitted
    source: Mapped[str | None] = mapped_column(String(500))
    submitted_by: Mapped[str | None] = mapped_column(String(100))
    submitted_at: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    reason: Mapped[str | None] = mapped_column(Text)  # why it was rejected

    __table_args__ = (
        Index("ix_kb_pending_status", "status", "id"),
        Index("ix_kb_pending_entity", "kind", "entity_id", "status"),
    )


class StaffAccount(Base):
    """A person who works in the staff workspace; the password is kept only as a salted hash."""

    __tablename__ = "staff_account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(20))  # viewer | editor | reviewer
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow)
    last_login_at: Mapped[datetime.datetime | None] = mapped_column(DateTime)


class AuditEvent(Base):
    """Who did what and when: logins (also failed ones), every change, import and export."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow)
    actor: Mapped[str | None] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(40))  # login, login_failed, faq.updated, import, ...
    target_kind: Mapped[str | None] = mapped_column(String(10))
    target_id: Mapped[int | None] = mapped_column(Integer)
    revision_id: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (
        Index("ix_audit_event_at", "at"),
        Index("ix_audit_event_actor", "actor", "at"),
    )


class StaffDraft(Base):
    """A form a staff member posted after their login expired, kept until they log in again."""

    __tablename__ = "staff_draft"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    path: Mapped[str] = mapped_column(String(500))
    form_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow)


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


class Office(Base):
    """One entry of the 办事机构 directory: who handles a service the knowledge base does not cover.

    `handles` lists the services in staff's words (space, 、 or ， separated); the bot routes a
    question there when its words contain one of them (`bot.routing`).
    """

    __tablename__ = "office"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)  # 名称
    handles: Mapped[str] = mapped_column(Text, default="")  # 办理事项
    phone: Mapped[str] = mapped_column(String(200), default="")  # 电话
    address: Mapped[str] = mapped_column(String(500), default="")  # 地址
    hours: Mapped[str] = mapped_column(String(200), default="")  # 办公时间
    position: Mapped[int] = mapped_column(Integer, default=0)  # order in the directory (ties go first)
    updated_at: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    editor: Mapped[str | None] = mapped_column(String(100))
