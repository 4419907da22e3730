"""An honest "not found": related entries are offered only as such, and only when they are related."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Flask

from bot import wording
from bot.conversation import Conversation
from bot.runtime import get_runtime
from bot.state import MemoryStore, ResilientStore
from bot.wechat import Message, TextReply
from knowledge.document import Document, Hit, SearchResult
from knowledge.policy import AnswerPolicy

SUBSIDY = Document(kind="faq", id=1, title="农村危房改造补助标准", body="补助按改造方式分档，以县住建局文件为准。")
LAND = Document(kind="faq", id=2, title="宅基地申请流程", body="向村集体经济组织提出申请。")


@dataclass
class UnsureKnowledgeBase:
    """A knowledge base whose search finds hits but never answers with confidence."""

    hits: tuple[Hit, ...]
    terms: dict[str, list[str]] = field(default_factory=dict)
    policy: AnswerPolicy = field(default_factory=AnswerPolicy)
    domain_verbs: frozenset[str] = frozenset()

    def analyze(self, text: str) -> list[str]:
        return self.terms.get(text, list(text))

    def search(self, query: str, limit: int = 10) -> SearchResult:
        return SearchResult(query, tuple(self.analyze(query)), self.hits, answered=False)

    def document(self, key: str) -> Document | None:
        return {doc.key: doc for doc in (SUBSIDY, LAND)}.get(key)

    def spelling(self, text: str) -> list:
        return []

    def written_forms(self, term: str) -> tuple[str, ...]:
        return (term,)


def conversation(app: Flask, kb: UnsureKnowledgeBase) -> Conversation:
    return Conversation(kb, ResilientStore(MemoryStore()), get_runtime(app).settings)


def say(conv: Conversation, text: str, msg_id: str) -> str:
    turn = conv.respond(Message("gh", "openid-n", 1700000000, "text", msg_id=msg_id, content=text))
    assert isinstance(turn.reply, TextReply)
    return turn.reply.content


def test_entries_sharing_most_words_are_offered_under_not_found(app: Flask) -> None:
    kb = UnsureKnowledgeBase(
        hits=(Hit(SUBSIDY, 5.0, ("危房改造", "补助")),),
        terms={"危房改造补助能拿多少": ["危房改造", "补助", "拿"]},
    )
    reply = say(conversation(app, kb), "危房改造补助能拿多少", "1")
    assert reply.startswith(wording.NOT_FOUND_NEAR) and wording.MAYBE_RELATED in reply
    assert "1. 农村危房改造补助标准" in reply


def test_an_offered_entry_opens_by_its_number(app: Flask) -> None:
    kb = UnsureKnowledgeBase(
        hits=(Hit(SUBSIDY, 5.0, ("危房改造", "补助")),),
        terms={"危房改造补助能拿多少": ["危房改造", "补助", "拿"]},
    )
    conv = conversation(app, kb)
    say(conv, "危房改造补助能拿多少", "1")
    assert "以县住建局文件为准" in say(conv, "1", "2")


def test_entries_sharing_only_a_generic_word_are_not_offered(app: Flask) -> None:
    kb = UnsureKnowledgeBase(
        hits=(Hit(LAND, 5.0, ("申请",)),),
        terms={"护照加急申请流程费用": ["护照", "加急", "申请", "流程", "费用"]},
    )
    reply = say(conversation(app, kb), "护照加急申请流程费用", "1")
    assert wording.NOT_FOUND in reply and wording.MAYBE_RELATED not in reply


def test_entries_sharing_only_a_single_character_or_a_place_are_not_offered(app: Flask) -> None:
    kb = UnsureKnowledgeBase(
        hits=(Hit(LAND, 5.0, ("证", "朝阳区")),),
        terms={"朝阳区户口证丢了": ["朝阳区", "户口", "证", "丢"]},
    )
    reply = say(conversation(app, kb), "朝阳区户口证丢了", "1")
    assert wording.NOT_FOUND in reply and wording.MAYBE_RELATED not in reply


def test_a_long_question_is_offered_the_best_guess_whose_title_writes_its_telling_word(app: Flask) -> None:
    """One content word of five is short of the related share; the top hit's own question writes
    that word (`Hit.titled`), so the citizen gets it one tap away instead of a bare "not found"."""
    kb = UnsureKnowledgeBase(
        hits=(Hit(SUBSIDY, 5.0, ("危房改造",), titled=("危房改造",)),),
        terms={"危房改造到底按啥算 我家房子裂缝咋评级": ["危房改造", "算", "房子", "裂缝", "评级"]},
    )
    conv = conversation(app, kb)
    reply = say(conv, "危房改造到底按啥算 我家房子裂缝咋评级", "1")
    assert reply.startswith(wording.NOT_FOUND_NEAR) and wording.MAYBE_RELATED in reply
    assert "1. 农村危房改造补助标准" in reply
    assert "以县住建局文件为准" in say(conv, "1", "2")
