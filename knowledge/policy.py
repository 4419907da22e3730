"""The answer policy: one citizen question → answer, numbered choices, related entries or not found.

A wrong answer given with confidence costs a citizen more than an honest "not found" (they act
on it), so the bot answers only when the best hit looks like *the* answer and not just a
document on the same topic. The whole decision is here, in two stages, with every threshold
in `Thresholds` (`knowledge.thresholds`, with the measurement behind each):

1. **Confidence** (`AnswerPolicy.answers`, applied by `knowledge.search.Searcher` to every
   search and stored as `SearchResult.answered`). Three features of the best hit, each in
   [0, 1], measured by the searcher:

   * ``strength`` — its score divided by the query's attainable maximum (every query term
     matched as well as the best document matches it): how much of the question it answers;
   * ``margin`` — how far it leads the best hit with a *different* answer, relative to its own
     score (duplicates of the same entry are skipped): whether the index hesitates between
     neighbours;
   * ``title_coverage`` — the share of its title characters, by idf, found in the question:
     whether the entry is about something the citizen did not ask (非京籍 when asked about
     京籍, 2015版 when asked about 2021版).

   ``confidence = sigmoid(w_strength*strength + w_margin*margin + w_title*title_coverage + bias)``
   must reach ``answer_threshold``. A hard gate comes on top: ``query_coverage`` — the share of
   the question's words, weighted by idf, that the best hit contains, where a word the
   knowledge base has never seen weighs as much as the rarest word it has — must reach
   ``min_query_coverage``. The three features only weigh words the index knows, so
   "咨询F9市老年人购买养老保险事宜" against a small knowledge base that knows only 老年人 and
   咨询 looked like a strong match for 特困人员供养; with the gate, a question whose main words
   are unknown to the knowledge base is "not found". A second gate is the other way round:
   ``title_coverage`` must reach ``min_title_coverage``, so an entry whose question, 相似问法
   and keywords share next to nothing with the citizen's (户口 only in the answer of
   特困人员供养怎么申请) is never *the* answer, however rare the word is in a small knowledge base.

2. **The reply** (`AnswerPolicy.decide`, called by the conversation). A confident search shows
   its hits scoring at least ``confident_ratio`` of the top one: one is the answer, several a
   numbered list — unless the *direct-answer confidence* (`AnswerPolicy.answers_directly`: the
   same three features, weighted for "is the top hit the answer" and fitted with its threshold
   per held-out department in `bench.crossval.calibrate_direct`) says the top hit is the answer
   despite its close rivals (more questions answered directly, wrong ones held at ≤ 2 %), or
   the citizen typed one entry's question or 相似问法 verbatim, which is answered with that
   entry even when the search is unsure (staff wrote that wording). An FAQ entry whose own
   question and 相似问法 write no content word of the citizen's question was matched through its
   answer alone and is offered as related instead (`AnswerPolicy._asks_what_it_answers`). An unconfident
   search on a fresh question still gets a list when ``min_covering`` good hits each contain
   every content word of the question (the search refuses exactly when close neighbours leave
   no margin, which is when a list is the right reply); otherwise up to ``max_related`` good
   hits containing at least ``related_share`` of the content words are shown under an honest
   "not found", or nothing is. A short follow-up (only `FOLLOW_UP_WORDS`, or up to three words
   naming no thing: `AnswerPolicy.is_follow_up`) is searched together with the previous topic and
   only hits on that topic count. Entries with the same answer
   text are one answer here (the best-ranked stands for them): a bank imported once per
   district lists each subtopic once, and answers a question its ten copies share.

Figures, all from ``python -m bench.quality`` on the development set (170 questions against the
2,065-entry FAQ bank; the same figures as the README): with the answers of 50 questions removed
the search says "not found" to 0.820 of them; of answerable questions 0.547 are answered right,
0.035 answered wrongly and 0.418 get "not found" from the search — the price of the rule (many
of them are ones whose best hit is wrong or a near-tie, and the reply stage turns most of those
into a list: see ``python -m bench.outcomes``, which puts every question through the whole
policy and the conversation). ``python -m bench.quality --calibrate`` refits the logistic
weights and threshold and measures the gate; ``python -m bench.outcomes --sweep`` measures the
reply-stage thresholds one at a time. A question with no meaningful terms (empty, emoji,
punctuation, only stopwords) gets no hits at all.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Collection, Sequence
from typing import Protocol, runtime_checkable

from knowledge.asks import FOLLOW_UP_MAX_WORDS, FOLLOW_UP_WORDS, SPEECH_ACT_WORDS, asks_a_question, content_words
from knowledge.decision import Decision, DecisionKind, Reason
from knowledge.document import Assessment, Document, Hit, SearchResult, answer_of
from knowledge.thresholds import DEFAULT_THRESHOLDS, Thresholds
from knowledge.topicwords import named_words, shares_topic, shares_word, split_compounds, topic_words


class Searchable(Protocol):
    """What the policy needs of a knowledge base: its text analysis and its search."""

    def analyze(self, text: str) -> list[str]: ...

    def search(self, query: str, limit: int = 10) -> SearchResult: ...


@runtime_checkable
class DistinctSearchable(Searchable, Protocol):
    """A knowledge base whose index keeps one entry per answer itself (`Searcher.search_distinct`):
    what `search(query, within)` gives with repeated answers dropped, only `limit` of them read."""

    def search_distinct(self, query: str, limit: int, within: int) -> SearchResult: ...


def _one_per_answer(hits: Sequence[Hit]) -> list[Hit]:
    """`hits` in order, skipping every hit whose answer text (`answer_of`: an FAQ answer,
    whitespace aside, at least `MIN_SHARED_ANSWER` characters) came earlier — the same rule as
    the index's answer groups, so the policy never searches deeper for copies the index keeps."""
    seen: set[str] = set()
    kept = []
    for hit in hits:
        answer = answer_of(hit.doc)
        if answer is not None:
            if answer in seen:
                continue
            seen.add(answer)
        kept.append(hit)
    return kept


class AnswerPolicy:
    """Applies `Thresholds`; stateless, so one instance serves every thread."""

    def __init__(self, thresholds: Thresholds = DEFAULT_THRESHOLDS) -> None:
        self.thresholds = thresholds

    @classmethod
    def with_threshold(cls, answer_threshold: float | None) -> AnswerPolicy:
        """The default policy, with ``ANSWER_THRESHOLD`` applied when it is set."""
        if answer_threshold is None:
            return cls()
        return cls(dataclasses.replace(DEFAULT_THRESHOLDS, answer_threshold=answer_threshold))

    # -- stage 1: confidence -------------------------------------------------------------------

    def confidence(self, strength: float, margin: float, title_coverage: float) -> float:
        """The logistic confidence that the best hit is *the* answer."""
        t = self.thresholds
        z = t.w_strength * strength + t.w_margin * margin + t.w_title * title_coverage + t.bias
        return 1.0 / (1.0 + math.exp(-z))

    def direct_confidence(self, assessment: Assessment) -> float:
        """The logistic confidence that the best hit of a confident search is *the* answer, even
        with close rivals (weights fitted to that question, `Thresholds.w_direct_strength` …)."""
        t = self.thresholds
        z = (t.w_direct_strength * assessment.strength + t.w_direct_margin * assessment.margin
             + t.w_direct_title * assessment.title_coverage + t.direct_bias)
        return 1.0 / (1.0 + math.exp(-z))

    def answers_directly(self, assessment: Assessment) -> bool:
        """Whether a confident search whose top hit has close rivals answers it directly: the
        question names enough of the entry's question (``direct_min_title``) and the
        direct-answer confidence reaches ``direct_threshold``."""
        t = self.thresholds
        return (assessment.title_coverage >= t.direct_min_title
                and self.direct_confidence(assessment) >= t.direct_threshold)

    def answers(self, assessment: Assessment) -> bool:
        """Whether a search with hits and these features may answer."""
        t = self.thresholds
        return assessment.confidence >= t.answer_threshold and self.passes_gates(assessment)

    def passes_gates(self, assessment: Assessment) -> bool:
        """The hard gates that no confidence overrides: enough of the question is in the best hit
        (``min_query_coverage``), and enough of the best hit's question is asked
        (``min_title_coverage``)."""
        t = self.thresholds
        return (assessment.query_coverage >= t.min_query_coverage
                and assessment.title_coverage >= t.min_title_coverage)

    # -- stage 2: the reply --------------------------------------------------------------------

    def is_follow_up(self, terms: Sequence[str], topic: str | None, domain: Collection[str] = ()) -> bool:
        """A question is a follow-up when there is a topic and it names nothing beyond FOLLOW_UP_WORDS
        but single characters, which alone name nothing (`knowledge.topicwords`): "哪些人可以申请"
        and "谁能办" ask about the topic as "需要什么材料" does.

        A short question (at most `FOLLOW_UP_MAX_WORDS` content words) that names no thing is one
        too: no topic word (`topic_words`, with the knowledge base's `domain` verbs) and nothing
        the citizen does with the message (投诉, 举报: a complaint is routed, not read with the
        topic). "每个月能领多少", "现在还能申请吗", "一般多久能批下来" and "找哪个部门" say only
        when, how much or who, which the fixed list cannot foresee word by word. Over the 170
        development questions and the 2,816 city messages, each asked as if a topic were open,
        this reads no more of them as follow-ups than the list alone.
        """
        if not topic:
            return False
        content = content_words(terms)
        if not any(len(t) >= 2 for t in content):
            return True
        return (len(content) <= FOLLOW_UP_MAX_WORDS and content.isdisjoint(SPEECH_ACT_WORDS)
                and not topic_words(terms, FOLLOW_UP_WORDS, domain))

    def decide(self, question: str, topic: str | None, kb: Searchable, domain: Collection[str] = ()) -> Decision:
        """Search `question` (read with `topic` when it is a short follow-up, `domain` being the
        knowledge base's domain verbs: `is_follow_up`) and decide the reply."""
        terms = kb.analyze(question)
        follow_up = self.is_follow_up(terms, topic, domain)
        if not terms and not follow_up:
            return Decision(DecisionKind.EMPTY, Reason.NO_TERMS, (), question, (), question, None, False,
                            self.thresholds)
        query = f"{topic} {question}" if follow_up else question
        result = self._distinct_answers(kb, query, kb.search(query, limit=self.thresholds.max_choices))
        if follow_up:
            result = self._within_topic(result, kb.analyze(topic or ""))
        kind, reason, hits = self._choose(result, terms, follow_up, kb.analyze)
        rivals: list[Hit] = []
        if reason is Reason.CONFIDENT_DIRECT:  # the answer, and the close rivals it was chosen over
            hits, rivals = hits[:1], self._rivals(hits[1:], terms, result.topical)
        decision = Decision(kind, reason, tuple(hits), question, tuple(terms), query, result, follow_up,
                            self.thresholds, tuple(rivals))
        if topic and not follow_up and kind is not DecisionKind.ANSWER:
            return self._narrowed(question, terms, topic, kb, domain) or decision
        return decision

    def _narrowed(self, question: str, terms: Sequence[str], topic: str, kb: Searchable,
                  domain: Collection[str]) -> Decision | None:
        """A short question that names a thing — so no follow-up — and gets no answer on its own,
        read with the open topic: "门诊能报多少" after 医保报销, "退休人员呢" after 公积金怎么提取
        (alone: 退休人员被判刑的，养老金应当如何支付). Taken only when the topic and the question
        searched together are answered or listed, the best hit's own question (title, 相似问法,
        keywords) writes every word the question names (`named_words`) and the hit holds a content
        word of the topic: an entry about both. Its own question, not its answer: the topic's
        entry itself mentions 镇政府, and "镇政府电话可以告诉我吗" after 低保怎么申请 must not get
        低保怎么申请 again. A question of more than `FOLLOW_UP_MAX_WORDS` content words is a
        question of its own.

        Over the development questions and the city messages (21 short ones of 2,986), each asked
        after 30 unrelated development questions as topics, none is read this way."""
        content = content_words(terms)
        if not content or len(content) > FOLLOW_UP_MAX_WORDS:
            return None
        named = set(named_words(terms, domain))
        if not named:
            return None
        both = self.decide(f"{topic} {question}", None, kb, domain)
        if not both.offered:
            return None
        best = both.hits[0]
        if content_words(kb.analyze(topic)).isdisjoint(best.matched):
            return None
        own = "\n".join((best.doc.title, *best.doc.similar, *best.doc.keywords))
        return dataclasses.replace(both, question=question, narrowed=True) if named <= set(kb.analyze(own)) else None

    def _distinct_answers(self, kb: Searchable, query: str, result: SearchResult) -> SearchResult:
        """The hits with one entry per answer: entries whose answers are the same text are one
        answer, the best-ranked of them standing for all.

        Why: a knowledge base that holds the same answer under several questions — the bank
        imported once per district (东城区住房公积金…, 西城区住房公积金…), or staff's duplicates —
        otherwise fills a numbered list with one answer ten times, and a question with a single
        right answer gets a list of its copies instead of the answer. When duplicates were
        dropped from a full page of hits, the search is repeated ``duplicate_depth`` times
        deeper so a broad question ("公积金") still gets up to ``max_choices`` distinct
        subtopics. A knowledge base without repeated answers is searched once, as before. The
        served knowledge base drops the repeated answers of the deeper search inside its index
        (`DistinctSearchable`), before reading any document; the hits are the same.
        """
        distinct = _one_per_answer(result.hits)
        limit = self.thresholds.max_choices
        if len(distinct) < len(result.hits) and len(result.hits) >= limit:
            within = limit * self.thresholds.duplicate_depth
            if isinstance(kb, DistinctSearchable):
                deeper = kb.search_distinct(query, limit, within)
            else:
                deeper = kb.search(query, limit=within)
            result, distinct = deeper, _one_per_answer(deeper.hits)
        if len(distinct) == len(result.hits) <= limit:
            return result
        return dataclasses.replace(result, hits=tuple(distinct[:limit]))

    def good_hits(self, hits: Sequence[Hit], ratio: float | None = None) -> list[Hit]:
        """The hits worth offering: those scoring at least ``good_ratio`` (or `ratio`) of the top
        hit, best first."""
        if not hits:
            return []
        if hits[0].score <= 0:  # no scale to compare against: only the top hit is offered
            return [hits[0]]
        floor = hits[0].score * (self.thresholds.good_ratio if ratio is None else ratio)
        return [h for h in hits if h.score >= floor]

    def _choose(
        self, result: SearchResult, terms: list[str], follow_up: bool, analyze: Callable[[str], list[str]]
    ) -> tuple[DecisionKind, Reason, list[Hit]]:
        if not result.hits:
            reason = Reason.FOLLOW_UP_UNANSWERED if follow_up else Reason.NO_HITS
            return DecisionKind.NOT_FOUND, reason, []
        offered, reason = self._offer(result, terms, follow_up)
        if not offered and not follow_up and self._asked_verbatim(terms, result.hits[0].doc, analyze):
            # Staff wrote this very wording (a question or 相似问法 added from the unanswered queue):
            # whatever the scores of a small or crowded index, the citizen gets that entry.
            return DecisionKind.ANSWER, Reason.VERBATIM, [result.hits[0]]
        if not offered:
            related = [] if follow_up else self._related(result, terms)
            if related:
                return DecisionKind.RELATED, Reason.PARTLY_RELATED, related
            return DecisionKind.NOT_FOUND, (Reason.FOLLOW_UP_UNANSWERED if follow_up else Reason.UNSURE), []
        if len(offered) > 1 and self._asked_verbatim(terms, offered[0].doc, analyze):  # the more telling reason
            return DecisionKind.ANSWER, Reason.VERBATIM, offered[:1]
        if len(offered) == 1 or reason is Reason.CONFIDENT_DIRECT:  # one answer (and its close rivals)
            if not follow_up and not self._asks_what_it_answers(terms, offered[0].doc, analyze):
                related = self._related(result, terms)
                return (DecisionKind.RELATED if related else DecisionKind.NOT_FOUND), Reason.ANSWER_BODY_ONLY, related
            return DecisionKind.ANSWER, reason, offered
        return DecisionKind.CHOICES, reason, offered

    def _offer(self, result: SearchResult, terms: list[str], follow_up: bool) -> tuple[list[Hit], Reason]:
        """The hits to show: none (not found), one (the answer) or several (a numbered list).

        * The search answered: its hits within ``confident_ratio`` of the top one — a list, or,
          when there are several and the direct-answer confidence is high enough, the top one
          as the answer with the others as its close rivals (`Decision.rivals`).
        * It did not, on a fresh question: the search also refuses when close neighbours
          leave no margin — exactly when a list is the right reply. So a list is offered when
          at least ``min_covering`` good hits each contain every content word of the
          question; anything less is "not found", never a guess.
        * It did not, on a follow-up: the query is the topic plus the follow-up, so every hit
          on the topic is a close neighbour and the margin is small by construction. The hits
          are already limited to the topic (`_within_topic`); the good ones are offered when
          the best contains a word of the follow-up itself (材料, 多少钱 …), else no published
          text answers the follow-up.
        """
        good = self.good_hits(result.hits)
        if result.answered:
            if follow_up:
                return good, Reason.FOLLOW_UP_ON_TOPIC
            confident = self.good_hits(result.hits, self.thresholds.confident_ratio)
            if len(confident) == 1:
                return confident, Reason.CONFIDENT_SINGLE
            if self.answers_directly(result.assessment):
                return confident, Reason.CONFIDENT_DIRECT
            return confident, Reason.CONFIDENT_SEVERAL
        if follow_up:
            on_topic = not terms or bool(set(terms).intersection(good[0].matched))
            return (good if on_topic else []), Reason.FOLLOW_UP_ON_TOPIC
        content = content_words(terms)
        covering = [h for h in good if content and content <= {*h.matched, *h.associated}]
        if len(covering) >= self.thresholds.min_covering:
            return covering, Reason.COVERING_SEVERAL
        return [], Reason.UNSURE

    def _related(self, result: SearchResult, terms: list[str]) -> list[Hit]:
        """Up to ``max_related`` good hits that contain at least ``related_share`` of the
        question's content words (or an associate of them, `Hit.associated`), so a question
        about something unpublished is not answered with entries that merely share 申请 or
        怎么办, and that share a topic word with it
        (`knowledge.topicwords`: never only 证/办/丢, a verb or a district name; the word
        itself, never only an associate). The top hit, for a question, needs only a telling
        topic word written in its own question (``related_top_share``, `Hit.titled`); a
        disclosure item ranked first, only a shared word (``related_top_item``)."""
        content = content_words(terms)
        if not content:
            return []
        need = math.ceil(len(content) * self.thresholds.related_share)
        good = self.good_hits(result.hits)
        related = [
            h for h in good
            if len(content.intersection((*h.matched, *h.associated))) >= need
            and shares_topic(terms, h.matched, FOLLOW_UP_WORDS, f"{h.doc.title}\n{h.doc.body}", result.topical)
        ]
        top = result.hits[0]
        if (self.thresholds.related_top_share > 0 and top.titled and top not in related
                and asks_a_question(result.query)
                and shares_topic(terms, top.titled, FOLLOW_UP_WORDS, domain=result.topical)):
            related.insert(0, top)
        if (self.thresholds.related_top_item and top.doc.kind == "item" and top not in related
                and asks_a_question(result.query) and shares_word(terms, top.matched, FOLLOW_UP_WORDS)):
            related.insert(0, top)
        return related[: self.thresholds.max_related]

    def _rivals(self, hits: Sequence[Hit], terms: list[str], domain: Sequence[str]) -> list[Hit]:
        """Up to ``max_rivals`` of a direct answer's close rivals, each sharing a topic word with
        the question like any related entry (`knowledge.topicwords`; `domain`: the question's
        domain verbs): a rival that is close only through 咨询 or 投诉 is no alternative worth a line."""
        return [h for h in hits
                if shares_topic(terms, h.matched, FOLLOW_UP_WORDS, f"{h.doc.title}\n{h.doc.body}", domain)
                ][: self.thresholds.max_rivals]

    @staticmethod
    def _within_topic(result: SearchResult, topic_terms: list[str]) -> SearchResult:
        """A follow-up is about the topic: drop hits that match only the follow-up words.

        Otherwise "在哪里办" after 低保 could answer with 结婚登记在哪里办. If no hit mentions
        the topic, the follow-up has no published answer, and we say so.
        """
        wanted = content_words(topic_terms)
        if not wanted:
            return result
        hits = tuple(h for h in result.hits if wanted.intersection(h.matched))
        return dataclasses.replace(result, hits=hits, answered=result.answered and hits[:1] == result.hits[:1])

    @staticmethod
    def _asks_what_it_answers(terms: list[str], doc: Document, analyze: Callable[[str], list[str]]) -> bool:
        """Whether an FAQ entry's own question — title, 相似问法 — writes a content word (of two
        characters or more) of the citizen's question, or a compound the segmenter cut apart in
        it (雾霾 of 雾霾天吃啥清肺: `split_compounds`); items and questions of only follow-up
        words and single characters always do.

        An entry's question says what it answers. When the citizen's question shares none of its
        words with it, the search matched the answer's text alone, and a rare word there is no
        warrant that the entry answers the question: "L3县人毕业档案放回原籍的咨询" was answered
        with 北京户籍人员如何查找本人人事档案？ through the 档案 of its answer. Such an entry is
        offered as related (one tap away), not asserted. Leave one department out on the
        2,081-entry bank: "not found" when the answer is missing 78.6 → 80.4 % (with their
        answers removed, 夏天…是不是急性肠胃炎 no longer gets 夏季如何预防胃肠疾病, nor 药店选址筹建
        填的信息错了 药品经营核发填不了，怎么办？), direct correct 56.4 → 55.8 % (新技术新产品申报
        哪些材料是必须要交的 shares only 申报/材料, follow-up words, with 申报材料里哪些是必备材料？,
        now first among the related entries), wrong answers and reachable unchanged.
        """
        if doc.kind != "faq":
            return True
        words = {t for t in content_words(terms) if len(t) >= 2}
        if not words:
            return True
        own = "\n".join((doc.title, *doc.similar))
        if any(compound in own for compound in split_compounds(terms, FOLLOW_UP_WORDS)):
            return True
        return not words.isdisjoint(analyze(own))

    @staticmethod
    def _asked_verbatim(terms: list[str], doc: Document, analyze: Callable[[str], list[str]]) -> bool:
        """The citizen typed an FAQ question (or one of its 相似问法) as staff wrote it: answer it."""
        if doc.kind != "faq":
            return False
        wanted = sorted(terms)
        return any(sorted(analyze(q)) == wanted for q in (doc.title, *doc.similar))
