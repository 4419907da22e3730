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
figure, so sentences without any digit count half for it. Headings and fragments count half
(as in `knowledge.summary`). The best sentence, and the next one when it scores at least half
as well, are assembled in text order within the
length budget by `knowledge.summary` — verbatim, narrowed with "…" only when one sentence
alone is too long.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable

from knowledge.document import Document
from knowledge.summary import assemble, is_heading, split_sentences

TITLE_WEIGHT = 0.2  # a title character still helps a little (梯 of 电梯 in an elevator subsidy's body)
CHAR_WEIGHT = 0.5
SECOND_SENTENCE_SHARE = 0.5
LENGTH_B = 0.5  # BM25's b: a long sentence contains more of the question's characters by chance
# Question words asking for an amount, a count, a length or a date: answered by a figure.
_QUANTITY = re.compile(r"多少|几|多久|多长|多高|多大|多远|多重|多宽|多深|什么时候|何时|哪天|截止|比例|标准")
_DIGIT = re.compile(
    r"[0-9０-９]|[一二三四五六七八九十两百千万]+(?:个|元|年|月|日|天|小时|分钟|人|次|台|层|米|平方米|%|倍|户)"
)


def _chars(text: str) -> set[str]:
    return {ch for ch in text if ch.isalnum()}


def asks_quantity(question: str) -> bool:
    """Does the question ask for an amount, a count, a length or a date?"""
    return bool(_QUANTITY.search(question))


def quote(
    doc: Document,
    terms: Iterable[str],
    analyze: Callable[[str], list[str]],
    *,
    max_chars: int,
    question: str = "",
    sentences: int = 2,
) -> str:
    """Verbatim sentences of `doc.body` that best answer `terms`, within `max_chars`."""
    parts = split_sentences(doc.body)
    if not parts:
        return ""
    wanted = [t for t in dict.fromkeys(terms) if t]
    named = set(analyze(doc.title))
    for keyword in doc.keywords:
        named.update(analyze(keyword))
    title_chars = _chars(doc.title)
    analysed = [set(analyze(p)) for p in parts]
    chars = [_chars(p) for p in parts]
    wanted_chars = {c for t in wanted for c in _chars(t)}
    n = len(parts)

    def rarity(df: int) -> float:
        return math.log(1 + n / df) if df else 0.0

    word_weight = {t: rarity(sum(t in a for a in analysed)) for t in wanted if t not in named}
    char_weight = {
        c: CHAR_WEIGHT * rarity(sum(c in s for s in chars)) * (TITLE_WEIGHT if c in title_chars else 1.0)
        for c in wanted_chars
    }
    figure = asks_quantity(question or "".join(wanted))
    average = sum(len(p) for p in parts) / n

    def score(i: int) -> float:
        value = sum(word_weight[t] for t in analysed[i].intersection(word_weight))
        value += sum(char_weight[c] for c in chars[i].intersection(char_weight))
        value /= 1 - LENGTH_B + LENGTH_B * len(parts[i]) / average
        if is_heading(parts[i]):
            value *= 0.5
        if figure and not _DIGIT.search(parts[i]):
            value *= 0.5
        return value

    scores = [score(i) for i in range(n)]
    ranked = sorted((i for i in range(n) if scores[i] > 0), key=lambda i: (-scores[i], i)) or list(range(n))
    # A second sentence only when it matches nearly as well: never padding with weak matches.
    ranked = [i for i in ranked if scores[i] >= SECOND_SENTENCE_SHARE * scores[ranked[0]]]
    return assemble(parts, ranked[: max(1, sentences)], set(wanted), analyze, max_chars)
