"""The answer policy: every decision kind and reason, on hand-made search results."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import pytest

from knowledge.decision import Decision, DecisionKind, Reason
from knowledge.document import Assessment, Document, Hit, SearchResult
from knowledge.policy import AnswerPolicy
from knowledge.thresholds import DEFAULT_THRESHOLDS

A = Document(kind="faq", id=1, title="低保怎么申请", body="向村委会提出申请。")
B = Document(kind="faq", id=2, title="低保申请条件", body="家庭收入低于当地标准。")
C = Document(kind="faq", id=3, title="结婚登记在哪里办", body="到县民政局婚姻登记处。")
SURE = Assessment(0.9, 0.8, 0.9, 0.9, 1.0)
UNSURE = Assessment(0.3, 0.01, 0.3, 0.2, 1.0)
# Confident, but the runner-up scores 0.8 of the top hit and the question covers little of its title.
RIVALLED = Assessment(0.5, 0.2, 0.3, 0.6, 1.0)


@dataclass
class FakeKnowledge:
    """Analysis by a fixed table (else the table's words where a text writes them, and one term
    per character between), and a search that returns the hits it was given and records what it
    was asked."""

    hits: tuple[Hit, ...]
    answered: bool
    terms: dict[str, list[str]] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)
    assessment: Assessment | None = None  # default: SURE when answered, else UNSURE
    topical: tuple[str, ...] = ()  # `SearchResult.topical`: the question's domain verbs

    def analyze(self, text: str) -> list[str]:
        if text in self.terms:
            return self.terms[text]
        words = sorted({w for ws in self.terms.values() for w in ws if len(w) > 1}, key=len, reverse=True)
        out, i = [], 0
        while i < len(text):  # the table's words where the text writes them (an entry's title), else characters
            word = next((w for w in words if text.startswith(w, i)), text[i])
            if word.strip():
                out.append(word)
            i += len(word)
        return out

    def search(self, query: str, limit: int = 10) -> SearchResult:
        self.asked.append(query)
        assessment = self.assessment or (SURE if self.answered else UNSURE)
        return SearchResult(query, tuple(self.analyze(query)), self.hits[:limit], self.answered, assessment,
                            self.topical)


def decide(kb: FakeKnowledge, question: str, topic: str | None = None, **thresholds: Any) -> Decision:
    policy = AnswerPolicy(dataclasses.replace(DEFAULT_THRESHOLDS, **thresholds))
    return policy.decide(question, topic, kb)


TERMS = {"低保怎么申请": ["低保", "怎么", "申请"], "低保": ["低保"], "护照": ["护照"], "材料": ["材料"]}


def test_a_question_without_terms_is_empty_and_nothing_is_searched() -> None:
    kb = FakeKnowledge((), answered=False, terms={"？": []})
    decision = decide(kb, "？")
    assert decision.kind is DecisionKind.EMPTY and decision.reason is Reason.NO_TERMS and kb.asked == []


def test_no_hits_is_not_found() -> None:
    decision = decide(FakeKnowledge((), answered=False, terms=TERMS), "护照")
    assert (decision.kind, decision.reason, decision.hits) == (DecisionKind.NOT_FOUND, Reason.NO_HITS, ())


def test_a_confident_search_with_one_good_hit_is_answered() -> None:
    kb = FakeKnowledge((Hit(A, 10.0, ("低保", "申请")), Hit(C, 2.0, ("申请",))), answered=True, terms=TERMS)
    decision = decide(kb, "低保")
    assert decision.kind is DecisionKind.ANSWER and decision.reason is Reason.CONFIDENT_SINGLE
    assert [h.doc for h in decision.hits] == [A] and decision.offered


def test_a_confident_search_with_close_rivals_is_a_list() -> None:
    kb = FakeKnowledge((Hit(A, 10.0, ("低保",)), Hit(B, 8.0, ("低保",)), Hit(C, 2.0, ())), answered=True, terms=TERMS,
                       assessment=RIVALLED)
    decision = decide(kb, "低保")
    assert decision.kind is DecisionKind.CHOICES and decision.reason is Reason.CONFIDENT_SEVERAL
    assert [h.doc for h in decision.hits] == [A, B]


def test_close_rivals_are_skipped_when_the_direct_answer_confidence_is_high_enough() -> None:
    hits = (Hit(A, 10.0, ("低保",)), Hit(B, 8.0, ("低保",)), Hit(C, 2.0, ()))
    kb = FakeKnowledge(hits, answered=True, terms=TERMS, assessment=RIVALLED)
    decision = decide(kb, "低保", direct_threshold=0.0, direct_min_title=0.0)
    assert decision.kind is DecisionKind.ANSWER and decision.reason is Reason.CONFIDENT_DIRECT
    assert [h.doc for h in decision.hits] == [A] and decision.offered
    assert "直接答复" in decision.explanation


D = Document(kind="faq", id=4, title="低保多久审批下来", body="一般30个工作日。")
E = Document(kind="faq", id=5, title="低保金什么时候发", body="每月10日前发放。")


def test_a_direct_answer_over_close_rivals_keeps_them_best_first_up_to_max_rivals() -> None:
    hits = (Hit(A, 10.0, ("低保",)), Hit(B, 9.0, ("低保",)), Hit(D, 8.5, ("低保",)), Hit(E, 8.0, ("低保",)),
            Hit(C, 2.0, ()))
    kb = FakeKnowledge(hits, answered=True, terms=TERMS, assessment=RIVALLED)
    decision = decide(kb, "低保", direct_threshold=0.0, direct_min_title=0.0)
    assert [h.doc for h in decision.hits] == [A]
    assert [h.doc for h in decision.rivals] == [B, D]  # C is no close rival: below confident_ratio
    assert "列出 2 条“您可能还想问”" in decision.explanation
    assert decide(kb, "低保", direct_threshold=0.0, direct_min_title=0.0, max_rivals=0).rivals == ()


def test_a_rival_sharing_no_topic_word_with_the_question_is_not_listed() -> None:
    terms = {"低保申请咨询": ["低保", "申请", "咨询"]}
    hits = (Hit(A, 10.0, ("低保", "申请")), Hit(C, 9.0, ("申请",)), Hit(B, 8.0, ("低保",)))
    kb = FakeKnowledge(hits, answered=True, terms=terms, assessment=RIVALLED)
    decision = decide(kb, "低保申请咨询", direct_threshold=0.0, direct_min_title=0.0)
    assert [h.doc for h in decision.rivals] == [B]  # C (结婚登记) is close only through 申请


def test_only_a_direct_answer_chosen_over_rivals_has_rivals() -> None:
    single = FakeKnowledge((Hit(A, 10.0, ("低保", "申请")), Hit(C, 2.0, ("申请",))), answered=True, terms=TERMS)
    listed = FakeKnowledge((Hit(A, 10.0, ("低保",)), Hit(B, 8.0, ("低保",))), answered=True, terms=TERMS,
                           assessment=RIVALLED)
    assert decide(single, "低保").rivals == ()
    assert decide(listed, "低保").kind is DecisionKind.CHOICES and decide(listed, "低保").rivals == ()


def test_a_question_naming_little_of_the_top_entry_keeps_its_rivals_listed() -> None:
    """A broad topic word matches its one word as well as can be (strength near 1) but names
    little of any entry's question: it is shown the subtopics, not one of them."""
    hits = (Hit(A, 10.0, ("低保",)), Hit(B, 8.0, ("低保",)))
    broad = Assessment(0.99, 0.2, 0.3, 0.9, 1.0)
    kb = FakeKnowledge(hits, answered=True, terms=TERMS, assessment=broad)
    assert decide(kb, "低保", direct_threshold=0.0).kind is DecisionKind.CHOICES
    assert decide(kb, "低保", direct_threshold=0.0, direct_min_title=0.3).kind is DecisionKind.ANSWER


def test_the_direct_answer_rule_never_answers_an_unsure_search() -> None:
    hits = (Hit(A, 10.0, ("低保",)), Hit(C, 9.0, ("登记",)))
    decision = decide(FakeKnowledge(hits, answered=False, terms=TERMS), "低保", direct_threshold=0.0)
    assert decision.kind is not DecisionKind.ANSWER  # "not found" when missing is stage 1's alone


def test_direct_answer_confidence_grows_with_every_feature() -> None:
    policy = AnswerPolicy()
    low = policy.direct_confidence(Assessment(0.2, 0.2, 0.2, 0.5))
    for i in range(3):
        strength, margin, title = (0.8 if i == j else 0.2 for j in range(3))
        assert policy.direct_confidence(Assessment(strength, margin, title, 0.5)) > low


def test_a_wide_margin_with_a_covered_title_answers_despite_a_rival_by_the_shipped_rule() -> None:
    """The shipped weights and threshold: a top hit leading by 40 % whose title the question
    covers is answered; a near tie with a half-covered title is listed."""
    policy = AnswerPolicy()
    assert policy.answers_directly(Assessment(0.8, 0.4, 1.0, 0.9, 1.0))
    assert not policy.answers_directly(Assessment(0.5, 0.05, 0.5, 0.6, 1.0))


def test_confident_ratio_decides_which_rivals_of_a_confident_search_are_close() -> None:
    kb = FakeKnowledge((Hit(A, 10.0, ("低保",)), Hit(B, 8.0, ("低保",))), answered=True, terms=TERMS,
                       assessment=RIVALLED)
    assert decide(kb, "低保").kind is DecisionKind.CHOICES
    assert decide(kb, "低保", confident_ratio=0.9).kind is DecisionKind.ANSWER
    assert decide(kb, "低保", good_ratio=0.9).kind is DecisionKind.CHOICES  # the unconfident stage's ratio


def test_a_question_typed_as_an_entry_is_answered_despite_rivals() -> None:
    kb = FakeKnowledge((Hit(A, 10.0, ("低保",)), Hit(B, 9.0, ("低保",))), answered=True, terms=TERMS)
    decision = decide(kb, "低保怎么申请")
    assert decision.kind is DecisionKind.ANSWER and decision.reason is Reason.VERBATIM and decision.hits[0].doc == A


def test_an_unsure_search_lists_hits_that_cover_every_content_word() -> None:
    hits = (Hit(A, 10.0, ("低保", "申请")), Hit(B, 9.0, ("低保", "申请")))
    decision = decide(FakeKnowledge(hits, answered=False, terms=TERMS), "低保")
    assert decision.kind is DecisionKind.CHOICES and decision.reason is Reason.COVERING_SEVERAL


def test_an_unsure_search_with_one_covering_hit_offers_it_only_as_related() -> None:
    hits = (Hit(A, 10.0, ("低保",)), Hit(C, 9.0, ("登记",)))
    decision = decide(FakeKnowledge(hits, answered=False, terms=TERMS), "低保")
    assert decision.kind is DecisionKind.RELATED and decision.reason is Reason.PARTLY_RELATED
    assert [h.doc for h in decision.hits] == [A] and not decision.offered


def test_an_unsure_search_sharing_no_content_word_is_not_found() -> None:
    kb = FakeKnowledge((Hit(C, 10.0, ("申请",)),), answered=False, terms={"护照申请": ["护照", "申请"]})
    decision = decide(kb, "护照申请")
    assert (decision.kind, decision.reason, decision.hits) == (DecisionKind.NOT_FOUND, Reason.UNSURE, ())


def test_a_follow_up_is_searched_with_the_topic_and_kept_to_it() -> None:
    hits = (Hit(C, 12.0, ("材料",)), Hit(A, 10.0, ("低保", "材料")))
    kb = FakeKnowledge(hits, answered=False, terms=TERMS)
    decision = decide(kb, "材料", topic="低保")
    assert kb.asked == ["低保 材料"] and decision.follow_up
    assert decision.kind is DecisionKind.ANSWER and decision.reason is Reason.FOLLOW_UP_ON_TOPIC
    assert [h.doc for h in decision.hits] == [A]


def test_a_follow_up_nothing_on_the_topic_answers_is_not_found_without_related() -> None:
    kb = FakeKnowledge((Hit(C, 12.0, ("材料",)),), answered=False, terms=TERMS)
    decision = decide(kb, "材料", topic="低保")
    assert decision.kind is DecisionKind.NOT_FOUND and decision.reason is Reason.FOLLOW_UP_UNANSWERED


def test_a_question_with_its_own_topic_is_no_follow_up() -> None:
    kb = FakeKnowledge((Hit(A, 10.0, ("低保",)),), answered=True, terms=TERMS)
    decision = decide(kb, "低保", topic="结婚登记")
    assert not decision.follow_up and kb.asked == ["低保"]


def test_a_follow_up_asking_who_is_read_with_the_topic() -> None:
    """哪些人 / 谁 are single characters beside the asking words: they name nothing of their own."""
    policy = AnswerPolicy()
    assert policy.is_follow_up(["哪些", "人", "可以", "申请"], "低保")
    assert policy.is_follow_up(["谁", "能", "办理"], "低保")
    assert not policy.is_follow_up(["哪些", "人", "可以", "申请"], None)
    assert not policy.is_follow_up(["老人", "可以", "申请"], "低保")  # 老人 names someone


@pytest.mark.parametrize("terms", [
    ["每个", "月", "领取", "多少"],  # 每个月能领多少
    ["现在", "申请"],  # 现在还能申请吗
    ["多久", "批下来"],  # 一般多久能批下来
    ["找", "哪个", "部门"],  # 找哪个部门
])
def test_a_short_question_naming_no_thing_is_read_with_the_topic(terms: list[str]) -> None:
    policy = AnswerPolicy()
    assert policy.is_follow_up(terms, "低保怎么申请")
    assert not policy.is_follow_up(terms, None)


@pytest.mark.parametrize(("terms", "domain"), [
    (["我", "投诉"], ()),  # a complaint is routed, not read with the topic
    (["停车", "如何", "收费"], ("停车",)),  # a verb naming a domain of the knowledge base (停车场)
    (["明早", "开车", "上班", "外面", "雾", "大"], ()),  # a question of its own, however plain its words
])
def test_a_question_naming_a_domain_a_complaint_or_much_is_no_follow_up(
    terms: list[str], domain: tuple[str, ...]
) -> None:
    assert not AnswerPolicy().is_follow_up(terms, "低保怎么申请", domain)


ID_CARD_TERMS = {"身份证丢了咋办": ["身份证", "丢失", "怎么办"], "身份证明": ["身份证", "明"]}
DISCLOSURE = Document(kind="faq", id=6, title="申请政府信息公开要写哪些内容", body="写明申请人的身份证明、联系方式。")


def test_an_entry_whose_question_writes_no_word_of_the_question_is_offered_not_answered() -> None:
    """Matched through its answer's 身份证明 alone: one tap away, never asserted."""
    kb = FakeKnowledge((Hit(DISCLOSURE, 10.0, ("身份证",)),), answered=True, terms=ID_CARD_TERMS)
    decision = decide(kb, "身份证丢了咋办", related_share=0.3)
    assert decision.kind is DecisionKind.RELATED and decision.reason is Reason.ANSWER_BODY_ONLY
    assert [h.doc for h in decision.hits] == [DISCLOSURE] and "只在答案中匹配" in decision.explanation
    alone = decide(kb, "身份证丢了咋办", related_share=0.9)  # sharing too little to be related either
    assert alone.kind is DecisionKind.NOT_FOUND and "答复未找到" in alone.explanation


def test_an_entry_whose_question_writes_a_word_of_the_question_or_its_cut_compound_is_answered() -> None:
    terms = {"身份证丢了咋办": ["身份证", "丢失", "怎么办"], "雾霾天吃啥清肺": ["雾", "霾", "天", "吃", "什么", "清肺"]}
    lost = Document(kind="faq", id=7, title="身份证丢失怎么补办", body="到派出所补领。")
    smog = Document(kind="faq", id=8, title="雾霾来袭应该吃什么", body="多喝水。")
    kb = FakeKnowledge((Hit(lost, 10.0, ("身份证", "丢失")),), answered=True, terms=terms)
    assert decide(kb, "身份证丢了咋办").kind is DecisionKind.ANSWER
    kb = FakeKnowledge((Hit(smog, 10.0, ("雾", "霾", "吃")),), answered=True, terms=terms)
    assert decide(kb, "雾霾天吃啥清肺").kind is DecisionKind.ANSWER  # 雾霾: two characters the segmenter cut


def test_an_item_is_answered_whatever_its_title_writes() -> None:
    notice = dataclasses.replace(DISCLOSURE, kind="item", id=9, title="关于印发某办法的通知")
    kb = FakeKnowledge((Hit(notice, 10.0, ("身份证",)),), answered=True, terms=ID_CARD_TERMS)
    assert decide(kb, "身份证丢了咋办").kind is DecisionKind.ANSWER


def test_the_answer_threshold_and_the_coverage_gates_all_bind() -> None:
    policy = AnswerPolicy()
    assert policy.answers(SURE) and not policy.answers(UNSURE)
    assert not policy.answers(dataclasses.replace(SURE, query_coverage=0.1))
    assert not policy.answers(dataclasses.replace(SURE, title_coverage=0.1))  # the entry is about something else
    assert AnswerPolicy.with_threshold(0.0).answers(UNSURE)


def test_confidence_grows_with_every_feature() -> None:
    policy = AnswerPolicy()
    low = policy.confidence(0.2, 0.2, 0.2)
    assert all(policy.confidence(*(0.8 if i == j else 0.2 for j in range(3))) > low for i in range(3))


@pytest.mark.parametrize("reason", list(Reason))
def test_every_reason_reads_as_a_chinese_sentence(reason: Reason) -> None:
    result = SearchResult("低保", ("低保",), (Hit(A, 10.0, ("低保",)),), True, SURE)
    decision = Decision(DecisionKind.ANSWER, reason, result.hits, "低保", ("低保",), "低保", result)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in decision.explanation)


def test_the_explanation_quotes_the_confidence_and_its_threshold() -> None:
    kb = FakeKnowledge((Hit(A, 10.0, ("低保", "申请")),), answered=True, terms=TERMS)
    assert "把握度 0.90（阈值 0.39）" in decide(kb, "低保").explanation


def test_a_wording_staff_wrote_is_answered_even_when_the_search_is_unsure() -> None:
    """A one-entry index gives BM25 no idf to work with; the exact 相似问法 must still answer."""
    entry = Document(kind="faq", id=4, title="低保怎么申请", body="书面申请。", similar=("吃低保去哪里办",))
    kb = FakeKnowledge((Hit(entry, -1.5, ("吃", "低保")),), answered=False)
    decision = decide(kb, "吃低保去哪里办")
    assert decision.kind is DecisionKind.ANSWER and decision.reason is Reason.VERBATIM
    assert decide(kb, "吃低保去哪办").kind is not DecisionKind.ANSWER  # only the wording staff wrote


ITEM = Document(kind="item", id=7, title="关于印发《某区支持菜篮子工程建设的实施办法》的通知",
                body="对每个平价蔬菜摊位给予补贴，每月不超过5000元。")
STALL_TERMS = {"菜场平价菜摊补贴多少": ["菜场", "平价", "菜摊", "补贴", "多少"]}


def test_an_unsure_question_offers_a_top_item_sharing_a_topic_word_as_related() -> None:
    """One of four content words is short of the related share, but an item ranked first that
    shares a topic word is shown (and quoted) as only related, never as the answer."""
    kb = FakeKnowledge((Hit(ITEM, 10.0, ("菜摊",)),), answered=False, terms=STALL_TERMS)
    decision = decide(kb, "菜场平价菜摊补贴多少")
    assert decision.kind is DecisionKind.RELATED and [h.doc for h in decision.hits] == [ITEM]
    assert not decision.offered


def test_a_top_faq_entry_still_needs_the_related_share() -> None:
    faq = Document(kind="faq", id=8, title="菜摊怎么办证", body="到市场监管所办理。")
    kb = FakeKnowledge((Hit(faq, 10.0, ("菜摊",)),), answered=False, terms=STALL_TERMS)
    assert decide(kb, "菜场平价菜摊补贴多少").kind is DecisionKind.NOT_FOUND


def test_a_top_item_sharing_no_topic_word_is_not_offered() -> None:
    kb = FakeKnowledge((Hit(ITEM, 10.0, ("多少",)),), answered=False, terms=STALL_TERMS)
    assert decide(kb, "菜场平价菜摊补贴多少").kind is DecisionKind.NOT_FOUND


def test_the_top_item_goes_first_among_the_related_entries_and_the_limit_holds() -> None:
    limit = DEFAULT_THRESHOLDS.max_related
    others = tuple(Hit(Document(kind="faq", id=20 + n, title=f"菜场平价菜摊{n}", body=f"答复{n}"), 9.0,
                       ("菜场", "平价", "菜摊")) for n in range(limit))
    kb = FakeKnowledge((Hit(ITEM, 10.0, ("菜摊",)), *others), answered=False, terms=STALL_TERMS)
    decision = decide(kb, "菜场平价菜摊补贴多少")
    assert [h.doc for h in decision.hits] == [ITEM, *(h.doc for h in others[: limit - 1])]


def test_the_top_item_rule_can_be_switched_off() -> None:
    kb = FakeKnowledge((Hit(ITEM, 10.0, ("菜摊",)),), answered=False, terms=STALL_TERMS)
    assert decide(kb, "菜场平价菜摊补贴多少", related_top_item=False).kind is DecisionKind.NOT_FOUND


def test_a_top_item_sharing_a_verb_of_the_question_is_offered() -> None:
    """集中出租 is tagged a verb, so it is no topic word; the item is shown with its quote, which
    tells the citizen at once whether it is about their question."""
    terms = {"这种算集中出租吗": ["这种", "算", "集中", "出租", "吗"]}
    kb = FakeKnowledge((Hit(ITEM, 10.0, ("集中", "出租")),), answered=False, terms=terms)
    assert decide(kb, "这种算集中出租吗").kind is DecisionKind.RELATED


def test_a_request_that_asks_nothing_is_not_offered_the_top_item() -> None:
    terms = {"请求整顿菜场平价菜摊": ["请求", "整顿", "菜场", "平价", "菜摊"]}
    kb = FakeKnowledge((Hit(ITEM, 10.0, ("菜摊",)),), answered=False, terms=terms)
    assert decide(kb, "请求整顿菜场平价菜摊").kind is DecisionKind.NOT_FOUND


def test_an_unsure_search_offers_as_related_an_entry_writing_the_cut_compound_whole() -> None:
    smog = Document(kind="faq", id=4, title="雾霾天气如何选择口罩", body="选择防护口罩。")
    apart = Document(kind="faq", id=5, title="大雾和霾有什么区别", body="雾是水汽，霾是颗粒物。")
    hits = (Hit(smog, 10.0, ("雾", "霾")), Hit(apart, 9.0, ("雾", "霾")))
    kb = FakeKnowledge(hits, answered=False, terms={"雾霾天出门": ["雾", "霾", "天", "出门"]})
    decision = decide(kb, "雾霾天出门")
    assert decision.kind is DecisionKind.RELATED and [h.doc for h in decision.hits] == [smog]



CREDIT = Document(kind="faq", id=30, title="请问参加学法减分有次数限制吗？", body="每个记分周期内参加一次。")
CREDIT_TERMS = {"学法减分能学几次 有没有上限": ["学法减分", "学", "几次", "上限"],
                "学法减分我学满了 名额上限也到了 真麻烦": ["学法减分", "学满", "名额", "上限", "麻烦"]}


def test_an_unsure_question_is_offered_its_top_entry_whose_title_writes_a_telling_word() -> None:
    """One content word of four is short of the related share; the search's best guess, its
    telling word visible in its title, is one tap away instead of a bare "not found"."""
    kb = FakeKnowledge((Hit(CREDIT, 10.0, ("学法减分",), titled=("学法减分",)),), answered=False, terms=CREDIT_TERMS)
    decision = decide(kb, "学法减分能学几次 有没有上限")
    assert decision.kind is DecisionKind.RELATED and [h.doc for h in decision.hits] == [CREDIT]
    assert not decision.offered
    assert decide(kb, "学法减分能学几次 有没有上限", related_top_share=0).kind is DecisionKind.NOT_FOUND


def test_a_top_entry_whose_title_writes_no_telling_word_still_needs_the_related_share() -> None:
    kb = FakeKnowledge((Hit(CREDIT, 10.0, ("学法减分",)),), answered=False, terms=CREDIT_TERMS)
    assert decide(kb, "学法减分能学几次 有没有上限").kind is DecisionKind.NOT_FOUND


def test_a_statement_is_not_offered_the_top_entry_by_its_title() -> None:
    kb = FakeKnowledge((Hit(CREDIT, 10.0, ("学法减分",), titled=("学法减分",)),), answered=False, terms=CREDIT_TERMS)
    assert decide(kb, "学法减分我学满了 名额上限也到了 真麻烦").kind is DecisionKind.NOT_FOUND


def test_the_top_entry_by_its_title_goes_first_among_the_related_entries() -> None:
    limit = DEFAULT_THRESHOLDS.max_related
    others = tuple(Hit(Document(kind="faq", id=40 + n, title=f"学法减分和上限{n}", body=f"答复{n}"), 9.0,
                       ("学法减分", "上限")) for n in range(limit))
    kb = FakeKnowledge((Hit(CREDIT, 10.0, ("学法减分",), titled=("学法减分",)), *others), answered=False,
                       terms=CREDIT_TERMS)
    decision = decide(kb, "学法减分能学几次 有没有上限")
    assert [h.doc for h in decision.hits] == [CREDIT, *(h.doc for h in others[: limit - 1])]


def test_the_explanation_names_the_telling_word_of_a_best_guess() -> None:
    """Staff testing a question (命中测试) see why an entry short of the share is offered."""
    kb = FakeKnowledge((Hit(CREDIT, 10.0, ("学法减分",), titled=("学法减分",)),), answered=False, terms=CREDIT_TERMS)
    explanation = decide(kb, "学法减分能学几次 有没有上限").explanation
    assert "最佳结果的标题含问题中的少见词“学法减分”，列在首位：作为相关内容列出" in explanation
    assert "33%" not in explanation  # it holds one content word of four: not the share


PARKING = Document(kind="faq", id=9, title="道路停车收费价格是怎么规定的？", body="停车场按区域收费。")


def test_an_entry_sharing_a_domain_verb_of_the_knowledge_base_is_offered_as_related() -> None:
    """停车 is tagged a verb; where the search reports it as a domain verb of the knowledge base
    (停车场: `SearchResult.topical`) it names the topic like a noun."""
    terms = {"路边停车收费": ["路边", "停车", "收费"]}
    hit = Hit(PARKING, 5.0, ("停车", "收费"))
    assert decide(FakeKnowledge((hit,), answered=False, terms=terms), "路边停车收费").kind is DecisionKind.NOT_FOUND
    decision = decide(FakeKnowledge((hit,), answered=False, terms=terms, topical=("停车",)), "路边停车收费")
    assert decision.kind is DecisionKind.RELATED and decision.hits == (hit,)
