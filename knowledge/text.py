"""Text normalisation and segmentation shared by indexing and querying.

Documents and citizens' questions go through the very same `TextProcessor.analyze`, so any
mapping applied here (traditional → simplified, lay wording → official term) is applied to both
sides and the index never has to know about it.

The lexicon is three staff-editable files (see the comment header of each):

* ``userdict.txt`` — words jieba must keep whole (government and local terms);
* ``synonyms.txt`` — groups of variants mapped onto one canonical, official term;
* ``stopwords.txt`` — function words dropped from both documents and questions.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import jieba

from knowledge.folding import fold, simplifier

DEFAULT_LEXICON_DIR = Path(__file__).parent / "data" / "lexicon"

# Bump whenever the analysis algorithm changes in a way that changes terms for the same
# lexicon: it is part of `lexicon_version`, so segmentation caches are invalidated too.
ANALYZER_VERSION = "3"
# `TextProcessor.analyze` keeps the terms of this many recent texts of at most
# `ANALYZED_MEMO_CHARS` characters (questions, sentences: a few hundred bytes each; an answer
# body analysed once, when associations are learned, would only crowd them out and hold memory).
ANALYZED_MEMO = 4096
ANALYZED_MEMO_CHARS = 1000

_LEXICON_FILES = ("userdict.txt", "synonyms.txt", "stopwords.txt")
# jieba's own block patterns: runs it segments with the dictionary, and single ASCII
# letters/digits that it glues back together.
_HAN_BLOCK = jieba.re_han_default
_ASCII_ALNUM = jieba.re_eng
_MISSING = object()
# A term must contain at least one letter, digit or CJK ideograph; this drops punctuation,
# symbols and emoji in one test.
_WORDLIKE = re.compile(r"[^\W_]")
def word_file_lines(path: Path) -> Iterator[list[str]]:
    """The whitespace-separated fields of each non-blank line of a word list, `#` comments cut.

    The one reader of the staff-editable word lists: the lexicon here and the reports' stopwords.
    """
    if not path.exists():
        return
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            yield line.split()


class TextProcessor:
    """Normalise, segment and canonicalise Chinese text into index/query terms.

    Construction does all the slow work (jieba's prefix dictionary, the user dictionary,
    OpenCC's tables), so build one at application start-up and share it; `analyze` is then
    thread-safe and reads no files.

    Synonyms are *replaced* by their canonical term, on both the document and the query side,
    rather than expanded at query time: a document saying 低保 and one saying 最低生活保障 then
    share one term with one idf, a question does not grow longer (and score higher) for using
    lay wording, and the matched terms shown to users are the official ones.
    """

    def __init__(self, lexicon_dir: str | Path | None = None) -> None:
        self.lexicon_dir = Path(lexicon_dir) if lexicon_dir is not None else DEFAULT_LEXICON_DIR
        simplifier()  # load OpenCC's tables now, at start-up, not on the first question
        self.lexicon_version = self._hash_lexicon()

        self._tokenizer = jieba.Tokenizer()
        self._tokenizer.initialize()
        self._analyzed: dict[str, tuple[str, ...]] = {}  # `analyze`'s recent texts
        self.stopwords = frozenset(
            self.normalize(word) for fields in word_file_lines(self.lexicon_dir / "stopwords.txt") for word in fields
        )
        for fields in word_file_lines(self.lexicon_dir / "userdict.txt"):
            word = self.normalize(fields[0])
            freq = int(fields[1]) if len(fields) > 1 and fields[1].isdigit() else None
            self._add_word(word, freq)

        # Synonym sources and targets must be single tokens, or the mapping would never see
        # them; targets are added first so that a variant containing a target stays whole.
        groups = [
            [self.normalize(w) for w in fields]
            for fields in word_file_lines(self.lexicon_dir / "synonyms.txt")
            if len(fields) > 1
        ]
        for group in groups:
            self._add_word(group[0], None)
        self.synonyms: dict[str, str] = {}
        self._forms: dict[str, tuple[str, ...]] | None = None  # `written_forms`, built on first use
        for canonical, *variants in groups:
            for variant in variants:
                self._add_word(variant, None)
                self.synonyms[variant] = canonical

        # jieba's prefix dictionary as one lookup for `_cut_block`: every dictionary word and
        # word prefix → the word's log-probability, or None for a prefix that is no word.
        log_total = math.log(self._tokenizer.total)
        self._dag = {w: (math.log(f) - log_total if f else None) for w, f in self._tokenizer.FREQ.items()}
        self._dag_first = {w: v for w, v in self._dag.items() if len(w) == 1}  # small, stays in cache
        self._log_unknown = -log_total

    def _add_word(self, word: str, freq: int | None) -> None:
        if not word or " " in word:
            return
        if freq is None:
            freq = self._tokenizer.suggest_freq(word, False)
        self._tokenizer.add_word(word, max(freq, 1))

    def _hash_lexicon(self) -> str:
        digest = hashlib.sha1(f"analyzer:{ANALYZER_VERSION}".encode())
        for name in _LEXICON_FILES:
            path = self.lexicon_dir / name
            digest.update(b"\x00" + name.encode() + b"\x00")
            if path.exists():
                digest.update(path.read_bytes())
        return digest.hexdigest()[:16]

    def normalize(self, text: str) -> str:
        """Fold the many ways of typing the same thing into one.

        NFKC turns full-width letters, digits and punctuation (common from Chinese IMEs) into
        ASCII; t2s maps traditional characters; lower-casing makes ETC/etc one term; runs of
        whitespace become one space.
        """
        return fold(text)

    def segment(self, text: str) -> list[str]:
        """jieba words of normalised `text` (no synonyms, no stopwords removed), punctuation dropped.

        The raw cut, before `analyze` canonicalises it: `knowledge.spelling` needs to see where
        jieba had to break an unknown string (a typo) into single characters.
        """
        words: list[str] = []
        for block in _HAN_BLOCK.split(self.normalize(text)):
            if not block:
                continue
            if _HAN_BLOCK.match(block):
                words.extend(w for w in self._cut_block(block) if _WORDLIKE.search(w))
            else:
                words.extend(ch for ch in block if _WORDLIKE.match(ch))
        return words

    def _cut_block(self, sentence: str) -> list[str]:
        """jieba's maximum-probability path over the dictionary DAG, in one backward pass.

        Same DAG, same scores and same tie-breaking (the longer word wins) as
        ``Tokenizer.__cut_DAG_NO_HMM``, without building the DAG dict, generator and
        ``math.log`` calls per candidate.
        """
        lookup, first = self._dag.get, self._dag_first.get
        n = len(sentence)
        score = [0.0] * (n + 1)  # best log-probability of sentence[i:]
        end = list(range(n))  # last character of the best word starting at i
        for start in range(n - 1, -1, -1):
            best: float | None = None
            stop = start + 1
            log_p = first(sentence[start], _MISSING)
            while log_p is not _MISSING:
                if log_p is not None:
                    candidate = log_p + score[stop]  # type: ignore[operator]
                    if best is None or candidate >= best:
                        best, end[start] = candidate, stop - 1
                if stop >= n:
                    break
                stop += 1
                log_p = lookup(sentence[start:stop], _MISSING)
            score[start] = best if best is not None else self._log_unknown + score[start + 1]
        words: list[str] = []
        pending = ""  # single ASCII letters/digits are glued together, as jieba does
        x = 0
        while x < n:
            y = end[x] + 1
            word = sentence[x:y]
            if y - x == 1 and _ASCII_ALNUM.match(word):
                pending += word
            else:
                if pending:
                    words.append(pending)
                    pending = ""
                words.append(word)
            x = y
        if pending:
            words.append(pending)
        return words

    def analyze(self, text: str) -> list[str]:
        """The word terms of `text` for indexing or querying, in text order, repeats kept.

        Repeats are kept because BM25 counts term frequency in documents (and rank-bm25
        counts a repeated query term once per occurrence; `FieldedIndex` dedupes queries).
        A message's question is analysed four times on its way (the conversation, the policy,
        its two searches), so the terms of the last `ANALYZED_MEMO` texts are kept.
        """
        if len(text) > ANALYZED_MEMO_CHARS:
            return self._analyze(text)
        memo = self._analyzed
        found = memo.get(text)
        if found is None:
            found = tuple(self._analyze(text))
            if len(memo) >= ANALYZED_MEMO:
                memo.clear()  # threads may race here: at worst a text is analysed again
            memo[text] = found
        return list(found)

    def _analyze(self, text: str) -> list[str]:
        terms: list[str] = []
        for block in _HAN_BLOCK.split(self.normalize(text)):
            if block:
                terms.extend(self._analyze_block(block))
        return terms

    def analyze_many(self, texts: Iterable[str]) -> Iterator[list[str]]:
        """`analyze` of each text, in order, each block of text segmented once per call.

        jieba segments the runs between punctuation and spaces ("blocks") independently,
        so a block's terms do not depend on its neighbours. A knowledge base repeats whole
        clauses (boilerplate, an answer shared by several questions, standard phrases), and
        segmentation dominates an index build: the terms of every distinct block are kept
        for the duration of the call, so repeated blocks cost one dict lookup.
        """
        memo: dict[str, tuple[str, ...]] = {}
        split, lookup = _HAN_BLOCK.split, memo.get
        for text in texts:
            terms: list[str] = []
            for block in split(self.normalize(text)):
                if not block:
                    continue
                found = lookup(block)
                if found is None:
                    found = memo[block] = tuple(self._analyze_block(block))
                terms.extend(found)
            yield terms

    def _analyze_block(self, block: str) -> list[str]:
        """Terms of one piece of `_HAN_BLOCK.split` output of normalised text.

        The words are exactly ``Tokenizer.cut(text, HMM=False)`` of our tokenizer (a test
        checks it) minus non-word tokens, computed about twice as fast by `_cut_block`,
        because segmentation dominates the cost of building an index. HMM new-word discovery
        stays off: it cuts the same unknown string differently depending on its neighbours,
        so a question and a document would disagree on the terms.
        """
        if _HAN_BLOCK.match(block):
            words = [w for w in self._cut_block(block) if _WORDLIKE.search(w)]
        else:  # jieba yields these one character at a time; keep the word-like ones
            words = [ch for ch in block if _WORDLIKE.match(ch)]
        synonyms, stopwords = self.synonyms, self.stopwords
        return [w for w in (synonyms.get(w, w) for w in words) if w not in stopwords]

    def subwords(self, word: str) -> list[str]:
        """The dictionary's best segmentation of an analysed `word` with the word itself left out,
        as terms (synonyms applied, stopwords dropped) — 回应关切 → 回应 / 关切 — or none when
        that segmentation has a piece of one character (被车撞 → 被 / 车 / 撞, 广灵二路站 → … / 站) or
        a piece that is read as the word itself (住房公积金 → 住房 / 公积金, and 公积金 is the
        lexicon's name for 住房公积金: 住房 alone is not what it means).

        For `knowledge.subwords`: a word the dictionary keeps whole (a user-dictionary term, a
        long compound) may be unknown to a knowledge base that writes its parts apart or only
        one of them. Only a word made of words is taken apart: a single character names nothing
        on its own, and its synonym can name something else (车 → 车辆). Same scores as
        `_cut_block` (jieba's maximum-probability path, the longer word winning ties), on one word.
        """
        n = len(word)
        score = [0.0] * (n + 1)
        end = list(range(n))
        for start in range(n - 1, -1, -1):
            best: float | None = None
            for stop in range(start + 1, n + 1):
                log_p = self._dag.get(word[start:stop], _MISSING)
                if log_p is _MISSING:
                    break  # no dictionary word starts with this piece
                if log_p is None or (start == 0 and stop == n):
                    continue
                candidate = log_p + score[stop]  # type: ignore[operator]
                if best is None or candidate >= best:
                    best, end[start] = candidate, stop - 1
            score[start] = best if best is not None else self._log_unknown + score[start + 1]
        pieces: list[str] = []
        x = 0
        while x < n:
            pieces.append(word[x:end[x] + 1])
            x = end[x] + 1
        if any(len(piece) < 2 for piece in pieces):
            return []
        synonyms, stopwords = self.synonyms, self.stopwords
        parts = [w for w in (synonyms.get(w, w) for w in pieces) if w not in stopwords and _WORDLIKE.search(w)]
        return [] if word in parts else parts  # 住房 / 公积金 → 住房 / 住房公积金: no segmentation of it

    def written_forms(self, term: str) -> tuple[str, ...]:
        """Every normalised string `analyze` turns into `term`: the term and its synonyms' variants.

        `analyze` only cuts and renames: each term it yields is one of these, written somewhere
        in the normalised text. So a text none of them occurs in cannot yield `term`, and
        `knowledge.quotes` analyses only the sentences of an item that could.
        """
        forms = self._forms
        if forms is None:
            grouped: dict[str, list[str]] = {}
            for variant, canonical in self.synonyms.items():
                grouped.setdefault(canonical, []).append(variant)
            forms = self._forms = {canonical: (canonical, *variants) for canonical, variants in grouped.items()}
        return forms.get(term, (term,))

    @staticmethod
    def characters(terms: Iterable[str]) -> list[str]:
        """Single-character terms of analysed words; Latin/digit words stay whole.

        Chinese word boundaries are a guess, and a question often shares characters but
        not words with its answer (雾 / 大雾, 车 / 车辆, 溺水 / 溺水者). Characters of the
        canonical words, stopwords already gone, give the index that partial overlap.
        """
        chars: list[str] = []
        for term in terms:
            if term.isascii():
                chars.append(term)
            else:
                chars.extend(term)
        return chars
