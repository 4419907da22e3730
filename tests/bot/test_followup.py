"""Follow-ups after a chosen entry quote the sentence of that entry that answers them."""

from __future__ import annotations

import dataclasses
import itertools

import pytest
from flask import Flask

from bot.conversation import Conversation
from bot.followup import ask_kind, condition_quote, condition_words, quote_for
from bot.runtime import get_runtime
from bot.state import MemoryStore, ResilientStore
from bot.turn import Turn
from bot.wechat.messages import Message
from bot.wechat.replies import TextReply
from knowledge.document import Document
from knowledge.editor import FaqData
from knowledge.text import TextProcessor
from tests.support import OTHER, add_knowledge

SUBSIDY = Document(
    kind="faq", id=1, title="残疾人两项补贴怎么申请",
    body="符合条件的残疾人可以申请。申请时需提交身份证、残疾人证和银行卡复印件。"
         "申请人到镇便民服务中心民政窗口办理。审核通过后每月10日前发放，标准为每人每月90元。",
)
_ids = itertools.count(1)


@pytest.mark.parametrize(("question", "expected"), [
    ("需要什么材料", "申请时需提交身份证、残疾人证和银行卡复印件。"),
    ("在哪里办", "申请人到镇便民服务中心民政窗口办理。"),
    ("一个月多少钱", "审核通过后每月10日前发放，标准为每人每月90元。"),
    ("哪些人可以申请", "符合条件的残疾人可以申请。"),
    ("需要什么条件", "符合条件的残疾人可以申请。"),
])
def test_the_sentence_answering_the_follow_up_is_chosen(question: str, expected: str) -> None:
    assert quote_for(SUBSIDY, question) == expected


@pytest.mark.parametrize(("question", "kind"), [
    ("电话多少", "contact"),  # 多少 alone yields to the word naming the fact
    ("多少天能办好", "time"),  # the longer ask word
    ("每个月能领多少", "cost"),
    ("一个月多少钱", "cost"),
])
def test_the_most_specific_ask_word_names_the_kind_of_fact(question: str, kind: str) -> None:
    assert ask_kind(question) == kind


def test_a_follow_up_asking_nothing_recognisable_quotes_nothing() -> None:
    assert ask_kind("那个呢") is None and quote_for(SUBSIDY, "那个呢") is None


@pytest.fixture
def conv(app: Flask) -> Conversation:
    runtime = get_runtime(app)
    add_knowledge(runtime, faqs=[FaqData(question=SUBSIDY.title, answer=SUBSIDY.body),
                                 *(FaqData(question=q, answer=a) for q, a in OTHER if "残疾" not in q)])
    settings = dataclasses.replace(runtime.settings, public_base_url="https://zwgk.example.gov.cn")
    return Conversation(runtime.kb, ResilientStore(MemoryStore()), settings)


def say(conv: Conversation, content: str) -> Turn:
    return conv.respond(Message("gh", "openid-q", 1700000000, "text", msg_id=str(next(_ids)), content=content))


def over(app: Flask, *entries: tuple[str, str]) -> Conversation:
    """A conversation over `entries` (question, answer) and the shared OTHER entries."""
    runtime = get_runtime(app)
    add_knowledge(runtime, faqs=[FaqData(question=q, answer=a) for q, a in (*entries, *OTHER)])
    return Conversation(runtime.kb, ResilientStore(MemoryStore()), runtime.settings)


def anew(conv: Conversation) -> Conversation:
    """Another citizen's conversation over the same knowledge base."""
    return Conversation(conv.kb, ResilientStore(MemoryStore()), conv.settings)


def test_after_an_answer_a_follow_up_quotes_that_entry(conv: Conversation) -> None:
    assert say(conv, "残疾人两项补贴怎么申请").kind == "answer_faq"
    turn = say(conv, "需要什么材料")
    assert isinstance(turn.reply, TextReply) and turn.kind == "follow_up_quote" and turn.answered
    assert "申请时需提交身份证、残疾人证和银行卡复印件。" in turn.reply.content
    assert "民政窗口" not in turn.reply.content and "90元" not in turn.reply.content  # that sentence only
    assert "https://zwgk.example.gov.cn/kb/faq-" in turn.reply.content


def test_after_an_answer_asking_who_may_apply_quotes_that_entry(conv: Conversation) -> None:
    say(conv, "残疾人两项补贴怎么申请")
    turn = say(conv, "哪些人可以申请")  # 人 alone names no new topic: a follow-up
    assert isinstance(turn.reply, TextReply) and turn.kind == "follow_up_quote"
    assert "符合条件的残疾人可以申请。" in turn.reply.content and "90元" not in turn.reply.content


@pytest.mark.parametrize(("question", "expected"), [
    ("要带啥", "申请时需提交身份证、残疾人证和银行卡复印件。"),  # 啥: the lexicon's 什么
    ("去哪儿办", "申请人到镇便民服务中心民政窗口办理。"),  # 哪儿: 哪里
    ("每个月能领多少", "审核通过后每月10日前发放，标准为每人每月90元。"),  # names no thing: a follow-up
    ("要多长时间", "审核通过后每月10日前发放，标准为每人每月90元。"),  # jieba's 多长时间 = 多长 + 时间
])
def test_a_colloquial_follow_up_quotes_that_entry(conv: Conversation, question: str, expected: str) -> None:
    say(conv, "残疾人两项补贴怎么申请")
    turn = say(conv, question)
    assert isinstance(turn.reply, TextReply) and turn.kind == "follow_up_quote"
    assert expected in turn.reply.content


def test_a_sentence_naming_what_is_asked_for_wins_over_one_saying_only_what_is_done() -> None:
    doc = Document(
        kind="faq", id=2, title="低保怎么申请",
        body="由家庭成员向镇人民政府提出书面申请（可以委托村委会代为提交）；"
             "所需材料以镇民生服务中心的告知为准。",
    )
    assert quote_for(doc, "要带什么") == "所需材料以镇民生服务中心的告知为准。"  # 材料 over 提交


def test_a_new_question_ends_the_quoting(conv: Conversation) -> None:
    say(conv, "残疾人两项补贴怎么申请")
    say(conv, "宅基地申请流程")
    turn = say(conv, "需要什么材料")  # now about 宅基地, whose entry lists no materials
    assert "残疾人证" not in (turn.reply.content if isinstance(turn.reply, TextReply) else "")


def test_the_sentence_writing_the_asked_word_wins_over_one_with_as_many_cues() -> None:
    doc = Document(
        kind="faq", id=2, title="低保怎么申请",
        body="由家庭成员向镇人民政府提出书面申请（可以委托村委会代为提交）；"
             "所需材料以镇民生服务中心的告知为准。",
    )
    assert quote_for(doc, "要什么材料") == "所需材料以镇民生服务中心的告知为准。"


def test_a_follow_up_the_entry_just_read_does_not_answer_says_so_instead_of_listing_again(app: Flask) -> None:
    conv = over(app, ("农村危房改造怎么申请？", "由农户本人提出申请，经村委会评议并公示，镇政府审核。"),
                ("危房改造的名单公开吗？", "公开。危房改造对象在村里评议后要公示。"))
    assert say(conv, "农村危房改造怎么申请").kind == "answer_faq"
    turn = say(conv, "需要什么材料")
    assert isinstance(turn.reply, TextReply) and turn.kind == "not_found" and not turn.answered
    assert "中没有写明所需材料" in turn.reply.content and "人工" in turn.reply.content
    assert "1." not in turn.reply.content  # not a list of the topic's entries, none of which says it
    assert say(conv, "在哪里办").kind == "follow_up_quote"  # the entry is still what is being asked about



LOW_INCOME = Document(
    kind="faq", id=3, title="低保怎么申请",
    body="由共同生活的家庭成员向户籍所在地的镇人民政府提出书面申请；镇政府组织入户调查并在村里公示。"
         "所需材料以镇民生服务中心的告知为准。",
)


@pytest.fixture(scope="module")
def processor() -> TextProcessor:
    return TextProcessor()


@pytest.mark.parametrize(("question", "case"), [
    ("外地户口可以吗", ["外地", "户籍"]),  # 户口 is read as the lexicon's 户籍
    ("残疾人能申请吗", ["残疾人"]),
    ("租房的行不行", ["租房"]),
    ("离婚了算不算", ["离婚"]),  # names no thing: its other words
])
def test_a_short_yes_no_question_names_the_case_it_asks_about(
        processor: TextProcessor, question: str, case: list[str]) -> None:
    assert condition_words(question, processor.analyze(question)) == case


@pytest.mark.parametrize("question", [
    "外地户口怎么迁入",  # no yes/no ask
    "外地车牌在本市申请新能源汽车补贴可以吗",  # a question of its own: more than three content words
    "可以吗",  # names no case
])
def test_other_questions_name_no_case(processor: TextProcessor, question: str) -> None:
    assert condition_words(question, processor.analyze(question)) == []


def test_the_sentence_writing_the_case_is_quoted_in_any_of_its_written_forms(processor: TextProcessor) -> None:
    quote = condition_quote(LOW_INCOME, ["外地", "户籍"], processor.written_forms)
    assert quote == "由共同生活的家庭成员向户籍所在地的镇人民政府提出书面申请；"


def test_a_case_the_entry_does_not_write_or_only_its_title_writes_quotes_nothing(processor: TextProcessor) -> None:
    assert condition_quote(LOW_INCOME, ["学生"], processor.written_forms) is None
    assert condition_quote(LOW_INCOME, ["最低生活保障"], processor.written_forms) is None  # 低保: the topic itself


def test_after_an_answer_a_yes_no_question_about_a_case_quotes_what_the_entry_says_of_it(app: Flask) -> None:
    conv = over(app, (LOW_INCOME.title, LOW_INCOME.body),
                ("户口迁移怎么办理", "持户口簿和身份证到派出所户籍窗口办理。"))
    assert say(conv, "低保怎么申请").kind == "answer_faq"
    turn = say(conv, "外地户口可以吗")
    assert isinstance(turn.reply, TextReply) and turn.kind == "follow_up_quote" and turn.answered
    assert "「低保怎么申请」中写道" in turn.reply.content and "户籍所在地" in turn.reply.content
    assert "派出所" not in turn.reply.content  # not a new search for 户口
    assert say(conv, "需要什么材料").kind == "follow_up_quote"  # still about the 低保 entry


def test_a_yes_no_question_about_a_case_the_entry_does_not_write_is_searched_anew(app: Flask) -> None:
    conv = over(app, (LOW_INCOME.title, LOW_INCOME.body))
    say(conv, "低保怎么申请")
    turn = say(conv, "退役军人优待证能办吗")
    assert isinstance(turn.reply, TextReply) and turn.kind == "answer_faq"
    assert "退役军人服务站" in turn.reply.content


@pytest.fixture
def fund(app: Flask) -> Conversation:
    return over(app, ("退休人员如何提取住房公积金？", "登录APP选择退休销户，核对账户后点击提交完成申请。"),
                ("离职人员如何提取住房公积金？", "离职满半年的职工持身份证和离职证明办理提取。"),
                ("购房时如何提取住房公积金？", "购房职工持购房合同和发票办理提取。"))


def test_a_follow_up_to_a_list_before_any_entry_was_read_asks_which_entry_it_is_for(fund: Conversation) -> None:
    listed = say(fund, "公积金")
    assert isinstance(listed.reply, TextReply) and listed.kind == "choices"
    turn = say(fund, "需要什么材料")
    assert isinstance(turn.reply, TextReply) and turn.kind == "choices"
    assert turn.reply.content.startswith("所需材料因事项而异，请回复序号查看具体事项")
    assert turn.reply.content.split("\n")[1:] == listed.reply.content.split("\n")[1:]  # same list, same numbers


def test_a_follow_up_the_entry_read_does_not_answer_lists_the_others_saying_so(fund: Conversation) -> None:
    listed = say(fund, "公积金")
    assert isinstance(listed.reply, TextReply)
    number = next(line.split(".")[0] for line in listed.reply.content.splitlines() if "退休人员" in line)
    say(fund, number)
    turn = say(fund, "需要什么材料")  # 提交 alone names no material
    assert isinstance(turn.reply, TextReply)
    assert turn.reply.content.startswith("「退休人员如何提取住房公积金？」中没有写明所需材料")
    assert "退休人员" not in turn.reply.content.split("\n", 1)[1]  # not offered again


def test_a_sentence_naming_only_the_act_is_no_answer() -> None:
    doc = Document(kind="faq", id=4, title="退休人员如何提取公积金",
                   body="登录APP选择退休销户。请核对账户信息，点击提交完成申请。")
    assert quote_for(doc, "需要什么材料") is None  # 提交 names no material


def test_a_short_question_naming_a_thing_unsure_alone_is_read_with_the_topic(app: Flask) -> None:
    conv = over(app, ("退休人员如何提取住房公积金？", "退休人员可在APP办理退休销户提取。"),
                ("离职人员如何提取住房公积金？", "离职满半年的职工持身份证和离职证明办理提取。"),
                ("退休人员养老金怎么调整？", "按国家统一部署每年调整。"),
                ("退休人员医保待遇有哪些？", "退休人员个人账户按月划入。"))
    assert say(anew(conv), "退休人员呢").kind != "answer_faq"  # on its own: which of the 退休人员 entries?
    say(conv, "公积金怎么提取")
    turn = say(conv, "退休人员呢")
    assert isinstance(turn.reply, TextReply) and turn.kind == "answer_faq"
    assert "退休销户提取" in turn.reply.content
    assert turn.decision is not None and turn.decision.narrowed


def test_a_short_question_is_not_read_with_a_topic_no_entry_shares_with_it(app: Flask) -> None:
    conv = over(app, ("退休人员如何提取住房公积金？", "退休人员可在APP办理退休销户提取。"),
                ("退休人员养老金怎么调整？", "按国家统一部署每年调整。"))
    assert say(conv, "结婚登记在哪里办").kind == "answer_faq"
    turn = say(conv, "退休人员呢")  # no entry holds 退休人员 and 结婚 or 登记
    assert turn.decision is not None and not turn.decision.narrowed
    assert isinstance(turn.reply, TextReply) and "婚姻登记处" not in turn.reply.content


def test_a_yes_no_question_asking_for_a_fact_names_no_case(processor: TextProcessor) -> None:
    question = "镇政府电话可以告诉我吗"
    assert condition_words(question, processor.analyze(question)) == []
