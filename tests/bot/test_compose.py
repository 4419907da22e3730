"""Reply layouts: every kind fits WeChat's 2,048 bytes, links survive, unset details are left out."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from bot import compose, wording
from bot.config import Township
from bot.wechat.replies import TEXT_LIMIT_BYTES, NewsReply, TextReply
from knowledge.document import Document

URL = "https://www.helan.gov.cn/xxgk/2018/12/t20181210_1.html"
LONG = "按照县政府相关文件要求，我镇及时公开征地补偿和拆迁安置信息，确保数据上传无纰漏。" * 120
LONG_TITLE = "贺兰县金贵镇关于城乡居民最低生活保障和特困人员救助供养工作的实施细则" * 8
FULL = Township(
    name="金贵镇人民政府",
    short_name="金贵镇",
    phone="0951-8000000",
    address="贺兰县金贵镇政府一楼便民服务中心",
    office_hours="工作日 9:00—17:30",
    disclosure_channels="门户网站“依申请公开”栏目",
    staff_contact="民生服务中心 王老师",
    portal_url="https://www.helan.gov.cn",
)
BARE = Township(name="金贵镇人民政府", short_name="金贵镇", office_hours="", disclosure_channels="")


def faq(**kw) -> Document:
    values: dict[str, Any] = {
        "kind": "faq", "id": 1, "title": "低保怎么申请？", "body": "向户籍所在地村委会提出书面申请。"
    }
    values.update(kw)
    return Document(**values)


def item(**kw) -> Document:
    values: dict[str, Any] = {
        "kind": "item",
        "id": 7,
        "title": "金贵镇2018年政务公开工作总结",
        "body": "",
        "url": URL,
        "published": datetime.date(2018, 12, 10),
        "doc_number": "金政发〔2018〕293号",
    }
    values.update(kw)
    return Document(**values)


def size(reply: TextReply | NewsReply) -> int:
    """Bytes WeChat counts for a reply (all text fields of a card together)."""
    if isinstance(reply, TextReply):
        return len((reply.content + reply.tail).encode("utf-8"))
    return len((reply.title + reply.description + reply.url + reply.pic_url).encode("utf-8"))


def test_faq_answer_shows_question_answer_and_link() -> None:
    reply = compose.faq_answer(faq(url=URL))
    assert reply.content.startswith("【低保怎么申请？】\n向户籍所在地村委会提出书面申请。")
    assert f"详情：{URL}" in reply.content


def test_faq_answer_without_link_has_no_detail_line() -> None:
    assert "详情" not in compose.faq_answer(faq()).content


def test_long_faq_answer_fits_and_keeps_link_and_hint() -> None:
    reply = compose.faq_answer(faq(body=LONG, url=URL))
    assert size(reply) <= TEXT_LIMIT_BYTES
    assert reply.content.endswith(f"详情：{URL}\n{wording.FEEDBACK_HINT}")


def test_long_faq_answer_is_cut_at_a_sentence_end() -> None:
    reply = compose.faq_answer(faq(body=LONG, url=URL))
    body, cut_line = reply.content.split("\n详情：")[0].rsplit("\n", 1)
    assert body.endswith("。") and cut_line == wording.FULL_TEXT_CUT  # never cut silently


def test_choices_are_numbered_with_pick_and_more_hints() -> None:
    rows = [(n, faq(id=n, title=f"问题{n}")) for n in range(1, 6)]
    reply = compose.choices_reply(rows, page=0, total=8)
    lines = reply.content.splitlines()
    assert lines[1:6] == ["1. 问题1", "2. 问题2", "3. 问题3", "4. 问题4", "5. 问题5"]
    assert "回复序号查看详情" in lines[-1] and "更多" in lines[-1]


def test_last_page_of_choices_continues_numbering_without_more_hint() -> None:
    rows = [(n, faq(id=n, title=f"问题{n}")) for n in range(6, 9)]
    reply = compose.choices_reply(rows, page=1, total=8)
    assert "6. 问题6" in reply.content and "第6—8条，共8条" in reply.content
    assert "更多" not in reply.content


def test_item_choice_shows_its_date() -> None:
    reply = compose.choices_reply([(1, item()), (2, faq())], page=0, total=2)
    assert "1. 金贵镇2018年政务公开工作总结（2018-12-10）" in reply.content


def test_choices_with_long_titles_fit() -> None:
    rows = [(n, item(id=n, title=LONG_TITLE)) for n in range(1, 6)]
    assert size(compose.choices_reply(rows, page=0, total=15)) <= TEXT_LIMIT_BYTES


def test_not_found_explains_request_channel_and_contacts() -> None:
    content = compose.not_found_reply(FULL, []).content
    for text in ("没有找到", "依申请公开", "门户网站“依申请公开”栏目", "0951-8000000", "便民服务中心", "9:00—17:30"):
        assert text in content


def test_not_found_leaves_out_unconfigured_contacts() -> None:
    content = compose.not_found_reply(BARE, []).content
    for label in ("电话：", "地址：", "办公时间：", "申请渠道：", "网站："):
        assert label not in content


def test_not_found_lists_at_most_three_related_topics() -> None:
    content = compose.not_found_reply(FULL, ["低保怎么申请", "临时救助", "高龄津贴", "残疾人补贴"]).content
    assert "大家还在问" in content and "· 高龄津贴" in content and "残疾人补贴" not in content


def test_not_found_without_topics_has_no_topic_heading() -> None:
    assert "大家还在问" not in compose.not_found_reply(FULL, []).content


def test_help_names_township_and_hot_topics() -> None:
    content = compose.help_reply(FULL, ["低保怎么申请"]).content
    assert "金贵镇" in content and "· 低保怎么申请" in content and "人工" in content


def test_staff_reply_shows_configured_contacts() -> None:
    content = compose.staff_reply(FULL).content
    assert "民生服务中心 王老师" in content and "0951-8000000" in content


def test_staff_reply_without_contacts_points_to_the_township() -> None:
    content = compose.staff_reply(BARE).content
    assert "金贵镇人民政府" in content and "电话：" not in content


@pytest.mark.parametrize(
    "reply",
    [
        compose.help_reply(FULL, [LONG_TITLE] * 10),
        compose.staff_reply(Township(staff_contact=LONG, phone=LONG, address=LONG)),
        compose.not_found_reply(Township(disclosure_channels=LONG, address=LONG), [LONG_TITLE] * 5),
        compose.text_reply(LONG),
    ],
    ids=["help", "staff", "not_found", "plain"],
)
def test_every_reply_kind_fits_with_long_settings(reply: TextReply) -> None:
    assert size(reply) <= TEXT_LIMIT_BYTES


# -- close rivals under a direct answer ------------------------------------------------------------


def test_close_rivals_are_numbered_under_the_answer_above_the_rating_hint() -> None:
    answer = compose.faq_answer(faq(url=URL))
    rows = [(1, faq(id=2, title="低保申请需要什么材料？")), (2, faq(id=3, title="低保审批要多久？"))]
    listed = compose.with_rivals(answer, rows)
    assert listed is not None
    body = listed.content
    assert body.startswith(answer.content.rpartition("\n" + wording.FEEDBACK_HINT)[0])  # answer and link untouched
    assert body.endswith(f"{wording.RIVALS}\n1. 低保申请需要什么材料？\n2. 低保审批要多久？\n{wording.FEEDBACK_HINT}")


def test_rivals_never_cut_an_answer_that_fills_the_reply() -> None:
    answer = compose.faq_answer(faq(body=LONG), full_text_url=URL)
    assert compose.with_rivals(answer, [(1, faq(id=2, title="低保审批要多久？"))]) is None
    assert compose.with_rivals(answer, []) is None
    card = NewsReply(title="t", description="d", url=URL)
    assert compose.with_rivals(card, [(1, faq(id=2))]) is None
