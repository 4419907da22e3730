"""The fielded index of FAQ entries and disclosure items: three BM25 fields served as one.

See `FieldedIndex` for the fields and why; `knowledge.bm25` scores each field, and
`knowledge.segcache` keeps the analysed terms between builds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cached_property
from itertools import chain
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from knowledge.bm25 import BM25, Scratch
from knowledge.document import Document, DocumentSequence, answer_groups
from knowledge.segcache import SegmentationCache, analyze_all
from knowledge.text import TextProcessor
from knowledge.topicwords import domain_verbs

if TYPE_CHECKING:
    from knowledge.delta import Delta

# From this many documents on, character postings adding less than MIN_CHAR_CONTRIBUTION to a
# document's score are pruned (see `FieldedIndex`; answered questions score 40-90).
PRUNE_FROM_DOCS = 20_000
MIN_CHAR_CONTRIBUTION = 1.0
# A query whose postings exceed this share of the corpus is summed in a dense array.
DENSE_FROM_SHARE = 0.25

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
    are taken per touched document, or — when the postings outnumber `DENSE_FROM_SHARE` of
    the corpus — in one dense per-thread array, which is then cheaper.
    """

    min_char_contribution = MIN_CHAR_CONTRIBUTION
    prune_from_docs = PRUNE_FROM_DOCS

    def __init__(
        self,
        documents: Sequence[Document],
        processor: TextProcessor,
        *,
        cache: SegmentationCache | None = None,
        weights: Mapping[str, float] | None = None,
    ) -> None:
        self.documents: Sequence[Document] = tuple(documents)
        self.lexicon_version = processor.lexicon_version
        self.weights = dict(DEFAULT_WEIGHTS if weights is None else weights)
        self.characters = processor.characters
        n = len(self.documents)
        titles = [(doc.title, *doc.similar, *doc.keywords) for doc in self.documents]
        terms, self.segmented = analyze_all(
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
        self._scratch = Scratch(n)
        self._n = n  # documents of the build itself; a delta (knowledge.delta) adds positions after them
        self._delta: Delta | None = None
        self.groups = answer_groups(self.documents)  # per position: entries sharing an answer share it

    @classmethod
    def restore(cls, documents: Sequence[Document], state: Mapping[str, Any]) -> FieldedIndex:
        """An index from the state `knowledge.persist` saved (arrays may be read-only memory maps).

        No segmentation and no array is computed: a worker maps a build another process made.
        """
        self = cls.__new__(cls)
        self.documents = documents
        self.lexicon_version = state["lexicon_version"]
        self.weights = dict(state["weights"])
        self.characters = TextProcessor.characters
        self.segmented = 0
        self.fields = dict(state["fields"])
        self._title_terms = state["title_terms"]
        self._title_bounds = state["title_bounds"]
        self._word_key = state["word_key"]
        self._char_key = state["char_key"]
        self._inv_score = state["inv_score"]
        self._inv_doc = state["inv_doc"]
        self._inv_bounds = state["inv_bounds"].tolist()
        self._key_max = state["key_max"].tolist()
        self.groups = state["groups"]
        n = len(documents)
        self._scratch = Scratch(n)
        self._n = n
        self._delta = None
        return self

    @property
    def n_keys(self) -> int:
        """Distinct words and characters of the build (its serving keys)."""
        return len(self._inv_bounds) - 1

    def with_delta(self, delta: Delta) -> FieldedIndex:
        """This build with `delta`'s documents added and its hidden positions left out (a new object)."""
        copy = object.__new__(type(self))
        copy.__dict__.update(self.__dict__)
        copy._delta = delta
        copy.documents = _Joined(self.documents, delta.docs)
        copy._scratch = Scratch(self._n + len(delta.docs))
        return copy

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

    def knows(self, word: str) -> bool:
        """Whether `word` is a word of this index's documents (its build's or its delta's)."""
        return word in self._word_key or (self._delta is not None and self._delta.knows(word))

    @cached_property
    def domain_verbs(self) -> frozenset[str]:
        """The verbs that name a domain of this build's documents (`knowledge.topicwords.domain_verbs`),
        worked out once per build from its vocabulary (a delta's new words wait for the next build)."""
        return domain_verbs(self._word_key)

    def _query_keys(self, words: Sequence[str]) -> list[int]:
        """Keys of the distinct query words and characters the index (and its delta) knows."""
        word_key, char_key = self._word_key, self._char_key
        keys = [word_key[w] for w in dict.fromkeys(words) if w in word_key]
        keys += [char_key[c] for c in dict.fromkeys(self.characters(words)) if c in char_key]
        if self._delta is not None:
            keys += self._delta.new_keys(words, self.characters(words))
        return keys

    def search(
        self, words: Sequence[str], k: int, *, first: int = 0, fanout: int = 1, kind: str | None = None
    ) -> list[Ranked]:
        """The `k` best documents for the analysed query `words`, best first (`rank`, then `materialize`)."""
        return self.materialize(words, self.rank(words, k, first=first, fanout=fanout, kind=kind))

    def rank(
        self, words: Sequence[str], k: int, *, first: int = 0, fanout: int = 1, kind: str | None = None
    ) -> list[tuple[int, float]]:
        """(position, score) of the `k` best documents for the analysed query `words`, best first,
        ties by lower position: numbers only, no document is read.

        `first`, `fanout` and `kind` serve `knowledge.kinds`: only positions from `first` on
        count (and, among a delta's documents, only those of `kind`), one per document key
        (passages of one item share it), found among the `k * fanout` best.
        """
        bounds, n_keys, delta = self._inv_bounds, self.n_keys, self._delta
        keys = self._query_keys(words)
        spans = [(lo, hi) for key in keys if key < n_keys and (hi := bounds[key + 1]) > (lo := bounds[key])]
        ids = [self._inv_doc[lo:hi] for lo, hi in spans]
        contributions = [self._inv_score[lo:hi] for lo, hi in spans]
        wanted = k * fanout
        if delta is not None:
            delta.add_postings(keys, ids, contributions)
            wanted += delta.n_hidden  # hidden positions may take places in the top
        if not ids or k <= 0:
            return []
        memo = tuple(keys)  # the sums of these keys' postings, kept for the policy's deeper search
        if sum(len(i) for i in ids) <= DENSE_FROM_SHARE * len(self.documents):
            ranked = self._scratch.top_k(ids, contributions, wanted, memo)
        else:
            ranked = self._scratch.dense_top_k(ids, contributions, wanted, memo)
        if delta is not None and delta.n_hidden:
            ranked = [(i, s) for i, s in ranked if i >= self._n or not delta.hidden[i]][: k * fanout]
        if first or fanout > 1:
            ranked = _distinct(self.documents, ranked, first, k, self._n if kind else len(self.documents), kind)
        return ranked

    def materialize(self, words: Sequence[str], ranked: Sequence[tuple[int, float]]) -> list[Ranked]:
        """`Ranked` results for (position, score) pairs of `rank`: the documents are read here,
        and which query words each contains is looked up in the postings."""
        if not ranked:
            return []
        hit_ids = np.array([i for i, _ in ranked], dtype=np.int32)
        present = {w: self._contains("text", w, hit_ids) for w in dict.fromkeys(words)}
        if self._delta is not None:
            self._delta.mark_present(present, hit_ids)
        return [
            Ranked(i, self.documents[i], score, tuple(w for w, mask in present.items() if mask[j]))
            for j, (i, score) in enumerate(ranked)
        ]

    def answer_groups(self, positions: np.ndarray) -> np.ndarray:
        """The answer group (`knowledge.document.answer_group`) of each position, a delta's included."""
        positions = np.asarray(positions, dtype=np.int64)
        if self._delta is None or not len(positions) or int(positions.max()) < self._n:
            found: np.ndarray = self.groups[positions]
            return found
        built = positions < self._n
        found = np.empty(len(positions), dtype=np.int64)
        found[built] = self.groups[positions[built]]
        found[~built] = self._delta.groups[positions[~built] - self._n]
        return found

    def _contains(self, field: str, term: str, doc_ids: np.ndarray) -> np.ndarray:
        """Which of `doc_ids` have `term` in `field` (binary search in the postings)."""
        found = self.fields[field].postings(term)
        if found is None or not len(found[0]):
            return np.zeros(len(doc_ids), dtype=bool)
        ids = found[0]
        pos = np.minimum(np.searchsorted(ids, doc_ids), len(ids) - 1)
        found_at: np.ndarray = ids[pos] == doc_ids
        return found_at

    def holds(self, word: str, position: int) -> bool:
        """Whether the document at `position` (of the build or of its delta) contains `word`."""
        if position >= self._n:
            assert self._delta is not None
            return word in self._delta.words[position - self._n]
        return bool(self._contains("text", word, np.array([position]))[0])

    def holds_all(self, word: str, positions: Sequence[int]) -> list[bool]:
        """`holds` for several positions, with one search in the postings for the build's."""
        built = [p for p in positions if p < self._n]
        found = dict(zip(built, self._contains("text", word, np.array(built, dtype=np.int64)).tolist(), strict=True))
        return [found[p] if p < self._n else self.holds(word, p) for p in positions]

    def scope(self, position: int) -> tuple[FieldedIndex, int]:
        """The index holding `position` and the position there: itself (see `knowledge.kinds`)."""
        return self, position

    def max_score(self, words: Sequence[str]) -> float:
        """What a document matching every query term as well as any document does would get.

        Dividing a score by this puts queries of different length and rarity on one scale.
        """
        key_max, n_keys = self._key_max, self.n_keys
        if self._delta is None:
            return sum(key_max[key] for key in self._query_keys(words))
        extra = self._delta.key_max
        return sum(max(key_max[key] if key < n_keys else 0.0, extra.get(key, 0.0)) for key in self._query_keys(words))

    def title_coverage(self, words: Sequence[str], position: int) -> float:
        """Share of the document's title characters (by idf) that the query contains.

        A question that is really the same as a FAQ entry's question covers most of it; a
        merely related entry has characters of its own (非京籍 when asked about 京籍).
        """
        if position >= self._n:
            assert self._delta is not None
            return self._delta.title_coverage(self.characters(words), position - self._n)
        field = self.fields["title_chars"]
        mass = float(field.doc_idf_mass[position])
        if mass <= 0:
            return 0.0
        asked = {field.vocab.get(c) for c in self.characters(words)}
        lo, hi = int(self._title_bounds[position]), int(self._title_bounds[position + 1])
        covered = [t for t in self._title_terms[lo:hi].tolist() if t in asked]
        return float(field.idf[covered].sum()) / mass


def _distinct(
    documents: Sequence[Document], ranked: list[tuple[int, float]], first: int, k: int,
    checked_from: int, kind: str | None,
) -> list[tuple[int, float]]:
    """The first `k` of `ranked` at positions from `first` on, one per document key; from
    `checked_from` on (a delta's documents, which mix kinds) only documents of `kind`."""
    seen: set[str] = set()
    kept = []
    for position, score in ranked:
        if position < first or (position >= checked_from and documents[position].kind != kind):
            continue
        if (key := documents[position].key) not in seen:
            seen.add(key)
            kept.append((position, score))
            if len(kept) == k:
                break
    return kept


class _Joined(DocumentSequence):
    """A build's documents followed by a delta's, without copying either."""

    def __init__(self, base: Sequence[Document], extra: Sequence[Document]) -> None:
        self.base, self.extra = base, extra

    def __len__(self) -> int:
        return len(self.base) + len(self.extra)

    def _at(self, i: int) -> Document:
        n = len(self.base)
        return self.base[i] if i < n else self.extra[i - n]


def _token_arrays(
    docs: Sequence[Sequence[str]],
    vocab: Mapping[str, int],
) -> tuple[np.ndarray, np.ndarray]:
    """(term id of every token, index of its document), in document order."""
    flat = list(chain.from_iterable(docs))
    ids = np.fromiter(map(vocab.__getitem__, flat), dtype=np.int64, count=len(flat))
    lengths = np.fromiter(map(len, docs), dtype=np.int64, count=len(docs))
    return ids, np.repeat(np.arange(len(docs), dtype=np.int64), lengths)


def ragged_positions(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenation of ``range(s, s + c)`` for each (s, c), without a Python loop."""
    total = int(counts.sum())
    if not total:
        return np.zeros(0, dtype=np.int64)
    run_start = np.repeat(np.cumsum(counts) - counts, counts)
    positions: np.ndarray = np.repeat(starts, counts) + np.arange(total) - run_start
    return positions


def _ragged_gather(values: np.ndarray, starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenation of ``values[s:s + c]`` for each (s, c)."""
    gathered: np.ndarray = values[ragged_positions(starts, counts)]
    return gathered
