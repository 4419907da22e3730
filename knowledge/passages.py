"""Disclosure items indexed by passage, so a fact deep in a long notice can be found.

A citizen's question about an item is usually answered by one sentence deep inside a long
document (a 补助办法 of 10,000 characters whose first page is a cover note). Indexed whole, such
a document is one long BM25 document whose length normalisation buries that sentence, and the
reply would quote whatever matched best across the whole text. So each item body is cut into
passages — paragraphs, long ones split into windows of whole sentences, short ones merged with
their neighbours — and every passage is indexed as its own document that carries the item's
title, keywords and metadata. Passages are scored with the same BM25 fields as FAQ entries
(their lengths are comparable to an FAQ answer, so the two kinds compete on one scale), and a
document ranks by its best passage (`collapse`). The reply then quotes from that passage.

A passage keeps the item's key (`item:12`): sessions, logs and numbered choices see items,
never passages.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from typing import Protocol, TypeVar

from knowledge.document import Document
from knowledge.summary import split_sentences

# Chosen on items_dev (bench/items.py prints the comparison): about the length of a typical
# FAQ answer, long enough to hold an article of a 办法 with its condition and its figure.
PASSAGE_CHARS = 240
# How many more candidates the index is asked for than the documents wanted, so that several
# passages of one document do not crowd other documents out of the ranking.
FANOUT = 4


def split_passages(body: str, size: int = PASSAGE_CHARS) -> list[str]:
    """Cut `body` into passages of about `size` characters along paragraphs and sentences.

    Paragraphs are kept whole when they fit; a longer paragraph is split between sentences; a
    short paragraph (a heading, 第一章 总则) joins the next one, so it is never a passage alone.
    The text of every passage is verbatim from the body; nothing is lost or reordered.
    """
    paragraphs = [p.strip() for p in body.split("\n") if p.strip()]
    pieces: list[str] = []
    for paragraph in paragraphs:
        if len(paragraph) <= size:
            pieces.append(paragraph)
            continue
        window = ""
        for sentence in split_sentences(paragraph) or [paragraph]:
            if window and len(window) + len(sentence) > size:
                pieces.append(window)
                window = ""
            window += sentence
        if window:
            pieces.append(window)
    passages: list[str] = []
    current = ""
    for piece in pieces:
        if current and len(current) + len(piece) > size:
            passages.append(current)
            current = ""
        current = f"{current}\n{piece}" if current else piece
    if current:
        passages.append(current)
    return passages


def expand(documents: Iterable[Document], size: int = PASSAGE_CHARS) -> list[Document]:
    """FAQ entries as they are; every item as one document per passage of its body."""
    expanded: list[Document] = []
    for doc in documents:
        if doc.kind != "item" or len(doc.body) <= size:
            expanded.append(doc)
            continue
        expanded.extend(
            dataclasses.replace(doc, body=text, part=n) for n, text in enumerate(split_passages(doc.body, size))
        )
    return expanded


class _HasDoc(Protocol):  # anything with a `.doc` Document (Ranked, Hit)
    @property
    def doc(self) -> Document: ...


R = TypeVar("R", bound=_HasDoc)


def collapse(ranked: Sequence[R], limit: int) -> list[R]:
    """Best first, only the best passage of each document, at most `limit` documents."""
    seen: set[str] = set()
    kept: list[R] = []
    for entry in ranked:
        if entry.doc.key in seen:
            continue
        seen.add(entry.doc.key)
        kept.append(entry)
        if len(kept) >= limit:
            break
    return kept
