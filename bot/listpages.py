"""The pages of a numbered list: "更多" turns the page, and numbers run on across pages.

A list (answers, related entries, a direct answer's rivals) is kept in the session as document
keys (`Choices`), so "7" means the same entry on every page and after a reload; an entry removed
since the list was shown keeps its number and is skipped.
"""

from __future__ import annotations

from collections.abc import Callable

from bot import compose, wording
from bot.compose import PAGE_SIZE
from bot.session import Choices, Session
from bot.turn import ReplyKind, Turn
from bot.wechat.replies import TextReply
from knowledge.document import Document


def numbered(document: Callable[[str], Document | None], choices: Choices, page: int) -> list[tuple[int, Document]]:
    """(number, entry) of one page of `choices`, entries read through `document`."""
    start = page * PAGE_SIZE
    rows = []
    for offset, key in enumerate(choices.keys[start : start + PAGE_SIZE]):
        doc = document(key)
        if doc is not None:  # removed since the list was shown: its number is skipped
            rows.append((start + offset + 1, doc))
    return rows


def first_page(document: Callable[[str], Document | None], choices: Choices, intro: str | None = None) -> TextReply:
    """The list's first page (`intro` in place of "为您找到以下相关内容", `compose.choices_reply`)."""
    return compose.choices_reply(numbered(document, choices, 0), page=0, total=len(choices.keys), intro=intro)


def next_page(document: Callable[[str], Document | None], session: Session) -> Turn:
    """The turn for "更多": the list's next page, or that there is none (after a single answer or
    a "not found" that was all; without any reply in the session, the list has expired)."""
    choices = session.choices
    if choices is None and session.answered is not None:  # an answer or "not found", never a list
        return Turn(compose.text_reply(wording.MORE_AFTER_ANSWER), kind=ReplyKind.CHOICES_END)
    if choices is None:
        return Turn(compose.text_reply(wording.CHOICES_EXPIRED), kind=ReplyKind.CHOICE_EXPIRED)
    page = choices.page + 1
    if page * PAGE_SIZE >= len(choices.keys):
        return Turn(compose.text_reply(wording.CHOICES_NO_MORE), kind=ReplyKind.CHOICES_END)
    choices.page = page
    reply = compose.choices_reply(numbered(document, choices, page), page=page, total=len(choices.keys))
    return Turn(reply, kind=ReplyKind.CHOICES)
