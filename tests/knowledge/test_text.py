"""TextProcessor: normalisation, segmentation, lexicon mappings and stopwords."""

from __future__ import annotations

import re

import pytest

from knowledge.text import TextProcessor


def _write_lexicon(directory, userdict="", synonyms="", stopwords=""):
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "userdict.txt").write_text(userdict, encoding="utf-8")
    (directory / "synonyms.txt").write_text(synonyms, encoding="utf-8")
    (directory / "stopwords.txt").write_text(stopwords, encoding="utf-8")
    return directory


def test_fullwidth_traditional_and_case_are_folded(processor):
    assert processor.normalize("ＥＴＣ卡  怎麼辦理？") == "etc卡 怎么办理?"


def test_colloquial_dibao_becomes_the_official_term(processor):
    terms = processor.analyze("低保咋申请")
    assert terms == ["最低生活保障", "如何", "申请"]


def test_document_and_question_wording_meet_on_one_term(processor):
    assert set(processor.analyze("退休金")) == set(processor.analyze("养老金"))


def test_meaning_bearing_words_survive_stopword_removal(processor):
    terms = processor.analyze("请问申请低保需要什么材料和条件，补助标准是多少？")
    assert {"申请", "材料", "条件", "多少", "需要"} <= set(terms)


def test_function_words_and_pleasantries_are_dropped(processor):
    assert processor.analyze("请问我的吗？谢谢你啊") == []


@pytest.mark.parametrize("text", ["", "   ", "😀😀", "？？！！…", "#*&"])
def test_emoji_and_punctuation_give_no_terms(processor, text):
    assert processor.analyze(text) == []


def test_local_place_names_and_policy_terms_stay_whole(processor):
    terms = processor.analyze("金贵镇的危房改造和双随机一公开")
    assert {"金贵镇", "危房改造", "双随机一公开"} <= set(terms)


@pytest.mark.parametrize(
    "text",
    [
        "贺兰县金贵镇2018年政务公开工作总结暨2019年工作计划",
        "12123密码忘了，原来的手机号也不用了，怎么办？",
        "H7N9禽流感 和 MERS 病毒的传播途径 3.5 万元",
        "北京市体育局关于废止部分规范性文件的通知",
    ],
)
def test_segmentation_equals_jieba_precise_mode(processor, text):
    # jieba's precise mode over the normalised text, punctuation dropped, then the lexicon's
    # synonyms and stopwords: the fast path (`_cut_block`) must not change a single term.
    words = [w for w in processor._tokenizer.cut(processor.normalize(text), HMM=False) if re.search(r"[^\W_]", w)]
    expected = [w for w in (processor.synonyms.get(w, w) for w in words) if w not in processor.stopwords]
    assert processor.analyze(text) == expected


def test_characters_split_chinese_words_and_keep_latin_whole(processor):
    assert processor.characters(["大雾", "etc", "12123"]) == ["大", "雾", "etc", "12123"]


def test_custom_lexicon_maps_synonyms_and_ignores_comments(tmp_path):
    lexicon = _write_lexicon(
        tmp_path / "lex",
        userdict="# 注释 comment\n西夏区 \n",
        synonyms="# canonical first\n机动车驾驶证 驾照 车本\n",
        stopwords="# none\n一下\n",
    )
    processor = TextProcessor(lexicon)
    assert processor.analyze("西夏区换驾照一下") == ["西夏区", "换", "机动车驾驶证"]


def test_lexicon_version_changes_when_a_file_changes(tmp_path):
    lexicon = _write_lexicon(tmp_path / "lex", synonyms="最低生活保障 低保\n")
    before = TextProcessor(lexicon).lexicon_version
    (lexicon / "stopwords.txt").write_text("的\n", encoding="utf-8")
    assert TextProcessor(lexicon).lexicon_version != before


def test_analyze_many_equals_analyze_text_by_text(processor):
    texts = [
        "低保咋申请？低保咋申请，补助标准是多少？",
        "請問低保咋申請",
        "",
        "H7N9禽流感 和 MERS 病毒的传播途径 3.5 万元",
        "低保咋申请？",
        "🙂🙂",
        "西夏区换驾照一下",
    ]
    assert list(processor.analyze_many(texts)) == [processor.analyze(t) for t in texts]
