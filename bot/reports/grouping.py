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

import hashlib
import heapq
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from knowledge.text import word_file_lines

STOPWORDS_FILE = Path(__file__).with_name("stopwords.txt")
TEXT_KEY_PREFIX = "text:"
_PUNCT_OR_SPACE = re.compile(r"[\W_]+")
TOPIC_STOPWORDS_FILE = Path(__file__).with_name("topic_stopwords.txt")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"^[a-z]{3,}$")
MEMO_SIZE = 200_000  # distinct term strings remembered: a busy year has ~100,000


def _read_words(path: Path) -> frozenset[str]:
    return frozenset(word.lower() for fields in word_file_lines(path) for word in fields)


@lru_cache(maxsize=1)
def report_stopwords() -> frozenset[str]:
    """Ignored by grouping and topics alike: how a question is asked, not what it asks."""
    return _read_words(STOPWORDS_FILE)


@lru_cache(maxsize=1)
def topic_stopwords() -> frozenset[str]:
    """Kept for grouping (申请 ≠ 标准) but too generic to list as a topic."""
    return _read_words(TOPIC_STOPWORDS_FILE)


def normalise_text(text: str) -> str:
    """Width, case and punctuation folded: the fallback key for questions without content terms."""
    return _PUNCT_OR_SPACE.sub("", unicodedata.normalize("NFKC", text).lower())


@lru_cache(maxsize=MEMO_SIZE)
def content_terms(terms: str) -> tuple[str, ...]:
    """Rule steps 1-2 for one logged `terms` string: sorted, distinct, maximal content terms."""
    words = set(terms.split()).difference(report_stopwords())
    if len(words) < 2:
        return tuple(words)
    # A term inside another term occurs at least twice in the joined text; a maximal one once.
    joined = "\x00".join(words)
    return tuple(sorted(t for t in words if joined.count(t) == 1))


def group_key(terms: str, question: str = "") -> str:
    """Rule steps 3-4: the key two wordings share exactly when they are the same question."""
    key = terms_key(terms)
    return key if key else TEXT_KEY_PREFIX + normalise_text(question)


@lru_cache(maxsize=MEMO_SIZE)
def terms_key(terms: str) -> str:
    """Rule step 3 alone: the group key of a term string, "" when it has no content term (step 4)."""
    return " ".join(content_terms(terms))


@lru_cache(maxsize=MEMO_SIZE)
def topic_terms(terms: str) -> tuple[str, ...]:
    """The topic terms of a term string, each once: what it adds to 热词 per question."""
    return tuple(t for t in content_terms(terms) if is_topic_term(t))


def rule_version() -> str:
    """Changes whenever `terms_key` or `topic_terms` may: the question log's summary stores
    both and is re-summed then."""
    words = "\n".join(sorted(report_stopwords())) + "\x00" + "\n".join(sorted(topic_stopwords()))
    return "grouping-2:" + hashlib.sha1(words.encode("utf-8")).hexdigest()[:16]


@lru_cache(maxsize=50_000)
def is_topic_term(term: str) -> bool:
    """Terms worth listing as topics (热词, 上升话题, a group's 关键词).

    Two or more characters with a Chinese one among them, or a Latin word of three letters
    or more (etc, app). Numbers, masked numbers and short codes (`a7`, `28`) are no topic,
    nor are the generic words of topic_stopwords.txt.
    """
    if len(term) < 2 or term in topic_stopwords():
        return False
    return bool(_CJK.search(term) or _LATIN_WORD.match(term))


@dataclass(slots=True)
class QuestionRow:
    """One distinct (wording, answered, matched entry) of a period, as the database counted it.

    A slotted dataclass rather than a NamedTuple: a tuple's `count` method and this `count`
    field would be the same name.
    """

    terms: str
    question: str
    answered: bool
    kind: str | None  # matched (or, unanswered, nearest) entry
    entry_id: int | None
    category: str | None  # that entry's category at the time
    count: int  # questions with this wording, answer and entry
    satisfied: int
    unsatisfied: int
    last_id: int  # newest log row of this wording: where the entry's current title is read


@dataclass
class QuestionGroup:
    """One question however it was worded, for the top-questions and unanswered tables."""

    key: str
    count: int = 0
    answered: int = 0
    wording: str = ""  # the commonest wording
    examples: list[str] = field(default_factory=list)  # other wordings, commonest first
    entry: str | None = None  # title of the entry its questions matched most often
    previous: int | None = None  # count in the previous period, when asked for
    entry_row: int | None = None  # a log row id carrying that entry's title (filled in by the caller)
    handled: str | None = None  # how staff dealt with it in the queue (bot/reports/queue.py), if they did

    @property
    def terms(self) -> list[str]:
        """The group's topic terms, for display (the key may hold more)."""
        return [] if self.key.startswith(TEXT_KEY_PREFIX) else [t for t in self.key.split() if is_topic_term(t)]

    @property
    def answered_rate(self) -> float:
        return self.answered / self.count if self.count else 0.0


def count_by_key(rows: Iterable[QuestionRow]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for row in rows:
        counts[group_key(row.terms, row.question)] += row.count
    return counts


def top_groups(rows: list[QuestionRow], limit: int, examples: int = 3,
               wordings: Callable[[list[str]], list[QuestionRow]] | None = None) -> list[QuestionGroup]:
    """The `limit` largest groups, each with its commonest wording, examples and entry.

    The entry is the one that answered the group's questions most often (the nearest entry
    of an unanswered question is not shown: with a small knowledge base it is mostly noise).
    Its title is looked up afterwards from `entry_row`, so only the shown groups cost a
    lookup. Plain dictionaries first, objects only for the shown groups: a year has ~10⁵.

    Rows summed per term string (`queries.summary_rows`: `question` empty) get their wordings
    from `wordings(term strings)`, asked for the shown groups' term strings only; of what it
    returns, only the rows whose (terms, answered) is among `rows` count.
    """
    keys = [group_key(row.terms, row.question) for row in rows]
    counts: dict[str, int] = {}
    answered: dict[str, int] = {}
    for key, row in zip(keys, rows, strict=True):
        counts[key] = counts.get(key, 0) + row.count
        if row.answered:
            answered[key] = answered.get(key, 0) + row.count
    ranked = heapq.nsmallest(limit, counts.items(), key=lambda kv: (-kv[1], kv[0]))
    shown = {key: QuestionGroup(key=key, count=n, answered=answered.get(key, 0)) for key, n in ranked}
    texts: dict[str, Counter[str]] = {key: Counter() for key in shown}
    entries: dict[str, Counter[tuple[str, int]]] = {key: Counter() for key in shown}
    last_row: dict[tuple[str, int], int] = {}
    summed = {(row.terms, row.answered) for key, row in zip(keys, rows, strict=True)
              if key in shown and not row.question and not key.startswith(TEXT_KEY_PREFIX)}
    if summed and wordings is not None:
        for row in wordings(sorted({terms for terms, _ in summed})):
            key = group_key(row.terms, row.question)
            if key in shown and (row.terms, row.answered) in summed:
                texts[key][row.question.strip()] += row.count
    for key, row in zip(keys, rows, strict=True):
        if key not in shown:
            continue
        if row.question or key.startswith(TEXT_KEY_PREFIX) or wordings is None:
            texts[key][row.question.strip()] += row.count
        if row.answered and row.entry_id is not None:
            entries[key][(row.kind or "", row.entry_id)] += row.count
            ref = (row.kind or "", row.entry_id)
            last_row[ref] = max(last_row.get(ref, 0), row.last_id)
    for key, group in shown.items():
        # Wordings that differ only in punctuation, width or case count as one wording.
        seen: set[str] = set()
        ordered: list[str] = []
        for text, _ in sorted(texts[key].items(), key=lambda kv: (-kv[1], kv[0])):
            norm = normalise_text(text)
            if norm not in seen:
                seen.add(norm)
                ordered.append(text)
        if ordered:
            group.wording, group.examples = ordered[0], ordered[1:examples + 1]
        if entries[key]:
            (kind, entry_id), _n = entries[key].most_common(1)[0]
            group.entry_row = last_row[(kind, entry_id)]
    return list(shown.values())


def term_counts(rows: Iterable[QuestionRow]) -> Counter[str]:
    """Questions per topic term (a term counts once per question)."""
    per_terms: dict[str, int] = {}
    for row in rows:
        per_terms[row.terms] = per_terms.get(row.terms, 0) + row.count
    return terms_counts(per_terms)


def terms_counts(per_terms: dict[str, int]) -> Counter[str]:
    """`term_counts` from the questions per term string."""
    counts: Counter[str] = Counter()
    for terms, n in per_terms.items():
        for term in topic_terms(terms):
            counts[term] += n
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
    from making every common word "rise"; `min_count` keeps one-off terms out. Without any
    question in the previous period there is nothing to compare with: no rising topics.
    """
    if not previous_total:
        return []
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
