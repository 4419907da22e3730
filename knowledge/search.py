"""One citizen question → ranked FAQ entries and items, and the features of the best hit.

The searcher measures; `knowledge.policy` decides. For every search it computes the decision
features of the best hit (`Assessment`: strength, margin, title coverage, query coverage — see
`knowledge.policy` for what each means and why) and asks the policy whether they are enough to
answer (`SearchResult.answered`). The hits are returned either way, so the reply can offer a
list or "did you mean …" suggestions when the decision is not to answer.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from knowledge import passages
from knowledge.associations import Expansion, combine
from knowledge.document import NO_EVIDENCE, Assessment, Hit, SearchResult
from knowledge.fielded import FieldedIndex, Ranked
from knowledge.kinds import KindIndex
from knowledge.policy import FOLLOW_UP_WORDS, AnswerPolicy, content_words
from knowledge.text import TextProcessor

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

    def search(self, query: str, limit: int = 10) -> SearchResult:
        """The best `limit` hits for `query` and the answered-or-not-found decision."""
        return self.assess(query, limit)[0]

    def assess(self, query: str, limit: int = 10) -> tuple[SearchResult, Assessment]:
        """`search`, plus the features and confidence behind its decision."""
        words = self.processor.analyze(query)
        depth = max(limit, DECISION_DEPTH)
        own: Mapping[int, float] | None = None
        if not words:
            ranked: list[Ranked] = []
        elif self.expansion is None or self.expansion.settings.beta <= 0:  # no re-ranking
            ranked = passages.collapse(self.index.search(words, depth), depth)
        else:
            ranked, own = self._expanded(words, depth, self.expansion)
        assessment = self._assess(words, ranked, own) if ranked else NO_EVIDENCE
        answered = bool(ranked) and self.policy.answers(assessment)
        credit: dict[int, tuple[str, ...]] = {}
        if not answered and self.expansion is not None and self.expansion.settings.soft_match:
            credit = self._associated(words, ranked[:limit], self.expansion)  # for the reply stage's list
        hits = tuple(Hit(r.doc, r.score, r.matched, credit.get(r.position, ())) for r in ranked[:limit])
        return SearchResult(query, tuple(words), hits, answered, assessment), assessment

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
            for partner, _strength in expansion.associations.partners_of(word):
                if partner in FOLLOW_UP_WORDS:
                    continue
                for r in ranked:
                    if word not in r.matched and self._holds(r.position, partner):
                        credit.setdefault(r.position, set()).add(word)
        return {position: tuple(sorted(found)) for position, found in credit.items()}

    def _holds(self, position: int, word: str) -> bool:
        """Whether the document at `position` contains `word` as a word (its postings, or the
        words of a delta's document)."""
        index, local = self.index.scope(position)
        return index.holds(word, local)

    def _assess(self, words: list[str], ranked: list[Ranked], own: Mapping[int, float] | None = None) -> Assessment:
        best = ranked[0]
        index, position = self.index.scope(best.position)  # the statistics that ranked the best hit
        attainable = index.max_score(words)
        score = best.score if own is None else own[best.position]
        strength = score / attainable if attainable > 0 else 0.0
        runner_up = next((r.score for r in ranked[1:] if not _same_answer(r, best)), 0.0)
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


def _same_answer(a: Ranked, b: Ranked) -> bool:
    """Entries with the same question or the same answer are one answer, not competitors."""
    return a.doc.title.strip() == b.doc.title.strip() or a.doc.body.strip() == b.doc.body.strip()
