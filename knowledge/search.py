"""One citizen question → ranked FAQ entries and items, and whether we dare answer.

The answered-or-not-found decision
----------------------------------
A wrong answer given with confidence costs a citizen more than an honest "not found" (they
act on it), so the bot answers only when the best hit looks like *the* answer and not just
a document on the same topic. Three features of the best hit, each in [0, 1]:

* ``strength`` — its score divided by the query's attainable maximum (every query term
  matched as well as the best document matches it): how much of the question it answers;
* ``margin`` — how far it leads the best hit with a *different* answer, relative to its
  own score (duplicates of the same entry are skipped): whether the index hesitates
  between neighbours;
* ``title_coverage`` — the share of its title characters, by idf, found in the question:
  whether the entry is about something the citizen did not ask (非京籍 when asked about
  京籍, 2015版 when asked about 2021版).

``confidence = sigmoid(W_STRENGTH*strength + W_MARGIN*margin + W_TITLE*title_coverage + BIAS)``
and the question is answered when ``confidence >= threshold``. The weights are a logistic
regression and the default threshold was set on the development set by
``python -m bench.quality --calibrate``: answerable questions asked normally are the
positives (when the best hit is right), the same questions asked after their entries were
removed from the bank are the negatives; the threshold is the lowest one that refuses at
least 80 % of those. Measured there: 82 % "not found" when the answer is missing, 3.5 % of
answerable questions answered wrongly, and 39 % of answerable questions "not found" — the
price of the rule (many of them are ones whose best hit is wrong or a near-tie). A question
with no meaningful terms (empty, emoji, punctuation, only stopwords) gets no hits at all.

A hard gate comes on top: ``query_coverage`` — the share of the question's words, weighted by
idf, that the best hit contains, where a word the knowledge base has never seen weighs as much
as the rarest word it has. The three features above only weigh words the index knows, so
"咨询F9市老年人购买养老保险事宜" against a small knowledge base that knows only 老年人 and
咨询 looked like a strong match for 特困人员供养; with the gate, a question whose main words
are unknown to the knowledge base is "not found". Below ``MIN_QUERY_COVERAGE`` (0.25) the
question is not answered whatever the confidence: on the development set the gate refuses 4
of 97 correct answers and, in a replay of 2,816 real city-government messages against the
bundled 33-entry sample, cuts "answers" to off-topic complaints from 235 to 21.

The hits are returned either way, so the reply can offer "did you mean …" suggestions when
the decision is not to answer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from knowledge.document import Hit, SearchResult
from knowledge.index import FieldedIndex, Ranked
from knowledge.text import TextProcessor

# Fitted by `python -m bench.quality --calibrate` (see the module docstring).
W_STRENGTH = 1.42
W_MARGIN = 2.10
W_TITLE = 1.74
BIAS = -2.36
DEFAULT_THRESHOLD = 0.39
MIN_QUERY_COVERAGE = 0.25

# How many hits the decision looks at to find the best *different* answer for `margin`.
_DECISION_DEPTH = 10


@dataclass(frozen=True)
class Assessment:
    """The decision features of one search, for logs, benchmarks and calibration."""

    strength: float
    margin: float
    title_coverage: float
    confidence: float
    query_coverage: float = 0.0


NO_EVIDENCE = Assessment(0.0, 0.0, 0.0, 0.0)


class Searcher:
    """Searches one `FieldedIndex` with the `TextProcessor` that built it.

    Stateless apart from its two collaborators, so one instance serves all threads; swap
    in a new `Searcher` when the index is rebuilt.
    """

    def __init__(
        self,
        index: FieldedIndex,
        processor: TextProcessor,
        threshold: float | None = None,
    ) -> None:
        if index.lexicon_version != processor.lexicon_version:
            raise ValueError("index was built with a different lexicon than this processor")
        self.index = index
        self.processor = processor
        self.threshold = DEFAULT_THRESHOLD if threshold is None else threshold

    def search(self, query: str, limit: int = 10) -> SearchResult:
        """The best `limit` hits for `query` and the answered-or-not-found decision."""
        return self.assess(query, limit)[0]

    def assess(self, query: str, limit: int = 10) -> tuple[SearchResult, Assessment]:
        """`search`, plus the features and confidence behind its decision."""
        words = self.processor.analyze(query)
        ranked = self.index.search(words, max(limit, _DECISION_DEPTH)) if words else []
        assessment = self._assess(words, ranked) if ranked else NO_EVIDENCE
        hits = tuple(Hit(r.doc, r.score, r.matched) for r in ranked[:limit])
        answered = (
            bool(hits)
            and assessment.confidence >= self.threshold
            and assessment.query_coverage >= MIN_QUERY_COVERAGE
        )
        return SearchResult(query, tuple(words), hits, answered), assessment

    def _assess(self, words: list[str], ranked: list[Ranked]) -> Assessment:
        best = ranked[0]
        attainable = self.index.max_score(words)
        strength = best.score / attainable if attainable > 0 else 0.0
        runner_up = next((r.score for r in ranked[1:] if not _same_answer(r, best)), 0.0)
        margin = (best.score - runner_up) / best.score if best.score > 0 else 0.0
        coverage = self.index.title_coverage(words, best.position)
        z = W_STRENGTH * strength + W_MARGIN * margin + W_TITLE * coverage + BIAS
        return Assessment(strength, margin, coverage, 1.0 / (1.0 + math.exp(-z)), self._query_coverage(words, best))

    def _query_coverage(self, words: list[str], best: Ranked) -> float:
        """Idf share of the question's words found in the best hit; unseen words weigh the most."""
        text = self.index.fields["text"]
        n = text.corpus_size
        unseen = math.log((n - 0.5) / 1.5) if n > 2 else 1.0
        weights = {w: (text.term_idf(w) if w in text.vocab else unseen) for w in set(words)}
        total = sum(max(weight, 1e-6) for weight in weights.values())
        found = sum(max(weights[w], 1e-6) for w in set(best.matched) if w in weights)
        return found / total if total > 0 else 0.0


def _same_answer(a: Ranked, b: Ranked) -> bool:
    """Entries with the same question or the same answer are one answer, not competitors."""
    return a.doc.title.strip() == b.doc.title.strip() or a.doc.body.strip() == b.doc.body.strip()
