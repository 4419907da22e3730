"""The sentences of an item that answer a question, quoted verbatim.

A question about an item names the item (its place, its subject: 广灵二路站, 加装电梯) and then
asks something inside it (能补多少钱). The words that name the item are in its title, and the
cover note repeats the title, so a plain match would quote the cover note ("现印发《……》，请遵照
执行"). So sentences are chosen by the question's *other* words — the title found the document,
the remaining words find the sentence — and title words count only a little.

Each sentence of the body is scored like a tiny BM25-less fielded match: the distinct question
words it contains, each weighted by its rarity among the body's sentences (a word in every
sentence says nothing), plus the question's characters at half weight, because colloquial
questions share characters rather than words with the text (一台 / 8万元/台, 补 / 补贴). A
question that asks for a quantity or a time (多少, 几, 多久, 多高, 什么时候 …) is answered by a
figure *of the asked kind* (`answer_types`: 多少钱 → 元, 多高 → 米, 多久 → 小时/天, 什么时候 → a
date, 多少人 → 人, 比例 → %): a sentence without one counts ``TYPED_SHARE`` for it, because list
numbers (5., （二）) and dates are digits too; a quantity question of no known kind falls back to
"any digit, else half". Measured by ``python -m bench.items`` on the held-out halves of
items_dev (answering sentence chosen from the right document, 30 questions): any-digit rule
fails 4 of half A and 6 of half B; ``TYPED_SHARE`` chosen on half A (1.0/0.5/0.3/0.2/0.1 fail
6/3/2/2/1) is 0.1, which fails 5 of half B as 0.3 did; on half B (6/6/5/5/5) 0.3, 0.2 and 0.1 tie.
Through the conversation "quoted" went 0.400 → 0.500 with 0.3 (A 0.467 → 0.600, B 0.333 →
0.400), and 0.467 → 0.500 on main with 0.1 (A 0.600 → 0.667, B 0.333 held; one question, 广灵二路站
能补多少钱, whose condition sentences outscored the 2万元 one). Measured and not adopted: weighting
the question's words by their idf over the whole knowledge base (as BM25 does) besides their
rarity among the item's sentences — given the right document it quotes fewer answering sentences
on both halves (A 13 → 11, B 10 → 7; normalised idf 13/9, √idf 12/10 at best) — and adding the
next sentence when the best one lacks the asked figure and the next holds it (no change).

Two kinds that are no figures are typed the same way: a question asking for a telephone number
(电话, 热线, 号码) is answered by a sentence holding one, and a question asking where (哪里, 去哪,
地址) by a sentence naming an address, a window or office, or whom to apply to (向…申报, 到…办理).
Given the right document (``python -m bench.items``, answering sentence first / in the first
two): half A 12/14 → 13/15, half B 7/10 → 8/10; each kind moved one question's answering sentence
up (去哪申请 from 4th to 1st, 打哪个电话 from 2nd to 1st) and no other. Both were written from the
question words of the language, not from those questions' documents, but items_dev holds one
question of each kind, so no held-out half confirms them. Measured and not adopted: a 谁/哪个部门
kind (由…负责/承担) changed nothing; always adding the second-best sentence however weakly it
scores changed nothing either (every answering sentence ranked second already scores at least half
of the first, `SECOND_SENTENCE_SHARE`).

Two things a question and the rule answering it say in different words are read alike. A
threshold: its direction (以上/大于/超过/不低于 … at least; 以下/小于/不超过/以内 … at most, the
negated forms read first so 不超过 is never 超过) and, with the amount it bounds, one synthetic word
(≥5万 for 5万以上 and for 大于5万元（含）), so 5万以上 prefers the rule of 大于5万元 over the one of
小于5万元 sharing all its other words. And a question whether something costs anything (收不收钱,
免费吗) is a kind of its own, answered by 免费/无偿/收费 as much as by an amount; and one asking
by what standard something is reckoned (按啥标准算, 怎么计算) by a rate (元/平方米, 每人…元, %),
not by any digit. All three were written from the language, not tuned (no parameter);
``python -m bench.items``, answering sentence first / in the first two given the right document:
half A 13/15 / 15/15 unchanged, half B 8/15 / 10/15 → 8/15 / 13/15 (港沿 5万以上 15th → 2nd, 收不收钱
27th → 2nd, 按啥标准算 9th → 2nd — the three misses that motivated them, so no held-out half
confirms them; none of half A moved). Measured and not adopted: the term associations learned
from the FAQ bank's question/answer pairs (`knowledge.associations`) as a soft match — a sentence
holding an associate of a question word it lacks earning 0.1–1.0 of that word's weight — changed no
rank on either half (the associates are topical, 充电 → 桩/电池, not paraphrases such as 收钱 →
无偿); BM25's ``LENGTH_B`` 0.25–0.4 instead of 0.5, chosen on half A (+1 first), leaves half B at
8/15 and half B cannot choose (0.2–0.5 tie).

Headings and fragments count half (as in `knowledge.summary`). The best sentence, and the next
one when it scores at least half as well, are assembled in text order within the length budget
by `knowledge.summary` — verbatim, narrowed with "…" only when one sentence alone is too long. A
heading that scores best (六、2019年打算。) brings its section after it instead of the runner-up,
as many of the section's sentences as the budget holds, up to the next heading: the heading names
the section, the sentences say what is in it (五、政策解读和回应关切 says what was answered in its
second sentence, 积极回应群众关切的问题…600余条).
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import itertools
import math
import re
from collections.abc import Callable, Iterable
from typing import Protocol

from knowledge.document import Document
from knowledge.folding import fold
from knowledge.summary import assemble, is_heading, split_sentences

TITLE_WEIGHT = 0.2  # a title character still helps a little (梯 of 电梯 in an elevator subsidy's body)
CHAR_WEIGHT = 0.5
SECOND_SENTENCE_SHARE = 0.5
SENTENCE_CACHE = 256  # items whose analysed sentences are kept (a few MB)
LENGTH_B = 0.5  # BM25's b: a long sentence contains more of the question's characters by chance
FIGURE_TYPES = True  # weigh sentences by the kind of figure asked for (`answer_types`), not any digit
TYPED_SHARE = 0.1  # what a sentence without a figure of the asked kind counts for
# Question words asking for an amount, a count, a length or a date: answered by a figure.
_QUANTITY = re.compile(r"多少|几|多久|多长|多高|多大|多远|多重|多宽|多深|什么时候|何时|哪天|截止|比例|标准")
# The kind of figure a question asks for (its expected answer type), from the question's own
# wording: an amount of money, a height or length, a duration, a date, a head count, a share.
# Written once from common question words, not from any one question; a sentence holding a
# figure of the asked kind counts fully, one without counts half, because list numbers (5.,
# （二）) and dates are digits too and answer 多少钱 no better than words do.
_NUM = r"[0-9０-９一二三四五六七八九十两百千万][0-9０-９.,，一二三四五六七八九十两百千万]*\s*"
RATE_QUESTION = r"(?:按|以)(?:啥|什么|哪个)标准|(?:啥|什么)标准[算计发补]|标准是多少|怎么算|如何计算|怎么计算|怎样计算"
_ANSWER_TYPES = (
    # Whether something costs anything (收不收钱, 要钱吗, 免费吗): answered by 免费/无偿/收费 as
    # much as by an amount.
    (re.compile(r"收不收|要不要钱|要钱[吗么]|收钱[吗么]|收费[吗么]|免费[吗么]|花钱[吗么]|是否收费|是否免费"),
     re.compile(r"免费|无偿|免收|不收取|不得收取|收费|收取")),
    (re.compile(r"多少钱|钱|费用|收费|[补奖贴给]多少"), re.compile(_NUM + r"(?:元|万元|千元|块)")),
    # A rate asked for (按啥标准算, 怎么计算): an amount per unit (元/平方米, 每人…元) or a share.
    (re.compile(RATE_QUESTION), re.compile(r"[0-9０-９.]+\s*(?:万元|元)\s*/|每[^，。；]{0,10}[0-9０-９.]+\s*(?:万元|元)"
                                         r"|[0-9０-９.]+\s*[%％]")),
    (re.compile(r"多高|多长|多宽|多深|多远|面积|多大"), re.compile(_NUM + r"(?:米|厘米|公里|千米|平方米|层)")),
    (re.compile(r"多久|几天|几年|几个月|几个?小时|几个?钟头|多长时间|几周|期限"),
     re.compile(_NUM + r"(?:个)?(?:小时|天|日|年|月|周|分钟|工作日)")),
    (re.compile(r"什么时候|啥时候|何时|哪天|截止|几号|几月"),
     re.compile(r"[0-9０-９]{4}年|[0-9０-９]{1,2}月[0-9０-９]{1,2}日")),
    (re.compile(r"几个人|多少人|几人|几户|几次"), re.compile(_NUM + r"(?:人|名|户|次|个|处)")),
    (re.compile(r"比例|百分之|几成"), re.compile(r"[0-9０-９.]+\s*[%％]|百分之")),
    # Not figures, but answered by a recognisable kind of phrase all the same: a telephone
    # number, and where to go (an address, a window or office, "向…申报", "到…办理").
    (re.compile(r"电话|热线|号码|联系方式"), re.compile(r"[0-9０-９]{3,4}[-－—][0-9０-９]{3,8}|[0-9０-９]{5,}")),
    (re.compile(r"哪里|哪儿|去哪|在哪|什么地方|啥地方|地址|地点|哪个窗口"),
     re.compile(r"地址|地点|窗口|大厅|服务中心|受理点|[路街弄]\s*[0-9０-９]+\s*号"
                r"|向[^，。；]{1,15}(?:申请|申报|提出|提交|报送|备案|咨询)|到[^，。；]{1,15}(?:办理|申请|提交)")),
)
# Comparison words of a threshold, each read as one of two directions (at least / at most), so
# that a question's 5万以上 meets a rule's 大于5万元 and 不超过 is never read as 超过. Negated
# forms come first: the alternation takes the first that matches at a position. 不满 and 不足
# count only before an amount (不满18周岁), never alone (对处理结果不满, 不足之处). A bound with its
# amount is one more synthetic word (`comparisons`).
_COMPARISON = re.compile(r"(不超过|不高于|不多于|不大于)|(不低于|不少于|不小于)|(以上|大于|超过|高于|多于)"
                         r"|(以下|小于|低于|少于|以内|之内)")
# Where a normalised sentence is cut into clauses analysed apart: punctuation (as NFKC leaves
# it: ，→ , and （ → ( ) at which jieba's runs of text end and traditional → simplified splits
# its phrases too, so no word of `analyze` spans it. Not "." ("…" becomes "..."), which stays
# inside jieba's runs.
_CLAUSE_BREAK = re.compile(r"[\s。、“”‘’《》【】,;:?!()]+")
# A numbered section title written as a short sentence of its own: 六、2019年打算。 （二）不足。
_SECTION_TITLE = re.compile(
    r"(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十0-9]+[)）]|[0-9]+[.、．])[^，,；;。]{1,16}[。.]?")
_SYNTHETIC = "\x00"  # starts every synthetic word: never a word of the analyser
_AT_MOST, _AT_LEAST = _SYNTHETIC + "≤", _SYNTHETIC + "≥"
_AMOUNT = r"([0-9０-９]+(?:\.[0-9]+)?)\s*([万千亿]?)"
_BOUND_BEFORE = re.compile(r"(不超过|不高于|不多于|不大于|不满|不低于|不少于|不小于"
                           r"|大于|超过|高于|多于|小于|低于|少于|不足)" + _AMOUNT)
_BOUND_AFTER = re.compile(_AMOUNT + r"[^0-9０-９，。；、（）()]{0,3}?(?:[（(]含[)）])?(以上|以下|以内)")


def _direction(word: str) -> str:
    """At most or at least, for a comparison word before an amount (不满, 不足: at most)."""
    match = _COMPARISON.fullmatch(word)
    return _AT_MOST if match is None or match.group(1) or match.group(4) else _AT_LEAST


def comparisons(text: str) -> set[str]:
    """The threshold directions `text` states (at least / at most), as two synthetic words, and
    each bound with its amount (≥5万 for both 5万以上 and 大于5万元)."""
    found = set()
    for match in _COMPARISON.finditer(text):
        found.add(_AT_MOST if match.group(1) or match.group(4) else _AT_LEAST)
    for match in _BOUND_BEFORE.finditer(text):
        found.add(_direction(match.group(1)) + match.group(2) + match.group(3))
    for match in _BOUND_AFTER.finditer(text):
        found.add(_direction(match.group(3)) + match.group(1) + match.group(2))
    return found


_DIGIT = re.compile(
    r"[0-9０-９]|[一二三四五六七八九十两百千万]+(?:个|元|年|月|日|天|小时|分钟|人|次|台|层|米|平方米|%|倍|户)"
)


def _chars(text: str) -> set[str]:
    return {ch for ch in text if ch.isalnum()}


class Reader(Protocol):
    """What choosing a quote needs of the knowledge base: its analysis, and what each term may
    have been written as (`KnowledgeBase`, `TextProcessor`)."""

    def analyze(self, text: str) -> list[str]: ...

    def written_forms(self, term: str) -> tuple[str, ...]: ...


@dataclasses.dataclass(frozen=True)
class _Clauses:
    """The clauses of an item's sentences, normalised, and all of them as one string (apart by
    "\n", which normalising never leaves inside a clause) with each clause's start in it."""

    texts: tuple[str, ...]
    sentence: tuple[int, ...]  # the sentence each clause is part of
    joined: str
    starts: tuple[int, ...]

    @classmethod
    def of(cls, sentences: Iterable[str]) -> _Clauses:
        pieces = [(c, i) for i, p in enumerate(sentences) for c in _CLAUSE_BREAK.split(fold(p)) if c]
        texts = tuple(c for c, _ in pieces)  # normalised: analysing them normalises again, to the same
        starts = tuple(itertools.accumulate((len(t) + 1 for t in texts[:-1]), initial=0))
        return cls(texts, tuple(i for _, i in pieces), "\n".join(texts), starts)

    def written_in(self, forms: Iterable[str]) -> set[int]:
        """The clauses one of `forms` occurs in (found by `str.find` over them all)."""
        text, starts, found = self.joined, self.starts, set()
        for form in forms:
            at = text.find(form)
            while at >= 0:
                k = bisect.bisect_right(starts, at) - 1
                found.add(k)
                at = text.find(form, starts[k + 1]) if k + 1 < len(starts) else -1
        return found


class _Sentences:
    """An item body cut into sentences, whose clauses are analysed only when a question's word
    may be in them.

    Analysing every sentence of a 7,000-character 办法 with jieba (about 14 ms) cost more than
    the search that found it (`python -m bench.items --latency`), yet a question's words beyond
    the title occur in a third of an item's sentences, and in fewer of their clauses. `analyze`
    yields only words written in the normalised text (or their synonyms' canonical terms), so a
    clause where none of a term's written forms occurs cannot hold it; and it segments the runs
    between punctuation independently (`TextProcessor.analyze_many`), so a sentence's words are
    its clauses' words. Only the clauses a term may be in are analysed, once, and which
    sentences hold each term is kept for the next question about the item: the result is the
    same as analysing every sentence.
    """

    def __init__(self, body: str, analyze: Callable[[str], list[str]],
                 written_forms: Callable[[str], tuple[str, ...]]) -> None:
        self.parts = tuple(split_sentences(body))
        self.average = sum(len(p) for p in self.parts) / len(self.parts) if self.parts else 0.0
        self._analyze = analyze
        self._written_forms = written_forms
        self._clauses: _Clauses | None = None  # made on first use, then never changed
        self._words: dict[str, frozenset[str]] = {}  # by clause text
        self._comparisons: tuple[frozenset[str], ...] | None = None
        self._holding: dict[str, tuple[int, ...]] = {}
        self._containing: dict[str, tuple[int, ...]] = {}

    def holding(self, term: str) -> tuple[int, ...]:
        """The sentences whose analysis (words and `comparisons`) contains `term`, in order."""
        found = self._holding.get(term)
        if found is not None:
            return found
        if term.startswith(_SYNTHETIC):
            if self._comparisons is None:
                self._comparisons = tuple(frozenset(comparisons(p)) for p in self.parts)
            found = tuple(i for i, words in enumerate(self._comparisons) if term in words)
        else:
            if self._clauses is None:  # threads may both make it: each assigns a complete one
                self._clauses = _Clauses.of(self.parts)
            clauses = self._clauses
            found = tuple(sorted({clauses.sentence[k] for k in clauses.written_in(self._written_forms(term))
                                  if term in self._words_of(clauses.texts[k])}))
        self._holding[term] = found  # threads may race here: at worst a term is looked up twice
        return found

    def _words_of(self, clause: str) -> frozenset[str]:
        words = self._words.get(clause)
        if words is None:
            words = self._words[clause] = frozenset(self._analyze(clause))
        return words

    def containing(self, char: str) -> tuple[int, ...]:
        """The sentences `char` (a letter, digit or ideograph) occurs in."""
        found = self._containing.get(char)
        if found is None:
            found = self._containing[char] = tuple(i for i, text in enumerate(self.parts) if char in text)
        return found


@functools.lru_cache(maxsize=SENTENCE_CACHE)
def _sentences(body: str, analyze: Callable[[str], list[str]],
               written_forms: Callable[[str], tuple[str, ...]]) -> _Sentences:
    """The sentences of `body`, kept with what has been analysed of them for the next question.

    Keyed by the body's text and the reader's methods, so an edited item or another knowledge
    base is analysed afresh. A reload of the same knowledge base keeps them: a long word the new
    index learns or forgets (`knowledge.subwords`) is read as before in an item already cached,
    until it leaves the cache.
    """
    return _Sentences(body, analyze, written_forms)


def answer_types(question: str) -> list[re.Pattern[str]]:
    """The figure patterns that would answer `question` (empty: it asks for no particular kind)."""
    return [figure for asked, figure in _ANSWER_TYPES if asked.search(question)]


def asks_quantity(question: str) -> bool:
    """Does the question ask for an amount, a count, a length or a date?"""
    return bool(_QUANTITY.search(question))


def rank_sentences(
    doc: Document,
    terms: Iterable[str],
    reader: Reader,
    *,
    question: str = "",
) -> tuple[list[str], list[float]]:
    """The sentences of `doc.body` and how well each answers `terms` (see the module docstring)."""
    body = _sentences(doc.body, reader.analyze, reader.written_forms)
    parts = body.parts
    if not parts:
        return [], []
    wanted = [t for t in dict.fromkeys(terms) if t]
    wanted += sorted(comparisons(question or "".join(wanted)))
    named = set(reader.analyze(doc.title))
    for keyword in doc.keywords:
        named.update(reader.analyze(keyword))
    title_chars = _chars(doc.title)
    n = len(parts)

    def rarity(df: int) -> float:
        return math.log(1 + n / df) if df else 0.0

    values = [0.0] * n
    for term in wanted:
        if term not in named:
            holding = body.holding(term)
            weight = rarity(len(holding))
            for i in holding:
                values[i] += weight
    for char in dict.fromkeys(c for t in wanted for c in _chars(t)):
        holding = body.containing(char)
        weight = CHAR_WEIGHT * rarity(len(holding)) * (TITLE_WEIGHT if char in title_chars else 1.0)
        for i in holding:
            values[i] += weight
    figure = asks_quantity(question or "".join(wanted))
    typed = answer_types(question or "".join(wanted)) if FIGURE_TYPES else []
    average = body.average

    def score(i: int) -> float:
        value = values[i]
        if not value:
            return 0.0
        value /= 1 - LENGTH_B + LENGTH_B * len(parts[i]) / average
        if is_heading(parts[i]):
            value *= 0.5
        if typed:
            if not any(t.search(parts[i]) for t in typed):
                value *= TYPED_SHARE
        elif figure and not _DIGIT.search(parts[i]):
            value *= 0.5
        return value

    return list(parts), [score(i) for i in range(n)]


def _titles_a_section(sentence: str) -> bool:
    """A heading or fragment (`knowledge.summary.is_heading`), or a short numbered section title."""
    return is_heading(sentence) or bool(_SECTION_TITLE.fullmatch(sentence))


def quote(
    doc: Document,
    terms: Iterable[str],
    reader: Reader,
    *,
    max_chars: int,
    question: str = "",
    sentences: int = 2,
) -> str:
    """Verbatim sentences of `doc.body` that best answer `terms`, within `max_chars`."""
    wanted = [t for t in dict.fromkeys(terms) if t]
    parts, scores = rank_sentences(doc, wanted, reader, question=question)
    if not parts:
        return ""
    n = len(parts)
    ranked = sorted((i for i in range(n) if scores[i] > 0), key=lambda i: (-scores[i], i)) or list(range(n))
    # A second sentence only when it matches nearly as well: never padding with weak matches.
    ranked = [i for i in ranked if scores[i] >= SECOND_SENTENCE_SHARE * scores[ranked[0]]]
    # A sentence a document repeats word for word (the same condition under two articles) is quoted once.
    distinct: dict[str, int] = {}
    for i in ranked:
        distinct.setdefault(parts[i].strip(), i)
    ranked = list(distinct.values())
    chosen = ranked[: max(1, sentences)]
    best = chosen[0]
    if _titles_a_section(parts[best]) and best + 1 < n and best + 1 not in chosen:
        # A heading names its section ("六、2019年打算。"): what the section says comes next, as
        # much of it as the budget holds (`assemble` keeps them in this order while they fit).
        end = next((j for j in range(best + 1, n) if _titles_a_section(parts[j])), n)
        chosen = [best, *range(best + 1, end), *(i for i in chosen[1:] if not best < i < end)]
    return assemble(parts, chosen, set(wanted), reader.analyze, max_chars)
