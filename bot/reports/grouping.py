"""Near-duplicate wordings as one question, and the terms worth showing as topics.

The grouping rule (documented for staff in docs/reports.md):

1. Start from the question's analysed terms as logged — the search's own analysis, so
   traditional/full-width forms, synonyms (低保 → 最低生活保障) and the search stopwords are
   already folded.
2. Drop the report stopwords (`stopwords.txt`: how a question is asked — 怎么/咋/如何/请问 —
   and stock phrases of messages), and drop a term contained in another term of the same
   question (the sub-words the search adds: 公积金 inside 住房公积金).
3. The *set* of what remains is the group key, so word order does not matter:
   低保怎么申请 / 低保咋申请 / 怎么申请低保 / 请问如何申请低保 → {申请, 最低生活保障}.
4. A question with no content term left (只有"你好"、表情) is grouped by its normalised text.

A group is shown with its commonest wording, a few other wordings and the entry its
questions matched most often. Grouping works on the distinct term strings the database
aggregated, never on individual rows, so it costs the same for a thousand or a million rows.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

STOPWORDS_FILE = Path(__file__).with_name("stopwords.txt")
TEXT_KEY_PREFIX = "text:"
_PUNCT_OR_SPACE = re.compile(r"[\W_]+")
_DIGITS_ONLY = re.compile(r"^[0-9.\-*]+$")


@lru_cache(maxsize=1)
def report_stopwords() -> frozenset[str]:
    words: set[str] = set()
    for raw in STOPWORDS_FILE.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0]
        words.update(w.strip().lower() for w in line.split() if w.strip())
    return frozenset(words)


def normalise_text(text: str) -> str:
    """Width, case and punctuation folded: the fallback key for questions without content terms."""
    return _PUNCT_OR_SPACE.sub("", unicodedata.normalize("NFKC", text).lower())


@lru_cache(maxsize=200_000)
def content_terms(terms: str) -> tuple[str, ...]:
    """Rule steps 1-2 for one logged `terms` string: sorted, distinct, maximal content terms."""
    stop = report_stopwords()
    words = {t for t in terms.split() if t and t not in stop}
    maximal = [t for t in words if not any(t != other and t in other for other in words)]
    return tuple(sorted(maximal))


def group_key(terms: str, question: str = "") -> str:
    """Rule steps 3-4: the key two wordings share exactly when they are the same question."""
    content = content_terms(terms)
    if content:
        return " ".join(content)
    return TEXT_KEY_PREFIX + normalise_text(question)


def is_topic_term(term: str) -> bool:
    """Terms worth listing as topics: not a single character, not a bare (or masked) number."""
    return len(term) > 1 and not _DIGITS_ONLY.match(term)


@dataclass
class QuestionGroup:
    """One question however it was worded, for the top-questions and unanswered tables."""

    key: str
    count: int = 0
    answered: int = 0
    wording: str = ""  # the commonest wording
    examples: list[str] = field(default_factory=list)  # other wordings, commonest first
    entry: str | None = None  # the entry its questions matched most often
    previous: int | None = None  # count in the previous period, when asked for

    @property
    def terms(self) -> list[str]:
        return [] if self.key.startswith(TEXT_KEY_PREFIX) else self.key.split()

    @property
    def answered_rate(self) -> float:
        return self.answered / self.count if self.count else 0.0


def merge_rows(rows: list[tuple[str, str, bool, int]]) -> dict[str, QuestionGroup]:
    """Fold aggregated rows `(terms, text_if_no_terms, answered, count)` into groups by key."""
    groups: dict[str, QuestionGroup] = {}
    for terms, text, answered, count in rows:
        key = group_key(terms or "", text or "")
        group = groups.get(key)
        if group is None:
            group = groups[key] = QuestionGroup(key=key)
        group.count += count
        if answered:
            group.answered += count
    return groups


def ranked(groups: dict[str, QuestionGroup], limit: int) -> list[QuestionGroup]:
    return sorted(groups.values(), key=lambda g: (-g.count, g.key))[:limit]


def attach_wordings(
    groups: list[QuestionGroup], rows: list[tuple[str, str, str | None, bool, int]], examples: int = 3
) -> None:
    """Fill each group's commonest wording, examples and entry from `(terms, question, entry, answered, count)`.

    The entry is the one that answered the group's questions most often; for a group never
    answered, the nearest entry (useful to staff: often the one to extend).
    """
    by_key = {g.key: g for g in groups}
    wordings: dict[str, Counter[str]] = {}
    answered_by: dict[str, Counter[str]] = {}
    nearest: dict[str, Counter[str]] = {}
    for terms, question, entry, answered, count in rows:
        key = group_key(terms, question)
        if key not in by_key:
            continue
        wordings.setdefault(key, Counter())[question.strip()] += count
        if entry:
            (answered_by if answered else nearest).setdefault(key, Counter())[entry] += count
    for key, group in by_key.items():
        # Wordings that differ only in punctuation, width or case count as one wording.
        seen: set[str] = set()
        ordered: list[str] = []
        for text, _ in sorted(wordings.get(key, Counter()).items(), key=lambda kv: (-kv[1], kv[0])):
            norm = normalise_text(text)
            if norm not in seen:
                seen.add(norm)
                ordered.append(text)
        if ordered:
            group.wording, group.examples = ordered[0], ordered[1:examples + 1]
        entries = answered_by.get(key) or nearest.get(key)
        if entries:
            group.entry = entries.most_common(1)[0][0]


def term_counts(rows: list[tuple[str, str, bool, int]]) -> Counter[str]:
    """Questions per topic term (a term counts once per question)."""
    counts: Counter[str] = Counter()
    for terms, _text, _answered, count in rows:
        for term in content_terms(terms or ""):
            if is_topic_term(term):
                counts[term] += count
    return counts


@dataclass(frozen=True)
class RisingTopic:
    term: str
    count: int
    previous: int
    expected: float  # previous count scaled to this period's volume
    change: float | None  # (count - previous) / previous; None when new


def rising(
    current: Counter[str], previous: Counter[str], total: int, previous_total: int, *, limit: int, min_count: int
) -> list[RisingTopic]:
    """Terms asked about more than their previous share predicts, largest excess first.

    Comparing with the previous count *scaled to this period's volume* keeps a busy month
    from making every common word "rise"; `min_count` keeps one-off terms out.
    """
    scale = total / previous_total if previous_total else 0.0
    found = []
    for term, count in current.items():
        if count < min_count:
            continue
        before = previous.get(term, 0)
        expected = before * scale
        if count <= expected:
            continue
        change = (count - before) / before if before else None
        found.append(RisingTopic(term, count, before, round(expected, 1), change))
    found.sort(key=lambda t: (-(t.count - t.expected), t.term))
    return found[:limit]
