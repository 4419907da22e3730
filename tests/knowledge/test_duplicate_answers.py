"""One answer held by many entries (the bank imported once per district): one choice, not ten."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from knowledge.document import Assessment, Document, Hit, SearchResult
from knowledge.fielded import FieldedIndex
from knowledge.policy import AnswerPolicy, DecisionKind
from knowledge.search import Searcher
from knowledge.text import TextProcessor

DISTRICTS = ("", "东城区", "西城区", "南湖区", "北山区", "江北区", "河西区", "新城区", "高新区", "滨海区")
TOPICS = [
    ("住房公积金如何提取？", "职工购房、退休或离职时，可持身份证到住房公积金管理中心柜台申请提取住房公积金。"),
    ("住房公积金贷款利率是多少？", "首套住房五年以上的住房公积金贷款年利率为百分之三点一，二套另行规定。"),
    ("如何查询个人住房公积金缴存情况？", "可登录住房公积金网站、手机客户端或拨打12329热线查询个人账户缴存明细。"),
    ("单位如何办理住房公积金开户？", "单位持营业执照和经办人身份证到住房公积金管理中心柜台办理缴存登记开户。"),
    ("住房公积金缴存比例是多少？", "单位和职工的住房公积金缴存比例各为百分之五至百分之十二，由单位自行确定。"),
    ("离职后住房公积金账户怎么转移？", "新单位办理住房公积金缴存登记后，可在网上申请将原住房公积金账户余额转入。"),
]
OTHERS = [
    ("如何申请最低生活保障？", "携带身份证、户口簿到户籍所在地乡镇人民政府提出书面申请，经审核公示后发放。"),
    ("结婚登记在哪里办？", "男女双方持身份证和户口簿到县民政局婚姻登记处共同申请结婚登记。"),
]


def _bank() -> list[Document]:
    docs: list[Document] = []
    for district in DISTRICTS:  # as bench/live.py builds 20,810 entries from the 2,081-entry bank
        for question, answer in TOPICS:
            docs.append(Document(kind="faq", id=len(docs) + 1, title=f"{district}{question}", body=answer))
    for question, answer in OTHERS:
        docs.append(Document(kind="faq", id=len(docs) + 1, title=question, body=answer))
    return docs


@dataclass
class _Knowledge:
    searcher: Searcher

    def analyze(self, text: str) -> list[str]:
        return self.searcher.processor.analyze(text)

    def search(self, query: str, limit: int = 10) -> SearchResult:
        return self.searcher.search(query, limit=limit)


@pytest.fixture(scope="module")
def district_copies(processor: TextProcessor) -> _Knowledge:
    return _Knowledge(Searcher(FieldedIndex(_bank(), processor), processor))


def test_a_broad_topic_word_lists_every_subtopic_once_across_districts(district_copies: _Knowledge) -> None:
    decision = AnswerPolicy().decide("公积金", None, district_copies)
    assert decision.kind is DecisionKind.CHOICES
    answers = [h.doc.body for h in decision.hits]
    assert len(answers) == len(set(answers)) == len(TOPICS)


def test_a_question_asked_in_every_district_is_answered_not_listed_ten_times(district_copies: _Knowledge) -> None:
    decision = AnswerPolicy().decide("住房公积金缴存比例是多少", None, district_copies)
    assert decision.kind is DecisionKind.ANSWER
    assert decision.hits[0].doc.body == TOPICS[4][1]


def test_a_district_named_in_the_question_keeps_that_districts_entry(district_copies: _Knowledge) -> None:
    decision = AnswerPolicy().decide("东城区住房公积金缴存比例是多少", None, district_copies)
    assert decision.hits[0].doc.title.startswith("东城区")
    assert len({h.doc.body for h in decision.hits}) == len(decision.hits)


# -- on hand-made search results ---------------------------------------------------------------


def _hit(i: int, title: str, body: str, score: float) -> Hit:
    return Hit(Document(kind="faq", id=i, title=title, body=body), score, ("低保",))


@dataclass
class _Fixed:
    hits: tuple[Hit, ...]
    asked: list[int]

    def analyze(self, text: str) -> list[str]:
        return ["低保"] if text == "低保" else [c for c in text]

    def search(self, query: str, limit: int = 10) -> SearchResult:
        self.asked.append(limit)
        return SearchResult(query, ("低保",), self.hits[:limit], False, Assessment(0.3, 0.0, 0.3, 0.2, 1.0))


LONG = "携带身份证、户口簿到户籍所在地乡镇人民政府提出书面申请。"


def test_short_answers_such_as_yes_stay_apart_because_they_mean_nothing_without_their_question() -> None:
    hits = (_hit(1, "低保能网上办吗", "可以。", 10.0), _hit(2, "低保能代办吗", "可以。", 9.9))
    decision = AnswerPolicy().decide("低保", None, _Fixed(hits, []))
    assert [h.doc.id for h in decision.hits] == [1, 2]


def test_a_kb_without_repeated_answers_is_searched_once() -> None:
    kb = _Fixed(tuple(_hit(i, f"低保问题{i}", f"{LONG}{i}", 10.0 - i / 100) for i in range(20)), [])
    AnswerPolicy().decide("低保", None, kb)
    assert kb.asked == [15]


def test_a_page_of_copies_is_searched_deeper_for_distinct_answers() -> None:
    copies = [_hit(i, f"区{i}低保怎么申请", LONG, 10.0 - i / 100) for i in range(15)]
    other = [_hit(100 + i, f"低保问题{i}", f"{LONG}{i}", 9.0 - i / 100) for i in range(3)]
    kb = _Fixed((*copies, *other), [])
    decision = AnswerPolicy().decide("低保", None, kb)
    assert kb.asked == [15, 150]
    assert [h.doc.id for h in decision.result.hits] == [0, 100, 101, 102] if decision.result else False

