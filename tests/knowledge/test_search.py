"""Searcher: colloquial questions, empty questions and the answered-or-not-found decision."""

from __future__ import annotations

import dataclasses

import pytest

from knowledge.document import Document
from knowledge.fielded import FieldedIndex
from knowledge.policy import AnswerPolicy
from knowledge.search import Searcher
from knowledge.text import TextProcessor
from knowledge.thresholds import DEFAULT_THRESHOLDS


def _faq(i: int, question: str, answer: str) -> Document:
    return Document(kind="faq", id=i, title=question, body=answer)


BANK = [
    _faq(1, "如何申请最低生活保障？", "携带身份证、户口簿到户籍所在地乡镇人民政府提出书面申请，经审核公示后发放。"),
    _faq(2, "基本医疗保险怎么报销？", "在定点医疗机构就医后，凭发票到医保经办机构办理报销。"),
    _faq(3, "农村危房改造补助标准是多少？", "D级危房每户补助2万元，C级危房每户补助1万元。"),
    _faq(4, "临时救助的对象有哪些？", "因火灾、交通事故等意外导致基本生活暂时困难的家庭。"),
    _faq(5, "怎样查询养老金发放情况？", "可通过社会保障卡或手机查询养老金到账情况。"),
    _faq(6, "生育保险待遇包括哪些？", "生育医疗费用和生育津贴。"),
    _faq(7, "住房公积金贷款需要什么条件？", "连续足额缴存住房公积金6个月以上。"),
    _faq(8, "特困人员供养标准是多少？", "按当地最低生活保障标准的1.3倍确定。"),
    Document(
        kind="item",
        id=1,
        title="关于2024年农村危房改造补助资金的公示",
        body="金贵镇危房改造户名单及补助金额。",
        keywords=("危房改造", "补助"),
    ),
]


@pytest.fixture(scope="module")
def searcher(processor) -> Searcher:
    return Searcher(FieldedIndex(BANK, processor), processor)


def test_colloquial_dibao_query_finds_dibao_faq(searcher):
    result = searcher.search("低保咋申请")
    assert result.hits[0].doc.key == "faq:1"


def test_colloquial_dibao_query_is_answered(searcher):
    assert searcher.search("低保咋申请").answered


def test_subsidy_amount_question_finds_the_standard(searcher):
    result = searcher.search("危房改造补助多少钱")
    assert result.hits[0].doc.key in {"faq:3", "item:1"}


def test_lay_wording_finds_official_wording(searcher):
    assert searcher.search("退休金怎麼查").hits[0].doc.key == "faq:5"


def test_abbreviation_finds_full_term(searcher):
    assert searcher.search("公积金贷款要啥条件").hits[0].doc.key == "faq:7"


def test_hits_name_the_matched_official_terms(searcher):
    hit = searcher.search("低保咋申请").hits[0]
    assert "最低生活保障" in hit.matched


def test_result_carries_the_analysed_terms(searcher):
    assert searcher.search("低保咋申请").terms == ("最低生活保障", "如何", "申请")


@pytest.mark.parametrize("query", ["", "   ", "😀😀😀", "？？！", "请问的吗"])
def test_query_without_meaningful_terms_gets_no_hits(searcher, query):
    result = searcher.search(query)
    assert (result.hits, result.answered) == ((), False)


def test_unrelated_question_is_not_answered(searcher):
    assert not searcher.search("火星移民的船票怎么抢").answered


def test_question_only_grazing_a_topic_is_not_answered(searcher):
    assert not searcher.search("身份证丢了在哪补办").answered


def test_identical_entries_do_not_compete_for_the_answer(processor):
    twins = [*BANK, _faq(99, BANK[0].title, BANK[0].body)]
    searcher = Searcher(FieldedIndex(twins, processor), processor)
    assert searcher.search("如何申请最低生活保障").answered


def test_threshold_zero_answers_whatever_the_confidence_when_the_gates_pass(processor):
    index = FieldedIndex(BANK, processor)
    assert not Searcher(index, processor).search("补助 报销 查询").answered
    assert Searcher(index, processor, AnswerPolicy.with_threshold(0.0)).search("补助 报销 查询").answered
    # 身份证 only in the answer of 如何申请最低生活保障: no threshold makes that entry the answer.
    assert not Searcher(index, processor, AnswerPolicy.with_threshold(0.0)).search("身份证丢了在哪补办").answered


def test_limit_caps_the_hits(searcher):
    assert len(searcher.search("补助标准", limit=2).hits) == 2


def test_hits_are_best_first(searcher):
    scores = [h.score for h in searcher.search("危房改造补助标准").hits]
    assert scores == sorted(scores, reverse=True)


def test_index_from_another_lexicon_is_refused(processor, tmp_path):
    lexicon = tmp_path / "lex"
    lexicon.mkdir()
    for name in ("userdict.txt", "synonyms.txt", "stopwords.txt"):
        (lexicon / name).write_text("", encoding="utf-8")
    other = TextProcessor(lexicon)
    with pytest.raises(ValueError):
        Searcher(FieldedIndex(BANK, other), processor)


def test_question_whose_main_words_the_base_never_saw_is_not_answered(searcher):
    # Only 特困/供养-style entries mention old people; 购买, 商业, 保险公司, 理赔 are unknown here.
    result = searcher.search("购买商业保险后保险公司拒绝理赔怎么办")
    assert not result.answered


def test_query_coverage_counts_unseen_words_against_the_best_hit(searcher):
    known = searcher.assess("低保咋申请")[1].query_coverage
    diluted = searcher.assess("低保咋申请 鄱阳湖 龙舟赛 报名")[1].query_coverage
    assert known > 0.9 and diluted < known / 2


def test_a_word_found_only_in_an_answer_does_not_make_that_entry_the_answer(processor) -> None:
    # A small knowledge base like the bundled sample: 户口 (read 户籍) is rare, and only the
    # answer of 特困人员供养怎么申请 mentions it, in passing; the citizen asked about something else.
    bank = [
        _faq(1, "特困人员供养怎么申请？", "由本人向户籍所在地的镇人民政府提出书面申请，经调查核实、公示后审批。"),
        _faq(2, "低保怎么申请？", "由共同生活的家庭成员向镇人民政府提出书面申请。"),
        _faq(3, "危房改造补助多少钱？", "每户补助2万元。"),
        _faq(4, "镇政府都公开哪些信息？", "乡镇动态、政府文件、财政资金和村务公开。"),
    ]
    searcher = Searcher(FieldedIndex(bank, processor), processor)
    result, assessment = searcher.assess("户口")
    assert result.hits[0].doc.id == 1 and result.hits[0].matched == ("户籍",)
    assert assessment.confidence >= searcher.policy.thresholds.answer_threshold  # confident on the answer text
    assert assessment.title_coverage < searcher.policy.thresholds.min_title_coverage
    assert not result.answered


TRAFFIC = [
    _faq(1, "请问参加学法减分有次数限制吗？", "每个记分周期内参加学法减分的次数不超过一次，上限为6分。"),
    _faq(2, "驾驶证记分周期是多久？", "记分周期为12个月，自初次领证之日起计算。"),
    _faq(3, "驾驶证到期怎么换证？", "到车管所办理换证。"),
    # A word is telling when at most 2 % of the entries hold it: 50 more make one entry 1.9 %.
    *(_faq(10 + n, f"第{n}期公告何时发布？", f"第{n}期公告已于当月发布。") for n in range(50)),
]


@pytest.fixture
def unsure(processor) -> Searcher:
    """A searcher that never answers, so every search is one the reply stage decides on."""
    never = AnswerPolicy(dataclasses.replace(DEFAULT_THRESHOLDS, answer_threshold=1.01))
    return Searcher(FieldedIndex(TRAFFIC, processor), processor, never)


def test_an_unsure_top_hit_names_the_telling_words_its_own_question_writes(unsure) -> None:
    top = unsure.search("学法减分的上限是多少").hits[0]
    assert top.doc.id == 1 and set(top.matched) >= {"学法减分", "上限"}
    assert top.titled == ("学法减分",)  # 上限 is only in its answer


def test_a_word_several_entries_hold_is_not_telling(unsure) -> None:
    hits = unsure.search("驾驶证换证要多久").hits
    assert hits[0].doc.id == 3 and "驾驶证" in hits[0].matched
    assert hits[0].titled == ("换证",)
    assert all(h.titled == () for h in hits[1:])  # only the top hit is looked at


def test_an_answered_search_names_no_telling_words(processor) -> None:
    result = Searcher(FieldedIndex(TRAFFIC, processor), processor).search("请问参加学法减分有次数限制吗")
    assert result.answered and all(h.titled == () for h in result.hits)


def test_in_a_small_knowledge_base_no_word_is_telling(processor) -> None:
    never = AnswerPolicy(dataclasses.replace(DEFAULT_THRESHOLDS, answer_threshold=1.01))
    searcher = Searcher(FieldedIndex(TRAFFIC[:3], processor), processor, never)
    assert searcher.search("学法减分的上限是多少").hits[0].titled == ()


def test_the_telling_words_are_not_looked_for_when_the_rule_is_off(processor) -> None:
    off = AnswerPolicy(dataclasses.replace(DEFAULT_THRESHOLDS, answer_threshold=1.01, related_top_share=0))
    searcher = Searcher(FieldedIndex(TRAFFIC, processor), processor, off)
    assert searcher.search("学法减分的上限是多少").hits[0].titled == ()


def test_the_distinct_search_names_the_telling_words_of_its_top_hit_too(unsure) -> None:
    """The conversation searches for distinct answers (`search_distinct`): the same `Hit.titled`."""
    top = unsure.search_distinct("学法减分的上限是多少", 5, 50).hits[0]
    assert top.doc.id == 1 and top.titled == ("学法减分",)


PARKING = [
    _faq(1, "道路停车收费价格是怎么规定的？", "停车场和道路停车位按区域分类收费，一类地区首小时10元。"),
    _faq(2, "国际象棋棋士证书丢失补办", "向市国际象棋协会提交补办申请。"),
    _faq(3, "城市道路排水标准是什么？", "排水管网按三年一遇标准建设。"),
]


def test_a_search_names_the_questions_verbs_that_are_the_knowledge_bases_domain(processor) -> None:
    """停车 is tagged a verb, but a knowledge base that writes 停车场 and 停车位 is about parking
    (`knowledge.topicwords.domain_verbs`); 补办 heads nothing it writes."""
    searcher = Searcher(FieldedIndex(PARKING, processor), processor)
    assert "停车" in searcher.search("路边停车三环以内多少钱").topical
    assert searcher.search_distinct("路边停车三环以内多少钱", 5, 50).topical == ("停车",)
    assert searcher.search("护照丢了怎么补办").topical == ()
