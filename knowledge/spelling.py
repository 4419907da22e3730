"""Typos and homophones (低宝→低保, 医宝→医保, 年捡→年检), corrected against the knowledge
base's own vocabulary.

Chinese typing mistakes are mostly homophones: the pinyin input method offers 低宝 when the
citizen meant 低保. The correction therefore looks only for words the knowledge base itself
uses (the index's terms and the lexicon's synonyms), and proposes one only when:

* a stretch of 2–4 Chinese characters of the question, inside one run of Chinese characters (never
  across a comma or a space: `Speller.corrections_in`), made of whole jieba tokens at least one
  of which is a single character (a typo breaks a word into pieces), is not itself such a word,
* a knowledge-base word has exactly the same toneless pinyin (pypinyin's own dictionary), and
* the two differ in at most one character per three (character edit distance; a word of two
  characters may differ in one): 低宝/低保 yes; 年龄/年检 (different pinyin) no.

A stretch that begins with, or is followed by, a character that ends a place name is left alone
(杨行镇 → 央行, 渌口区 → 路口, 柘林镇的 → 真的): unknown names are cut into single characters too,
and they are no typos. Over the 2,816 city titles on the 2,081-entry bank this cut the messages
given a correction from 221 to 145 and the "您是不是想问" replies from 18 to 11 (石河, 路口, 乡村,
市场, 县级 … gone; 高粟 → 高速 and 役苗 → 疫苗, real typos, kept); `bench.typos` restores 83.3 %
of its mistyped questions instead of 84.5 % (one direct answer fewer, reachable the same). Not
correcting stretches with a stopword (我是 → 我市, 的事 → 的士) was tried too: the input method's
first homophone is often a function word (自救 → 自就, 清肺 → 请肺), and mistyped reachable fell
78.6 → 77.4 %.

Among several homophones the one most documents use wins (the lowest idf). Whether a correction
is used at all is decided by the conversation, by searching again (`Conversation._respell`): the
corrected question's answer or list is given with a note, its related entries under "您是不是想问
「低保」？", and when it finds nothing better only that question is asked.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

from knowledge.kinds import KindIndex
from knowledge.search import Searcher

_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
# Characters that end a place name (朝阳区, 杨行镇, 毛田村): a stretch beside one is part of a name.
PLACE_ENDS = frozenset("省市区县镇乡村")
MIN_LEN, MAX_LEN = 2, 4


@lru_cache(maxsize=65536)
def _char_pinyin(char: str) -> str:
    return "".join(lazy_pinyin(char, style=Style.NORMAL, errors="ignore"))


def pinyin_key(word: str) -> str:
    """Toneless pinyin, character by character (each character's most common reading).

    Per character rather than per phrase so that a rebuild over tens of thousands of words costs
    a dictionary lookup per character, and so that a typo (which has no phrase reading) and the
    word it stands for are read the same way.
    """
    return " ".join(_char_pinyin(c) for c in word)


def _differing(a: str, b: str) -> int:
    return sum(x != y for x, y in zip(a, b, strict=True))


@dataclass(frozen=True)
class Correction:
    wrong: str
    right: str


class Speller:
    """Homophone corrections from a vocabulary of words with a commonness weight each."""

    def __init__(self, words: Mapping[str, float]) -> None:
        """`words`: word -> idf in the knowledge base (lower is more common)."""
        self.words = {w: idf for w, idf in words.items() if MIN_LEN <= len(w) <= MAX_LEN and _CJK_RUN.fullmatch(w)}
        self._by_key: dict[str, list[str]] = {}
        for word in self.words:
            self._by_key.setdefault(pinyin_key(word), []).append(word)

    @classmethod
    def from_terms(cls, idf: Mapping[str, float], synonyms: Mapping[str, str]) -> Speller:
        """The index's terms, plus each synonym variant with its canonical term's idf."""
        words = dict(idf)
        for variant, canonical in synonyms.items():
            if canonical in idf:
                words.setdefault(variant, idf[canonical])
        return cls(words)

    def corrections_in(self, text: str, segment: Callable[[str], list[str]]) -> list[Correction]:
        """`corrections` of each run of Chinese characters of `text` on its own (`segment`:
        `TextProcessor.segment`), longer first within a run.

        A typo is typed inside one run: a stretch across a comma or a space is none, and its
        "correction" named words the citizen never wrote (雾特别大，该开什么灯 → 大该 → 大概) and
        cost the conversation a second search for a question `apply` could not even change.
        """
        return [c for run in _CJK_RUN.findall(text) for c in self.corrections(segment(run))]

    def corrections(self, tokens: list[str]) -> list[Correction]:
        """Corrections for the question's jieba `tokens` (`TextProcessor.segment`), longer first.

        A typo breaks a word: jieba then cuts the unknown string into pieces, at least one of
        them a single character (低宝 → 低/宝, 年捡 → 年/捡). So only stretches of two or more
        whole tokens containing a single character are considered; a word jieba cut whole
        (已经, 一般, 那里) or a stretch across a word's middle (下大雨 → 下大) never is.
        """
        found: list[Correction] = []
        taken = [False] * len(tokens)
        for size in range(MAX_LEN, 1, -1):  # number of tokens; stretches of at most MAX_LEN chars
            for start in range(len(tokens) - size + 1):
                part = tokens[start : start + size]
                stretch = "".join(part)
                if any(taken[start : start + size]) or not MIN_LEN <= len(stretch) <= MAX_LEN:
                    continue
                if not _CJK_RUN.fullmatch(stretch) or all(len(t) > 1 for t in part) or stretch in self.words:
                    continue
                after = tokens[start + size][:1] if start + size < len(tokens) else ""
                if stretch[0] in PLACE_ENDS or after in PLACE_ENDS:
                    continue
                right = self._best(stretch)
                if right is not None:
                    found.append(Correction(stretch, right))
                    taken[start : start + size] = [True] * size
        return found

    def _best(self, stretch: str) -> str | None:
        allowed = max(1, len(stretch) // 3)
        candidates = [
            w for w in self._by_key.get(pinyin_key(stretch), ())
            if len(w) == len(stretch) and 0 < _differing(w, stretch) <= allowed
        ]
        return min(candidates, key=lambda w: (self.words[w], w)) if candidates else None


def apply(text: str, corrections: Iterable[Correction]) -> str:
    for c in corrections:
        text = text.replace(c.wrong, c.right)
    return text


def speller_for(searcher: Searcher) -> Speller:
    """A speller over the words a searcher's index holds (each with its lowest idf over the index's
    parts, `knowledge.kinds`), and the lexicon's synonyms."""
    index = searcher.index
    parts = index.parts if isinstance(index, KindIndex) else [index]
    idf: dict[str, float] = {}
    for part in parts:
        text = part.fields["text"]
        for word in text.vocab:
            idf[word] = min(idf.get(word, math.inf), text.term_idf(word))
    return Speller.from_terms(idf, searcher.processor.synonyms)
