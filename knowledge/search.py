"""One citizen question → ranked FAQ entries and items, and the features of the best hit.

The searcher measures; `knowledge.policy` decides. For every search it computes the decision
features of the best hit (`Assessment`: strength, margin, title coverage, query coverage — see
`knowledge.policy` for what each means and why) and asks the policy whether they are enough to
answer (`SearchResult.answered`). The hits are returned either way, so the reply can offer a
list or "did you mean …" suggestions when the decision is not to answer.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence

import numpy as np

from knowledge import passages
from knowledge.asks import FOLLOW_UP_WORDS, content_words
from knowledge.associations import Expansion, combine
from knowledge.document import NO_EVIDENCE, NO_GROUP, Assessment, Document, Hit, SearchResult
from knowledge.fielded import FieldedIndex, Ranked
from knowledge.kinds import KindIndex
from knowledge.policy import AnswerPolicy
from knowledge.subwords import split_unknown
from knowledge.text import TextProcessor
from knowledge.topicwords import shares_word

# How many hits the decision looks at to find the best *different* answer for `margin`.
DECISION_DEPTH = 10
# How deep each expansion word is searched to score the first pass's candidates (`Expansion`).
EXPANSION_DEPTH = 200
# The weight of a zero-idf word in `query_coverage`, so a question of only such words has a share.
MIN_WORD_WEIGHT = 1e-6


class Searcher:
    """Searches one `FieldedIndex` with the `TextProcessor` that built it.

    Stateless apart from its two collaborators, so one instance serves all threads; swap
    in a new `Searcher` when the index is rebuilt.
    """

    def __init__(
        self,
        index: FieldedIndex | KindIndex,
        processor: TextProcessor,
        policy: AnswerPolicy | None = None,
        expansion: Expansion | None = None,
    ) -> None:
        if index.lexicon_version != processor.lexicon_version:
            raise ValueError("index was built with a different lexicon than this processor")
        self.index = index
        self.processor = processor
        self.policy = AnswerPolicy() if policy is None else policy
        #: The paraphrase second pass (`knowledge.associations`); None (the default) searches once.
        self.expansion = expansion

    def terms(self, query: str) -> list[str]:
        """The words searched for `query`: its analysis, a long word this index lacks in the
        parts it knows (`knowledge.subwords`)."""
        return split_unknown(self.processor.analyze(query), self.index.knows, self.processor.subwords)

    def search(self, query: str, limit: int = 10) -> SearchResult:
        """The best `limit` hits for `query` and the answered-or-not-found decision."""
        return self.assess(query, limit)[0]

    def assess(self, query: str, limit: int = 10) -> tuple[SearchResult, Assessment]:
        """`search`, plus the features and confidence behind its decision."""
        words = self.terms(query)
        depth = max(limit, DECISION_DEPTH)
        own: Mapping[int, float] | None = None
        if not words:
            ranked: list[Ranked] = []
        elif self.expansion is None or self.expansion.settings.beta <= 0:  # no re-ranking
            ranked = passages.collapse(self.index.search(words, depth), depth)
        else:
            ranked, own = self._expanded(words, depth, self.expansion)
        assessment = self._assess(words, ranked, own) if ranked else NO_EVIDENCE
        answered = bool(ranked) and self.policy.answers(assessment) and _names_it(words, ranked[0])
        credit: dict[int, tuple[str, ...]] = {}
        if not answered and self.expansion is not None and self.expansion.settings.soft_match:
            credit = self._associated(words, ranked[:limit], self.expansion)  # for the reply stage's list
        hits = tuple(Hit(r.doc, r.score, r.matched, credit.get(r.position, ())) for r in ranked[:limit])
        if not answered and hits:
            hits = (dataclasses.replace(hits[0], titled=self._titled(ranked[0])), *hits[1:])
        return SearchResult(query, tuple(words), hits, answered, assessment, self._topical(words)), assessment

    def search_distinct(self, query: str, limit: int, within: int, *, whole: bool = False) -> SearchResult:
        """`search(query, within)` with every FAQ entry dropped whose answer an entry ranked
        above it already gives (`AnswerPolicy._distinct_answers`), and only the best `limit`
        of the rest read — unless `whole` (or one of them is an item) asks for all of them.

        Why: a knowledge base holding each answer many times (the bank imported once per
        district) needs a search `within` = ten pages deep to fill one page with distinct
        answers; reading and matching 150 documents to keep 15 cost 3 of a message's 4 ms at
        20,810 entries. Here the copies are dropped from the score arrays by their answer group
        (`knowledge.document.answer_group`, computed at build time) before any document is read.
        The result is the one the policy would have made of `search(query, within)`: the same
        hits after its own pass over them, and the assessment of the whole `within` ranking
        (the runner-up for `margin` is the best hit with another answer among all of it).
        Filters that move or drop items after the search (`knowledge.timeframe`,
        `knowledge.placeframe`) need every kept hit: `whole` says the question has such a filter,
        and a page holding an item reads everything too. With the expansion re-ranking
        (`knowledge.associations`) the deep search is made as it is.
        """
        words = self.terms(query)
        if not words or (self.expansion is not None and self.expansion.settings.beta > 0):
            return self.search(query, within)
        depth = max(within, DECISION_DEPTH)
        ranked = self.index.rank(words, depth)
        if isinstance(self.index, FieldedIndex):  # passages of one item: its best stands (`passages.collapse`)
            ranked = _one_per_key(ranked, self.index.documents, depth)
        if not ranked:
            return SearchResult(query, tuple(words), (), False, NO_EVIDENCE)
        page = ranked[:within]
        groups = self.index.answer_groups(np.fromiter((p for p, _ in page), dtype=np.int64, count=len(page)))
        _, first = np.unique(groups, return_index=True)
        keep = groups == NO_GROUP
        keep[first] = True
        kept = [page[i] for i in np.flatnonzero(keep).tolist()]
        shown = self.index.materialize(words, kept if whole else kept[:limit])
        if len(shown) < len(kept) and any(r.doc.kind == "item" for r in shown):
            shown += self.index.materialize(words, kept[len(shown):])
        best, documents = shown[0], self.index.documents
        runner_up = next((score for p, score in ranked[1:] if not _same_answer(documents[p], best.doc)), 0.0)
        assessment = self._assess_best(words, best, runner_up)
        answered = self.policy.answers(assessment) and _names_it(words, best)
        credit: dict[int, tuple[str, ...]] = {}
        if not answered and self.expansion is not None and self.expansion.settings.soft_match:
            credit = self._associated(words, shown, self.expansion)
        hits = tuple(Hit(r.doc, r.score, r.matched, credit.get(r.position, ())) for r in shown)
        if not answered:
            hits = (dataclasses.replace(hits[0], titled=self._titled(best)), *hits[1:])
        return SearchResult(query, tuple(words), hits, answered, assessment, self._topical(words))

    def _topical(self, words: Sequence[str]) -> tuple[str, ...]:
        """`SearchResult.topical`: the question's words among the index's domain verbs."""
        domain = self.index.domain_verbs
        return tuple(w for w in dict.fromkeys(words) if w in domain)

    def _expanded(self, words: list[str], depth: int, expansion: Expansion) -> tuple[list[Ranked], dict[int, float]]:
        """The first pass's `pool` best re-ranked by the expansion words (`knowledge.associations`),
        and their first-pass scores (the decision's strength judges the question's own words)."""
        pool = max(depth, expansion.settings.pool)
        first = passages.collapse(self.index.search(words, pool), pool)
        own = {r.position: r.score for r in first}
        if not first:
            return [], own
        text = self.index.scope(first[0].position)[0].fields["text"]

        def titles(k: int) -> list[list[str]]:
            return [self.processor.analyze(r.doc.title) for r in first[:k]]

        def idf(word: str) -> float:
            return text.term_idf(word) if word in text.vocab else 0.0

        asked = sorted(content_words(words)) if expansion.settings.content_only else words
        extra = {w: x for w, x in expansion.terms(asked, titles, idf).items()
                 if w not in words and not (expansion.settings.content_only and w in FOLLOW_UP_WORDS)}
        passes = [(weight, {r.position: r.score for r in self.index.search([word], EXPANSION_DEPTH)})
                  for word, weight in extra.items()]
        total = combine(own, passes, expansion.settings.beta)
        ranked = sorted((r._replace(score=total[r.position]) for r in first), key=lambda r: (-r.score, r.position))
        return ranked[:depth], own

    def _associated(self, words: list[str], ranked: list[Ranked], expansion: Expansion) -> dict[int, tuple[str, ...]]:
        """Per hit position, the content words of the question it lacks but holds an associate of
        (one of the word's `per_word` partners, as a word): `Hit.associated`, which the reply stage
        counts when it decides between a list, related entries and "not found"
        (`knowledge.policy`) for a question the search does not answer. The ranking and the
        answered-or-not decision are untouched (they are computed before)."""
        if expansion.associations is None or not ranked:
            return {}
        credit: dict[int, set[str]] = {}
        for word in content_words(words):
            lacking = [r.position for r in ranked if word not in r.matched]
            if not lacking:
                continue
            for partner, _strength in expansion.associations.partners_of(word):
                if partner in FOLLOW_UP_WORDS:
                    continue
                for position, held in zip(lacking, self._holding(partner, lacking), strict=True):
                    if held:
                        credit.setdefault(position, set()).add(word)
        return {position: tuple(sorted(found)) for position, found in credit.items()}

    def _titled(self, hit: Ranked) -> tuple[str, ...]:
        """`Hit.titled` of an unanswered search's top hit: the question's words it matched that
        at most ``related_top_share`` of the entries hold (a word in many entries does not say
        what a question is about; below 50 entries no word is that rare, and the rule rests) and
        that its own question — title, 相似问法 or keywords — yields as a word (the citizen sees
        the title, not the body; 不要 inside 要不要 does not count)."""
        share = self.policy.thresholds.related_top_share
        if share <= 0 or not hit.matched:
            return ()
        text = self.index.scope(hit.position)[0].fields["text"]
        most = share * text.corpus_size
        rare = [word for word in dict.fromkeys(hit.matched) if text.document_count(word) <= most]
        if not rare:  # the usual case: no title is analysed on the message's path
            return ()
        doc = hit.doc
        own = {word for part in (doc.title, *doc.similar, *doc.keywords) for word in self.processor.analyze(part)}
        return tuple(word for word in rare if word in own)

    def _holding(self, word: str, positions: Sequence[int]) -> list[bool]:
        """Whether each document at `positions` contains `word` as a word (one search in the
        postings per index part for all of them, or the words of a delta's document)."""
        parts: dict[int, tuple[FieldedIndex, list[int], list[int]]] = {}
        for at, position in enumerate(positions):
            index, local = self.index.scope(position)
            entry = parts.setdefault(id(index), (index, [], []))
            entry[1].append(at)
            entry[2].append(local)
        held = [False] * len(positions)
        for index, ats, locals_ in parts.values():
            for at, found in zip(ats, index.holds_all(word, locals_), strict=True):
                held[at] = found
        return held

    def _assess(self, words: list[str], ranked: list[Ranked], own: Mapping[int, float] | None = None) -> Assessment:
        best = ranked[0]
        runner_up = next((r.score for r in ranked[1:] if not _same_answer(r.doc, best.doc)), 0.0)
        return self._assess_best(words, best, runner_up, own)

    def _assess_best(
        self, words: list[str], best: Ranked, runner_up: float, own: Mapping[int, float] | None = None
    ) -> Assessment:
        """The features of `best`, led by `runner_up` (the best score with another answer)."""
        index, position = self.index.scope(best.position)  # the statistics that ranked the best hit
        attainable = index.max_score(words)
        score = best.score if own is None else own[best.position]
        strength = score / attainable if attainable > 0 else 0.0
        margin = (best.score - runner_up) / best.score if best.score > 0 else 0.0
        coverage = index.title_coverage(words, position)
        confidence = self.policy.confidence(strength, margin, coverage)
        return Assessment(strength, margin, coverage, confidence, self._query_coverage(words, best))

    def _query_coverage(self, words: list[str], best: Ranked) -> float:
        """Idf share of the question's words found in the best hit; unseen words weigh the most."""
        text = self.index.scope(best.position)[0].fields["text"]
        n = text.corpus_size
        unseen = math.log((n - 0.5) / 1.5) if n > 2 else 1.0
        weights = {w: (text.term_idf(w) if w in text.vocab else unseen) for w in set(words)}
        total = sum(max(weight, MIN_WORD_WEIGHT) for weight in weights.values())
        found = sum(max(weights[w], MIN_WORD_WEIGHT) for w in set(best.matched) if w in weights)
        return found / total if total > 0 else 0.0


def _names_it(words: Sequence[str], best: Ranked) -> bool:
    """Whether the best hit shares with the question a word that names something: two characters
    or more, neither a place name nor a word that only asks about a topic (`shares_word`).

    A hit found through the township's name and 怎么办 alone is never *the* answer, however
    its scores look: in a small knowledge base the township's name can be rare enough to pass
    the decision's gates on its own.
    """
    return shares_word(words, best.matched, FOLLOW_UP_WORDS)


def _same_answer(a: Document, b: Document) -> bool:
    """Entries with the same question or the same answer are one answer, not competitors."""
    return a.title.strip() == b.title.strip() or a.body.strip() == b.body.strip()


def _one_per_key(ranked: list[tuple[int, float]], documents: Sequence[Document], limit: int) -> list[tuple[int, float]]:
    """`passages.collapse` on (position, score) pairs."""
    seen: set[str] = set()
    kept: list[tuple[int, float]] = []
    for position, score in ranked:
        key = documents[position].key
        if key not in seen:
            seen.add(key)
            kept.append((position, score))
            if len(kept) >= limit:
                break
    return kept
