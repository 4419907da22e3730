"""Homophone typos corrected against the knowledge base's own words (pypinyin + edit distance)."""

from __future__ import annotations

import pytest

from knowledge.spelling import Correction, Speller, apply, pinyin_key
from knowledge.text import TextProcessor

WORDS = {"低保": 3.0, "医保": 2.0, "年检": 4.0, "申请": 1.0, "报销": 3.5, "地堡": 9.0, "车辆": 2.5}


@pytest.fixture(scope="module")
def processor() -> TextProcessor:
    return TextProcessor()


@pytest.fixture(scope="module")
def speller() -> Speller:
    return Speller(WORDS)


@pytest.mark.parametrize(("question", "wrong", "right"), [
    ("低宝怎么申请", "低宝", "低保"),
    ("医宝怎么报销", "医宝", "医保"),
    ("车辆年捡在哪里", "年捡", "年检"),
])
def test_a_homophone_typo_is_corrected_to_the_kb_word(processor, speller, question, wrong, right) -> None:
    assert speller.corrections(processor.segment(question)) == [Correction(wrong, right)]


def test_the_most_common_homophone_wins(speller: Speller) -> None:
    assert pinyin_key("地堡") == pinyin_key("低保") and speller._best("低宝") == "低保"


def test_correct_words_and_words_jieba_keeps_whole_are_left_alone(processor, speller) -> None:
    assert speller.corrections(processor.segment("低保怎么申请")) == []
    assert speller.corrections(processor.segment("已经申请了")) == []  # 已经 is one jieba word


def test_a_word_differing_in_pinyin_is_no_correction(processor) -> None:
    assert Speller({"年龄": 1.0}).corrections(processor.segment("车辆年捡")) == []


def test_synonym_variants_are_part_of_the_vocabulary() -> None:
    speller = Speller.from_terms({"最低生活保障": 3.0}, {"低保": "最低生活保障"})
    assert speller._best("低宝") == "低保"


def test_apply_rewrites_the_question() -> None:
    assert apply("低宝怎么申请", [Correction("低宝", "低保")]) == "低保怎么申请"


@pytest.mark.parametrize(("question", "heard"), [
    ("杨行镇村里工程招标", "央行"),  # 杨行 is followed by 镇: the name of a town
    ("咨询B市渌口区挂牌时间", "路口"),
    ("柘林镇的文物保护点", "真的"),  # 镇的: the end of a name and the next word
])
def test_a_stretch_of_a_place_name_is_no_typo(processor: TextProcessor, question: str, heard: str) -> None:
    speller = Speller({heard: 1.0, "低保": 3.0})
    assert speller.corrections(processor.segment(question)) == []
    assert speller.corrections(processor.segment(question + " 低宝")) == [Correction("低宝", "低保")]


def test_a_stretch_across_a_comma_or_a_space_is_no_typo(processor: TextProcessor) -> None:
    speller = Speller({"大概": 1.0, "低保": 3.0})
    tokens = processor.segment("雾特别大，该开什么灯")  # the comma is dropped: 大 / 该 side by side
    assert speller.corrections(tokens) == [Correction("大该", "大概")]
    assert speller.corrections_in("雾特别大，该开什么灯", processor.segment) == []
    assert speller.corrections_in("雾特别大 该开什么灯", processor.segment) == []
    assert speller.corrections_in("雾特别大，低宝怎么申请", processor.segment) == [Correction("低宝", "低保")]
