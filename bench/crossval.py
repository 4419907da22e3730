"""Leave-one-department-out cross-validation: figures that say how the bot does on citizens'
questions about a department whose questions played no part in its calibration.

Why: the answer threshold was set on the 170 development questions and the lexicon was written
while reading them, so the development-set figures flatter the bot. Every question's gold row
in the bank carries the department that wrote it; holding one department out at a time and
calibrating the threshold on the others measures what a township would see on topics nobody
looked at while tuning.

Folds: every department with at least `MIN_FOLD` development questions is a fold of its own;
the departments with fewer are pooled into one fold (`POOLED`), because a fold of one or two
questions would make "the worst department" a coin toss.

Threshold per fold: every development question is asked once with its own gold entries removed
from the bank (the negatives, as in `bench.quality --calibrate`); the held-out fold's threshold
is the lowest that says "not found" to at least `TARGET_ABSTENTION` of the *other* folds'
negatives, counting the query-coverage gate (a gated negative is refused at any threshold).

Figures per fold are then measured on the held-out questions only; the summary is the mean over
folds (each fold weighs the same) and the worst fold.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from knowledge.document import Assessment, Document, SearchResult
from knowledge.policy import AnswerPolicy
from knowledge.search import Searcher
from knowledge.spelling import Correction, speller_for
from knowledge.thresholds import DEFAULT_THRESHOLDS

MIN_FOLD = 10
POOLED = "其他部门（合并）"
TARGET_ABSTENTION = 0.80


def department_folds(departments: Sequence[str], min_fold: int = MIN_FOLD) -> dict[str, list[int]]:
    """Question indices per fold, large departments first; small ones pooled into `POOLED`."""
    by_department: dict[str, list[int]] = {}
    for i, department in enumerate(departments):
        by_department.setdefault(department.strip() or "（未注明）", []).append(i)
    folds: dict[str, list[int]] = {}
    pooled: list[int] = []
    for department, members in sorted(by_department.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        if len(members) >= min_fold:
            folds[department] = members
        else:
            pooled.extend(members)
    if pooled:
        folds[POOLED] = sorted(pooled)
    return folds


def answers_at(assessment: Assessment, threshold: float) -> bool:
    """The search's answered-or-not-found decision at another threshold (same rule as `Searcher`;
    a search without hits has confidence 0 and is never answered)."""
    return (
        assessment.confidence > 0
        and assessment.confidence >= threshold
        and assessment.query_coverage >= DEFAULT_THRESHOLDS.min_query_coverage
    )


def calibrate_threshold(negatives: Iterable[Assessment], target: float = TARGET_ABSTENTION) -> float:
    """The lowest threshold that refuses at least `target` of `negatives` (questions whose
    answer is missing); negatives the coverage gate refuses count as refused at any threshold."""
    negatives = list(negatives)
    if not negatives:
        raise ValueError("no negatives to calibrate on")
    gate = DEFAULT_THRESHOLDS.min_query_coverage
    may_answer = sorted(
        (a.confidence for a in negatives if a.query_coverage >= gate and a.confidence > 0),
        reverse=True,
    )
    allowed = math.floor((1 - target) * len(negatives) + 1e-9)  # negatives we may still answer
    if len(may_answer) <= allowed:
        return 0.0
    # Just above the (allowed+1)-th most confident negative: it and all below are refused.
    return math.nextafter(may_answer[allowed], math.inf)


def fold_thresholds(folds: Mapping[str, Sequence[int]], negatives: Sequence[Assessment]) -> dict[str, float]:
    """For each fold, the threshold calibrated on the negatives of every *other* fold."""
    thresholds = {}
    for name, members in folds.items():
        held_out = set(members)
        thresholds[name] = calibrate_threshold(a for i, a in enumerate(negatives) if i not in held_out)
    return thresholds


@dataclass(frozen=True)
class Summary:
    """One figure across folds: the mean (folds weigh the same) and the worst fold."""

    mean: float
    worst: float
    worst_fold: str


def summarise(per_fold: Mapping[str, float], *, higher_is_better: bool = True) -> Summary:
    values = list(per_fold.items())
    mean = sum(v for _, v in values) / len(values)
    pick = min if higher_is_better else max
    worst_fold, worst = pick(values, key=lambda kv: kv[1])
    return Summary(mean, worst, worst_fold)


class FixedKnowledgeBase:
    """What `bot.conversation.Conversation` needs of a knowledge base, over a given searcher.

    The benchmarks swap thresholds and remove entries many times a run; building a store and
    `knowledge.base.KnowledgeBase` for each would measure the database, not the replies.
    """

    def __init__(self, searcher: Searcher, documents: Sequence[Document]) -> None:
        self.searcher = searcher
        self.processor = searcher.processor
        self.policy: AnswerPolicy = searcher.policy
        self._documents = {d.key: d for d in documents}
        self._speller = speller_for(searcher)

    def search(self, query: str, limit: int = 10) -> SearchResult:
        return self.searcher.search(query, limit=limit)

    def search_distinct(self, query: str, limit: int, within: int) -> SearchResult:
        return self.searcher.search_distinct(query, limit, within)

    def document(self, key: str) -> Document | None:
        return self._documents.get(key)

    def spelling(self, text: str) -> list[Correction]:
        return self._speller.corrections(self.processor.segment(text))

    def analyze(self, text: str) -> list[str]:
        return self.searcher.terms(text)

    @property
    def size(self) -> int:
        return len(self._documents)


def _pad(text: str, width: int) -> str:
    """Left-align `text` in `width` terminal columns (a CJK character takes two)."""
    used = sum(2 if ord(ch) >= 0x2E80 else 1 for ch in text)
    return text + " " * max(0, width - used)


def format_table(
    folds: Mapping[str, Sequence[int]],
    thresholds: Mapping[str, float],
    columns: Sequence[tuple[str, Callable[[str], float], bool]],
) -> list[str]:
    """Lines of a per-fold table with the mean and worst rows; columns are (label, figure of a
    fold, higher is better)."""
    head = f"  {_pad('fold', 18)} {'n':>4} {'threshold':>9} " + " ".join(f"{label:>14}" for label, _, _ in columns)
    lines = [head]
    values = {label: {name: get(name) for name in folds} for label, get, _ in columns}
    for name, members in folds.items():
        cells = " ".join(f"{values[label][name]:>14.3f}" for label, _, _ in columns)
        lines.append(f"  {_pad(name, 18)} {len(members):>4} {thresholds[name]:>9.3f} {cells}")
    summaries = {label: summarise(values[label], higher_is_better=better) for label, _, better in columns}
    for title, pick in (("mean over folds", "mean"), ("worst fold", "worst")):
        cells = " ".join(f"{getattr(summaries[label], pick):>14.3f}" for label, _, _ in columns)
        lines.append(f"  {_pad(title, 18)} {'':>4} {'':>9} {cells}")
    return lines
