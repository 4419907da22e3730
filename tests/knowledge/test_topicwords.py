"""Topic words: what a question is about, so "related" suggestions share a topic, not a particle."""

from __future__ import annotations

from knowledge.topicwords import domain_verbs, is_place_name, shares_topic, split_compounds, topic_words

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


def test_words_saying_what_the_citizen_does_with_the_message_are_not_topic_words():
    # "关于办理居住证登记凭证的咨询" against 地下管线配合咨询热线: only 咨询 is shared
    assert topic_words(["居住证", "登记", "凭证", "咨询"], GENERIC) == ["居住证", "凭证"]
    assert not shares_topic(["居住证", "咨询"], ["咨询"], GENERIC)
    assert not shares_topic(["诉求", "停车费"], ["诉求"], GENERIC)
    assert shares_topic(["居住证", "咨询"], ["居住证", "咨询"], GENERIC)


def test_shares_word_counts_verbs_but_not_single_characters_generic_words_or_places() -> None:
    from knowledge.topicwords import shares_word

    generic = {"多少"}
    assert shares_word(["集中", "出租"], ["出租"], generic)
    assert not shares_word(["摆", "多少"], ["摆", "多少"], generic)
    assert not shares_word(["浦东新区", "补贴"], ["浦东新区"], generic)


def test_a_compound_cut_into_characters_is_shared_when_the_entry_writes_it_whole():
    # jieba has no 雾霾: 雾霾天出门 is cut 雾 / 霾 / 天 / 出门, and no topic word is left
    terms = ["雾", "霾", "天", "出门"]
    assert topic_words(terms, GENERIC) == []  # 出门 is tagged a verb
    assert shares_topic(terms, ["雾", "霾"], GENERIC, "雾霾天气如何选择口罩")
    assert not shares_topic(terms, ["雾", "霾"], GENERIC)  # without the entry's text: as before
    assert not shares_topic(terms, ["雾", "霾"], GENERIC, "大雾天气和霾的区别")  # written apart


def test_characters_of_two_place_names_are_no_shared_compound():
    # 毛田村 / 桥坪村: the characters 田 村 meet by chance in a village name
    assert split_compounds(["毛", "田", "村", "修建"], GENERIC) == ["毛田"]
    assert not shares_topic(["毛", "田", "村"], ["田", "村"], GENERIC, "田村的排水")


def test_generic_characters_make_no_compound():
    assert split_compounds(["办", "证"], frozenset({"办"})) == []


def test_a_rare_verb_heading_a_thing_the_knowledge_base_names_is_a_domain_verb():
    vocabulary = ["停车场", "停车位", "排水管", "溺水者", "国际象棋", "丢失", "补办", "挂失", "注意事项", "咨询台"]
    assert domain_verbs(vocabulary) == {"停车", "排水", "溺水"}  # 注意 is common; 丢失/补办/挂失 head nothing


def test_a_verb_the_knowledge_base_names_no_thing_by_is_no_domain_verb():
    assert domain_verbs(["停车", "收费", "排水"]) == frozenset()  # the verbs alone: no 停车场, no 排水管
    assert domain_verbs(["朝阳区"]) == frozenset()


def test_a_domain_verb_of_the_knowledge_base_is_a_topic_word():
    terms = ["路边", "停车", "怎么", "收费"]
    assert "停车" not in topic_words(terms, GENERIC)  # jieba tags it a verb
    assert "停车" in topic_words(terms, GENERIC, {"停车"})
    assert not shares_topic(terms, ["停车"], GENERIC)
    assert shares_topic(terms, ["停车"], GENERIC, domain={"停车"})
    assert not shares_topic(["护照", "丢失", "补办"], ["丢失", "补办"], GENERIC, domain={"停车"})
