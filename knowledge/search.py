"""One citizen question → ranked FAQ entries and items, and the features of the best hit.

The searcher measures; `knowledge.policy` decides. For every search it computes the decision
features of the best hit (`Assessment`: strength, margin, title coverage, query coverage — see
`knowledge.policy` for what each means and why) and asks the policy whether they are enough to
answer (`SearchResult.answered`). The hits are returned either way, so the reply can offer a
list or "did you mean …" suggestions when the decision is not to answer.
"""

from __future__ import annotations

import math

from knowledge import passages
from knowledge.document import NO_EVIDENCE, Assessment, Hit, SearchResult
from knowledge.fielded import FieldedIndex, Ranked
from knowledge.kinds import KindIndex
from knowledge.policy import AnswerPolicy
from knowledge.text import TextProcessor

# How many hits the decision looks at to find the best *different* answer for `margin`.
DECISION_DEPTH = 10
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
    ) -> None:
        if index.lexicon_version != processor.lexicon_version:
            raise ValueError("index was built with a different lexicon than this processor")
        self.index = index
        self.processor = processor
        self.policy = AnswerPolicy() if policy is None else policy

    def search(self, query: str, limit: int = 10) -> SearchResult:
        """The best `limit` hits for `query` and the answered-or-not-found decision."""
        return self.assess(query, limit)[0]

    def assess(self, query: str, limit: int = 10) -> tuple[SearchResult, Assessment]:
        """`search`, plus the features and confidence behind its decision."""
        words = self.processor.analyze(query)
        depth = max(limit, DECISION_DEPTH)
        ranked = passages.collapse(self.index.search(words, depth), depth) if words else []
        assessment = self._assess(words, ranked) if ranked else NO_EVIDENCE
        hits = tuple(Hit(r.doc, r.score, r.matched) for r in ranked[:limit])
        answered = bool(hits) and self.policy.answers(assessment)
        return SearchResult(query, tuple(words), hits, answered, assessment), assessment

    def _assess(self, words: list[str], ranked: list[Ranked]) -> Assessment:
        best = ranked[0]
        index, position = self.index.scope(best.position)  # the statistics that ranked the best hit
        attainable = index.max_score(words)
        strength = best.score / attainable if attainable > 0 else 0.0
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
