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

from collections.abc import Mapping, Sequence

from knowledge import passages
from knowledge.document import Document
from knowledge.fielded import FieldedIndex, Ranked
from knowledge.segcache import SegmentationCache
from knowledge.text import TextProcessor

# How much deeper the whole-knowledge-base index is ranked (numbers only, before any result is
# built) to find `k` items among its FAQ entries, times `passages.FANOUT` passages per item.
ITEM_DEPTH = 4


class KindIndex:
    """One `FieldedIndex` per kind of document, searched together (duck-types `FieldedIndex`)."""

    def __init__(
        self,
        documents: Sequence[Document],
        processor: TextProcessor,
        *,
        cache: SegmentationCache | None = None,
        weights: Mapping[str, float] | None = None,
    ) -> None:
        self.lexicon_version = processor.lexicon_version
        faq = [d for d in documents if d.kind != "item"]
        items = [d for d in documents if d.kind == "item"]
        self.parts: list[FieldedIndex] = []
        self._offsets: list[int] = []
        self._first: list[int] = []  # per part, the first position that part answers for
        if faq:
            self.parts.append(FieldedIndex(faq, processor, cache=cache, weights=weights))
            self._offsets.append(0)
            self._first.append(0)
        if items:
            # Items are scored with the statistics of the whole knowledge base (a township with
            # three items would otherwise have no meaningful idf), but only items are taken from it.
            self.parts.append(FieldedIndex([*faq, *items], processor, cache=cache, weights=weights))
            self._offsets.append(0)
            self._first.append(len(faq))
        self.documents = (*faq, *items)
        self.segmented = sum(part.segmented for part in self.parts)

    def __len__(self) -> int:
        return len(self.documents)

    def scope(self, position: int) -> tuple[FieldedIndex, int]:
        """The index that answers for `position`, and the position there."""
        for part, offset, first in zip(reversed(self.parts), reversed(self._offsets), reversed(self._first),
                                       strict=True):
            if position >= first:
                return part, position - offset
        raise IndexError(position)

    def search(self, words: Sequence[str], k: int) -> list[Ranked]:
        """The `k` best across kinds, best first; ties go to the lower position (FAQ first)."""
        merged: list[Ranked] = []
        for part, first in zip(self.parts, self._first, strict=True):
            if first == 0 and part.documents and part.documents[0].kind != "item":
                merged.extend(part.search(words, k))  # FAQ entries: one document each
            else:  # item passages among FAQ entries: the best passage of each item
                merged.extend(part.search(words, k, first=first, fanout=ITEM_DEPTH * passages.FANOUT))
        merged.sort(key=lambda r: (-r.score, r.position))
        return merged[:k]

    def max_score(self, words: Sequence[str]) -> float:
        """The largest attainable score in any part (see `FieldedIndex.max_score`)."""
        return max((part.max_score(words) for part in self.parts), default=0.0)

    def title_coverage(self, words: Sequence[str], position: int) -> float:
        part, local = self.scope(position)
        return part.title_coverage(words, local)
