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

Direct answers per fold (`calibrate_direct`): a confident search whose top hit has close rivals
answers it directly when the direct-answer confidence (`AnswerPolicy.answers_directly`) reaches
its threshold. For a held-out fold its weights are fitted on the other folds' questions (positive
when the top hit is right) and negatives, and its threshold is the lowest at which at most
`MAX_WRONG_DIRECT` of the other folds' questions are answered wrongly — each of them scored by
weights fitted without its own fold (a nested leave-one-department-out), because in-sample
scores would promise fewer wrong answers than a new department gets. The shipped values in
`knowledge.thresholds` are the same procedure over all folds (``bench.quality --calibrate``).

Figures per fold are then measured on the held-out questions only; the summary is the mean over
folds (each fold weighs the same) and the worst fold.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from knowledge.decision import DecisionKind, Reason
from knowledge.document import Assessment, Document, SearchResult
from knowledge.policy import AnswerPolicy, Searchable
from knowledge.search import Searcher
from knowledge.spelling import Correction, speller_for

MIN_FOLD = 10
POOLED = "其他部门（合并）"
TARGET_ABSTENTION = 0.80
#: The share of calibration questions the direct answers may get wrong (the issue's goal: ≤ 2 %).
MAX_WRONG_DIRECT = 0.02
#: A direct-answer threshold no confidence reaches: the rule is off.
NEVER = 1.01
#: The answer policy's hard gates (`AnswerPolicy.passes_gates`), which no threshold overrides.
GATES = AnswerPolicy()


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
    return assessment.confidence > 0 and assessment.confidence >= threshold and GATES.passes_gates(assessment)


def calibrate_threshold(negatives: Iterable[Assessment], target: float = TARGET_ABSTENTION) -> float:
    """The lowest threshold that refuses at least `target` of `negatives` (questions whose
    answer is missing); negatives the coverage gate refuses count as refused at any threshold."""
    negatives = list(negatives)
    if not negatives:
        raise ValueError("no negatives to calibrate on")
    may_answer = sorted(
        (a.confidence for a in negatives if GATES.passes_gates(a) and a.confidence > 0),
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


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1e-2, steps: int = 4000) -> np.ndarray:
    """Plain gradient-descent logistic regression; returns weights with the bias last."""
    xb = np.c_[x, np.ones(len(x))]
    w = np.zeros(xb.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-xb @ w))
        w -= 0.5 * (xb.T @ (p - y) / len(y) + l2 * np.r_[w[:-1], 0.0])
    return w


def direct_features(a: Assessment) -> tuple[float, float, float]:
    """What the direct-answer confidence weighs (`AnswerPolicy.direct_confidence`)."""
    return (a.strength, a.margin, a.title_coverage)


@dataclass(frozen=True)
class DirectExample:
    """One calibration question as the direct-answer rule sees it (asked with its answer present)."""

    assessment: Assessment
    correct: bool  # the search's top hit is a right entry
    base_direct: bool  # answered directly without the rule (one confident hit, or typed verbatim)
    eligible: bool  # a confident search with close rivals, its title covered enough: the rule decides
    searched: bool = True  # it had hits (only those are fitted on)


def direct_examples(kb: Searchable, questions: Sequence[str], gold: Sequence[frozenset[str]],
                    policy: AnswerPolicy) -> list[DirectExample]:
    """Each question through `policy` with the direct-answer rule off: what the rule may decide."""
    off = AnswerPolicy(dataclasses.replace(policy.thresholds, direct_threshold=NEVER))
    examples = []
    for question, answers in zip(questions, gold, strict=True):
        decision = off.decide(question, None, kb)
        result = decision.result
        if result is None or not result.hits:
            examples.append(DirectExample(Assessment(0.0, 0.0, 0.0, 0.0), False, False, False, searched=False))
            continue
        rivalled = decision.reason is Reason.CONFIDENT_SEVERAL
        examples.append(DirectExample(
            result.assessment, result.hits[0].doc.key in answers, decision.kind is DecisionKind.ANSWER,
            rivalled and result.assessment.title_coverage >= policy.thresholds.direct_min_title))
    return examples


def fit_direct(positives: Iterable[DirectExample], negatives: Iterable[Assessment],
               l2: float = 1e-2) -> tuple[float, float, float, float]:
    """Weights (strength, margin, title coverage, bias) of the direct-answer confidence: positive
    when the top hit is right, questions whose answer was removed as negatives (their top hit is
    never right). Fitted on standardised features, so the l2 penalty weighs each feature alike,
    and returned for the raw features the policy computes."""
    pos = [e for e in positives if e.searched]
    neg = [direct_features(a) for a in negatives if a.confidence > 0]  # confidence 0: no hits
    x = np.array([direct_features(e.assessment) for e in pos] + neg, dtype=float)
    y = np.array([e.correct for e in pos] + [False] * len(neg), dtype=float)
    mu, sd = x.mean(axis=0), x.std(axis=0) + 1e-9
    w = fit_logistic((x - mu) / sd, y, l2=l2)
    raw = w[:3] / sd
    bias = float(w[3] - np.sum(w[:3] * mu / sd))
    return float(raw[0]), float(raw[1]), float(raw[2]), bias


def direct_scores(weights: tuple[float, float, float, float], examples: Sequence[DirectExample]) -> np.ndarray:
    x = np.array([direct_features(e.assessment) for e in examples], dtype=float).reshape(-1, 3)
    return 1 / (1 + np.exp(-(x @ np.array(weights[:3]) + weights[3])))


def pick_direct_threshold(scores: Sequence[float], examples: Sequence[DirectExample],
                          max_wrong: float = MAX_WRONG_DIRECT) -> float:
    """The lowest threshold at which the direct answers of `examples` — those given without the
    rule, and the eligible ones scoring at least the threshold — are wrong for at most
    `max_wrong` of all the examples (`NEVER` when even the rule's absence exceeds it)."""
    allowed = max_wrong * len(examples) + 1e-9
    base_wrong = sum(e.base_direct and not e.correct for e in examples)
    candidates = sorted({float(s) for s, e in zip(scores, examples, strict=True) if e.eligible})
    for threshold in candidates:
        added = sum(e.eligible and not e.correct and s >= threshold for s, e in zip(scores, examples, strict=True))
        if base_wrong + added <= allowed:
            return threshold
    return NEVER


def calibrate_direct(positives: Mapping[str, Sequence[DirectExample]], negatives: Mapping[str, Sequence[Assessment]],
                     max_wrong: float = MAX_WRONG_DIRECT) -> tuple[tuple[float, float, float, float], float]:
    """Weights fitted on every fold given, and the threshold picked (`pick_direct_threshold`) on
    out-of-fold scores: each fold's questions scored by weights fitted on the other folds.
    `positives` and `negatives` are keyed by fold (a department, or the pooled small ones)."""
    scored: list[float] = []
    examples: list[DirectExample] = []
    for fold, members in positives.items():
        weights = fit_direct((e for f, m in positives.items() if f != fold for e in m),
                             (a for f, m in negatives.items() if f != fold for a in m))
        scored.extend(direct_scores(weights, members).tolist())
        examples.extend(members)
    threshold = pick_direct_threshold(scored, examples, max_wrong)
    weights = fit_direct((e for m in positives.values() for e in m), (a for m in negatives.values() for a in m))
    return weights, threshold


def direct_rule(kb: Searchable, questions: Sequence[str], gold: Sequence[frozenset[str]],
                folds: Mapping[str, Sequence[int]], negatives: Mapping[int, Assessment] | Sequence[Assessment],
                policy: AnswerPolicy, held_out: str | None = None,
                ) -> tuple[tuple[float, float, float, float], float]:
    """`calibrate_direct` over every fold but `held_out` (None: all of them, the shipped fit):
    their questions through `policy` over `kb` (the whole bank, the fold's answer threshold)
    and their negatives (question index → the assessment with its own answers removed)."""
    off = AnswerPolicy(dataclasses.replace(policy.thresholds, direct_threshold=NEVER))
    positives = {name: direct_examples(kb, [questions[i] for i in members], [gold[i] for i in members], off)
                 for name, members in folds.items() if name != held_out}
    by_fold = {name: [negatives[i] for i in folds[name]] for name in positives}
    return calibrate_direct(positives, by_fold)


def with_direct(policy: AnswerPolicy, weights: tuple[float, float, float, float], threshold: float) -> AnswerPolicy:
    """`policy` with these direct-answer weights and threshold."""
    w_strength, w_margin, w_title, bias = weights
    return AnswerPolicy(dataclasses.replace(
        policy.thresholds, w_direct_strength=w_strength, w_direct_margin=w_margin, w_direct_title=w_title,
        direct_bias=bias, direct_threshold=threshold))


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
        return self._speller.corrections_in(text, self.processor.segment)

    def analyze(self, text: str) -> list[str]:
        return self.searcher.terms(text)

    def written_forms(self, term: str) -> tuple[str, ...]:
        return self.processor.written_forms(term)

    @property
    def size(self) -> int:
        return len(self._documents)

    @property
    def domain_verbs(self) -> frozenset[str]:
        return self.searcher.index.domain_verbs


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
