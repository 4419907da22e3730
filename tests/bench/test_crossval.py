"""Leave-one-department-out helpers: folds, per-fold thresholds, summaries."""

from __future__ import annotations

import pytest

from bench import crossval
from knowledge.document import Assessment
from knowledge.thresholds import DEFAULT_THRESHOLDS

MIN_QUERY_COVERAGE = DEFAULT_THRESHOLDS.min_query_coverage


def negative(confidence: float, coverage: float = 1.0) -> Assessment:
    return Assessment(0.5, 0.5, 0.5, confidence, coverage)


def test_small_departments_are_pooled_into_one_fold():
    departments = ["A"] * 12 + ["B"] * 10 + ["C"] * 3 + [""] * 2
    folds = crossval.department_folds(departments, min_fold=10)
    assert list(folds) == ["A", "B", crossval.POOLED]
    assert folds[crossval.POOLED] == list(range(22, 27))


def test_threshold_refuses_the_target_share_of_negatives():
    negatives = [negative(c / 10) for c in range(1, 11)]  # 0.1 … 1.0
    threshold = crossval.calibrate_threshold(negatives, target=0.8)
    answered = [a for a in negatives if crossval.answers_at(a, threshold)]
    assert len(answered) == 2  # 0.9 and 1.0 are still answered, 80 % refused
    assert threshold > 0.8


def test_gated_negatives_count_as_refused_at_any_threshold():
    gated = [negative(0.99, MIN_QUERY_COVERAGE / 2) for _ in range(8)]
    threshold = crossval.calibrate_threshold([*gated, negative(0.3), negative(0.2)], target=0.8)
    assert threshold == 0.0


def test_each_fold_is_calibrated_without_its_own_negatives():
    negatives = [negative(0.9)] * 5 + [negative(0.1)] * 5
    folds = {"high": [0, 1, 2, 3, 4], "low": [5, 6, 7, 8, 9]}
    thresholds = crossval.fold_thresholds(folds, negatives)
    assert thresholds["high"] == pytest.approx(0.1)  # calibrated on the low fold only
    assert thresholds["low"] == pytest.approx(0.9)


def test_summary_reports_mean_and_worst_fold_in_the_right_direction():
    assert crossval.summarise({"a": 0.9, "b": 0.5}) == crossval.Summary(0.7, 0.5, "b")
    assert crossval.summarise({"a": 0.01, "b": 0.05}, higher_is_better=False).worst_fold == "b"


def example(strength: float, margin: float, correct: bool, *, eligible: bool = True,
            base_direct: bool = False) -> crossval.DirectExample:
    return crossval.DirectExample(Assessment(strength, margin, 0.8, 0.6, 1.0), correct, base_direct, eligible)


def test_the_direct_threshold_allows_the_wrong_share_and_no_more():
    examples = [example(0.9, m / 10, m >= 3) for m in range(10)]  # margins 0.0 … 0.9; below 0.3 wrong
    scores = [e.assessment.margin for e in examples]
    assert crossval.pick_direct_threshold(scores, examples, max_wrong=0.0) == pytest.approx(0.3)
    assert crossval.pick_direct_threshold(scores, examples, max_wrong=0.1) == pytest.approx(0.2)  # one wrong of 10


def test_wrong_answers_given_without_the_rule_use_up_the_allowance():
    examples = [example(0.9, 0.5, True), example(0.9, 0.6, False, eligible=False, base_direct=True)]
    assert crossval.pick_direct_threshold([0.5, 0.6], examples, max_wrong=0.5) == pytest.approx(0.5)
    assert crossval.pick_direct_threshold([0.5, 0.6], examples, max_wrong=0.0) == crossval.NEVER


def test_the_fitted_direct_confidence_rises_with_the_margin_that_separates_right_from_wrong():
    positives = [example(0.7, 0.1 + 0.02 * k, True) for k in range(20)]
    positives += [example(0.7, 0.02 * k, False) for k in range(5)]
    negatives = [Assessment(0.6, 0.02 * k, 0.5, 0.5, 1.0) for k in range(10)]
    weights = crossval.fit_direct(positives, negatives)
    assert weights[1] > 0  # margin
    scores = crossval.direct_scores(weights, [example(0.7, 0.5, True), example(0.7, 0.0, True)])
    assert scores[0] > scores[1]


def test_a_fold_threshold_is_picked_on_scores_from_weights_fitted_without_that_fold():
    positives = {
        "A": [example(0.7, 0.1 + 0.05 * k, True) for k in range(8)] + [example(0.7, 0.05, False)],
        "B": [example(0.7, 0.15 + 0.05 * k, True) for k in range(8)] + [example(0.7, 0.1, False)],
    }
    negatives = {"A": [Assessment(0.6, 0.05, 0.5, 0.5, 1.0)] * 3, "B": [Assessment(0.6, 0.1, 0.5, 0.5, 1.0)] * 3}
    weights, threshold = crossval.calibrate_direct(positives, negatives, max_wrong=0.0)
    examples = positives["A"] + positives["B"]
    direct = [s >= threshold for s in crossval.direct_scores(weights, examples)]
    assert not any(d and not e.correct for d, e in zip(direct, examples, strict=True))
    assert any(direct)  # some right answers go through
