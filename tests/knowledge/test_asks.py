"""Long pleas reduced to their asks before search."""

from __future__ import annotations

import pytest

from knowledge.asks import AskReducer, asks_a_question, content_words, is_asking
from knowledge.text import TextProcessor


@pytest.fixture(scope="module")
def reducer() -> AskReducer:
    return AskReducer(TextProcessor().analyze, service_words=["最低生活保障", "低保", "危房改造"])


def test_the_story_around_a_question_is_dropped(reducer: AskReducer) -> None:
    plea = "老伴瘫痪在床，家里没有收入，日子过不下去了。听说有低保，低保要啥材料，去哪办？"
    assert reducer.reduce(plea) == "听说有低保，低保要啥材料，去哪办？"


@pytest.mark.parametrize("story", ["老伴瘫痪在床好几年了", "已经过去几十年了", "几乎天天跑镇上", "哪怕少一点也行"])
def test_an_interrogative_used_as_several_almost_or_even_if_asks_nothing(reducer: AskReducer, story: str) -> None:
    plea = f"{story}，家里没有收入，日子过不下去了。低保要啥材料，去哪办？"
    assert reducer.reduce(plea) == "低保要啥材料，去哪办？"


def test_a_short_question_is_searched_as_it_is(reducer: AskReducer) -> None:
    assert reducer.reduce("低保要啥材料，去哪办？") == "低保要啥材料，去哪办？"


def test_a_message_without_any_ask_is_searched_as_it_is(reducer: AskReducer) -> None:
    story = "老伴瘫痪在床，家里没有收入，日子过不下去了，孩子也在外地打工回不来。"
    assert reducer.reduce(story) == story


def test_service_nouns_keep_a_clause_without_a_question_word(reducer: AskReducer) -> None:
    plea = "房子是八十年代盖的土坯房，去年冬天墙裂了，想申请危房改造，不知道去哪里问"
    assert reducer.reduce(plea) == "想申请危房改造，不知道去哪里问"


@pytest.mark.parametrize("text", ["一个月补多少", "这种算集中出租吗", "打哪个电话问", "公积金能自己交？"])
def test_a_question_word_or_mark_asks_a_question(text: str) -> None:
    assert asks_a_question(text)


@pytest.mark.parametrize("text", ["请求整顿广场不文明经营行为", "投诉小区物业停车收费不合理", "希望加强医院建设"])
def test_requests_and_complaints_ask_no_question(text: str) -> None:
    assert not asks_a_question(text)


@pytest.mark.parametrize("word", ["多长时间", "啥时候", "联系电话", "网上办理"])
def test_a_word_made_of_asking_words_asks_without_naming_anything(word: str) -> None:
    assert is_asking(word) and not content_words([word])


@pytest.mark.parametrize("word", ["工作日", "最低生活保障", "还钱", "几个"])
def test_other_words_name_something(word: str) -> None:
    assert not is_asking(word)  # 还钱: two asking characters can still make a word of their own
