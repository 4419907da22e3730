"""Paraphrase: query expansion from what the knowledge base itself teaches, as a second pass.

Citizens and the staff who wrote an entry use different words for one thing (店铺招牌 / 牌匾标识,
打雷 / 雷电). Two sources of related words, neither needing anything beyond the knowledge base:

* **Term associations** (`TermAssociations`): every FAQ entry pairs a question with its answer,
  a small parallel corpus of how people ask and how the office answers (the idea of the
  translation models for FAQ retrieval, Berger & Lafferty 1999, Jeon, Croft & Lee 2005). For
  every question word *w* and answer word *t* of one entry (and every 相似问法 word with the
  answer's words) the entries holding the pair are counted, both ways (a word of the answers
  is associated with the question words it is answered under, too); the strength of a pair
  is its normalised pointwise mutual information over entries,
  ``npmi = log(p(w,t) / (p(w) p(t))) / -log p(w,t)`` in [-1, 1], kept when the pair occurs in
  at least ``min_pairs`` entries (one shared entry is chance) and reaches ``min_npmi``; each
  word keeps its ``per_word`` strongest partners.
* **Pseudo-relevance feedback** (`feedback_terms`, Rocchio): the words of the titles of the
  first pass's ``prf_docs`` best hits, weighted by idf and averaged over those hits.

`Expansion` applies either (or both) as a second pass over the first pass's candidates: each
expansion word *t* (not in the question) with weight ``weight(t)`` is searched on its own, and
a candidate's score becomes ``score + beta * sum_t weight(t) * score_t``. Only the first pass's
``pool`` best are re-ranked (an entry sharing nothing with the question is never brought in by
its associates), the words a hit is credited with (`Hit.matched`) stay the question's own, and
the answered-or-not decision keeps judging the strength of the question's own words
(`knowledge.search.Searcher`). Whether any of this helps is measured by ``python -m
bench.paraphrase`` (leave-one-department-out, associations learned only from the entries of
the calibration departments, parameters chosen by ``--sweep``): re-ranking lowered direct
answers and is off; the reply-stage use (`AssociationSettings.soft_match`, `DEFAULT_SETTINGS`)
raised the cross-validated reachable share and is on in both ways of serving: learned at each
build in memory (`knowledge.base`), or once per shared build by its builder and stored with it
as arrays every worker maps (`MappedAssociations`, `knowledge.persist`, `knowledge.served`).
Figures in the README's Benchmarks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Protocol

import numpy as np

from knowledge.document import Document
from knowledge.fielded import ragged_positions
from knowledge.segcache import SegmentationCache, analyze_all
from knowledge.text import TextProcessor


@dataclass(frozen=True)
class AssociationSettings:
    """The model's and the second pass's parameters (``python -m bench.paraphrase --sweep``)."""

    min_pairs: int = 2  # entries that must hold a pair before it counts
    min_npmi: float = 0.5  # weakest association kept
    per_word: int = 5  # partners kept per word
    per_query: int = 10  # expansion words per question, strongest first
    beta: float = 0.2  # weight of the expansion pass against the question's own score
    pool: int = 30  # candidates of the first pass that are re-ranked
    prf_docs: int = 0  # pseudo-relevance feedback: titles of this many top hits (0: off)
    use_associations: bool = True
    #: Expand only the question's content words, never into a question word (`FOLLOW_UP_WORDS`:
    #: 怎么, 办理, 材料 …), whose partners are whatever the answers' boilerplate says (点击, 第一步).
    content_only: bool = True
    #: Use the associations in the reply stage only: a hit holding an associate of a question
    #: word counts as holding the word when the policy chooses list / related / not found.
    soft_match: bool = False


class Associations(Protocol):
    """What the search reads of a model: a word's partners, strongest first (`TermAssociations`
    as learned, `MappedAssociations` as a shared build stores it)."""

    def partners_of(self, word: str) -> Sequence[tuple[str, float]]: ...

    def expand(self, words: Sequence[str], limit: int) -> dict[str, float]: ...


class TermAssociations:
    """Word → its strongest partners across question and answer, with npmi strengths."""

    def __init__(self, partners: Mapping[str, tuple[tuple[str, float], ...]]) -> None:
        self.partners = dict(partners)

    def __len__(self) -> int:
        return len(self.partners)

    def partners_of(self, word: str) -> Sequence[tuple[str, float]]:
        return self.partners.get(word, ())

    @classmethod
    def learn(
        cls,
        pairs: Iterable[tuple[Sequence[str], Sequence[str]]],
        settings: AssociationSettings = AssociationSettings(),
    ) -> TermAssociations:
        """Learn from (question words, answer words) of each entry; see the module docstring.

        Vectorised (numpy over word ids): it runs at every knowledge-base build.
        """
        pairs = [(q, a) for q, a in pairs if len(q) and len(a)]
        n = len(pairs)
        if not n:
            return cls({})
        vocab = {w: i for i, w in enumerate(dict.fromkeys(chain.from_iterable(chain.from_iterable(pairs))))}
        v = len(vocab)
        q_entry, q_word = _distinct_per_entry([q for q, _ in pairs], vocab)
        a_entry, a_word = _distinct_per_entry([a for _, a in pairs], vocab)
        entries = np.bincount(q_word, minlength=v) + np.bincount(a_word, minlength=v)  # either side
        # A pair occurs in at most as many entries as each of its words: words seen in fewer than
        # `min_pairs` entries (most of an answer's words) cannot be part of a kept pair.
        frequent = entries >= settings.min_pairs
        q_entry, q_word = q_entry[frequent[q_word]], q_word[frequent[q_word]]
        a_entry, a_word = a_entry[frequent[a_word]], a_word[frequent[a_word]]
        # Every (question word, answer word) of each entry: each question row repeated once per
        # answer word of its entry, against that entry's answer words.
        a_count = np.bincount(a_entry, minlength=n)
        a_start = np.concatenate([[0], np.cumsum(a_count)[:-1]])
        per_row = a_count[q_entry]
        left = np.repeat(q_word, per_row)
        right = a_word[ragged_positions(a_start[q_entry], per_row)]
        codes, counts = np.unique(left * v + right, return_counts=True)
        # Both directions: (w, t) counts the entries with w asked and t answered, and the reverse.
        both, inverse = np.unique(np.concatenate([codes, (codes % v) * v + codes // v]), return_inverse=True)
        counts = np.bincount(inverse, weights=np.concatenate([counts, counts]).astype(float)).astype(np.int64)
        # A pair in every entry both ways (a knowledge base of one entry) tells nothing: npmi would be 0/0.
        keep = (counts >= settings.min_pairs) & (counts < 2 * n) & (both // v != both % v)
        codes, counts = both[keep], counts[keep]
        w, t = codes // v, codes % v
        joint = counts / (2 * n)
        pmi = np.log(joint / ((entries[w] / (2 * n)) * (entries[t] / (2 * n))))
        npmi = pmi / -np.log(joint)
        good = npmi >= settings.min_npmi
        w, t, npmi = w[good], t[good], npmi[good]
        words = list(vocab)
        rank = np.empty(v, dtype=np.int64)
        rank[np.argsort(np.array(words, dtype=object), kind="stable")] = np.arange(v)
        order = np.lexsort((rank[t], -npmi, w))  # per word: strongest first, ties by partner
        w, t, npmi = w[order], t[order], npmi[order]
        first = np.searchsorted(w, w)  # each row's group start (w is sorted)
        top = np.arange(len(w)) - first < settings.per_word
        partners: dict[str, list[tuple[str, float]]] = {}
        for wi, ti, s in zip(w[top].tolist(), t[top].tolist(), npmi[top].tolist(), strict=True):
            partners.setdefault(words[wi], []).append((words[ti], s))
        return cls({word: tuple(found) for word, found in partners.items()})

    @classmethod
    def from_documents(
        cls,
        documents: Iterable[Document],
        analyze: Callable[[str], list[str]],
        settings: AssociationSettings = AssociationSettings(),
    ) -> TermAssociations:
        """Learn from FAQ entries: the question and every 相似问法 against the answer.

        Entries with the same answer text are one entry (their questions' words together), so a
        bank imported once per district does not count every pair ten times.
        """
        by_answer: dict[str, tuple[set[str], str]] = {}
        for doc in documents:
            if doc.kind != "faq":
                continue
            words, _ = by_answer.setdefault("".join(doc.body.split()), (set(), doc.body))
            for question in (doc.title, *doc.similar):
                words.update(analyze(question))
        pairs = [(sorted(words), analyze(body)) for words, body in by_answer.values()]
        return cls.learn(pairs, settings)

    def expand(self, words: Sequence[str], limit: int) -> dict[str, float]:
        """Up to `limit` words associated with `words` (not among them), each with its strongest
        association to any of them."""
        return _expand(self, words, limit)


class MappedAssociations:
    """A `TermAssociations` as four arrays, so a shared build (`knowledge.persist`) stores it and
    every worker maps it read-only instead of rebuilding a dict of partners per process.

    ``words``: every word with partners or being one, sorted (fixed-width unicode, searched by
    bisection); ``start``: per word, where its partners begin in ``partner``/``strength``
    (``start[i + 1]`` where they end); ``partner``: positions in ``words``; ``strength``: npmi.
    Partners keep the model's order (strongest first, ties by partner), so both answer alike.
    """

    ARRAYS = ("words", "start", "partner", "strength")

    def __init__(self, words: np.ndarray, start: np.ndarray, partner: np.ndarray, strength: np.ndarray) -> None:
        self.words, self.start, self.partner, self.strength = words, start, partner, strength

    @classmethod
    def from_model(cls, model: TermAssociations) -> MappedAssociations:
        vocab = sorted(set(model.partners) | {p for found in model.partners.values() for p, _ in found})
        at = {w: i for i, w in enumerate(vocab)}
        counts = np.array([len(model.partners.get(w, ())) for w in vocab], dtype=np.int64)
        start = np.zeros(len(vocab) + 1, dtype=np.int64)
        np.cumsum(counts, out=start[1:])
        rows = [pair for w in vocab for pair in model.partners.get(w, ())]
        width = max((len(w) for w in vocab), default=1)
        return cls(np.array(vocab, dtype=f"<U{width}"), start, np.array([at[p] for p, _ in rows], dtype=np.int32),
                   np.array([s for _, s in rows], dtype=np.float64))

    def __len__(self) -> int:
        return int(np.count_nonzero(np.diff(self.start)))

    def partners_of(self, word: str) -> Sequence[tuple[str, float]]:
        i = int(np.searchsorted(self.words, word))
        if i >= len(self.words) or str(self.words[i]) != word:
            return ()
        lo, hi = int(self.start[i]), int(self.start[i + 1])
        return tuple((str(self.words[j]), float(s))
                     for j, s in zip(self.partner[lo:hi].tolist(), self.strength[lo:hi].tolist(), strict=True))

    def expand(self, words: Sequence[str], limit: int) -> dict[str, float]:
        """`TermAssociations.expand`."""
        return _expand(self, words, limit)


def _expand(model: Associations, words: Sequence[str], limit: int) -> dict[str, float]:
    asked = set(words)
    found: dict[str, float] = {}
    for word in asked:
        for partner, strength in model.partners_of(word):
            if partner not in asked and strength > found.get(partner, 0.0):
                found[partner] = strength
    return dict(sorted(found.items(), key=lambda kv: (-kv[1], kv[0]))[:limit])


def feedback_terms(
    titles: Sequence[Sequence[str]], idf: Callable[[str], float], asked: Sequence[str], limit: int
) -> dict[str, float]:
    """Rocchio over the analysed titles of the top hits: idf-weighted words averaged over the
    titles, normalised to the strongest (1.0), the question's own words left out."""
    if not titles:
        return {}
    mass: dict[str, float] = {}
    skip = set(asked)
    for title in titles:
        for word in set(title) - skip:
            mass[word] = mass.get(word, 0.0) + max(idf(word), 0.0) / len(titles)
    top = sorted(((w, m) for w, m in mass.items() if m > 0), key=lambda kv: (-kv[1], kv[0]))[:limit]
    if not top:
        return {}
    strongest = top[0][1]
    return {w: m / strongest for w, m in top}


@dataclass(frozen=True)
class Expansion:
    """The second pass: the association model (or None) and its settings."""

    associations: Associations | None
    settings: AssociationSettings = AssociationSettings()

    def terms(self, words: Sequence[str], titles: Callable[[int], list[list[str]]],
              idf: Callable[[str], float]) -> dict[str, float]:
        """Expansion words and weights for the analysed question `words`; `titles(k)` gives the
        analysed titles of the first pass's `k` best hits (asked only when feedback is on)."""
        s = self.settings
        found: dict[str, float] = {}
        if s.use_associations and self.associations is not None:
            found.update(self.associations.expand(words, s.per_query))
        if s.prf_docs > 0:
            for word, weight in feedback_terms(titles(s.prf_docs), idf, words, s.per_query).items():
                found[word] = max(found.get(word, 0.0), weight)
        return found


def combine(first: Mapping[int, float], passes: Iterable[tuple[float, Mapping[int, float]]], beta: float
            ) -> dict[int, float]:
    """First-pass scores plus ``beta * weight * score`` of each expansion word's pass, for the
    first pass's candidates only."""
    total = dict(first)
    for weight, scores in passes:
        for position, score in scores.items():
            if position in total:
                total[position] += beta * weight * score
    return total


#: What the knowledge base uses (`knowledge.base`): the associations in the reply stage only
#: (``soft_match``), no re-ranking. Chosen by ``python -m bench.paraphrase --sweep``
#: (leave-one-department-out, associations learned without the held-out department): every
#: re-ranking setting (associations or feedback, beta 0.05-0.4) lowered direct correct answers
#: in 1-6 of 6 folds; soft matching with 10 partners per word raised "right entry answered or
#: one tap away" 81.5 % → 83.1 % mean, 54.7 % → 56.6 % worst fold, better in 3 folds and worse
#: in none, direct / wrong / "not found" when missing unchanged (5 or 10 partners, min_npmi
#: 0.3-0.7, min_pairs 2-3 all gained in 1-3 folds and lost in none).
DEFAULT_SETTINGS = AssociationSettings(per_word=10, beta=0.0, soft_match=True)


def expansion_for(
    documents: Sequence[Document],
    processor: TextProcessor,
    cache: SegmentationCache | None = None,
    settings: AssociationSettings = DEFAULT_SETTINGS,
) -> Expansion:
    """The second pass for a knowledge base's documents, learned from its FAQ entries (their
    texts' terms from `cache`, which the index build has just filled)."""
    return Expansion(learn_for(documents, processor, cache, settings), settings)


def learn_for(
    documents: Sequence[Document],
    processor: TextProcessor,
    cache: SegmentationCache | None = None,
    settings: AssociationSettings = DEFAULT_SETTINGS,
) -> TermAssociations:
    """The associations of a knowledge base's FAQ entries (see `expansion_for`): what a shared
    build stores (`knowledge.served`), so it and an index built in memory learn the same model."""
    faq = [d for d in documents if d.kind == "faq"]
    texts = [text for d in faq for text in (d.title, *d.similar, d.body)]
    terms, _ = analyze_all(texts, processor, cache)
    return TermAssociations.from_documents(faq, terms.__getitem__, settings)


def _distinct_per_entry(sides: Sequence[Sequence[str]], vocab: Mapping[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """(entry, word id) of every distinct word of each entry's side, sorted by entry then id."""
    flat = list(chain.from_iterable(sides))
    ids = np.fromiter(map(vocab.__getitem__, flat), dtype=np.int64, count=len(flat))
    entry = np.repeat(np.arange(len(sides), dtype=np.int64), [len(side) for side in sides])
    codes = np.unique(entry * len(vocab) + ids)
    return codes // len(vocab), codes % len(vocab)

