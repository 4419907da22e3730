"""Topic words: what a question is about, so "related" suggestions share a topic, not a particle."""

from __future__ import annotations

from knowledge.topicwords import is_place_name, shares_topic, topic_words

GENERIC = frozenset({"怎么", "办理", "材料", "申请"})


def test_single_characters_generic_words_and_places_are_not_topic_words():
    terms = ["证", "办理", "朝阳区", "金贵镇", "居住证", "申请"]
    assert topic_words(terms, GENERIC) == ["居住证"]


def test_place_names_come_from_jieba_tags_and_administrative_suffixes():
    assert is_place_name("海淀")  # tagged ns in jieba's dictionary
    assert is_place_name("贺兰县")
    assert is_place_name("某某街道")  # suffix rule for names jieba does not know
    assert not is_place_name("居住证")


def test_sharing_only_a_district_and_a_single_character_is_not_related():
    assert not shares_topic(["朝阳区", "户口", "证"], ["朝阳区", "证"], GENERIC)
    assert shares_topic(["朝阳区", "户口", "证"], ["户口"], GENERIC)


def test_a_question_without_topic_words_has_no_related_entries():
    assert not shares_topic(["申请", "证"], ["申请", "证"], GENERIC)


def test_sharing_only_verbs_is_not_related():
    # 护照丢了怎么补办 against 国际象棋棋士证书丢失补办: only the verbs are shared
    assert topic_words(["护照", "丢失", "补办"], GENERIC) == ["护照"]
    assert not shares_topic(["护照", "丢失", "补办"], ["丢失", "补办"], GENERIC)


def test_shares_word_counts_verbs_but_not_single_characters_generic_words_or_places() -> None:
    from knowledge.topicwords import shares_word

    generic = {"多少"}
    assert shares_word(["集中", "出租"], ["出租"], generic)
    assert not shares_word(["摆", "多少"], ["摆", "多少"], generic)
    assert not shares_word(["浦东新区", "补贴"], ["浦东新区"], generic)
