"""Safe parsing of inbound WeChat XML into a small, typed Message.

WeChat bodies are tiny flat XML documents, so the parser is deliberately
strict about *shape* (one ``<xml>`` root, bounded depth and size, no DTD,
no entities) and lenient about *content*: any message type or event, known
or not, parses, because refusing an unknown event would make WeChat retry it
three times and then show the citizen "该公众号暂时无法提供服务".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from .errors import MalformedMessage

# Real messages nest at most 4 levels below <xml> (SendPicsInfo/PicList/item/
# PicMd5Sum, CopyrightCheckResult/ResultList/item/...); the limits leave room
# for new event types while refusing pathological documents early.
MAX_DEPTH = 8
MAX_ELEMENTS = 1000


@dataclass(frozen=True)
class Message:
    """One inbound message or event, as WeChat sent it.

    ``fields`` holds every leaf element: top-level ones by tag name, nested
    ones by dotted path (``ScanCodeInfo.ScanResult``); a repeated path gets a
    ``[2]``, ``[3]`` … suffix. Typed attributes cover what the bot uses.
    """

    to_user: str
    from_user: str
    create_time: int
    msg_type: str
    msg_id: str | None = None
    content: str | None = None
    recognition: str | None = None
    event: str | None = None
    event_key: str | None = None
    fields: dict[str, str] = field(default_factory=dict, hash=False, compare=False)

    @property
    def is_event(self) -> bool:
        """True for ``MsgType=event`` pushes (subscribe, CLICK, …), which carry no question."""
        return self.msg_type == "event"

    @property
    def event_lower(self) -> str | None:
        """The event name lower-cased: WeChat mixes ``CLICK`` and ``subscribe`` styles."""
        return self.event.lower() if self.event else None

    @property
    def dedupe_key(self) -> str:
        """Key that identifies WeChat's retries of this same push.

        WeChat retries a push up to three times when we are slow; its docs say
        to de-duplicate messages by MsgId and events by FromUserName+CreateTime.
        The EventKey is part of an event's key too: two different menu CLICKs in
        the same second are two questions, and a retry repeats its EventKey.
        """
        if self.msg_id and not self.is_event:
            return f"m:{self.from_user}:{self.msg_id}"
        key = f"e:{self.from_user}:{self.create_time}:{self.event or self.msg_type}"
        return f"{key}:{self.event_key}" if self.event_key else key


def _to_text(body: str | bytes) -> str | bytes:
    if isinstance(body, bytes):
        return body.lstrip(b"\xef\xbb\xbf").strip()
    if isinstance(body, str):
        return body.lstrip("\ufeff").strip()
    raise MalformedMessage(f"body must be str or bytes, not {type(body).__name__}")


def _parse_root(body: str | bytes) -> Element:
    text = _to_text(body)
    if not text:
        raise MalformedMessage("empty body")
    try:
        # forbid_dtd refuses any <!DOCTYPE> before an entity can be declared,
        # so XXE and billion-laughs bodies fail without expanding anything.
        root = fromstring(text, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (DefusedXmlException, ParseError, ValueError) as exc:
        raise MalformedMessage(f"not acceptable XML: {exc.__class__.__name__}") from None
    if root.tag != "xml":
        raise MalformedMessage(f"root element is <{root.tag}>, expected <xml>")
    return root


def _flatten(root: Element) -> dict[str, str]:
    """Collect leaf texts by path, iteratively so depth cannot exhaust the stack."""
    fields: dict[str, str] = {}
    seen: dict[str, int] = {}
    count = 0
    stack: list[tuple[Element, str, int]] = [(child, "", 1) for child in reversed(root)]
    while stack:
        element, prefix, depth = stack.pop()
        count += 1
        if count > MAX_ELEMENTS:
            raise MalformedMessage(f"more than {MAX_ELEMENTS} elements")
        if depth > MAX_DEPTH:
            raise MalformedMessage(f"nested deeper than {MAX_DEPTH} levels")
        if not isinstance(element.tag, str):  # comments / processing instructions
            continue
        path = f"{prefix}{element.tag}"
        children = list(element)
        if children:
            stack.extend((child, f"{path}.", depth + 1) for child in reversed(children))
            continue
        seen[path] = seen.get(path, 0) + 1
        key = path if seen[path] == 1 else f"{path}[{seen[path]}]"
        fields[key] = element.text or ""
    return fields


def parse_fields(body: str | bytes) -> dict[str, str]:
    """Parse any flat WeChat XML document (messages, encrypted envelopes) into leaf fields.

    Raises MalformedMessage for anything that is not a single ``<xml>`` root,
    for DTDs/entities, and for absurd nesting or size.
    """
    return _flatten(_parse_root(body))


def _optional(fields: dict[str, str], *names: str) -> str | None:
    for name in names:
        value = fields.get(name)
        if value is not None:
            return value.strip()
    return None


def parse_message(xml: str | bytes) -> Message:
    """Parse an inbound (already decrypted) message body.

    Only ToUserName and FromUserName are required: without them no reply can
    be addressed. CreateTime defaults to 0 when absent but must be numeric when
    present; every other field is optional.
    """
    fields = parse_fields(xml)
    to_user = _optional(fields, "ToUserName")
    from_user = _optional(fields, "FromUserName")
    if not to_user or not from_user:
        raise MalformedMessage("ToUserName or FromUserName missing")
    raw_time = (fields.get("CreateTime") or "0").strip()
    if not (raw_time.isascii() and raw_time.isdigit()) or len(raw_time) > 12:
        raise MalformedMessage("CreateTime is not a number")
    return Message(
        to_user=to_user,
        from_user=from_user,
        create_time=int(raw_time),
        msg_type=(_optional(fields, "MsgType") or "").lower(),
        msg_id=_optional(fields, "MsgId", "MsgID") or None,
        content=fields.get("Content"),
        recognition=fields.get("Recognition"),
        event=_optional(fields, "Event") or None,
        event_key=_optional(fields, "EventKey"),
        fields=fields,
    )
