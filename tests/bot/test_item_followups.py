"""Questions about the item just shown: its 文号, who published it, when, whether it is in force."""

from __future__ import annotations

import pytest

from bot.conversation import Conversation
from bot.item_followups import asked_field, reply
from bot.session import Choices, Session
from bot.wechat.replies import TextReply
from knowledge.document import Document
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


def test_after_an_faq_answer_a_question_about_its_document_number_says_it_is_no_document(
        conv: Conversation) -> None:
    assert conv.respond(text("高龄津贴怎么申领？")).kind == "answer_faq"
    said = content(conv.respond(text("文号是多少")))
    assert said.startswith("「高龄津贴怎么申领？」是常见问答，不是正式公文，没有文号。")


def test_after_an_faq_answer_when_asks_about_its_content_not_its_publication(conv: Conversation) -> None:
    conv.respond(text("高龄津贴怎么申领？"))
    assert conv.respond(text("什么时候")).kind != "item_metadata"  # no 文件 / 发布: when it happens
    assert conv.respond(text("这个文件什么时候发布的")).kind == "item_metadata"


class Listed:
    """Documents by key (`ItemSource`); no analysis is needed to answer a metadata question."""

    def __init__(self, *docs: Document) -> None:
        self.docs = {d.key: d for d in docs}

    def document(self, key: str) -> Document | None:
        return self.docs.get(key)

    def analyze(self, text: str) -> list[str]:
        return list(text)

    def written_forms(self, term: str) -> tuple[str, ...]:
        return (term,)


NOTICE = Document(kind="item", id=7, title="关于秸秆禁烧的通告", body="全镇禁止露天焚烧秸秆。",
                  doc_number="金政发〔2019〕5号")
REPORT = Document(kind="item", id=8, title="金贵镇2018年扶贫工作情况", body="投入扶贫资金300万元。")
FAQ = Document(kind="faq", id=3, title="低保怎么申请", body="向镇政府提出书面申请。")


def listed(*keys: str, entry: str | None = None) -> Session:
    return Session(choices=Choices(query="秸秆", keys=list(keys)), entry=entry)


def test_the_one_item_of_the_list_just_shown_is_the_document_asked_about() -> None:
    turn = reply(Listed(NOTICE, FAQ), listed(FAQ.key, NOTICE.key), "这个文件文号是多少")
    assert turn is not None and turn.kind == "item_metadata" and isinstance(turn.reply, TextReply)
    assert "文号：金政发〔2019〕5号" in turn.reply.content


def test_with_several_items_listed_the_citizen_is_asked_to_open_one() -> None:
    turn = reply(Listed(NOTICE, REPORT, FAQ), listed(NOTICE.key, FAQ.key, REPORT.key), "文号是多少")
    assert turn is not None and isinstance(turn.reply, TextReply)
    assert turn.reply.content == "上面列出的第 1、3 条都是文件，请先回复序号查看其中一份，再问文号。"


def test_after_an_entry_was_opened_from_the_list_the_list_no_longer_counts() -> None:
    turn = reply(Listed(NOTICE, FAQ), listed(FAQ.key, NOTICE.key, entry=FAQ.key), "文号是多少")
    assert turn is not None and isinstance(turn.reply, TextReply)
    assert "常见问答" in turn.reply.content and "金政发" not in turn.reply.content  # about the entry read
    assert reply(Listed(FAQ), listed(FAQ.key), "文号是多少") is None  # no item listed, no entry read
