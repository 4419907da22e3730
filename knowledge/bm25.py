"""Okapi BM25 over postings lists, and the per-thread scratch space that adds them up.

`BM25` reproduces rank-bm25's `BM25Okapi` scores exactly (the design card asks for its
scores, and the test suite proves parity) but stores the corpus as postings, so a query
costs time proportional to the postings of its own terms instead of a pass over every
document per query term. `Scratch` sums postings per document without touching the others.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Hashable, Mapping, Sequence
from itertools import chain

import numpy as np

# rank-bm25's defaults, kept so that our scores equal BM25Okapi's out of the box.
K1 = 1.5
B = 0.75
EPSILON = 0.25
# `Scratch.dense_top_k` samples this many documents per wanted hit to bound the k-th score:
# enough that the bound is tight (a few hundred candidates), few enough to be cheap.
DENSE_SAMPLE_PER_K = 64


class BM25:
    """Okapi BM25 with rank-bm25's exact formula, served from postings lists.

    For every term we keep the sorted ids of the documents containing it and each one's
    full contribution ``idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl / avgdl))``,
    computed once at build time; a query only adds those arrays up. idf is rank-bm25's
    ``log(N - n + 0.5) - log(n + 0.5)`` with negative values replaced by
    ``epsilon * mean(idf)``, and a repeated query term counts once per occurrence.
    """

    def __init__(
        self,
        corpus: Sequence[Sequence[str]],
        k1: float = K1,
        b: float = B,
        epsilon: float = EPSILON,
    ) -> None:
        flat = list(chain.from_iterable(corpus))
        vocab = {term: i for i, term in enumerate(dict.fromkeys(flat))}
        term_ids = np.fromiter(map(vocab.__getitem__, flat), dtype=np.int64, count=len(flat))
        lengths = np.fromiter(map(len, corpus), dtype=np.int64, count=len(corpus))
        doc_ids = np.repeat(np.arange(len(corpus), dtype=np.int64), lengths)
        self._build(vocab, term_ids, doc_ids, len(corpus), k1, b, epsilon)

    @classmethod
    def from_ids(
        cls,
        vocab: Mapping[str, int],
        term_ids: np.ndarray,
        doc_ids: np.ndarray,
        n_docs: int,
        k1: float = K1,
        b: float = B,
        epsilon: float = EPSILON,
    ) -> BM25:
        """Build from parallel arrays (term id, doc id) of every token, in any order.

        `vocab` may name terms that never occur here (a vocabulary shared between fields);
        they are left out, as rank-bm25 would never have seen them.
        """
        self = cls.__new__(cls)
        self._build(vocab, term_ids, doc_ids, n_docs, k1, b, epsilon)
        return self

    def _build(
        self,
        vocab: Mapping[str, int],
        term_ids: np.ndarray,
        doc_ids: np.ndarray,
        n_docs: int,
        k1: float,
        b: float,
        epsilon: float,
    ) -> None:
        self.k1, self.b, self.epsilon = k1, b, epsilon
        self.corpus_size = n_docs
        self.doc_len = np.bincount(doc_ids, minlength=n_docs).astype(np.int64)
        self.avgdl = float(self.doc_len.sum()) / n_docs if n_docs else 0.0
        stride = max(n_docs, 1)
        # Count (term, doc) pairs with one sort instead of a Counter per document.
        pairs, tf = np.unique(term_ids.astype(np.int64) * stride + doc_ids, return_counts=True)
        post_term = pairs // stride
        df = np.bincount(post_term, minlength=len(vocab))
        present = df > 0
        if not present.all():  # drop terms of a shared vocabulary that this field lacks
            new_id = np.cumsum(present) - 1
            vocab = {t: int(new_id[i]) for t, i in vocab.items() if present[i]}
            post_term, df = new_id[post_term], df[present]
        self.vocab = dict(vocab)
        n_terms = len(self.vocab)
        self.post_doc = (pairs % stride).astype(np.int32)  # sorted by doc within each term
        self.offsets = np.zeros(n_terms + 1, dtype=np.int64)
        np.cumsum(df, out=self.offsets[1:])

        idf = np.log(n_docs - df + 0.5) - np.log(df + 0.5)
        self.average_idf = float(idf.sum()) / n_terms if n_terms else 0.0
        idf[idf < 0] = epsilon * self.average_idf
        self.idf = idf

        tf = tf.astype(np.float64)
        dl = self.doc_len[self.post_doc].astype(np.float64)
        norm = k1 * (1 - b + b * dl / self.avgdl) if n_terms else dl  # no terms: empty
        self.post_score = idf[post_term] * (tf * (k1 + 1) / (tf + norm))
        # Per term its best contribution to any document; per document the idf of its
        # distinct terms added up. Both feed the answered-or-not decision in `Searcher`.
        self.term_max = np.maximum.reduceat(self.post_score, self.offsets[:-1]) if n_terms else np.zeros(0)
        self.doc_idf_mass = np.bincount(self.post_doc, weights=idf[post_term], minlength=n_docs)
        self._bounds = self.offsets.tolist()  # Python ints: fast slicing on the query path
        self._scratch = Scratch(n_docs)

    #: What `knowledge.persist` saves of a field and `restore` reads back.
    ARRAYS = ("post_doc", "offsets", "idf", "post_score", "term_max", "doc_idf_mass", "doc_len")
    SCALARS = ("k1", "b", "epsilon", "corpus_size", "avgdl", "average_idf")

    @classmethod
    def restore(cls, vocab: dict[str, int], arrays: Mapping[str, np.ndarray], scalars: Mapping[str, float]) -> BM25:
        """A field from saved arrays (read-only memory maps are fine: nothing here writes them)."""
        self = cls.__new__(cls)
        self.vocab = vocab
        for name in cls.ARRAYS:
            setattr(self, name, arrays[name])
        self.k1, self.b, self.epsilon = float(scalars["k1"]), float(scalars["b"]), float(scalars["epsilon"])
        self.corpus_size = int(scalars["corpus_size"])
        self.avgdl, self.average_idf = float(scalars["avgdl"]), float(scalars["average_idf"])
        self._bounds = self.offsets.tolist()
        self._scratch = Scratch(self.corpus_size)
        return self

    def unseen_idf(self) -> float:
        """The idf a term found in one new document would get with this field's statistics."""
        idf = float(np.log(self.corpus_size - 0.5) - np.log(1.5)) if self.corpus_size > 1 else 0.0
        return idf if idf >= 0 else self.epsilon * self.average_idf

    def postings(self, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        """Sorted doc ids containing `term` and their score contributions; None if unseen."""
        tid = self.vocab.get(term)
        if tid is None:
            return None
        lo, hi = self._bounds[tid], self._bounds[tid + 1]
        return self.post_doc[lo:hi], self.post_score[lo:hi]

    def term_idf(self, term: str) -> float:
        """The (floored) idf of `term`; 0 for a term the corpus never saw, as in rank-bm25."""
        tid = self.vocab.get(term)
        return 0.0 if tid is None else float(self.idf[tid])

    def document_count(self, term: str) -> int:
        """How many documents contain `term` (0 if unseen)."""
        tid = self.vocab.get(term)
        return 0 if tid is None else self._bounds[tid + 1] - self._bounds[tid]

    def max_term_score(self, term: str) -> float:
        """The largest contribution `term` makes to any document (0 if unseen)."""
        tid = self.vocab.get(term)
        return 0.0 if tid is None else float(self.term_max[tid])

    def get_scores(self, query_terms: Sequence[str]) -> np.ndarray:
        """Scores of every document, identical to ``BM25Okapi.get_scores`` (parity API)."""
        scores = np.zeros(self.corpus_size)
        for term, count in Counter(query_terms).items():
            found = self.postings(term)
            if found is not None:
                scores[found[0]] += count * found[1]
        return scores

    def top_k(self, query_terms: Sequence[str], k: int) -> list[tuple[int, float]]:
        """The `k` best (doc index, score) pairs, best first, ties by lower index.

        Only documents containing at least one query term are ranked (the others score 0);
        the work is proportional to those terms' postings, not to the corpus.
        """
        ids, contributions = [], []
        for term, count in Counter(query_terms).items():
            found = self.postings(term)
            if found is not None:
                ids.append(found[0])
                contributions.append(found[1] * count if count > 1 else found[1])
        return self._scratch.top_k(ids, contributions, k)


class Scratch:
    """Adds up postings lists per document in time proportional to their total length.

    Each thread keeps one int array of the corpus size, allocated once, never cleared: we
    write every posting's position into its document's slot, read the slots back, and the
    postings that find their own position there become the one representative of their
    document (whichever write won — numpy does not promise which, and it does not matter).

    A caller passing `memo` (a hashable naming the postings, such as the query's keys) gets the
    previous sums back when the same thread asks again with the same `memo`: the answer policy
    searches one question twice, a page deep and ten pages deep (`AnswerPolicy._distinct_answers`),
    and the sums do not depend on how many hits are wanted.
    """

    def __init__(self, n_docs: int) -> None:
        self.n_docs = n_docs
        self._local = threading.local()

    def top_k(
        self, ids: list[np.ndarray], contributions: list[np.ndarray], k: int, memo: Hashable | None = None
    ) -> list[tuple[int, float]]:
        docs, scores = self.accumulate(ids, contributions, memo)
        if k <= 0 or not len(docs):
            return []
        return _best(docs, scores, k)

    def dense_top_k(
        self, ids: list[np.ndarray], contributions: list[np.ndarray], k: int, memo: Hashable | None = None
    ) -> list[tuple[int, float]]:
        """`top_k` through a dense score array: cheaper once most documents are touched.

        The k-th best score of a strided sample of the documents (`DENSE_SAMPLE_PER_K` per
        wanted hit) is a lower bound of the k-th best overall, so one comparison over the
        array leaves a few hundred candidates that contain the whole top k (with its ties) —
        much cheaper than partitioning all.
        """
        if k <= 0:
            return []
        local = self._local
        scores = getattr(local, "dense", None)
        if scores is None:
            scores = local.dense = np.zeros(self.n_docs)
        if memo is None or getattr(local, "dense_memo", None) != memo:
            local.dense_memo = None  # the array holds no complete sums until the loop ends
            scores.fill(0.0)
            for doc_ids, values in zip(ids, contributions, strict=True):
                np.add.at(scores, doc_ids, values)
            local.dense_memo = memo
        sample = scores[:: max(1, self.n_docs // (DENSE_SAMPLE_PER_K * k))]
        bound = np.partition(sample, len(sample) - k)[len(sample) - k] if len(sample) > k else 0.0
        docs = np.flatnonzero(scores >= bound) if bound > 0 else np.flatnonzero(scores)
        return _best(docs, scores[docs], k)

    def accumulate(
        self,
        ids: list[np.ndarray],
        contributions: list[np.ndarray],
        memo: Hashable | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """(distinct doc ids, summed contributions) over all the postings given."""
        if memo is not None:
            last = getattr(self._local, "sums", None)
            if last is not None and last[0] == memo:
                return last[1], last[2]
            docs, sums = self._accumulate(ids, contributions)
            self._local.sums = (memo, docs, sums)
            return docs, sums
        return self._accumulate(ids, contributions)

    def _accumulate(self, ids: list[np.ndarray], contributions: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        if len(ids) <= 1:  # one postings list has distinct docs already
            return (ids[0], contributions[0]) if ids else (np.zeros(0, np.int32), np.zeros(0))
        all_ids = np.concatenate(ids)
        all_contrib = np.concatenate(contributions)
        slot = getattr(self._local, "slot", None)
        if slot is None:
            slot = self._local.slot = np.zeros(self.n_docs, dtype=np.int64)
        position = np.arange(len(all_ids))
        slot[all_ids] = position
        representative = slot[all_ids]
        is_first = representative == position
        group = np.cumsum(is_first) - 1
        sums = np.bincount(group[representative], weights=all_contrib)
        return all_ids[is_first], sums


def _best(docs: np.ndarray, scores: np.ndarray, k: int) -> list[tuple[int, float]]:
    """The `k` best (doc, score) pairs, best first, ties by lower doc index (exactly)."""
    if len(docs) > k:
        kth = np.partition(scores, len(scores) - k)[len(scores) - k]
        keep = scores >= kth  # every document tied with the k-th competes for its place
        docs, scores = docs[keep], scores[keep]
    order = np.lexsort((docs, -scores))[:k]
    return list(zip(docs[order].tolist(), scores[order].tolist(), strict=True))
