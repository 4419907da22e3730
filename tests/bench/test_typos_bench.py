"""The typo benchmark's typos: one character of a topic word, a homophone the bank uses, never a real word."""

from __future__ import annotations

from bench.typos import TypoMaker
from knowledge.spelling import pinyin_key
from knowledge.text import TextProcessor

BANK = ["低保怎么申请？由家庭成员向镇政府提出书面申请。", "宝宝出生后怎么落户？持出生医学证明到派出所办理。",
        "医保怎么报销？凭发票到医保经办机构办理。"]


def test_a_typo_is_a_homophone_of_one_character_of_a_word_the_bank_uses(processor: TextProcessor) -> None:
    typo = TypoMaker(processor, BANK).make("低保怎么申请", 0)
    assert typo is not None and typo.word in {"低保", "申请"}
    assert len(typo.typed) == len(typo.word) and sum(a != b for a, b in zip(typo.word, typo.typed, strict=True)) == 1
    assert pinyin_key(typo.typed) == pinyin_key(typo.word) and processor.segment(typo.typed) != [typo.typed]
    assert typo.mistyped == "低保怎么申请".replace(typo.word, typo.typed)
    assert TypoMaker(processor, BANK).make("低保怎么申请", 0) == typo  # seeded: the same typo every run


def test_a_question_of_only_asking_words_gets_no_typo(processor: TextProcessor) -> None:
    assert TypoMaker(processor, BANK).make("怎么办理", 0) is None
