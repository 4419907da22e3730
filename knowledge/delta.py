"""A few changed documents served on top of a shared build until the next build replaces it.

A full build of 20,810 entries takes seconds; a staff edit must answer citizens within two.
So a worker that sees a new version does not wait for it: it keeps the build it serves (the
memory-mapped files of `knowledge.persist`), hides the positions of the entries that changed or
went away (tombstones), and adds the new versions of the changed entries as a small `Delta`
searched together with the build. The changed entries are scored with the build's own
statistics — each field's idf, average length and corpus size — so their scores are on the
build's scale; a word the build never saw gets the idf of a word in one document. A full build
in the background (`knowledge.base`) then replaces build and delta.

How close that is to a full build: the full build also moves N by the documents added or
removed, and the document frequency of the changed entry's words by one, so idf and the
average length differ in the third or fourth digit on a real knowledge base; on a corpus of a
dozen entries the difference can be larger (tests/knowledge/test_delta.py compares rankings).
The speller keeps the build's vocabulary until the full build arrives.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import chain

import numpy as np

from knowledge.bm25 import BM25
from knowledge.document import Document, answer_groups
from knowledge.fielded import FieldedIndex
from knowledge.segcache import SegmentationCache, analyze_all
from knowledge.text import TextProcessor


class Delta:
    """Documents added after a build (positions after the build's) and the build positions hidden."""

    def __init__(
        self,
        base: FieldedIndex,
        docs: Sequence[Document],
        hidden: Iterable[int],
        processor: TextProcessor,
        cache: SegmentationCache | None = None,
    ) -> None:
        self.docs = tuple(docs)
        self.groups = answer_groups(self.docs)  # as the build's (`FieldedIndex.answer_groups`)
        self.n_base = len(base.documents)
        self.hidden = np.zeros(self.n_base, dtype=bool)
        self.hidden[list(hidden)] = True
        self.n_hidden = int(self.hidden.sum())
        n_keys = base.n_keys
        self._new_words: dict[str, int] = {}
        self._new_chars: dict[str, int] = {}
        titles = [(doc.title, *doc.similar, *doc.keywords) for doc in self.docs]
        terms, self.segmented = analyze_all(
            chain(chain.from_iterable(titles), (doc.body for doc in self.docs)), processor, cache
        )
        prune = base.min_char_contribution if self.n_base >= base.prune_from_docs else 0.0
        postings: dict[int, list[tuple[int, float]]] = {}
        field_best: dict[tuple[str, str], float] = {}  # (field, term) → best contribution among the docs
        self.words: list[frozenset[str]] = []
        self._title_idf: list[dict[str, float]] = []
        for j, (parts, doc) in enumerate(zip(titles, self.docs, strict=True)):
            title = [t for part in parts for t in terms[part]]
            body = terms[doc.body]
            self.words.append(frozenset(title) | frozenset(body))
            by_key: dict[int, float] = {}
            char_keys: set[int] = set()
            for field, tokens in (("text", title + body), ("title_chars", processor.characters(title)),
                                  ("body_chars", processor.characters(body))):
                weight = base.weights.get(field, 0.0)
                if field == "title_chars":
                    self._title_idf.append({c: _idf(base.fields[field], c) for c in set(tokens)})
                if not weight:
                    continue
                contributions = _field_scores(base, field, tokens)
                for term, value in contributions.items():
                    field_best[field, term] = max(field_best.get((field, term), 0.0), value)
                    key = self._key(base, field, term, n_keys)
                    by_key[key] = by_key.get(key, 0.0) + weight * value
                    if field != "text":
                        char_keys.add(key)
            for key, score in by_key.items():
                if key not in char_keys or score >= prune:
                    postings.setdefault(key, []).append((self.n_base + j, score))
        self._postings = {
            key: (np.array([p for p, _ in found], dtype=np.int32), np.array([s for _, s in found]))
            for key, found in postings.items()
        }
        # Per key, the weighted best contribution of its fields, with the build's own best (`max_score`).
        self.key_max: dict[int, float] = {}
        for (field, term), best in field_best.items():
            bm25 = base.fields[field]
            tid = bm25.vocab.get(term)
            built = float(bm25.term_max[tid]) if tid is not None else 0.0
            key = self._key(base, field, term, n_keys)
            self.key_max[key] = self.key_max.get(key, 0.0) + base.weights.get(field, 0.0) * max(best, built)

    def _key(self, base: FieldedIndex, field: str, term: str, n_keys: int) -> int:
        """The serving key of `term` in `field`: the build's, or a new one after the build's keys."""
        if field == "text":
            known, new = base._word_key, self._new_words
        else:
            known, new = base._char_key, self._new_chars
        key = known.get(term)
        if key is None:
            key = new.setdefault(term, n_keys + len(self._new_words) + len(self._new_chars))
        return key

    def knows(self, word: str) -> bool:
        """Whether `word` is a word only this delta's documents have."""
        return word in self._new_words

    def new_keys(self, words: Sequence[str], characters: Sequence[str]) -> list[int]:
        """Keys of the query's words and characters that only this delta knows."""
        keys = [self._new_words[w] for w in dict.fromkeys(words) if w in self._new_words]
        return keys + [self._new_chars[c] for c in dict.fromkeys(characters) if c in self._new_chars]

    def add_postings(self, keys: Iterable[int], ids: list[np.ndarray], contributions: list[np.ndarray]) -> None:
        """Append the delta's postings of `keys` to a query's postings lists."""
        for key in keys:
            found = self._postings.get(key)
            if found is not None:
                ids.append(found[0])
                contributions.append(found[1])

    def mark_present(self, present: dict[str, np.ndarray], hit_ids: np.ndarray) -> None:
        """Set, for hits among the delta's documents, which query words they contain."""
        for j, position in enumerate(hit_ids.tolist()):
            if position >= self.n_base:
                words = self.words[position - self.n_base]
                for word, mask in present.items():
                    mask[j] = word in words

    def title_coverage(self, characters: Sequence[str], j: int) -> float:
        """`FieldedIndex.title_coverage` for the delta's document `j`."""
        idf = self._title_idf[j]
        mass = sum(idf.values())
        if mass <= 0:
            return 0.0
        asked = set(characters)
        return sum(v for c, v in idf.items() if c in asked) / mass


def _idf(bm25: BM25, term: str) -> float:
    tid = bm25.vocab.get(term)
    return float(bm25.idf[tid]) if tid is not None else bm25.unseen_idf()


def _field_scores(base: FieldedIndex, field: str, tokens: list[str]) -> dict[str, float]:
    """Each term's BM25 contribution to one document of `field`, with the build's statistics."""
    bm25 = base.fields[field]
    if not tokens or bm25.avgdl <= 0:
        return {}
    norm = bm25.k1 * (1 - bm25.b + bm25.b * len(tokens) / bm25.avgdl)
    return {
        term: _idf(bm25, term) * (tf * (bm25.k1 + 1) / (tf + norm))
        for term, tf in Counter(tokens).items()
    }
