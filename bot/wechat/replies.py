"""Rendering passive replies (the XML we answer a callback with).

WeChat silently drops a reply that is not well-formed or whose text is longer
than 2048 bytes, and the citizen then sees "该公众号暂时无法提供服务". So every
string is scrubbed of XML-illegal characters, wrapped in CDATA that survives a
literal ``]]>``, and text content is cut to the byte budget here, in one place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .messages import Message

SUCCESS = "success"
"""Plain body that tells WeChat "received, no reply" (an empty body works too)."""

TEXT_LIMIT_BYTES = 2048
"""WeChat's limit for a passive text reply's Content, in UTF-8 bytes."""

SENTENCE_ENDS = "。！？!?；\n"
ELLIPSIS = "…"

# Characters XML 1.0 forbids even inside CDATA (C0 controls except tab/LF/CR,
# lone surrogates, U+FFFE/U+FFFF). They sneak in from spreadsheet imports.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class TextReply:
    """A text answer. ``tail`` (e.g. ``"\\n详情：<url>"``) survives any cut intact."""

    content: str
    tail: str = ""


@dataclass(frozen=True)
class NewsReply:
    """A single link card. WeChat shows at most one article per reply since 2018."""

    title: str
    description: str
    url: str
    pic_url: str = ""

    def __post_init__(self) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise ValueError("NewsReply.url must be an http(s) URL")


Reply = TextReply | NewsReply


def xml_safe(text: str) -> str:
    """Drop characters that would make the reply XML ill-formed."""
    return _XML_ILLEGAL.sub("", text)


def cdata(text: str) -> str:
    """Wrap text in CDATA; a literal ``]]>`` is split across two sections."""
    return "<![CDATA[" + xml_safe(text).replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


def _head(text: str, limit_bytes: int) -> str:
    """Longest prefix of ``text`` within ``limit_bytes``, never splitting a character."""
    if limit_bytes <= 0:
        return ""
    # The source is valid UTF-8, so "ignore" can only drop the one partial
    # character the byte cut may have produced at the end.
    return text.encode("utf-8")[:limit_bytes].decode("utf-8", errors="ignore")


def fit_text(text: str, limit_bytes: int = TEXT_LIMIT_BYTES, keep_tail: str = "") -> str:
    """Cut ``text`` so that ``text + keep_tail`` is at most ``limit_bytes`` of UTF-8.

    The cut lands after the last sentence end (。！？!?；or newline) that fits,
    so a citizen never reads half a sentence; if that would throw away more
    than half of the room (or there is no sentence end), it cuts at a character
    boundary and appends "…". ``keep_tail`` is appended unchanged (include your
    own separator, e.g. ``"\\n详情：https://…"``) unless it alone exceeds the
    budget, in which case it is cut like ordinary text.
    """
    if limit_bytes <= 0:
        return ""
    tail_bytes = _utf8_len(keep_tail)
    if tail_bytes > limit_bytes:
        return fit_text(text + keep_tail, limit_bytes)
    budget = limit_bytes - tail_bytes
    if _utf8_len(text) <= budget:
        return text + keep_tail
    head = _head(text, budget)
    cut = max(head.rfind(mark) for mark in SENTENCE_ENDS) + 1
    if cut > 0 and _utf8_len(head[:cut]) * 2 >= budget:
        return head[:cut].rstrip() + keep_tail
    ellipsis_bytes = _utf8_len(ELLIPSIS)
    if budget < ellipsis_bytes:
        return head + keep_tail
    return _head(text, budget - ellipsis_bytes).rstrip() + ELLIPSIS + keep_tail


def sent_text(reply: Reply) -> str:
    """The text the citizen reads, exactly as sent: cut to the budget; a card as its lines."""
    if isinstance(reply, TextReply):
        return fit_text(xml_safe(reply.content), TEXT_LIMIT_BYTES, xml_safe(reply.tail))
    return "\n".join(part for part in (reply.title, reply.description, reply.url) if part)


def _text_body(reply: TextReply) -> str:
    content = sent_text(reply)
    return f"<MsgType>{cdata('text')}</MsgType><Content>{cdata(content)}</Content>"


def _news_body(reply: NewsReply) -> str:
    item = (
        f"<item><Title>{cdata(reply.title)}</Title>"
        f"<Description>{cdata(reply.description)}</Description>"
        f"<PicUrl>{cdata(reply.pic_url)}</PicUrl>"
        f"<Url>{cdata(reply.url)}</Url></item>"
    )
    return f"<MsgType>{cdata('news')}</MsgType><ArticleCount>1</ArticleCount><Articles>{item}</Articles>"


def render(reply: Reply, inbound: Message, create_time: int) -> str:
    """Render the reply XML for ``inbound``: To/From swapped, as WeChat requires."""
    if isinstance(reply, TextReply):
        body = _text_body(reply)
    elif isinstance(reply, NewsReply):
        body = _news_body(reply)
    else:
        raise TypeError(f"cannot render {type(reply).__name__}")
    return (
        f"<xml><ToUserName>{cdata(inbound.from_user)}</ToUserName>"
        f"<FromUserName>{cdata(inbound.to_user)}</FromUserName>"
        f"<CreateTime>{int(create_time)}</CreateTime>{body}</xml>"
    )
