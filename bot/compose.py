"""Turning answers into replies that fit WeChat: byte budgets, links, layouts.

The sentences come from `bot.wording`; this module only arranges them, fills in the township's
details (leaving out what is not configured) and keeps every reply within WeChat's 2,048-byte
limit by cutting at a sentence end while the link and the feedback hint stay intact.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import overload

from bot import wording
from bot.config import Township
from bot.followup import WHAT
from bot.wechat.replies import TEXT_LIMIT_BYTES, NewsReply, TextReply, fit_text
from knowledge.document import Document

PAGE_SIZE = 5
CHOICE_TITLE_CHARS = 36  # one or two lines on a phone
HELP_TOPICS = 5
RELATED_TOPICS = 3


def text_reply(text: str, tail: str = "") -> TextReply:
    """A text reply within the byte budget, cut at a sentence end with `tail` kept whole."""
    return TextReply(fit_text(text, TEXT_LIMIT_BYTES, keep_tail=tail))


def _lines(*lines: str | None) -> str:
    return "\n".join(line for line in lines if line)


def _filled(template: str, value: str | None) -> str | None:
    """A template line with its value, or nothing when the township left the setting empty."""
    value = (value or "").strip()
    return template.format(value=value) if value else None


def _clip(text: str, chars: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= chars else text[: chars - 1].rstrip() + "…"


def _contact_lines(township: Township) -> list[str | None]:
    return [
        _filled(wording.LINE_ADDRESS, township.address),
        _filled(wording.LINE_PHONE, township.phone),
        _filled(wording.LINE_HOURS, township.office_hours),
    ]


def _topic_lines(title: str, topics: Sequence[str], limit: int) -> str | None:
    shown = [t for t in dict.fromkeys(t.strip() for t in topics) if t][:limit]
    if not shown:
        return None
    return _lines(title, *(wording.HELP_EXAMPLE_LINE.format(topic=_clip(t, CHOICE_TITLE_CHARS)) for t in shown))


# -- commands --------------------------------------------------------------------------------------


def help_reply(township: Township, topics: Sequence[str]) -> TextReply:
    """What the bot can do, with the current hot topics as examples (also the welcome)."""
    text = "\n\n".join(
        part
        for part in (
            wording.HELP_INTRO.format(name=township.short_name or township.name),
            wording.HELP_USAGE,
            _topic_lines(wording.HELP_EXAMPLES, topics, HELP_TOPICS),
        )
        if part
    )
    return text_reply(text)


def staff_reply(township: Township) -> TextReply:
    """How to reach a person; only configured details are shown."""
    details = [_filled(wording.STAFF_CONTACT, township.staff_contact), *_contact_lines(township)]
    details.append(_filled(wording.LINE_PORTAL, township.portal_url))
    if not any(details[:3]):  # no contact, address or phone: say where to go instead
        details.insert(0, wording.STAFF_NONE.format(name=township.name))
    return text_reply(_lines(wording.STAFF_INTRO, *details))


# -- answers ---------------------------------------------------------------------------------------


def _tail(url: str | None, hint: bool) -> str:
    parts = []
    if url:
        parts.append("\n" + wording.DETAIL_LINK.format(url=url))
    if hint:
        parts.append("\n" + wording.FEEDBACK_HINT)
    return "".join(parts)


def _full_text_line(full_text_url: str | None) -> str:
    """Said whenever a reply is cut: where the rest is, or at least that there is a rest."""
    if full_text_url:
        return "\n" + wording.FULL_TEXT_LINK.format(url=full_text_url)
    return "\n" + wording.FULL_TEXT_CUT


def faq_answer(doc: Document, *, hint: bool = True, full_text_url: str | None = None) -> TextReply:
    """The staff-written answer under the question it answers, trimmed at a sentence end.

    The question is shown as a heading because the matched entry may be worded differently
    from what the citizen asked: they see at once which question this answers. An answer that
    does not fit ends with "查看全文" and `full_text_url` (`bot.fulltext`), never cut silently.
    """
    text = _lines(wording.FAQ_HEADING.format(title=_clip(doc.title, 120)), doc.body.strip())
    tail = _tail(doc.url, hint)
    if len((text + tail).encode("utf-8")) > TEXT_LIMIT_BYTES:
        tail = _full_text_line(full_text_url) + tail
    return text_reply(text, tail)


def with_rivals(reply: TextReply | NewsReply, rows: Sequence[tuple[int, Document]]) -> TextReply | None:
    """`reply` (a direct answer) with the close rivals it was chosen over listed under it, above
    the rating hint, when the whole still fits; None when it does not: the answer, its links and
    its "查看全文" are never cut to make room for suggestions."""
    if isinstance(reply, NewsReply) or not rows:
        return None
    block = _lines(wording.RIVALS, *_numbered_titles(rows))
    head, hint, _ = reply.content.rpartition("\n" + wording.FEEDBACK_HINT)
    content = f"{head}\n\n{block}{hint}" if hint else f"{reply.content}\n\n{block}"
    return TextReply(content) if len(content.encode("utf-8")) <= TEXT_LIMIT_BYTES else None


# -- lists -----------------------------------------------------------------------------------------


def choices_reply(
    rows: Sequence[tuple[int, Document]], *, page: int, total: int, intro: str | None = None
) -> TextReply:
    """One page of a numbered list; numbers run on across pages so "7" always means one entry.
    `intro` replaces the first page's "为您找到以下相关内容" when the list answers something else
    (`pick_first_intro`, `elsewhere_intro`)."""
    first = page * PAGE_SIZE + 1
    last = min(first + PAGE_SIZE - 1, total)
    if page:
        intro = wording.CHOICES_PAGE_INTRO.format(first=first, last=last, total=total)
    intro = intro or wording.CHOICES_INTRO
    lines = []
    for number, doc in rows:
        title = _clip(doc.title, CHOICE_TITLE_CHARS)
        if doc.kind == "item" and doc.published:
            title += wording.CHOICE_DATE.format(date=doc.published.isoformat())
        lines.append(wording.CHOICE_LINE.format(number=number, title=title))
    footer = wording.CHOICES_PICK + (wording.CHOICES_MORE if last < total else "") + wording.CHOICES_END
    return text_reply(_lines(intro, *lines), "\n" + footer)


# -- not found -------------------------------------------------------------------------------------


def not_found_reply(
    township: Township,
    related: Sequence[str],
    suggestions: Sequence[tuple[int, Document]] = (),
    excerpt: str | None = None,
) -> TextReply:
    """An honest "not published", how to ask through 依申请公开, and a few related hot topics.

    `suggestions` are entries that share the question's words without answering it with
    confidence: listed under a heading that says so, numbered so the citizen can open one,
    never presented as the answer. `excerpt` (`bot.item_reply.related_excerpt`) quotes the
    first suggestion's best sentence under the same "only related" heading.
    """
    request_lines = _lines(
        wording.NOT_FOUND_REQUEST,
        _filled(wording.NOT_FOUND_CHANNELS, township.disclosure_channels),
        *_contact_lines(township),
        _filled(wording.LINE_PORTAL, township.portal_url),
    )
    parts = [
        _lines(wording.NOT_FOUND_NEAR if suggestions else wording.NOT_FOUND, wording.NOT_FOUND_REPHRASE),
        _related_block(suggestions, excerpt),
        request_lines,
        _topic_lines(wording.RELATED_TOPICS, related, RELATED_TOPICS),
    ]
    return text_reply("\n\n".join(p for p in parts if p))


def routed_reply(text: str, suggestions: Sequence[tuple[int, Document]] = (), excerpt: str | None = None) -> TextReply:
    """A routing reply (`bot.routing`) instead of "not found", with related entries if any, and
    the first one's best sentence when it is an item (`excerpt`, as in `not_found_reply`)."""
    return text_reply("\n\n".join(p for p in (text, _related_block(suggestions, excerpt)) if p))


def _related_block(suggestions: Sequence[tuple[int, Document]], excerpt: str | None) -> str:
    """The numbered "only related" entries under their heading, and the first one's quoted
    sentence in a paragraph of its own (nothing without entries)."""
    if not suggestions:
        return ""
    return "\n\n".join(p for p in (_lines(wording.MAYBE_RELATED, *_numbered_titles(suggestions)), excerpt) if p)


def _numbered_titles(rows: Sequence[tuple[int, Document]]) -> list[str]:
    """"1. title" lines, each title clipped to a phone line or two (related entries, rivals)."""
    return [wording.CHOICE_LINE.format(number=n, title=_clip(d.title, CHOICE_TITLE_CHARS)) for n, d in rows]


def follow_up_quote(doc: Document, sentence: str, full_text_url: str | None) -> TextReply:
    """The one sentence of the entry just shown that answers a follow-up, with where to read on."""
    link = full_text_url or (doc.url if doc.url and doc.url.startswith(("http://", "https://")) else None)
    text = _lines(wording.FOLLOW_UP_QUOTE.format(title=_clip(doc.title, 60)), sentence)
    return text_reply(text, _tail(link, True))


def pick_first_intro(kind: str) -> str:
    """Above a list shown again for a follow-up asked before any of its entries was read: the fact
    (`bot.followup.WHAT`) depends on the entry, so the citizen is asked to pick one."""
    return wording.FOLLOW_UP_PICK_FIRST.format(what=WHAT[kind])


def elsewhere_intro(doc: Document, kind: str) -> str:
    """Above a list for a follow-up that the entry just read, `doc`, does not answer: said first,
    so the list is not mistaken for the same entries shown again for nothing."""
    return wording.FOLLOW_UP_ELSEWHERE.format(title=_clip(doc.title, 60), what=WHAT[kind])


def follow_up_not_stated(doc: Document, kind: str) -> TextReply:
    """The entry just shown does not state what the follow-up asks (`bot.followup.WHAT`)."""
    return text_reply(_lines(wording.FOLLOW_UP_NOT_STATED.format(title=_clip(doc.title, 60), what=WHAT[kind]),
                             wording.FEEDBACK_UNSATISFIED_HELP))


@overload
def with_note(reply: TextReply, note: str) -> TextReply: ...
@overload
def with_note(reply: NewsReply, note: str) -> NewsReply: ...
def with_note(reply: TextReply | NewsReply, note: str) -> TextReply | NewsReply:
    """`reply` with a short note on top, when it still fits whole; otherwise `reply` unchanged
    (the note is a courtesy, the answer and its links are not to be cut for it)."""
    if isinstance(reply, NewsReply):
        return reply
    content = f"{note}\n{reply.content}"
    return TextReply(content) if len(content.encode("utf-8")) <= TEXT_LIMIT_BYTES else reply
