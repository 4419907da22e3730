"""Routing instead of boilerplate: who handles a service, the township's own details,
complaints, other languages and abuse — through the real conversation and knowledge base."""

from __future__ import annotations

import dataclasses
import itertools

import pytest
from flask import Flask

from bot import wording
from bot.config import Township
from bot.conversation import Conversation
from bot.runtime import Runtime, get_runtime
from bot.state import MemoryStore, ResilientStore
from bot.turn import Turn
from bot.wechat.messages import Message
from bot.wechat.replies import TextReply
from knowledge.document import Document, Hit, SearchResult
from knowledge.models import DisclosureItem, FaqEntry
from knowledge.offices import OfficeEntry
from knowledge.policy import AnswerPolicy
from knowledge.spelling import Correction
from tests.support import DIBAO, OTHER

TOWNSHIP = Township(name="金贵镇人民政府", short_name="金贵镇", phone="0951-8000000",
                    address="金贵镇政府一楼便民服务中心", office_hours="工作日 9:00—17:30")
DIRECTORY = [
    OfficeEntry("派出所户籍窗口", ("户口", "户籍", "身份证"), "", "镇派出所一楼", "工作日"),
    OfficeEntry("公安出入境管理部门", ("护照", "港澳通行证"), "12367"),
    OfficeEntry("12345政务服务便民热线", ("投诉", "举报", "噪音"), "12345", "", "全天24小时"),
    OfficeEntry("住房公积金管理中心", ("住房公积金", "公积金贷款"), "12329"),
]
_ids = itertools.count(1)


@pytest.fixture
def conv(app: Flask) -> Conversation:
    runtime: Runtime = get_runtime(app)
    with runtime.db.session() as session:
        for question, answer in DIBAO + OTHER:
            session.add(FaqEntry(question=question, question_key=question, answer=answer))
        runtime.db.bump_kb_version(session)
    runtime.kb.maybe_reload(wait=True)
    settings = dataclasses.replace(runtime.settings, township=TOWNSHIP)
    return Conversation(runtime.kb, ResilientStore(MemoryStore()), settings, offices=lambda: list(DIRECTORY))


def ask(conv: Conversation, content: str, user: str = "openid-r") -> tuple[Turn, str]:
    turn = conv.respond(Message("gh", user, 1700000000, "text", msg_id=str(next(_ids)), content=content))
    assert isinstance(turn.reply, TextReply)
    return turn, turn.reply.content


def test_a_service_the_kb_lacks_is_routed_to_the_office_that_handles_it(conv: Conversation) -> None:
    turn, reply = ask(conv, "护照过期了怎么换")
    assert turn.kind == "routed" and not turn.answered
    assert "一般由公安出入境管理部门办理" in reply and "12367" in reply
    assert wording.NOT_FOUND_REQUEST not in reply  # no 依申请公开 boilerplate


@pytest.mark.parametrize("question", ["公积金", "公积金贷款怎么办", "住房公积金怎么提取"])
def test_a_colloquial_name_of_a_service_reaches_its_office_though_the_kb_lacks_the_official_term(
    app: Flask, conv: Conversation, question: str
) -> None:
    # 公积金 is read as 住房公积金, a word this knowledge base lacks; its part 住房 (住房安全) is
    # not what the citizen wrote, so the 危房改造 entry is no answer to it.
    runtime: Runtime = get_runtime(app)
    with runtime.db.session() as session:
        session.add(FaqEntry(question="农村危房改造怎么申请？", question_key="农村危房改造怎么申请？",
                             answer="重点保障住房安全没有保障的家庭，由农户本人提出申请。"))
        runtime.db.bump_kb_version(session)
    runtime.kb.maybe_reload(wait=True)
    turn, reply = ask(conv, question)
    assert turn.kind == "routed", reply
    assert "一般由住房公积金管理中心办理" in reply and "12329" in reply


def test_an_office_without_phone_also_gives_the_township_contacts(conv: Conversation) -> None:
    _, reply = ask(conv, "身份证丢了去哪补")
    assert "派出所户籍窗口" in reply and "镇派出所一楼" in reply and "0951-8000000" in reply


def test_a_question_the_kb_answers_is_not_routed(conv: Conversation) -> None:
    turn, _ = ask(conv, "高龄津贴怎么申领")
    assert turn.kind == "answer_faq"


def test_a_question_nobody_handles_still_gets_not_found(conv: Conversation) -> None:
    turn, reply = ask(conv, "火星移民签证")
    assert turn.kind == "not_found" and wording.NOT_FOUND in reply


@pytest.mark.parametrize(("question", "expected"), [
    ("镇政府电话多少", "电话：0951-8000000"),
    ("镇政府在哪里", "地址：金贵镇政府一楼便民服务中心"),
    ("你们几点上班", "办公时间：工作日 9:00—17:30"),
    ("能告诉我镇政府的电话吗", "电话：0951-8000000"),  # 告诉 only asks to be told
])
def test_questions_about_the_township_are_answered_from_its_settings(
    conv: Conversation, question: str, expected: str
) -> None:
    turn, reply = ask(conv, question)
    assert turn.kind == "township_info" and turn.answered and expected in reply
    assert reply.index(expected) < len(reply)  # the asked detail is there, not buried in boilerplate


def test_an_unpublished_township_detail_is_said_to_be_unpublished(app: Flask) -> None:
    runtime = get_runtime(app)
    settings = dataclasses.replace(runtime.settings, township=Township(phone=""))
    conv = Conversation(runtime.kb, ResilientStore(MemoryStore()), settings)
    _, reply = ask(conv, "镇政府电话多少")
    assert "联系电话暂未在本平台公布" in reply


def test_a_question_naming_the_township_and_a_topic_goes_to_the_search(conv: Conversation) -> None:
    turn, _ = ask(conv, "镇政府在哪里办低保")
    assert turn.kind != "township_info"


def test_asking_to_be_told_alone_is_no_township_question(conv: Conversation) -> None:
    turn, _ = ask(conv, "能告诉我低保电话吗")
    assert turn.kind != "township_info"  # names no township: 低保 is a topic


def test_a_follow_up_is_read_with_its_topic_not_as_a_township_question(conv: Conversation) -> None:
    ask(conv, "低保在哪里办理", user="openid-f")
    turn, _ = ask(conv, "在哪里", user="openid-f")
    assert turn.kind != "township_info"


def test_a_complaint_gets_the_complaint_route(conv: Conversation) -> None:
    turn, reply = ask(conv, "我要投诉邻居装修")
    assert turn.kind == "complaint" and "12345" in reply and wording.COMPLAINT_INTRO in reply


@pytest.mark.parametrize("message", ["希望增加701路公交车的班次", "请求恢复白石港社区的公共自行车站点",
                                     "反映东方红小学后门下水道堵塞问题", "对卫计系统这次招聘质疑"])
def test_a_request_the_kb_cannot_answer_is_told_where_requests_go_not_about_disclosure_applications(
    conv: Conversation, message: str
) -> None:
    turn, reply = ask(conv, message)
    assert turn.kind == "routed" and not turn.answered, reply
    assert wording.REQUEST_INTRO in reply and "12345" in reply and "金贵镇人民政府" in reply
    assert wording.NOT_FOUND_REQUEST not in reply


def test_a_request_naming_a_service_goes_to_the_office_of_that_service(conv: Conversation) -> None:
    turn, reply = ask(conv, "反映住房公积金提取到账太慢")
    assert turn.kind == "routed" and "一般由住房公积金管理中心办理" in reply and wording.REQUEST_INTRO not in reply


def test_a_request_for_disclosure_keeps_the_disclosure_application_advice(conv: Conversation) -> None:
    turn, reply = ask(conv, "请求公开罗巷集镇规划图")
    assert turn.kind == "not_found" and wording.NOT_FOUND_REQUEST in reply and wording.REQUEST_INTRO not in reply


def test_a_request_to_disclose_a_services_records_keeps_the_disclosure_application_advice(
    conv: Conversation,
) -> None:
    """护照 names a service of the directory, but the citizen asks for information to be disclosed:
    依申请公开 is the way to ask for it, not the office that issues passports."""
    turn, reply = ask(conv, "请求公开本镇护照办理数量")
    assert turn.kind == "not_found" and wording.NOT_FOUND_REQUEST in reply
    assert "一般由公安出入境管理部门办理" not in reply


def test_public_as_an_adverb_does_not_keep_a_service_from_its_office(conv: Conversation) -> None:
    turn, reply = ask(conv, "护照办理进度公开查询在哪")
    assert turn.kind == "routed" and "一般由公安出入境管理部门办理" in reply


def test_a_word_holding_a_request_verb_is_no_request(conv: Conversation) -> None:
    turn, reply = ask(conv, "希望工程是什么")
    assert turn.kind == "not_found" and wording.REQUEST_INTRO not in reply


def test_a_message_in_another_language_gets_a_bilingual_request_for_chinese(conv: Conversation) -> None:
    turn, reply = ask(conv, "Where is the town hall?")
    assert turn.kind == "not_chinese" and "中文" in reply and "Chinese" in reply


def test_abuse_gets_a_calm_reply_without_boilerplate(conv: Conversation) -> None:
    turn, reply = ask(conv, "你们这帮狗官")
    assert turn.kind == "abuse" and reply == wording.ABUSE_REPLY


def test_abuse_with_a_real_question_still_gets_the_answer(conv: Conversation) -> None:
    turn, _ = ask(conv, "高龄津贴怎么申领 你们这帮狗官")
    assert turn.kind == "answer_faq"


@dataclasses.dataclass
class TypoKnowledgeBase:
    """Answers only questions that say 低保; knows that 低宝 is a typo of it."""

    doc = Document(kind="faq", id=1, title="低保标准每月多少钱", body="每人每月560元。")
    policy = AnswerPolicy()
    domain_verbs: frozenset[str] = frozenset()

    def analyze(self, text: str) -> list[str]:
        return [w for w in ("低保", "低宝", "标准") if w in text]

    def search(self, query: str, limit: int = 10) -> SearchResult:
        hits = (Hit(self.doc, 5.0, tuple(self.analyze(query))),)
        return SearchResult(query, tuple(self.analyze(query)), hits, answered="低保" in query)

    def document(self, key: str) -> Document | None:
        return self.doc if key == self.doc.key else None

    def spelling(self, text: str) -> list[Correction]:
        return [Correction("低宝", "低保")] if "低宝" in text else []

    def written_forms(self, term: str) -> tuple[str, ...]:
        return (term,)


def test_a_typo_is_answered_as_the_corrected_question_with_a_note(app: Flask) -> None:
    settings = get_runtime(app).settings
    conv = Conversation(TypoKnowledgeBase(), ResilientStore(MemoryStore()), settings)
    turn, reply = ask(conv, "低宝标准")
    assert turn.kind == "answer_faq" and "560元" in reply and reply.startswith("（已按「低保」理解")
    assert turn.question == "低宝标准"  # the log keeps what the citizen typed


def test_a_typo_whose_corrected_question_gets_a_list_gets_that_list_with_a_note(conv: Conversation) -> None:
    turn, reply = ask(conv, "低宝")  # 低保 alone: seven entries, listed
    assert turn.kind == "choices" and reply.startswith("（已按「低保」理解您的问题）")
    assert "城乡低保怎么申请？" in reply and turn.question == "低宝"


def test_an_unsure_correction_is_offered_as_did_you_mean(conv: Conversation) -> None:
    turn, reply = ask(conv, "低宝和火星移民签证")  # corrected, it still finds only related entries
    assert turn.kind == "not_found" and reply.startswith("您是不是想问「低保」？")


class UnsureTypoKnowledgeBase(TypoKnowledgeBase):
    """Never sure of anything: 低保 finds its entry, but only as related."""

    def search(self, query: str, limit: int = 10) -> SearchResult:
        return dataclasses.replace(super().search(query, limit), answered=False)


def test_a_typo_whose_corrected_question_finds_related_entries_asks_over_them(app: Flask) -> None:
    settings = dataclasses.replace(get_runtime(app).settings, township=TOWNSHIP)
    conv = Conversation(UnsureTypoKnowledgeBase(), ResilientStore(MemoryStore()), settings)
    turn, reply = ask(conv, "低宝")
    assert turn.kind == "not_found" and reply.startswith(wording.DID_YOU_MEAN.format(words="低保"))
    assert "1. 低保标准每月多少钱" in reply  # what the word the citizen meant leads to


class StrayCorrectionKnowledgeBase(TypoKnowledgeBase):
    """Also "corrects" 车想 to 车厢, a word its one entry does not hold."""

    def spelling(self, text: str) -> list[Correction]:
        return [*super().spelling(text), *([Correction("车想", "车厢")] if "车想" in text else [])]


def test_a_note_names_only_the_corrections_the_reply_uses(app: Flask) -> None:
    settings = get_runtime(app).settings
    conv = Conversation(StrayCorrectionKnowledgeBase(), ResilientStore(MemoryStore()), settings)
    turn, reply = ask(conv, "我的车想问低宝标准")
    assert turn.kind == "answer_faq" and reply.startswith("（已按「低保」理解您的问题）\n")
    assert "车厢" not in reply


def test_a_routed_reply_quotes_its_related_items_sentence(app: Flask, conv: Conversation) -> None:
    runtime: Runtime = get_runtime(app)
    with runtime.db.session() as session:
        session.add(DisclosureItem(title="金贵镇2024年便民服务工作总结",
                                   body="全年共受理群众事项3000余件。为群众代办护照等出入境证件120件，平均用时5个工作日。"))
        runtime.db.bump_kb_version(session)
    runtime.kb.maybe_reload(wait=True)
    turn, reply = ask(conv, "护照加急要几天")
    assert turn.kind == "routed" and "一般由公安出入境管理部门办理" in reply, reply
    assert "1. 金贵镇2024年便民服务工作总结" in reply
    assert "\n\n第1条中写道：“" in reply and "护照" in reply.split("中写道")[1]


def test_an_office_listed_without_any_detail_is_named_without_a_dangling_colon(app: Flask) -> None:
    runtime = get_runtime(app)
    settings = dataclasses.replace(runtime.settings, township=Township(name="金贵镇人民政府", phone="",
                                                                      address="", office_hours=""))
    bare = [OfficeEntry("镇便民服务中心", ("危房改造", "高龄津贴"), "", "", "")]
    conv = Conversation(runtime.kb, ResilientStore(MemoryStore()), settings, offices=lambda: bare)
    turn, reply = ask(conv, "危房改造补助多少钱")
    assert turn.kind == "routed", reply
    assert "这件事一般由镇便民服务中心办理。" in reply and "可以在办公时间到金贵镇人民政府咨询。" in reply
    assert not any(line.endswith("：") for line in reply.splitlines()), reply
