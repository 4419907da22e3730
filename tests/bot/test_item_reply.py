"""An item reply: the answering sentences first, then 《title》, 文号, 发布日期, 发布机构 and the link."""

from __future__ import annotations

import datetime
from typing import Any

from bot import item_reply
from bot.wechat.replies import TEXT_LIMIT_BYTES, TextReply
from knowledge.document import Document
from tests.bot.test_conversation import kb_runtime  # noqa: F401 (fixture)

URL = "https://www.example.gov.cn/xxgk/2018/1.html"


def item(**kw) -> Document:
    values: dict[str, Any] = {
        "kind": "item", "id": 7, "title": "金贵镇2018年政务公开工作总结", "body": "正文。", "url": URL,
        "published": datetime.date(2018, 12, 10), "doc_number": "金政发〔2018〕293号",
        "publisher": "金贵镇人民政府"}
    values.update(kw)
    return Document(**values)


def test_quote_comes_first_then_title_doc_number_date_publisher_and_link() -> None:
    reply = item_reply.item_answer(item(), "2018年发布信息389条。", hint=False)
    assert (reply.content + reply.tail).splitlines() == [
        "2018年发布信息389条。",
        "——摘自《金贵镇2018年政务公开工作总结》",
        "文号：金政发〔2018〕293号",
        "发布日期：2018-12-10",
        "发布机构：金贵镇人民政府",
        f"原文：{URL}",
    ]


def test_missing_metadata_lines_are_left_out() -> None:
    reply = item_reply.item_answer(item(url=None, doc_number=None, published=None, publisher=None), "摘要。")
    assert "文号" not in reply.content and "发布日期" not in reply.content and "原文：" not in reply.content


def test_a_repealed_item_is_labelled_as_history_above_the_quote() -> None:
    reply = item_reply.item_answer(item(status="废止"), "补贴标准为每月0.25元。")
    assert reply.content.splitlines()[0] == "注意：该文件已废止，以下内容仅供了解历史情况，不是现行规定。"


def test_an_expired_item_is_labelled_with_its_end_date() -> None:
    doc = item(valid_until=datetime.date(2020, 1, 1))
    reply = item_reply.item_answer(doc, "摘要。", today=datetime.date(2021, 1, 1))
    assert "有效期至2020-01-01，已过期" in reply.content.splitlines()[0]


def test_a_current_item_carries_no_history_label() -> None:
    reply = item_reply.item_answer(item(status="有效"), "摘要。")
    assert "仅供了解历史情况" not in reply.content


def test_a_long_quote_and_title_still_fit_with_the_link_intact() -> None:
    reply = item_reply.item_answer(item(title="很长的标题" * 60), "很长的句子，" * 400)
    assert len((reply.content + reply.tail).encode("utf-8")) <= TEXT_LIMIT_BYTES
    assert (reply.content + reply.tail).endswith(f"原文：{URL}\n（回复“满意”或“不满意”，帮助我们改进）")
    assert "文号：金政发〔2018〕293号" in reply.content + reply.tail


def test_not_found_quotes_a_related_items_sentence_under_the_related_heading() -> None:
    from bot import compose, wording
    from bot.config import Township

    township = Township(name="金贵镇人民政府", short_name="金贵镇", phone="", address="", office_hours="",
                        disclosure_channels="", staff_contact="")
    excerpt = wording.MAYBE_EXCERPT.format(quote="每台补助不超过10万元。")
    reply = compose.not_found_reply(township, [], [(1, item())], excerpt)
    lines = reply.content.splitlines()
    assert lines[0] == wording.NOT_FOUND_NEAR  # entries were found, the answer was not
    heading = lines.index(wording.MAYBE_RELATED)
    assert lines[heading + 1].startswith("1. ")
    # A paragraph of its own under the list: the title it names is the line just above.
    assert lines[heading + 2 : heading + 4] == ["", "第1条中写道：“每台补助不超过10万元。”"]


def test_a_related_excerpt_is_only_for_items(kb_runtime) -> None:  # noqa: F811
    kb = kb_runtime.kb
    docs = {kb.document(k).kind: kb.document(k) for k in ("item:1", "faq:1") if kb.document(k)}
    text = item_reply.related_excerpt(kb, docs["item"], kb.analyze("扶贫资金多少"))
    assert text is not None and "300万元" in text and text.startswith("第1条中写道：“")
    assert item_reply.related_excerpt(kb, docs["faq"], kb.analyze("低保")) is None


def test_the_conversation_chooses_the_quote_by_the_citizens_own_wording(kb_runtime) -> None:  # noqa: F811
    """"哪天" is analysed as 哪里 + 天, so only the question itself says a date is asked for."""
    import dataclasses

    from bot.conversation import Conversation
    from bot.state import MemoryStore, ResilientStore
    from bot.wechat.messages import Message
    from knowledge.models import DisclosureItem

    with kb_runtime.db.session() as session:
        session.add(DisclosureItem(title="关于老年助餐补贴的通知",
                                   body="报名开始前请到社区服务中心咨询。报名开始后逐户上门核实。"
                                        "报名自2024年3月1日起受理。材料齐全的当场办结。"))
        kb_runtime.db.bump_kb_version(session)
    kb_runtime.kb.maybe_reload(wait=True)
    settings = dataclasses.replace(kb_runtime.settings, rate_limit_per_minute=0)
    conv = Conversation(kb_runtime.kb, ResilientStore(MemoryStore()), settings)
    turn = conv.respond(Message(to_user="gh_1", from_user="openid-q", create_time=1700000000, msg_type="text",
                                msg_id="q-1", content="老年助餐补贴报名哪天开始"))
    assert turn.kind == "answer_item" and isinstance(turn.reply, TextReply), turn.kind
    assert "报名自2024年3月1日起受理。" in turn.reply.content


def test_a_place_named_in_the_question_chooses_that_places_document(kb_runtime) -> None:  # noqa: F811
    """Two districts publish the same 公租房 rules with different figures; the citizen names one."""
    from knowledge.models import DisclosureItem

    body = "第五条 申请公共租赁住房，家庭人均住房建筑面积应低于{area}平方米。第六条 资格每{years}年复核一次。"
    with kb_runtime.db.session() as session:
        session.add(DisclosureItem(title="关于印发《公共租赁住房准入和复核实施细则》的通知",
                                   body=body.format(area=15, years=3), publisher="上海市松江区住房保障和房屋管理局"))
        session.add(DisclosureItem(title="关于印发《公共租赁住房准入实施细则》的通知",
                                   body=body.format(area=18, years=2), publisher="上海市青浦区住房保障和房屋管理局"))
        kb_runtime.db.bump_kb_version(session)
    kb_runtime.kb.maybe_reload(wait=True)
    result = kb_runtime.kb.search("青浦公租房准入和复核 人均住房面积多少以下")
    assert [h.doc.publisher for h in result.hits[:2]] == ["上海市青浦区住房保障和房屋管理局",
                                                          "上海市松江区住房保障和房屋管理局"]


def test_a_refused_question_quotes_its_top_items_sentence_as_only_related(kb_runtime) -> None:  # noqa: F811
    """The search is not sure enough to answer (most of the citizen's words are not in the item),
    but the item it ranks first shares 菜摊: its answering sentence is quoted under the
    "only related" heading, never as the answer."""
    import dataclasses

    from bot import wording
    from bot.conversation import Conversation
    from bot.state import MemoryStore, ResilientStore
    from bot.wechat.messages import Message
    from knowledge.models import DisclosureItem

    with kb_runtime.db.session() as session:
        session.add(DisclosureItem(title="关于印发《菜篮子工程建设实施办法》的通知",
                                   body="第一条 为保障蔬菜供应，制定本办法。第二条 标准化菜场由区商务委认定。"
                                        "第三条 对每个平价菜摊给予补贴，补贴金额每月不超过5000元。"))
        kb_runtime.db.bump_kb_version(session)
    kb_runtime.kb.maybe_reload(wait=True)
    settings = dataclasses.replace(kb_runtime.settings, rate_limit_per_minute=0)
    conv = Conversation(kb_runtime.kb, ResilientStore(MemoryStore()), settings)
    turn = conv.respond(Message(to_user="gh_1", from_user="openid-r", create_time=1700000000, msg_type="text",
                                msg_id="r-1", content="隔壁阿姨摆的菜摊 街道每个月贴多少钞票"))
    assert turn.kind == "not_found" and isinstance(turn.reply, TextReply), turn.kind
    assert wording.MAYBE_RELATED in turn.reply.content
    assert "补贴金额每月不超过5000元。" in turn.reply.content
