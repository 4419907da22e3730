"""One answer held by many entries (the bank imported once per district): one choice, not ten."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import overload

import numpy as np
import pytest

from knowledge import placeframe, timeframe
from knowledge.base import KnowledgeBase
from knowledge.decision import Decision, DecisionKind
from knowledge.document import NO_GROUP, Assessment, Document, Hit, SearchResult, answer_group
from knowledge.editor import KbEditor
from knowledge.fielded import FieldedIndex
from knowledge.kinds import KindIndex
from knowledge.policy import AnswerPolicy, DistinctSearchable
from knowledge.search import Searcher
from knowledge.served import SharedIndex
from knowledge.store import Store
from knowledge.text import TextProcessor
from knowledge.validation import FaqData, ItemData

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


def test_sibling_items_with_the_same_clause_are_each_their_own_answer_and_not_searched_deeper() -> None:
    """Two 街道 publish the same 办法: a passage reads alike, but the notices are chosen by their
    title, place and date, as the index's answer groups keep them (`answer_of`)."""
    items = tuple(Hit(Document(kind="item", id=i, title=f"{street}低保救助办法", body=LONG), 10.0 - i / 100, ("低保",))
                  for i, street in enumerate(["新华路街道", "江川路街道", "虹桥镇", "华漕镇", "七宝镇"] * 3))
    kb = _Fixed(items, [])
    decision = AnswerPolicy().decide("低保", None, kb)
    assert kb.asked == [15]
    assert decision.result is not None and len(decision.result.hits) == 15


# -- inside the index: repeated answers dropped from the score arrays -------------------------

QUESTIONS = ["公积金", "住房公积金怎么提取", "东城区住房公积金缴存比例是多少", "公积金贷款利率", "怎么申请低保",
             "结婚登记", "滨海区公积金开户", "住房公积金查询", "公积金转移", "离职"]


@dataclass
class _Plain:
    """A knowledge base without `search_distinct`: the policy searches ten times deeper itself
    (the reference the index's own deduplication must match)."""

    kb: DistinctSearchable

    def analyze(self, text: str) -> list[str]:
        return self.kb.analyze(text)

    def search(self, query: str, limit: int = 10) -> SearchResult:
        return self.kb.search(query, limit=limit)


@dataclass
class _Framed(_Knowledge):
    """`_Knowledge` with the filters the served knowledge base applies after a search."""

    def search(self, query: str, limit: int = 10) -> SearchResult:
        return placeframe.apply(timeframe.apply(self.searcher.search(query, limit=limit)))

    def search_distinct(self, query: str, limit: int, within: int) -> SearchResult:
        whole = bool(timeframe.parse(query, datetime.date.today()))
        return placeframe.apply(timeframe.apply(self.searcher.search_distinct(query, limit, within, whole=whole)))


def _same_decisions(kb: DistinctSearchable, questions: Sequence[str]) -> None:
    assert isinstance(kb, DistinctSearchable) and not isinstance(_Plain(kb), DistinctSearchable)
    for question in questions:
        ours, reference = AnswerPolicy().decide(question, None, kb), AnswerPolicy().decide(question, None, _Plain(kb))
        assert _summary(ours) == _summary(reference), question


def _summary(decision: Decision) -> tuple[object, ...]:
    result = decision.result
    assert result is not None
    hits = [(h.doc.key, h.score, h.matched, h.associated) for h in result.hits]
    return decision.kind, decision.reason, [h.doc.key for h in decision.hits], hits, result.answered, result.assessment


def test_entries_with_one_answer_share_a_group_and_items_and_short_answers_have_none() -> None:
    a = Document(kind="faq", id=1, title="东城区公积金怎么提取", body=TOPICS[0][1])
    spaced = Document(kind="faq", id=2, title="西城区公积金怎么提取", body=f" {TOPICS[0][1][:9]}\n{TOPICS[0][1][9:]} ")
    other = Document(kind="faq", id=3, title="公积金贷款利率", body=TOPICS[1][1])
    short = Document(kind="faq", id=4, title="能网上办吗", body="可以。")
    item = Document(kind="item", id=5, title="公积金提取办法", body=TOPICS[0][1])
    assert answer_group(a) == answer_group(spaced) != answer_group(other)
    assert answer_group(a) >= 0 and answer_group(short) == answer_group(item) == NO_GROUP


def test_the_deep_search_inside_the_index_decides_as_the_policys_own(district_copies: _Knowledge) -> None:
    kb = _Framed(district_copies.searcher)
    _same_decisions(kb, QUESTIONS)
    deep = kb.search_distinct("公积金", 3, 150)
    assert len(deep.hits) == 3 and len({h.doc.body for h in deep.hits}) == 3


class _Counting(Sequence[Document]):
    """Documents that count how many are read (a mapped build decodes each one)."""

    def __init__(self, docs: Sequence[Document]) -> None:
        self.docs, self.reads = docs, 0

    def __len__(self) -> int:
        return len(self.docs)

    @overload
    def __getitem__(self, i: int) -> Document: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[Document]: ...
    def __getitem__(self, i: int | slice) -> Document | Sequence[Document]:
        self.reads += 1
        return self.docs[i]


def test_the_deep_search_reads_the_shown_page_not_every_copy(processor: TextProcessor) -> None:
    docs = [Document(kind="faq", id=n * 100 + t, title=f"{d}住房公积金问题{t}", body=f"{TOPICS[0][1]}（{t}）")
            for n, d in enumerate(DISTRICTS) for t in range(30)]
    index = KindIndex(docs, processor)  # as served: a mapped build decodes every document read
    counting = _Counting(index.documents)
    index.documents = index.parts[0].documents = counting
    searcher = Searcher(index, processor)
    deep = searcher.search_distinct("住房公积金", 15, 150)
    assert len(deep.hits) == 15 and len({h.doc.body for h in deep.hits}) == 15
    # the page, and the copies of the best hit passed over to find the runner-up for `margin`
    assert counting.reads <= 15 + len(DISTRICTS)
    counting.reads = 0
    assert len(searcher.search("住房公积金", 150).hits) == 150 and counting.reads >= 150


def test_items_are_never_dropped_for_an_faq_entrys_answer_and_a_year_still_picks_its_item(
        processor: TextProcessor) -> None:
    notice = "本区最低生活保障标准自当年一月一日起调整为每人每月一千三百九十五元，请符合条件的居民申请。"
    faq = [Document(kind="faq", id=len(DISTRICTS) * t + n + 1, title=f"{d}最低生活保障标准是多少{t}", body=notice)
           for t in range(2) for n, d in enumerate(DISTRICTS)]
    items = [Document(kind="item", id=year, title=f"{year}年最低生活保障标准调整公示", body=notice,
                      published=datetime.date(year, 6, 1), publisher="北山区民政局") for year in range(2015, 2022)]
    kb = _Framed(Searcher(KindIndex([*faq, *items], processor), processor))
    _same_decisions(kb, ["最低生活保障标准", "2018年最低生活保障标准", "最新的最低生活保障标准公示",
                         "北山区最低生活保障标准"])
    decision = AnswerPolicy().decide("2018年最低生活保障标准公示", None, kb)
    assert decision.result is not None and [h.doc.id for h in decision.result.hits if h.doc.kind == "item"] == [2018]


def test_latest_brings_forward_items_ranked_below_the_shown_page(processor: TextProcessor) -> None:
    notice = "最低生活保障标准调整为每人每月一千三百九十五元，请符合条件的居民到街道申请。"
    faq = [Document(kind="faq", id=100 * copy + t + 1, title=f"最低生活保障标准{t}", body=f"{notice}（{t}）")
           for t in range(20) for copy in range(2)]  # 20 answers twice: the page holds copies
    faq += [Document(kind="faq", id=1000 + i, title=f"{OTHERS[1][0]}{i}", body=f"{OTHERS[1][1]}{i}") for i in range(80)]
    items = [Document(kind="item", id=year, title=f"{year}年最低生活保障标准公示", published=datetime.date(year, 6, 1),
                      body=f"最低生活保障标准调整公示，标准为每人每月{year}元。") for year in range(2015, 2018)]
    kb = _Framed(Searcher(KindIndex([*faq, *items], processor), processor))
    assert [h.doc.kind for h in kb.search("最低生活保障标准", 15).hits] == ["faq"] * 15  # the items rank 41st-43rd
    _same_decisions(kb, ["最新的最低生活保障标准", "最低生活保障标准"])
    latest = AnswerPolicy().decide("最新的最低生活保障标准", None, kb)
    assert [h.doc.key for h in latest.hits[:3]] == ["item:2017", "item:2016", "item:2015"]


def test_a_shared_build_and_its_delta_keep_one_entry_per_answer(
        store: Store, processor: TextProcessor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    editor = KbEditor(store, editor="test")
    ids = [editor.save_faq(FaqData(question=doc.title, answer=doc.body)).row.id for doc in _bank()]
    editor.save_item(ItemData(title="住房公积金缴存办法", body=TOPICS[4][1], keywords="公积金 缴存"))
    kb = KnowledgeBase(store, processor, index_dir=tmp_path / "index")
    kb.load()
    shared = kb.snapshot.shared
    assert shared is not None
    groups = shared.index.answer_groups(np.arange(len(ids)))
    assert len(set(groups.tolist())) == len(TOPICS) + len(OTHERS)
    _same_decisions(kb, QUESTIONS)
    monkeypatch.setattr(SharedIndex, "complete", lambda self, pending: False)  # another process is building
    own = FaqData(question="北山区住房公积金如何提取？", answer="北山区职工可在网上申请提取住房公积金，当日到账。")
    editor.save_faq(own, faq_id=ids[4 * len(TOPICS)])  # one district's copy gets its own answer
    editor.save_faq(FaqData(question="海港区住房公积金如何提取？", answer=TOPICS[0][1]))  # a new copy of an answer
    editor.save_item(ItemData(title="住房公积金提取办法", body=TOPICS[0][1], keywords="公积金 提取"))
    kb.refresh()
    assert kb.snapshot.pending is not None
    _same_decisions(kb, [*QUESTIONS, "北山区住房公积金如何提取", "海港区住房公积金如何提取"])
    bodies = [h.doc.body for h in kb.decide("住房公积金提取").hits if h.doc.kind == "faq"]
    assert bodies.count(TOPICS[0][1]) <= 1
