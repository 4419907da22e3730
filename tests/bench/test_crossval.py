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
