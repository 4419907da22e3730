"""BM25 over an inverted index, and the fielded index of FAQ entries and disclosure items.

`BM25` reproduces rank-bm25's `BM25Okapi` scores exactly (the design card asks for its
scores, and the test suite proves parity) but stores the corpus as postings, so a query
costs time proportional to the postings of its own terms instead of a pass over every
document per query term.
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from itertools import chain
from typing import NamedTuple, Protocol

import numpy as np

from knowledge.document import Document
from knowledge.text import TextProcessor


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
        k1: float = 1.5,
        b: float = 0.75,
        epsilon: float = 0.25,
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
        k1: float = 1.5,
        b: float = 0.75,
        epsilon: float = 0.25,
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
        self._scratch = _Scratch(n_docs)

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


class _Scratch:
    """Adds up postings lists per document in time proportional to their total length.

    Each thread keeps one int array of the corpus size, allocated once, never cleared: we
    write every posting's position into its document's slot, read the slots back, and the
    postings that find their own position there become the one representative of their
    document (whichever write won — numpy does not promise which, and it does not matter).
    """

    def __init__(self, n_docs: int) -> None:
        self.n_docs = n_docs
        self._local = threading.local()

    def top_k(self, ids: list[np.ndarray], contributions: list[np.ndarray], k: int) -> list[tuple[int, float]]:
        docs, scores = self.accumulate(ids, contributions)
        if k <= 0 or not len(docs):
            return []
        return _best(docs, scores, k)

    def dense_top_k(self, ids: list[np.ndarray], contributions: list[np.ndarray], k: int) -> list[tuple[int, float]]:
        """`top_k` through a dense score array: cheaper once most documents are touched.

        The k-th best score of a strided sample of the documents is a lower bound of the
        k-th best overall, so one comparison over the array leaves a few hundred candidates
        that contain the whole top k (with its ties) — much cheaper than partitioning all.
        """
        if k <= 0:
            return []
        scores = getattr(self._local, "dense", None)
        if scores is None:
            scores = self._local.dense = np.zeros(self.n_docs)
        try:
            for doc_ids, values in zip(ids, contributions, strict=True):
                np.add.at(scores, doc_ids, values)
            sample = scores[:: max(1, self.n_docs // (64 * k))]
            bound = np.partition(sample, len(sample) - k)[len(sample) - k] if len(sample) > k else 0.0
            docs = np.flatnonzero(scores >= bound) if bound > 0 else np.flatnonzero(scores)
            return _best(docs, scores[docs], k)
        finally:
            scores.fill(0.0)

    def accumulate(
        self,
        ids: list[np.ndarray],
        contributions: list[np.ndarray],
    ) -> tuple[np.ndarray, np.ndarray]:
        """(distinct doc ids, summed contributions) over all the postings given."""
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


# --------------------------------------------------------------------------- segmentation cache


class SegmentationCache(Protocol):
    """Where analysed terms of a text are kept between index builds (e.g. a DB table).

    Keys come from `segmentation_key`, so a lexicon change makes every old entry unreachable.
    """

    def get(self, key: str) -> Sequence[str] | None: ...

    def put(self, key: str, terms: list[str]) -> None: ...


class MemorySegmentationCache:
    """A dict-backed `SegmentationCache`, for tests, benchmarks and single-process use."""

    def __init__(self) -> None:
        self._data: dict[str, tuple[str, ...]] = {}

    def get(self, key: str) -> Sequence[str] | None:
        return self._data.get(key)

    def put(self, key: str, terms: list[str]) -> None:
        self._data[key] = tuple(terms)

    def __len__(self) -> int:
        return len(self._data)


def segmentation_key(lexicon_version: str, text: str) -> str:
    """sha1 of lexicon version and text: same text and same lexicon give the same terms."""
    return hashlib.sha1(f"{lexicon_version}\x00{text}".encode()).hexdigest()


def _analyze_all(
    texts: Iterable[str], processor: TextProcessor, cache: SegmentationCache | None
) -> tuple[dict[str, list[str]], int]:
    """Terms of each distinct text, from the cache where possible, the rest analysed once.

    Returns the terms by text and how many texts had to be analysed.
    """
    result: dict[str, list[str]] = {}
    keys: dict[str, str] = {}
    for text in texts:
        if text in result or text in keys:
            continue
        if not text:
            result[text] = []
            continue
        key = segmentation_key(processor.lexicon_version, text) if cache is not None else ""
        found = cache.get(key) if cache is not None else None
        if found is not None:
            result[text] = list(found)
        else:
            keys[text] = key
    missing = list(keys)
    for text, analysed in zip(missing, processor.analyze_many(missing), strict=True):
        result[text] = analysed
        if cache is not None:
            cache.put(keys[text], analysed)
    return result, len(missing)


# ------------------------------------------------------------------------------ fielded index

#: Field weights, chosen on the development set (bench/quality.py prints the comparison).
DEFAULT_WEIGHTS: Mapping[str, float] = {"text": 1.0, "title_chars": 1.0, "body_chars": 0.5}


class Ranked(NamedTuple):
    """One result of `FieldedIndex.search`."""

    position: int  # index into FieldedIndex.documents
    doc: Document
    score: float
    matched: tuple[str, ...]  # query words found anywhere in the document


class FieldedIndex:
    """FAQ entries and items in three BM25 fields whose scores are added with weights.

    * ``text`` — words of the whole document (title, similar questions / keywords, body):
      the classic BM25 document, whose idf and length statistics are the most reliable;
    * ``title_chars`` — characters of the title, similar questions and keywords;
    * ``body_chars`` — characters of the body, at half weight.

    The title thus weighs more than the body (it is in two fields at full weight), and the
    character fields catch the partial overlaps word segmentation misses (大雾 / 雾,
    车辆 / 车, 溺水者 / 溺水). Separately normalised fields beat repeating the title inside
    one BM25 document: repetition lengthens every document by its title, and the short
    title's evidence drowns in a long answer (while tuning on the development set, title×2
    or ×3 + body ranked worse than the plain document; bench/quality.py prints the
    comparison of field weights).

    For serving, the three fields' weighted contributions are merged into one inverted
    index over "keys" (a word, or a character), so a query reads one postings list per
    distinct word and character. From `prune_from_docs` documents on, a character's
    postings that add less than `min_char_contribution` to a document's score are left out
    (answered questions score 40-90): in a large corpus they are most of the common
    characters' lists (a long answer contains every common character once), and dropping
    them halves the postings a query reads at 100k documents with the same dev-set ranking
    (tried at 2k documents: hit@1 0.753 either way). Smaller knowledge bases keep every
    posting: they are fast anyway, and their low idfs would make the cut too deep. The sums
    are taken per touched document, or — when the postings outnumber a quarter of the
    corpus — in one dense per-thread array, which is then cheaper.
    """

    min_char_contribution = 1.0
    prune_from_docs = 20_000

    def __init__(
        self,
        documents: Sequence[Document],
        processor: TextProcessor,
        *,
        cache: SegmentationCache | None = None,
        weights: Mapping[str, float] | None = None,
    ) -> None:
        self.documents = tuple(documents)
        self.lexicon_version = processor.lexicon_version
        self.weights = dict(DEFAULT_WEIGHTS if weights is None else weights)
        self.characters = processor.characters
        n = len(self.documents)
        titles = [(doc.title, *doc.similar, *doc.keywords) for doc in self.documents]
        terms, self.segmented = _analyze_all(
            chain(chain.from_iterable(titles), (doc.body for doc in self.documents)), processor, cache
        )
        title_words = [[t for part in parts for t in terms[part]] for parts in titles]
        body_words = [terms[doc.body] for doc in self.documents]
        words = {w: i for i, w in enumerate(dict.fromkeys(chain.from_iterable((*title_words, *body_words))))}
        title_ids, title_docs = _token_arrays(title_words, words)
        body_ids, body_docs = _token_arrays(body_words, words)
        text_docs = np.concatenate([title_docs, body_docs])
        self.fields = {"text": BM25.from_ids(words, np.concatenate([title_ids, body_ids]), text_docs, n)}

        # Characters per distinct word, expanded with numpy instead of per token.
        char_lists = [self.characters([w]) for w in words]
        chars = {c: i for i, c in enumerate(dict.fromkeys(chain.from_iterable(char_lists)))}
        char_ids, char_word = _token_arrays(char_lists, chars)
        first_char = np.zeros(len(words) + 1, dtype=np.int64)
        np.cumsum(np.bincount(char_word, minlength=len(words)), out=first_char[1:])
        for name, ids, docs in (("title_chars", title_ids, title_docs), ("body_chars", body_ids, body_docs)):
            counts = np.diff(first_char)[ids]
            expanded = _ragged_gather(char_ids, first_char[ids], counts)
            self.fields[name] = BM25.from_ids(chars, expanded, np.repeat(docs, counts), n)

        title_chars = self.fields["title_chars"]
        by_doc = np.argsort(title_chars.post_doc, kind="stable")  # title characters per document
        self._title_terms = np.repeat(np.arange(len(title_chars.vocab)), np.diff(title_chars.offsets))[by_doc]
        self._title_bounds = np.searchsorted(title_chars.post_doc[by_doc], np.arange(n + 1)).tolist()
        self._word_key = words
        self._char_key = {c: len(words) + i for c, i in chars.items()}
        self._build_serving(n, len(words) + len(chars), {"text": words, "title_chars": chars, "body_chars": chars})
        # Per key, the weighted best contribution of its fields (for `max_score`).
        key_max = np.zeros(len(words) + len(chars))
        for name, bm25 in self.fields.items():
            if (weight := self.weights.get(name, 0.0)) and bm25.vocab:
                base = self._word_key if name == "text" else self._char_key
                key_max[[base[t] for t in bm25.vocab]] += weight * bm25.term_max[list(bm25.vocab.values())]
        self._key_max = key_max.tolist()
        self._scratch = _Scratch(n)

    def _build_serving(self, n_docs: int, n_keys: int, key_base: Mapping[str, Mapping[str, int]]) -> None:
        """Merge the fields' weighted postings into one inverted index over keys."""
        keys, docs, contributions = [], [], []
        for name, bm25 in self.fields.items():
            weight = self.weights.get(name, 0.0)
            if not weight or not bm25.vocab:
                continue
            offset = 0 if name == "text" else len(self._word_key)
            to_key = np.empty(len(bm25.vocab), dtype=np.int64)
            for term, tid in bm25.vocab.items():
                to_key[tid] = key_base[name][term] + offset
            keys.append(np.repeat(to_key, np.diff(bm25.offsets)))
            docs.append(bm25.post_doc)
            contributions.append(bm25.post_score * weight)
        if not keys:
            keys, docs, contributions = [np.zeros(0, np.int64)], [np.zeros(0, np.int32)], [np.zeros(0)]
        stride = max(n_docs, 1)
        pairs, inverse = np.unique(np.concatenate(keys) * stride + np.concatenate(docs), return_inverse=True)
        score = np.bincount(inverse, weights=np.concatenate(contributions), minlength=len(pairs))
        key = pairs // stride
        keep = key < len(self._word_key)
        keep |= score >= (self.min_char_contribution if n_docs >= self.prune_from_docs else 0.0)
        self._inv_score = score[keep]
        self._inv_doc = (pairs[keep] % stride).astype(np.int32)  # sorted by key, then doc
        self._inv_bounds = np.searchsorted(key[keep], np.arange(n_keys + 1)).tolist()

    @classmethod
    def build(
        cls,
        documents: Sequence[Document],
        processor: TextProcessor,
        *,
        cache: SegmentationCache | None = None,
        weights: Mapping[str, float] | None = None,
    ) -> FieldedIndex:
        """Same as the constructor; reads better at call sites that rebuild."""
        return cls(documents, processor, cache=cache, weights=weights)

    def __len__(self) -> int:
        return len(self.documents)

    def _field_terms(self, words: Sequence[str]) -> dict[str, list[str]]:
        """Distinct query terms per field: a word typed twice is not twice as important."""
        chars = list(dict.fromkeys(self.characters(words)))
        return {"text": list(dict.fromkeys(words)), "title_chars": chars, "body_chars": chars}

    def _query_keys(self, words: Sequence[str]) -> list[int]:
        """Keys of the distinct query words and characters the index knows."""
        keys = [self._word_key[w] for w in dict.fromkeys(words) if w in self._word_key]
        return keys + [self._char_key[c] for c in dict.fromkeys(self.characters(words)) if c in self._char_key]

    def search(self, words: Sequence[str], k: int) -> list[Ranked]:
        """The `k` best documents for the analysed query `words`, best first."""
        bounds = self._inv_bounds
        spans = [(lo, hi) for key in self._query_keys(words) if (hi := bounds[key + 1]) > (lo := bounds[key])]
        if not spans or k <= 0:
            return []
        ids = [self._inv_doc[lo:hi] for lo, hi in spans]
        contributions = [self._inv_score[lo:hi] for lo, hi in spans]
        if 4 * sum(hi - lo for lo, hi in spans) <= len(self.documents):
            ranked = self._scratch.top_k(ids, contributions, k)
        else:
            ranked = self._scratch.dense_top_k(ids, contributions, k)
        hit_ids = np.array([i for i, _ in ranked], dtype=np.int32)
        present = {w: self._contains("text", w, hit_ids) for w in dict.fromkeys(words)}
        return [
            Ranked(i, self.documents[i], score, tuple(w for w, mask in present.items() if mask[j]))
            for j, (i, score) in enumerate(ranked)
        ]

    def _contains(self, field: str, term: str, doc_ids: np.ndarray) -> np.ndarray:
        """Which of `doc_ids` have `term` in `field` (binary search in the postings)."""
        found = self.fields[field].postings(term)
        if found is None or not len(found[0]):
            return np.zeros(len(doc_ids), dtype=bool)
        ids = found[0]
        pos = np.minimum(np.searchsorted(ids, doc_ids), len(ids) - 1)
        return ids[pos] == doc_ids

    def max_score(self, words: Sequence[str]) -> float:
        """What a document matching every query term as well as any document does would get.

        Dividing a score by this puts queries of different length and rarity on one scale.
        """
        key_max = self._key_max
        return sum(key_max[key] for key in self._query_keys(words))

    def title_coverage(self, words: Sequence[str], position: int) -> float:
        """Share of the document's title characters (by idf) that the query contains.

        A question that is really the same as a FAQ entry's question covers most of it; a
        merely related entry has characters of its own (非京籍 when asked about 京籍).
        """
        field = self.fields["title_chars"]
        mass = float(field.doc_idf_mass[position])
        if mass <= 0:
            return 0.0
        asked = {field.vocab.get(c) for c in self.characters(words)}
        lo, hi = self._title_bounds[position], self._title_bounds[position + 1]
        covered = [t for t in self._title_terms[lo:hi].tolist() if t in asked]
        return float(field.idf[covered].sum()) / mass


def _token_arrays(
    docs: Sequence[Sequence[str]],
    vocab: Mapping[str, int],
) -> tuple[np.ndarray, np.ndarray]:
    """(term id of every token, index of its document), in document order."""
    flat = list(chain.from_iterable(docs))
    ids = np.fromiter(map(vocab.__getitem__, flat), dtype=np.int64, count=len(flat))
    lengths = np.fromiter(map(len, docs), dtype=np.int64, count=len(docs))
    return ids, np.repeat(np.arange(len(docs), dtype=np.int64), lengths)


def _ragged_positions(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenation of ``range(s, s + c)`` for each (s, c), without a Python loop."""
    total = int(counts.sum())
    if not total:
        return np.zeros(0, dtype=np.int64)
    run_start = np.repeat(np.cumsum(counts) - counts, counts)
    return np.repeat(starts, counts) + np.arange(total) - run_start


def _ragged_gather(values: np.ndarray, starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenation of ``values[s:s + c]`` for each (s, c)."""
    return values[_ragged_positions(starts, counts)]
