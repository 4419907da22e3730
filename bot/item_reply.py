"""The reply for a disclosure item: the answering sentences first, then where they come from.

A citizen asked something specific, so the quote comes first — verbatim, never a paraphrase of
a figure — and the source follows: 《title》, 文号, 发布日期, 发布机构 and the link to the
original, so that the answer can be checked and cited. An item that is no longer in force
(废止/失效, or past its 有效期) is labelled as history above the quote: the text may still
help, but the citizen must not take it for the current rule (`knowledge.validity`).

Item replies are text rather than link cards: a card shows only a few lines of description,
and the answering sentence is what the citizen needs to see.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Protocol

from bot import wording
from bot.compose import text_reply
from bot.wechat.replies import TextReply
from knowledge import validity
from knowledge.document import Document
from knowledge.quotes import Reader, quote


class ItemSource(Reader, Protocol):
    """What an item reply needs of the knowledge base: whole items by key, and its analysis for
    choosing the quote."""

    def document(self, key: str) -> Document | None: ...


QUOTE_CHARS = 300  # about ten lines on a phone; the whole reply stays within 2,048 bytes
TITLE_CHARS = 160
RELATED_QUOTE_CHARS = 200


def _filled(template: str, value: str | None) -> str | None:
    value = (value or "").strip()
    return template.format(value=value) if value else None


def source_lines(doc: Document) -> list[str]:
    """《title》 and the metadata lines the item has (missing ones are left out)."""
    lines = [wording.ITEM_SOURCE.format(title=" ".join(doc.title.split()))]
    for template, value in (
        (wording.ITEM_DOC_NUMBER, doc.doc_number),
        (wording.ITEM_PUBLISHED, doc.published.isoformat() if doc.published else None),
        (wording.ITEM_PUBLISHER, doc.publisher),
    ):
        if line := _filled(template, value):
            lines.append(line)
    lines[0] = lines[0][:TITLE_CHARS]
    return lines


def history_note(doc: Document, today: datetime.date | None = None) -> str | None:
    """The warning shown above an item that is no longer in force, else None."""
    state = validity.state(doc, today)
    if state is validity.State.REPEALED:
        return wording.ITEM_HISTORY.format(status=doc.status)
    if state is validity.State.EXPIRED and doc.valid_until:
        return wording.ITEM_EXPIRED.format(date=doc.valid_until.isoformat())
    return None


def item_answer(doc: Document, quote: str, *, hint: bool = True, today: datetime.date | None = None) -> TextReply:
    """Quote, source and link as one text reply; only the quote is ever cut to fit."""
    quote = quote.strip() or wording.ITEM_NO_SUMMARY
    parts = [history_note(doc, today), quote]
    tail = "\n" + "\n".join(source_lines(doc))  # the source survives any cut of the quote
    if doc.url:
        tail += "\n" + wording.ITEM_LINK.format(url=doc.url)
    if hint:
        tail += "\n" + wording.FEEDBACK_HINT
    return text_reply("\n".join(p for p in parts if p), tail)


def answer(kb: ItemSource, doc: Document, terms: Sequence[str], *, question: str = "", hint: bool = True) -> TextReply:
    """The reply for item `doc` (a whole item or one of its passages) asked about with `terms`.

    The quote is chosen from the whole item, not only the passage that ranked it: the passage
    found the document, and the answering sentence may sit in a neighbouring one. `question`
    is the citizen's own wording: the analysed `terms` lose the words that say what kind of
    figure is asked for (哪天 is segmented 哪里 + 天, 多少钱 becomes 费用), so the quote reads
    those from the question.
    """
    full = kb.document(doc.key) or doc
    text = quote(full, terms, kb, max_chars=QUOTE_CHARS, question=question)
    return item_answer(full, text, hint=hint)


def related_excerpt(kb: ItemSource, doc: Document, terms: Sequence[str], *, question: str = "") -> str | None:
    """For an item offered only as related under "not found": its best sentence, labelled so.

    The citizen sees what the item says about their words, verbatim and under the heading that
    calls it only related — never as the answer. FAQ entries get none (their title says it).
    """
    if doc.kind != "item":
        return None
    full = kb.document(doc.key) or doc
    text = quote(full, terms, kb, max_chars=RELATED_QUOTE_CHARS, question=question)
    if not text:
        return None
    return wording.MAYBE_EXCERPT.format(quote=text)
