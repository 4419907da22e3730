"""Immutable views of what the index searches and what a search returns.

The index and the reply composer work on these plain values rather than ORM rows so that a
search never touches the database and a reloaded index can be swapped in atomically.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass


@dataclass(frozen=True)
class Document:
    kind: str  # "faq" | "item"
    id: int
    title: str  # FAQ question or item title
    body: str  # FAQ answer or item body
    url: str | None = None
    similar: tuple[str, ...] = ()  # FAQ 相似问法
    keywords: tuple[str, ...] = ()  # item 关键词
    category: str | None = None
    published: datetime.date | None = None  # 发布日期
    doc_number: str | None = None  # 文号
    index_number: str | None = None  # 索引号
    publisher: str | None = None  # 发布机构
    status: str | None = None  # 有效 / 废止 / 失效 …, as the portal states it
    valid_until: datetime.date | None = None  # 有效期至
    part: int | None = None  # the passage of an item's body this is (knowledge.passages), else None

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.id}"


@dataclass(frozen=True)
class Hit:
    doc: Document
    score: float
    matched: tuple[str, ...]  # query terms that matched this doc
    #: Content words of the query the doc does not contain but holds an associate of
    #: (`knowledge.associations`, unanswered searches only): counted by the reply stage's share
    #: of the question's words, never as the shared topic word.
    associated: tuple[str, ...] = ()


@dataclass(frozen=True)
class Assessment:
    """The features of a search's best hit behind the answered-or-not decision (`knowledge.policy`)."""

    strength: float
    margin: float
    title_coverage: float
    confidence: float
    query_coverage: float = 0.0


NO_EVIDENCE = Assessment(0.0, 0.0, 0.0, 0.0)


@dataclass(frozen=True)
class SearchResult:
    query: str
    terms: tuple[str, ...]  # the analysed query terms
    hits: tuple[Hit, ...]  # best first
    answered: bool  # the answered-or-not-found decision (stage 1 of `knowledge.policy`)
    assessment: Assessment = NO_EVIDENCE  # what `answered` was decided on
