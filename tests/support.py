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

# Seven entries on 低保 (a list of more than one page), and unrelated ones so that 低保 is a
# specific term in this small corpus.
DIBAO = [
    ("城乡低保怎么申请？", "由申请人向户籍所在地村委会提出书面申请，经镇民政办审核、县民政局审批。"),
    ("低保申请需要什么材料？", "需提供户口簿、身份证和家庭收入证明。"),
    ("低保标准每月多少钱？", "2024年农村标准为每人每月560元。"),
    ("低保在哪里办理？", "到镇便民服务中心民政窗口办理。"),
    ("低保审批要多久？", "自受理之日起30个工作日内办结。"),
    ("低保金什么时候发放？", "每月10日前发放到户。"),
    ("低保家庭可以享受哪些救助？", "可享受医疗救助、教育救助和住房救助。"),
]
OTHER = [
    ("高龄津贴怎么申领？", "年满80周岁的老人持身份证到村委会登记申领。"),
    ("残疾人两项补贴的申请条件是什么？", "持有第二代残疾人证的困难残疾人可以申请。"),
    ("耕地地力保护补贴什么时候发？", "每年6月底前通过一卡通发放。"),
    ("农村危房改造补助标准？", "按房屋鉴定等级给予补助。"),
    ("宅基地申请流程？", "向村集体经济组织提出申请，经村民会议讨论后公示。"),
    ("城乡居民养老保险怎么缴费？", "可通过银行代扣或手机缴费。"),
    ("临时救助的对象有哪些？", "因火灾、交通事故等意外事件导致基本生活暂时困难的家庭。"),
    ("退役军人优待证如何办理？", "携带退役证件到镇退役军人服务站申请。"),
    ("计划生育家庭奖励扶助标准？", "每人每年960元。"),
    ("村务公开的内容有哪些？", "包括财务收支、集体资产和惠农补贴发放情况。"),
    ("新生儿落户需要什么？", "携带出生医学证明和父母户口簿到派出所办理。"),
    ("结婚登记在哪里办？", "到县民政局婚姻登记处办理。"),
]


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
