"""Immutable views of what the index searches and what a search returns.

The index and the reply composer work on these plain values rather than ORM rows so that a
search never touches the database and a reloaded index can be swapped in atomically.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import overload

import numpy as np

# An answer shorter than this (可以。/ 不可以。) means something only with its own question, so
# entries sharing it stay apart; the shortest answer shared by two questions on one topic in the
# 2,081-entry bank has 28 characters.
MIN_SHARED_ANSWER = 20
#: The answer group of a document that shares its answer with no other (`answer_group`).
NO_GROUP = -1


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
    #: The question's telling words (held by few entries) that this entry's own question —
    #: title, 相似问法, keywords — writes; computed for an unanswered search's top hit only
    #: (`Searcher`), for the reply stage's related rule (``Thresholds.related_top_share``).
    titled: tuple[str, ...] = ()


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
    #: The question's verbs that name a domain of the knowledge base searched (停车 where it has
    #: 停车场: `knowledge.topicwords.domain_verbs`): topic words for the reply stage's tests.
    topical: tuple[str, ...] = ()


def shared_answer(body: str) -> str | None:
    """The answer text entries are compared by (whitespace aside), or None when it is shorter
    than `MIN_SHARED_ANSWER` and so never stands for another entry's answer."""
    answer = "".join(body.split())
    return answer if len(answer) >= MIN_SHARED_ANSWER else None


def answer_of(doc: Document) -> str | None:
    """The answer `doc` may share with other entries (`shared_answer`). None for an item: each
    item is its own answer, even when a passage reads like a sibling notice's (another 街道's
    办法 with the same clause) — its title, place and date are what the citizen chooses by, and
    a year or a place may pick one sibling over another after the search (`knowledge.timeframe`,
    `knowledge.placeframe`)."""
    return shared_answer(doc.body) if doc.kind != "item" else None


def answer_group(doc: Document) -> int:
    """A number shared by the FAQ entries whose answers are the same text (`answer_of`):
    63 bits of its BLAKE2b digest, computed when the index is built so a search can keep one
    entry per answer from its score arrays without decoding a document (`knowledge.search`).
    `NO_GROUP` for item passages and for short answers."""
    answer = answer_of(doc)
    if answer is None:
        return NO_GROUP
    digest = hashlib.blake2b(answer.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little") >> 1


def answer_groups(docs: Iterable[Document]) -> np.ndarray:
    """`answer_group` of every document, in order (int64)."""
    return np.fromiter(map(answer_group, docs), dtype=np.int64)


class DocumentSequence(Sequence[Document]):
    """A read-only sequence of documents that are produced on access (decoded from a mapped
    table, or split between a build and its delta): subclasses give `__len__` and `_at` for a
    valid non-negative index; slicing and negative indexes are handled here once."""

    def _at(self, i: int) -> Document:
        raise NotImplementedError

    @overload
    def __getitem__(self, i: int) -> Document: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[Document]: ...
    def __getitem__(self, i: int | slice) -> Document | Sequence[Document]:
        n = len(self)
        if isinstance(i, slice):
            return [self._at(j) for j in range(*i.indices(n))]
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(i)
        return self._at(i)
