"""Helpers for tests that talk to the webhook the way WeChat does: signed XML in, XML out."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from xml.etree import ElementTree

from flask.testing import FlaskClient

from bot.runtime import Runtime
from bot.wechat import url_signature
from knowledge.editor import FaqData, ItemData, KbEditor

TOKEN = "test-token"


class FakeClock:
    """A monotonic clock the test moves by hand, for expiry and retry-after behaviour."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def signed_args(token: str = TOKEN, timestamp: int | None = None, nonce: str | None = None) -> dict[str, str]:
    timestamp_s = str(int(time.time()) if timestamp is None else timestamp)
    nonce = nonce or uuid.uuid4().hex[:10]
    return {"signature": url_signature(token, timestamp_s, nonce), "timestamp": timestamp_s, "nonce": nonce}


def text_xml(content: str, *, user: str = "openid-citizen", msg_id: str | None = None) -> str:
    msg_id = msg_id or str(uuid.uuid4().int % 10**18)
    return (
        f"<xml><ToUserName><![CDATA[gh_township]]></ToUserName>"
        f"<FromUserName><![CDATA[{user}]]></FromUserName><CreateTime>{int(time.time())}</CreateTime>"
        f"<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content>"
        f"<MsgId>{msg_id}</MsgId></xml>"
    )


def event_xml(event: str, *, key: str | None = None, user: str = "openid-citizen") -> str:
    key_xml = f"<EventKey><![CDATA[{key}]]></EventKey>" if key is not None else ""
    return (
        f"<xml><ToUserName><![CDATA[gh_township]]></ToUserName>"
        f"<FromUserName><![CDATA[{user}]]></FromUserName><CreateTime>{int(time.time())}</CreateTime>"
        f"<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[{event}]]></Event>{key_xml}</xml>"
    )


def post(client: FlaskClient, body: str | bytes, **args: str):
    query = signed_args()
    query.update(args)
    data = body.encode("utf-8") if isinstance(body, str) else body
    return client.post("/wechat", query_string=query, data=data, content_type="text/xml")


def reply_fields(xml: str | bytes) -> dict[str, str]:
    root = ElementTree.fromstring(xml)
    return {child.tag: (child.text or "") for child in root}


def ask(client: FlaskClient, content: str, *, user: str = "openid-citizen") -> str:
    """Send a text message and return the reply's Content (or news Description+Url)."""
    response = post(client, text_xml(content, user=user))
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_data(as_text=True)
    if body == "success":
        return ""
    fields = reply_fields(body)
    if fields.get("MsgType") == "news":
        root = ElementTree.fromstring(body)
        return " ".join((el.text or "") for el in root.iter() if el.tag in {"Title", "Description", "Url"})
    return fields.get("Content", "")


def add_knowledge(
    runtime: Runtime,
    faqs: Iterable[tuple[str, str] | FaqData] = (),
    items: Iterable[ItemData] = (),
) -> None:
    """Write FAQ entries and items through the staff write path, then rebuild the index."""
    with KbEditor(runtime.db, editor="test").batch() as batch:
        for faq in faqs:
            batch.save_faq(faq if isinstance(faq, FaqData) else FaqData(question=faq[0], answer=faq[1]))
        for item in items:
            batch.save_item(item)
    runtime.kb.maybe_reload(wait=True)
