"""Questions about the item just shown: its 文号, who published it, when, whether it is in force."""

from __future__ import annotations

import pytest

from bot.conversation import Conversation
from bot.item_followups import asked_field
from tests.bot.test_conversation import build, content, kb_runtime, store, text  # noqa: F401 (fixtures)


@pytest.fixture
def conv(kb_runtime, store) -> Conversation:  # noqa: F811
    return build(kb_runtime, store)


@pytest.mark.parametrize(("question", "field"), [
    ("这个文件文号是多少", "doc_number"),
    ("文号是多少", "doc_number"),
    ("哪个部门发的", "publisher"),
    ("这个是谁发的", "publisher"),
    ("什么时候发布的", "published"),
    ("索引号", "index_number"),
    ("原文链接", "url"),
    ("这个文件还有效吗", "status"),
])
def test_short_questions_about_a_document_are_recognised(question: str, field: str) -> None:
    assert asked_field(question) == field


@pytest.mark.parametrize("question", ["低保什么时候发放", "低保什么时候发布", "危房改造补助多少钱", "结婚登记在哪里办"])
def test_questions_naming_a_topic_of_their_own_are_not_taken_for_metadata(question: str) -> None:
    assert asked_field(question) is None


def test_doc_number_after_an_item_answer_comes_from_that_item(conv: Conversation) -> None:
    assert conv.respond(text("扶贫资金投入了多少")).kind == "answer_item"
    turn = conv.respond(text("这个文件文号是多少"))
    assert turn.kind == "item_metadata"
    assert content(turn).splitlines() == ["《金贵镇2018年扶贫工作情况》", "文号：金政发〔2018〕293号"]


def test_publication_date_after_an_item_answer(conv: Conversation) -> None:
    conv.respond(text("扶贫资金投入了多少"))
    assert "发布日期：2018-12-10" in content(conv.respond(text("什么时候发布的")))


def test_a_field_the_item_lacks_is_said_to_be_unrecorded(conv: Conversation) -> None:
    conv.respond(text("扶贫资金投入了多少"))
    assert "没有登记发布机构" in content(conv.respond(text("哪个部门发的")))


def test_an_item_with_no_ending_status_is_said_to_be_in_force(conv: Conversation) -> None:
    conv.respond(text("扶贫资金投入了多少"))
    assert "现行有效" in content(conv.respond(text("这个文件还有效吗")))


def test_without_an_item_shown_the_question_is_searched_as_usual(conv: Conversation) -> None:
    assert conv.respond(text("这个文件文号是多少")).kind != "item_metadata"


def test_after_an_faq_answer_the_question_is_not_about_an_item(conv: Conversation) -> None:
    assert conv.respond(text("高龄津贴怎么申领？")).kind == "answer_faq"
    assert conv.respond(text("文号是多少")).kind != "item_metadata"
