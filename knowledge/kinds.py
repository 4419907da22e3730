"""FAQ entries and item passages: two BM25 indexes, one ranking.

Items and FAQ entries are different corpora. Put into one BM25 index, a thousand passages of
building regulations shift every word's idf and the average length, and the FAQ ranking moves
although no item outranks anything (measured on the FAQ development set: hit@1 0.753 → 0.735
with the 86 Shanghai documents in the same index, every changed top three still all FAQ).
So FAQ entries are ranked by an index of FAQ entries only, exactly as without items, and
items by an index of the whole knowledge base (FAQ entries and item passages: a township with
three items would have no meaningful idf in an index of items alone), from which only items
are taken. Both use the same fields and weights and corpora of nearly the same size, so their
scores are merged as they are into one ranking: an item passage that matches better than any
FAQ entry comes first, and adding items never changes how FAQ entries rank among themselves or
how the answered-or-not decision judges them (`scope` gives the decision the statistics of the
index that ranked the best hit). Measured by `python -m bench.items`: the FAQ figures are
identical with and without the 86 documents. The price: FAQ entries are indexed twice when
there are items (build time and memory of the FAQ part double).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import numpy as np

from knowledge import passages
from knowledge.delta import Delta
from knowledge.document import NO_GROUP, Document
from knowledge.fielded import FieldedIndex, Ranked, _Joined
from knowledge.segcache import SegmentationCache
from knowledge.text import TextProcessor

# How much deeper the whole-knowledge-base index is ranked (numbers only, before any result is
# built) to find `k` items among its FAQ entries, times `passages.FANOUT` passages per item.
ITEM_DEPTH = 4


class KindIndex:
    """One `FieldedIndex` per kind of document, searched together (duck-types `FieldedIndex`).

    Positions are those of `documents`: FAQ entries, then items' passages, then (when a delta
    is served, `with_delta`) the delta's FAQ entries and items. The FAQ part numbers its own
    delta documents after its build's, so `scope` and `search` translate.
    """

    def __init__(
        self,
        documents: Sequence[Document],
        processor: TextProcessor,
        *,
        cache: SegmentationCache | None = None,
        weights: Mapping[str, float] | None = None,
        item_weights: Mapping[str, float] | None = None,
    ) -> None:
        """`item_weights` (default: `weights`) are the item part's field weights: how an item
        passage's fields weigh against each other, and so against FAQ entries in the merged
        ranking (`bench.items --calibrate` compares them; none is adopted, see the README)."""
        faq = [d for d in documents if d.kind != "item"]
        items = [d for d in documents if d.kind == "item"]
        parts: list[FieldedIndex] = []
        if faq:
            parts.append(FieldedIndex(faq, processor, cache=cache, weights=weights))
        if items:
            # Items are scored with the statistics of the whole knowledge base (a township with
            # three items would otherwise have no meaningful idf), but only items are taken from it.
            parts.append(FieldedIndex([*faq, *items], processor, cache=cache,
                                      weights=weights if item_weights is None else item_weights))
        self._setup(processor.lexicon_version, parts, len(faq), (*faq, *items))
        self.segmented = sum(part.segmented for part in self.parts)

    @classmethod
    def restore(
        cls, lexicon_version: str, parts: list[FieldedIndex], n_faq: int, documents: Sequence[Document]
    ) -> KindIndex:
        """An index over parts restored from files (`knowledge.persist`)."""
        self = cls.__new__(cls)
        self._setup(lexicon_version, parts, n_faq, documents)
        self.segmented = 0
        return self

    def _setup(
        self, lexicon_version: str, parts: list[FieldedIndex], n_faq: int, documents: Sequence[Document]
    ) -> None:
        self.lexicon_version = lexicon_version
        self.parts = parts
        self.n_faq = n_faq
        self.documents = documents
        self._n_all = len(documents)
        self._faq_part = parts[0] if n_faq else None
        self._item_part = parts[-1] if len(documents) > n_faq else None
        self._delta_faq = 0  # FAQ entries in the delta

    def __len__(self) -> int:
        return len(self.documents)

    def with_delta(
        self,
        changed: Sequence[Document],
        removed: Collection[str],
        processor: TextProcessor,
        cache: SegmentationCache | None = None,
    ) -> KindIndex | None:
        """This index with `changed` documents (passages expanded) served on top and the build's
        documents of `removed` or changed keys hidden; None when a part the delta needs is missing
        (the first item of a knowledge base of FAQ entries only): then only a full build will do."""
        faq = [d for d in changed if d.kind != "item"]
        items = [d for d in changed if d.kind == "item"]
        if (faq and self._faq_part is None) or (items and self._item_part is None):
            return None
        if self._delta_faq or len(self.documents) != self._n_all:
            raise ValueError("a delta goes on a build, not on another delta")
        hidden = _positions(self.documents, {*removed, *(d.key for d in changed)})
        copy = KindIndex.__new__(KindIndex)
        copy.__dict__.update(self.__dict__)
        copy.parts = []
        copy.segmented = 0
        for part in self.parts:
            docs = [*faq, *items] if part is self._item_part else faq
            own = [p for p in hidden if p < len(part.documents)]
            delta = Delta(part, docs, own, processor, cache)
            copy.segmented = max(copy.segmented, delta.segmented)
            copy.parts.append(part.with_delta(delta))
        copy._faq_part = copy.parts[0] if self._faq_part is not None else None
        copy._item_part = copy.parts[-1] if self._item_part is not None else None
        copy._delta_faq = len(faq)
        copy.documents = _Joined(self.documents, [*faq, *items])
        return copy

    def _global(self, position: int) -> int:
        """A FAQ part's position as a position of `documents`."""
        return position if position < self.n_faq else self._n_all + position - self.n_faq

    def scope(self, position: int) -> tuple[FieldedIndex, int]:
        """The index that answers for `position`, and the position there."""
        if position < self.n_faq and self._faq_part is not None:
            return self._faq_part, position
        if position < self._n_all and self._item_part is not None:
            return self._item_part, position
        j = position - self._n_all
        if 0 <= j < self._delta_faq and self._faq_part is not None:
            return self._faq_part, self.n_faq + j
        if j >= 0 and self._item_part is not None and position < len(self.documents):
            return self._item_part, position
        raise IndexError(position)

    def search(self, words: Sequence[str], k: int) -> list[Ranked]:
        """The `k` best across kinds, best first; ties go to the lower position (FAQ first)."""
        return self.materialize(words, self.rank(words, k))

    def rank(self, words: Sequence[str], k: int) -> list[tuple[int, float]]:
        """(position, score) of the `k` best across kinds (`search` without reading a document)."""
        merged: list[tuple[int, float]] = []
        if self._faq_part is not None:  # FAQ entries: one document each
            merged.extend((self._global(p), s) for p, s in self._faq_part.rank(words, k))
        if self._item_part is not None:  # item passages among FAQ entries: the best passage of each item
            merged.extend(self._item_part.rank(words, k, first=self.n_faq, fanout=ITEM_DEPTH * passages.FANOUT,
                                               kind="item"))
        merged.sort(key=lambda r: (-r[1], r[0]))
        return merged[:k]

    def materialize(self, words: Sequence[str], ranked: Sequence[tuple[int, float]]) -> list[Ranked]:
        """`Ranked` results for pairs of `rank`, each read from the part that ranked it."""
        by_part: dict[int, list[tuple[int, tuple[int, float]]]] = {}
        for at, (position, score) in enumerate(ranked):
            part, local = self.scope(position)
            by_part.setdefault(id(part), []).append((at, (local, score)))
        results: list[Ranked | None] = [None] * len(ranked)
        for part in self.parts:
            entries = by_part.get(id(part), [])
            if not entries:
                continue
            found = part.materialize(words, [pair for _at, pair in entries])
            for (at, _pair), r in zip(entries, found, strict=True):
                results[at] = r._replace(position=ranked[at][0])
        return [r for r in results if r is not None]

    def answer_groups(self, positions: np.ndarray) -> np.ndarray:
        """The answer group of each position (`knowledge.document.answer_group`; items have none)."""
        positions = np.asarray(positions, dtype=np.int64)
        groups = np.full(len(positions), NO_GROUP, dtype=np.int64)
        if self._faq_part is not None:
            built = positions < self.n_faq
            groups[built] = self._faq_part.answer_groups(positions[built])
            added = (positions >= self._n_all) & (positions < self._n_all + self._delta_faq)
            groups[added] = self._faq_part.answer_groups(positions[added] - self._n_all + self.n_faq)
        return groups

    def knows(self, word: str) -> bool:
        """Whether `word` is a word of any document served (`FieldedIndex.knows`)."""
        return any(part.knows(word) for part in self.parts)

    @property
    def domain_verbs(self) -> frozenset[str]:
        """The domain verbs of the documents served (`FieldedIndex.domain_verbs`): the last part's,
        which holds every document when there are items, else the FAQ part's."""
        return self.parts[-1].domain_verbs if self.parts else frozenset()

    def max_score(self, words: Sequence[str]) -> float:
        """The largest attainable score in any part (see `FieldedIndex.max_score`)."""
        return max((part.max_score(words) for part in self.parts), default=0.0)

    def title_coverage(self, words: Sequence[str], position: int) -> float:
        part, local = self.scope(position)
        return part.title_coverage(words, local)


def _positions(documents: Sequence[Document], keys: set[str]) -> list[int]:
    """Positions of documents with these keys (a mapped table finds them without decoding)."""
    finder = getattr(documents, "positions_of", None)
    if finder is not None:
        found: list[int] = finder(keys)
        return found
    return [i for i, d in enumerate(documents) if d.key in keys]
