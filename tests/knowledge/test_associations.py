"""Term associations learned from question/answer pairs, and the optional second pass of the search."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from knowledge.associations import AssociationSettings, Expansion, TermAssociations, combine, feedback_terms
from knowledge.decision import DecisionKind
from knowledge.document import Assessment, Document, Hit, SearchResult
from knowledge.fielded import FieldedIndex
from knowledge.policy import AnswerPolicy
from knowledge.search import Searcher
from knowledge.text import TextProcessor

LOOSE = AssociationSettings(min_pairs=2, min_npmi=0.0)


def test_words_that_keep_meeting_across_question_and_answer_are_associated_both_ways() -> None:
    pairs = [(["招牌", "拆除"], ["牌匾", "设置", "责任"]), (["招牌", "更换"], ["牌匾", "申请"]), (["低保"], ["救助"])]
    model = TermAssociations.learn(pairs, LOOSE)
    assert "牌匾" in dict(model.partners["招牌"])
    assert "招牌" in dict(model.partners["牌匾"])


def test_a_pair_seen_in_one_entry_only_is_chance_and_not_learned() -> None:
    pairs = [(["招牌", "拆除"], ["牌匾", "设置"]), (["低保"], ["救助"])]
    assert TermAssociations.learn(pairs, LOOSE).partners.get("招牌") is None


def test_expansion_leaves_out_the_question_words_and_keeps_the_strongest() -> None:
    model = TermAssociations({"招牌": (("牌匾", 0.9), ("拆除", 0.8)), "拆除": (("责任", 0.5),)})
    assert model.expand(["招牌", "拆除"], limit=1) == {"牌匾": 0.9}
    assert model.expand(["招牌", "拆除"], limit=5) == {"牌匾": 0.9, "责任": 0.5}


def test_feedback_terms_weigh_title_words_by_idf_and_skip_the_question() -> None:
    idf = {"牌匾": 4.0, "标识": 2.0, "低保": 3.0}.get
    terms = feedback_terms([["牌匾", "标识"], ["牌匾"]], lambda w: idf(w) or 0.0, ["标识"], limit=5)
    assert terms == {"牌匾": 1.0}


def test_the_second_pass_only_reorders_the_first_pass_candidates() -> None:
    total = combine({1: 10.0, 2: 9.0}, [(1.0, {2: 20.0, 3: 50.0})], beta=0.2)
    assert total == {1: 10.0, 2: 13.0}


FILLER = [
    Document("faq", 10 + i, title, body)
    for i, (title, body) in enumerate([
        ("结婚登记在哪里办", "到县民政局婚姻登记处办理。"),
        ("医保怎么报销", "凭发票到医保经办机构报销。"),
        ("危房改造补助标准", "D级危房每户补助2万元。"),
        ("养老金怎么查询", "可通过社会保障卡查询。"),
        ("临时救助对象", "因意外导致生活困难的家庭。"),
        ("生育保险待遇", "生育医疗费用和生育津贴。"),
    ])
]


def test_an_associated_answer_word_lifts_the_entry_that_uses_it(processor: TextProcessor) -> None:
    docs = [
        Document("faq", 1, "店铺招牌的设置规定", "店铺门头招牌应当规范设置。"),
        Document("faq", 2, "牌匾标识载体所有人的责任", "牌匾标识载体所有人负责维护、拆除破损的牌匾标识。"),
        *FILLER,
    ]
    index = FieldedIndex(docs, processor)
    plain = Searcher(index, processor).search("店铺搬走了招牌谁来拆")
    model = TermAssociations({"招牌": (("牌匾标识", 1.0), ("载体", 1.0))})
    expanded = Searcher(index, processor, expansion=Expansion(model, dataclasses.replace(LOOSE, beta=1.0)))
    result = expanded.search("店铺搬走了招牌谁来拆")
    assert plain.hits[0].doc.id == 1 and result.hits[0].doc.id == 2
    assert set(result.hits[0].matched) <= set(result.terms)  # credited only with the question's own words


def test_without_an_expansion_the_search_is_unchanged(processor: TextProcessor) -> None:
    docs = [Document("faq", i, f"问题{i}低保", "到乡镇人民政府申请。" * i) for i in range(1, 6)]
    index = FieldedIndex(docs, processor)
    empty = Expansion(TermAssociations({}), LOOSE)
    a, b = Searcher(index, processor).search("低保"), Searcher(index, processor, expansion=empty).search("低保")
    assert [(h.doc.id, h.score) for h in a.hits] == [(h.doc.id, h.score) for h in b.hits]
    assert a.assessment == b.assessment


def test_learning_from_documents_pairs_every_similar_question_with_the_answer(processor: TextProcessor) -> None:
    docs = [
        Document("faq", 1, "低保怎么申请", "向乡镇人民政府提出救助申请。", similar=("低保去哪办",)),
        Document("faq", 2, "低保标准是多少", "救助标准按当地规定。"),
    ]
    model = TermAssociations.from_documents(docs, processor.analyze, LOOSE)
    dibao = processor.analyze("低保")[0]  # the lexicon's official term
    assert "救助" in dict(model.partners.get(dibao, ()))


def test_soft_matching_credits_unanswered_hits_with_words_whose_associate_they_hold(processor: TextProcessor) -> None:
    docs = [
        Document("faq", 1, "店铺招牌的设置规定", "店铺门头招牌应当规范设置。"),
        Document("faq", 2, "牌匾标识载体所有人的责任", "牌匾标识载体所有人负责维护牌匾标识。"),
        *FILLER,
    ]
    index = FieldedIndex(docs, processor)
    model = TermAssociations({"招牌": (("牌匾", 1.0),)})
    settings = dataclasses.replace(LOOSE, beta=0.0, soft_match=True)
    unsure = AnswerPolicy.with_threshold(1.01)  # the reply stage decides: the search never answers
    plain = Searcher(index, processor, unsure).search("招牌谁来维护")
    soft = Searcher(index, processor, unsure, Expansion(model, settings)).search("招牌谁来维护")
    assert [h.doc.id for h in soft.hits] == [h.doc.id for h in plain.hits]  # the ranking is untouched
    assert soft.assessment == plain.assessment
    by_id = {h.doc.id: h for h in soft.hits}
    assert by_id[2].associated == ("招牌",) and "招牌" not in by_id[2].matched
    assert all(not h.associated for h in plain.hits)


def test_an_associate_counts_towards_the_share_but_never_as_the_shared_topic_word() -> None:
    terms = {"户口本 补办": ["户口本", "补办"]}
    doc = Document(kind="faq", id=1, title="救助申请", body="携带身份证到户籍所在地派出所申请。")

    @dataclass
    class _One:
        hit: Hit

        def analyze(self, text: str) -> list[str]:
            return terms.get(text, [text])

        def search(self, query: str, limit: int = 10) -> SearchResult:
            unsure = Assessment(0.3, 0.0, 0.3, 0.2, 1.0)
            return SearchResult(query, tuple(self.analyze(query)), (self.hit,), False, unsure)

    only_associate = _One(Hit(doc, 5.0, (), ("户口本",)))
    assert AnswerPolicy().decide("户口本 补办", None, only_associate).kind is DecisionKind.NOT_FOUND
    with_topic = _One(Hit(doc, 5.0, ("户口本",), ("补办",)))
    assert AnswerPolicy().decide("户口本 补办", None, with_topic).kind is DecisionKind.RELATED


def test_a_knowledge_base_of_one_entry_learns_nothing_and_warns_nothing() -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = TermAssociations.learn([(["低保", "救助"], ["低保", "救助"])], LOOSE)  # the pair both ways
    assert len(model) == 0
