"""Questions about the item just shown: "这个文件文号是多少", "哪个部门发的", "什么时候发布的".

After an item was answered, a citizen often asks about the document itself rather than its
content. Those questions name no topic, so a search would find nothing (or something else);
they are answered from the item's own metadata instead. Only short messages that ask for one
metadata field are taken, and only while the session remembers an item (`Session.shown`) or
the reply before listed items (`Session.choices`: a list, related entries or rivals): one listed
item is "这个文件", several get the request to open one first. After an FAQ entry, a question
that asks for it as a document (文号, or a field with 文件 / 发布 …) is told that the entry is a
常见问答 without such metadata, rather than "not found" with the entry itself as related.
Anything else goes on to the normal search.
"""

from __future__ import annotations

import re

from bot import wording
from bot.compose import text_reply
from bot.item_reply import ItemSource, history_note
from bot.session import Session
from bot.turn import ReplyKind, Turn
from knowledge.document import Document

MAX_CHARS = 20  # longer messages are questions of their own
# Which field a question asks for. Checked in order: 发布日期 before 发布机构 ("什么时候发的").
_FIELDS = (
    ("doc_number", re.compile(r"文号|字号|发文号|文件号")),
    ("index_number", re.compile(r"索引号")),
    ("published", re.compile(r"什么时候|何时|哪天|哪一天|几号|哪年|日期|时间|多久以前")),
    ("publisher", re.compile(r"哪个部门|什么部门|哪个单位|哪个机关|哪家|谁发|谁出|谁制定|谁印发|发布机构|发文机关|"
                             r"发布单位|哪里发|哪发")),
    ("url", re.compile(r"链接|网址|原文|出处")),
    ("status", re.compile(r"有效|失效|废止|过期|现行|还能用|还管用|作废")),
)
# Words that refer to the document just shown, and the particles of a question.
_ABOUT = re.compile(r"这个|那个|这份|这篇|该|此|它|这条|上面|刚才|文件|通知|办法|公告|公示|规定|发布|发的|印发|出的")
# Words that say the question is about a document (文号 and 索引号 say it themselves): after an FAQ
# entry "什么时候" asks when its content happens (低保金什么时候发), "这个文件什么时候发布的" asks this.
_DOCUMENT = re.compile(r"文件|通知|办法|公告|公示|规定|发布|发的|印发|出的|发文")
_PARTICLES = re.compile(r"[是多少吗呢的了啊呀吧个哪什么谁请问一下给我您你想知道查看告诉还有能用呀嘛]")


def asked_field(command: str) -> str | None:
    """The metadata field a short follow-up asks for, or None when it is not such a question.

    Whatever is left of the message after the field's words, the words that point at the
    document and the question's particles must be (almost) nothing: "低保什么时候发放" names a
    topic of its own and goes to the search.
    """
    if len(command) > MAX_CHARS:
        return None
    for field, pattern in _FIELDS:
        if pattern.search(command):
            rest = _PARTICLES.sub("", _ABOUT.sub("", pattern.sub("", command)))
            return field if len(rest) <= 1 else None
    return None


def answer(doc: Document, field: str) -> str:
    """The answer text: the item's title, then the field asked for (or that it was not recorded)."""
    lines = [wording.ABOUT_ITEM.format(title=" ".join(doc.title.split()))]
    if field == "status":
        lines.append(history_note(doc) or wording.ABOUT_STATUS_CURRENT)
        return "\n".join(lines)
    value = {
        "doc_number": doc.doc_number,
        "index_number": doc.index_number,
        "published": doc.published.isoformat() if doc.published else None,
        "publisher": doc.publisher,
        "url": doc.url,
    }[field]
    template = {
        "doc_number": wording.ABOUT_DOC_NUMBER,
        "index_number": wording.ABOUT_INDEX_NUMBER,
        "published": wording.ABOUT_PUBLISHED,
        "publisher": wording.ABOUT_PUBLISHER,
        "url": wording.ABOUT_URL,
    }[field]
    lines.append(template.format(value=value) if value else wording.ABOUT_MISSING.format(
        label=wording.ABOUT_LABELS[field]))
    return "\n".join(lines)


def listed_items(session: Session) -> list[tuple[int, str]]:
    """(number, key) of the items in the numbered list the last reply showed, if any."""
    keys = session.choices.keys if session.choices is not None else []
    return [(n, key) for n, key in enumerate(keys, start=1) if key.startswith("item:")]


def about_faq(doc: Document, field: str) -> str:
    """The answer to a metadata question about an FAQ entry: it is no document, so it has no 文号
    or 发布机构 — said plainly, with its source link when it has one, rather than "not found"
    with the entry itself offered as related."""
    title = " ".join(doc.title.split())
    if field == "url" and doc.url:
        return "\n".join([wording.ABOUT_ITEM.format(title=title), wording.ABOUT_FAQ_SOURCE.format(value=doc.url)])
    lines = [wording.ABOUT_FAQ_CURRENT.format(title=title) if field == "status"
             else wording.ABOUT_FAQ.format(title=title, label=wording.ABOUT_LABELS[field])]
    if doc.url:
        lines.append(wording.ABOUT_FAQ_SOURCE.format(value=doc.url))
    lines.append(wording.ABOUT_FAQ_SEARCH)
    return "\n".join(lines)


def reply(kb: ItemSource, session: Session, command: str) -> Turn | None:
    """The turn answering a metadata follow-up about `session.shown` (or the one item the last
    list showed, or the FAQ entry just read), or None to search as usual."""
    # The list counts only while no entry was opened from it (an FAQ entry read since has no 文号).
    listed = [] if session.shown or session.entry else listed_items(session)
    if not session.shown and not listed and not session.entry:
        return None
    field = asked_field(command)
    if field is None:
        return None
    if not session.shown and not listed:  # an FAQ entry was read last: asked as a document?
        if field not in ("doc_number", "index_number") and not _DOCUMENT.search(command):
            return None
        faq = kb.document(session.entry) if session.entry else None
        return Turn(text_reply(about_faq(faq, field)), kind=ReplyKind.ITEM_METADATA) if faq is not None else None
    key = session.shown
    if key is None:
        if len(listed) > 1:  # which 文件? the citizen opens one, then asks again
            numbers = "、".join(str(n) for n, _key in listed)
            return Turn(text_reply(wording.ABOUT_WHICH_ITEM.format(numbers=numbers, label=wording.ABOUT_LABELS[field])),
                        kind=ReplyKind.ITEM_METADATA)
        key = listed[0][1]
    doc = kb.document(key)
    if doc is None:  # removed since it was shown
        session.shown = None
        return None
    return Turn(text_reply(answer(doc, field)), kind=ReplyKind.ITEM_METADATA)
