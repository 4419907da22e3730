"""Query-focused extractive summaries of disclosure items.

A citizen asks about one thing; a published item (a work report, a notice) may be pages long.
The reply quotes the two or three sentences of the body that best match the question, in their
original order and verbatim: a government answer must not paraphrase figures, dates or 文号, and
must never say anything the published text does not. When a single sentence is too long for a
phone screen, it is narrowed to the clauses around its best match and the cut is marked with
"…" — still only the item's own words.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence

# Sentence ends of Chinese text. "." is deliberately absent: in Chinese bodies it marks
# decimals (3.2公里), list numbers (1.建设…) and URLs far more often than a sentence end.
_CJK_ENDS = "。！？；…"
# ASCII marks end a sentence only when not followed by more ASCII text ("?a=b" in a URL).
_ASCII_ENDS = "!?;"
# Closing quotes and brackets that belong to the sentence they close: 他说：“好。”
_CLOSERS = "”’」』）)》】\"'"
_SENTENCE = re.compile(
    rf"[^{_CJK_ENDS}\n]*?(?:[{_CJK_ENDS}]+|[{re.escape(_ASCII_ENDS)}]+(?![A-Za-z0-9=&/%#_.-])|\n|$)[{_CLOSERS}]*"
)
_CLAUSE_ENDS = "，,、：:"
_WORDLIKE = re.compile(r"\w")

DEFAULT_SENTENCES = 3
DEFAULT_MAX_CHARS = 160
# Headings ("一、强化组织机构", lines without an end mark) and very short sentences carry
# little, so they count half and win only when no real sentence matches as well.
_SHORT_SENTENCE = 8
_ENDED = tuple(_CJK_ENDS + _ASCII_ENDS + _CLOSERS)


def split_sentences(text: str) -> list[str]:
    """Split Chinese text into sentences, each keeping its end mark; blank pieces dropped."""
    sentences: list[str] = []
    for match in _SENTENCE.finditer(text):
        piece = match.group().strip()
        if piece and _WORDLIKE.search(piece):
            sentences.append(piece)
    return sentences


def _narrow(sentence: str, wanted: set[str], analyze: Callable[[str], list[str]], max_chars: int) -> str:
    """Cut an over-long sentence to the clauses around its best-matching clause, marked with …."""
    clauses = re.findall(rf"[^{_CLAUSE_ENDS}]*(?:[{_CLAUSE_ENDS}]|$)", sentence)
    clauses = [c for c in clauses if c]
    if len(clauses) <= 1:
        return sentence[: max_chars - 1].rstrip() + "…"
    hits = [len(wanted.intersection(analyze(c))) for c in clauses]
    best = max(range(len(clauses)), key=lambda i: (hits[i], -i))
    start = end = best
    length = len(clauses[best])
    # Grow towards whichever neighbour matches more, preferring what follows the best clause.
    while True:
        options = []
        if end + 1 < len(clauses) and length + len(clauses[end + 1]) <= max_chars - 2:
            options.append((hits[end + 1], 1, "end"))
        if start > 0 and length + len(clauses[start - 1]) <= max_chars - 2:
            options.append((hits[start - 1], 0, "start"))
        if not options:
            break
        side = max(options)[2]
        if side == "end":
            end += 1
            length += len(clauses[end])
        else:
            start -= 1
            length += len(clauses[start])
    text = "".join(clauses[start : end + 1])
    truncated = len(text) > max_chars - 2
    if truncated:
        text = text[: max_chars - 2]
    text = text.rstrip(_CLAUSE_ENDS + " ")
    prefix = "…" if start > 0 else ""
    suffix = "…" if truncated or end < len(clauses) - 1 else ""
    return prefix + text + suffix


def summarize(
    body: str,
    terms: Iterable[str],
    analyze: Callable[[str], list[str]],
    *,
    sentences: int = DEFAULT_SENTENCES,
    max_chars: int = DEFAULT_MAX_CHARS,
) -> str:
    """The `sentences` sentences of `body` that best match the query `terms`, in text order.

    `analyze` must be the knowledge base's analyser, so that body and query agree on terms
    (synonyms mapped, traditional folded). A sentence scores the summed weight of the distinct
    query terms it contains, each weighted by how rare it is among the body's own sentences
    (a term in every sentence says nothing about which one answers). Ties go to the earlier
    sentence. If no sentence matches, the opening sentences stand in, as a lead. Sentences are
    added best first while they fit in `max_chars`; the best one is always kept (narrowed if
    it alone is too long).
    """
    parts = split_sentences(body)
    if not parts:
        return ""
    wanted = {t for t in terms if t}
    analysed = [set(analyze(p)) for p in parts]
    df = {t: sum(1 for a in analysed if t in a) for t in wanted}
    weight = {t: math.log(1 + len(parts) / df[t]) for t in wanted if df[t]}

    def score(i: int) -> float:
        value = sum(weight.get(t, 0.0) for t in analysed[i] & wanted)
        return value * (0.5 if is_heading(parts[i]) else 1.0)

    scores = [score(i) for i in range(len(parts))]
    if any(scores):
        ranked = sorted((i for i in range(len(parts)) if scores[i] > 0), key=lambda i: (-scores[i], i))
    else:
        ranked = list(range(len(parts)))
    return assemble(parts, ranked[: max(1, sentences)], wanted, analyze, max_chars)


def is_heading(sentence: str) -> bool:
    """A heading or fragment ("一、强化组织机构", no end mark, or very short): weak evidence."""
    return len(sentence) < _SHORT_SENTENCE or not sentence.endswith(_ENDED)


def assemble(
    parts: Sequence[str],
    ranked: Sequence[int],
    wanted: set[str],
    analyze: Callable[[str], list[str]],
    max_chars: int,
) -> str:
    """The `ranked` sentences that fit in `max_chars` (the best always, narrowed), in text order."""
    chosen: list[int] = []
    used = 0
    for i in ranked:
        if used + len(parts[i]) <= max_chars:
            chosen.append(i)
            used += len(parts[i])
    if not chosen:
        return _narrow(parts[ranked[0]], wanted, analyze, max_chars)
    text = ""
    for i in sorted(chosen):
        # Lines without an end mark (headings, list rows) would run into the next sentence.
        if text and not text.endswith(_ENDED):
            text += " "
        text += parts[i]
    return text
