"""A question's long word the knowledge base lacks is searched as the parts it knows."""

from __future__ import annotations

import pytest

from knowledge.document import Document
from knowledge.fielded import FieldedIndex
from knowledge.search import Searcher
from knowledge.subwords import split_unknown
from knowledge.text import TextProcessor


def _faq(i: int, question: str, answer: str) -> Document:
    return Document(kind="faq", id=i, title=question, body=answer)


# A township's own small bank, its name in most entries as in a real one: one entry says 电话回应
# (never 回应关切), another merely shares the township's name and 情况 with the question below.
BANK = [
    _faq(1, "金贵镇收到过多少信息公开申请？", "2023年金贵镇收到信息公开申请3件，申请情况已在年报中公开。"),
    _faq(2, "群众反映的问题多久有回应？", "金贵镇民生服务中心对群众来电一般在3个工作日内电话回应。"),
    _faq(3, "低保怎么申请？", "向金贵镇人民政府提出书面申请，如实填写家庭收入情况。"),
    _faq(4, "危房改造补助多少钱？", "金贵镇农村危房改造每户补助2万元。"),
    _faq(5, "镇政府在哪里办公？", "金贵镇人民政府在镇区中心路1号。"),
]


@pytest.fixture(scope="module")
def searcher(processor: TextProcessor) -> Searcher:
    return Searcher(FieldedIndex(BANK, processor), processor)


def test_a_dictionary_word_the_knowledge_base_lacks_is_searched_in_its_parts(searcher: Searcher) -> None:
    assert searcher.processor.analyze("回应关切") == ["回应关切"]  # the dictionary keeps it whole
    assert searcher.terms("金贵镇回应关切情况") == ["金贵镇", "回应", "关切", "情况"]


def test_the_part_it_knows_finds_the_entry_that_writes_it(searcher: Searcher) -> None:
    result = searcher.search("金贵镇回应关切情况")
    assert result.hits[0].doc.key == "faq:2"
    assert "回应" in result.hits[0].matched


def test_a_hit_sharing_only_the_place_and_asking_words_is_not_the_answer(searcher: Searcher) -> None:
    result = searcher.search("金贵镇多少钱")  # 危房改造补助多少钱 shares 金贵镇 and 费用, nothing else
    assert result.hits[0].doc.key == "faq:4" and result.assessment.query_coverage == 1.0
    assert not result.answered


def test_a_word_the_knowledge_base_writes_whole_is_searched_whole(processor: TextProcessor) -> None:
    bank = [*BANK, _faq(6, "镇里怎样回应关切？", "对群众关心的问题及时发布解读，回应关切。")]
    searcher = Searcher(FieldedIndex(bank, processor), processor)
    assert searcher.terms("金贵镇回应关切情况") == ["金贵镇", "回应关切", "情况"]
    assert searcher.search("金贵镇回应关切情况").hits[0].doc.key == "faq:6"


def test_a_word_none_of_whose_parts_is_known_stays_whole() -> None:
    known = {"低保"}
    assert split_unknown(["回应关切", "低保"], known.__contains__, lambda w: [w[:2], w[2:]]) == ["回应关切", "低保"]


def test_only_a_word_made_of_words_is_taken_apart(processor: TextProcessor) -> None:
    assert processor.subwords("回应关切") == ["回应", "关切"]
    assert processor.subwords("被车撞") == []  # 被 / 车 / 撞: 车 alone would be searched as 车辆


# Knows 住房 (住房安全), never 住房公积金.
HOUSING = [_faq(1, "农村危房改造怎么申请？", "重点保障住房安全没有保障的家庭。")]


def test_a_word_whose_part_means_the_whole_word_stays_whole(processor: TextProcessor) -> None:
    # 公积金 is read as its official term 住房公积金, which this bank never writes; it cuts into
    # 住房 / 公积金, and 公积金 is read as 住房公积金 again: 住房 alone (in an unrelated answer)
    # is not what the citizen asked.
    searcher = Searcher(FieldedIndex(HOUSING, processor), processor)
    assert searcher.terms("公积金") == ["住房公积金"]
    result = searcher.search("公积金")
    assert not result.answered and all("住房" not in hit.matched for hit in result.hits)


def test_the_official_term_written_whole_stays_whole_too(processor: TextProcessor) -> None:
    searcher = Searcher(FieldedIndex(HOUSING, processor), processor)
    assert searcher.terms("住房公积金怎么提取")[0] == "住房公积金"
    assert not searcher.search("住房公积金怎么提取").answered
