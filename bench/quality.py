"""Retrieval quality and the answered-or-not-found decision on the development set.

    python -m bench.quality [--shared DIR] [--calibrate]

Reads ``../shared`` (the FAQ bank and 170 citizen-style questions, each with the bank row
that answers it; rows with the same question or answer count as correct too) and prints, for
the project and — in the same run — the naive baseline (global jieba + rank-bm25 over
question+answer): hit@1, hit@3 and MRR@10. Then the decision: how often the bot says "not
found" when the answer was removed from the bank (abstention, higher is better), how often it
says so although the answer is there (false abstention), and how often it answers wrongly.

``--calibrate`` also asks every question once more with its own answer removed, fits the
logistic weights and threshold of `knowledge.thresholds.Thresholds`, and measures what its query
coverage gate costs.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import random
import re
import sys
import tempfile
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench import crossval
from knowledge.document import Assessment, Document
from knowledge.fielded import DEFAULT_WEIGHTS, FieldedIndex
from knowledge.importers import import_paths
from knowledge.policy import AnswerPolicy
from knowledge.search import Searcher
from knowledge.segcache import MemorySegmentationCache
from knowledge.store import Store
from knowledge.text import TextProcessor
from knowledge.thresholds import DEFAULT_THRESHOLDS

BANK = "datasets/msgabench_govqa_2081.jsonl"
DEV = "eval/dev_queries.jsonl"
ABSTENTION_SAMPLE = 50
ABSTENTION_SEED = 20240601
TARGETS = {"hit@1": 0.75, "hit@3": 0.90, "abstention": 0.80}


def default_shared() -> Path:
    return Path(__file__).resolve().parent.parent.parent / "shared"


def require_shared(shared: Path, *relative: str) -> None:
    """Exit with a clear message when the reference data is not there."""
    missing = [r for r in relative if not (shared / r).is_file()]
    if missing:
        sys.exit(
            f"bench: reference data missing under {shared}: {', '.join(missing)}\n"
            "It lives in the shared folder beside the repository (../shared); "
            "point to it with --shared DIR."
        )


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def load_documents(bank: Path) -> list[Document]:
    """The FAQ bank as the bot would hold it: imported by `knowledge.importers` into a
    throwaway SQLite database and loaded back from the store.

    The importer drops rows whose question repeats an earlier one (one answer per question),
    so the project indexes a few entries fewer than the raw file; gold answers are matched by
    question/answer text, never by id.
    """
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{tmp}/kb.db")
        store.migrate()
        import_paths(store, [bank])
        documents = store.load_documents()
        store.engine.dispose()
    return documents


def _same_text(text: str) -> str:
    """Text as compared for gold answers: the importer tidies whitespace and width."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


@dataclass
class DevSet:
    rows: list[dict]  # the raw bank, for the baseline
    documents: list[Document]  # the imported bank, for the project
    queries: list[str]
    gold_rows: list[frozenset[int]]  # bank lines that answer each query
    gold: list[frozenset[str]]  # document keys that answer each query
    departments: list[str]  # the department of each query's gold row (cross-validation folds)

    @classmethod
    def load(cls, shared: Path) -> DevSet:
        rows = read_jsonl(shared / BANK)
        documents = load_documents(shared / BANK)
        row_index: dict[tuple[str, str], set[int]] = {}
        doc_index: dict[tuple[str, str], set[str]] = {}
        for i, row in enumerate(rows):
            row_index.setdefault(("q", _same_text(row["question"])), set()).add(i)
            row_index.setdefault(("a", _same_text(row["answer"])), set()).add(i)
        for doc in documents:
            doc_index.setdefault(("q", _same_text(doc.title)), set()).add(doc.key)
            doc_index.setdefault(("a", _same_text(doc.body)), set()).add(doc.key)
        queries, gold_rows, gold, departments = [], [], [], []
        for item in read_jsonl(shared / DEV):
            row = rows[item["row"]]
            departments.append(str(row.get("department") or ""))
            q, a = ("q", _same_text(row["question"])), ("a", _same_text(row["answer"]))
            queries.append(item["query"])
            gold_rows.append(frozenset(row_index[q] | row_index[a]))
            gold.append(frozenset(doc_index.get(q, set()) | doc_index.get(a, set())))
        return cls(rows, documents, queries, gold_rows, gold, departments)

    def without(self, keys: set[str]) -> list[Document]:
        return [d for d in self.documents if d.key not in keys]


def ranking_metrics(ranks: Sequence[int | None]) -> dict[str, float]:
    """hit@1, hit@3 and MRR@10 from the 1-based rank of the first correct hit."""
    n = len(ranks)
    return {
        "hit@1": sum(r == 1 for r in ranks) / n,
        "hit@3": sum(r is not None and r <= 3 for r in ranks) / n,
        "mrr@10": sum(1 / r for r in ranks if r is not None and r <= 10) / n,
    }


def first_correct(ids: Sequence[int | str], gold: frozenset) -> int | None:
    return next((k + 1 for k, i in enumerate(ids[:10]) if i in gold), None)


def baseline_ranks(dev: DevSet) -> list[int | None]:
    """The naive baseline: global jieba.lcut + rank-bm25 over question + answer."""
    import jieba
    from rank_bm25 import BM25Okapi

    bm25 = BM25Okapi([jieba.lcut(f"{row['question']} {row['answer']}") for row in dev.rows])
    ranks = []
    for query, gold in zip(dev.queries, dev.gold_rows, strict=True):
        order = np.argsort(-bm25.get_scores(jieba.lcut(query)), kind="stable")[:10]
        ranks.append(first_correct(order.tolist(), gold))
    return ranks


@dataclass
class Run:
    ranks: list[int | None]
    answered: list[bool]
    correct_top: list[bool]
    assessments: list[Assessment]


def ask_all(searcher: Searcher, queries: Sequence[str], gold: Sequence[frozenset[str]]) -> Run:
    run = Run([], [], [], [])
    for query, answers in zip(queries, gold, strict=True):
        result, assessment = searcher.assess(query, limit=10)
        ids = [h.doc.key for h in result.hits]
        run.ranks.append(first_correct(ids, answers))
        run.answered.append(result.answered)
        run.correct_top.append(bool(ids) and ids[0] in answers)
        run.assessments.append(assessment)
    return run


class Project:
    """The project's pipeline over (a subset of) the bank, sharing one segmentation cache."""

    def __init__(self, processor: TextProcessor) -> None:
        self.processor = processor
        self.cache = MemorySegmentationCache()

    def searcher(
        self, documents: Sequence[Document], weights: dict | None = None, policy: AnswerPolicy | None = None
    ) -> Searcher:
        index = FieldedIndex(documents, self.processor, cache=self.cache, weights=weights)
        return Searcher(index, self.processor, policy)


def fmt(metrics: dict[str, float]) -> str:
    return "  ".join(f"{k} {v:.3f}" for k, v in metrics.items())


def abstention_sample(dev: DevSet) -> list[int]:
    return sorted(random.Random(ABSTENTION_SEED).sample(range(len(dev.queries)), ABSTENTION_SAMPLE))


def answered_without_gold(project: Project, dev: DevSet, which: Sequence[int]) -> list[bool]:
    """Ask questions `which` with all their answers removed from the bank at once (one
    re-index): whether each was answered (the reported abstention figure)."""
    removed: set[str] = set().union(*(dev.gold[i] for i in which))
    searcher = project.searcher(dev.without(removed))
    return [searcher.search(dev.queries[i]).answered for i in which]


def assessed_without_own_gold(project: Project, dev: DevSet, which: Sequence[int]) -> list[Assessment]:
    """Ask each question of `which` with only its own answers removed (calibration negatives)."""
    return [project.searcher(dev.without(set(dev.gold[i]))).assess(dev.queries[i])[1] for i in which]


fit_logistic = crossval.fit_logistic  # where it lives, with the direct-answer fit


def features(a: Assessment) -> list[float]:
    return [a.strength, a.margin, a.title_coverage]


def calibrate(project: Project, dev: DevSet, normal: Run) -> None:
    print("\nCalibration: every question again with its own answers removed …")
    started = time.perf_counter()
    negatives = assessed_without_own_gold(project, dev, range(len(dev.queries)))
    pos = np.array([features(a) for a in normal.assessments])
    neg = np.array([features(a) for a in negatives])
    correct = np.array(normal.correct_top)
    x = np.r_[pos, neg]
    y = np.r_[correct.astype(float), np.zeros(len(neg))]
    w = fit_logistic(x, y)

    def confidence(f: np.ndarray, weights: np.ndarray) -> np.ndarray:
        return 1 / (1 + np.exp(-(np.c_[f, np.ones(len(f))] @ weights)))

    cp, cn = confidence(pos, w), confidence(neg, w)
    threshold = float(np.quantile(cn, 0.80, method="higher"))
    print(
        f"  ({time.perf_counter() - started:.0f} s) weights strength {w[0]:.2f}, "
        f"margin {w[1]:.2f}, title_coverage {w[2]:.2f}, bias {w[3]:.2f}; "
        f"threshold for 80 % abstention {threshold:.3f}"
    )
    print(
        f"  in sample: abstention {(cn < threshold).mean():.3f}, false abstention "
        f"{(cp < threshold).mean():.3f}, wrong answers {((cp >= threshold) & ~correct).mean():.3f}"
    )
    # 5-fold cross-validation by question, so the figures are not only in-sample.
    folds = np.random.default_rng(0).permutation(len(pos)) % 5
    cv_pos, cv_neg = np.zeros(len(pos)), np.zeros(len(neg))
    for k in range(5):
        train = folds != k
        wk = fit_logistic(np.r_[pos[train], neg[train]], np.r_[correct[train].astype(float), np.zeros(train.sum())])
        cv_pos[~train], cv_neg[~train] = confidence(pos[~train], wk), confidence(neg[~train], wk)
    th = float(np.quantile(cv_neg, 0.80, method="higher"))
    print(
        f"  5-fold CV at 80 % abstention: false abstention {(cv_pos < th).mean():.3f}, "
        f"wrong answers {((cv_pos >= th) & ~correct).mean():.3f}"
    )
    calibrate_direct(project, dev, negatives)
    t = DEFAULT_THRESHOLDS
    pairs = zip(normal.assessments, normal.correct_top, strict=True)
    confident_right = [a for a, c in pairs if c and a.confidence >= t.answer_threshold]
    gated = sum(a.query_coverage < t.min_query_coverage for a in confident_right)
    print(
        f"  query-coverage gate at {t.min_query_coverage:g}: refuses {gated} of {len(confident_right)} "
        f"confident right answers (confidence >= {t.answer_threshold:g})"
    )


def calibrate_direct(project: Project, dev: DevSet, negatives: Sequence[Assessment]) -> None:
    """The direct-answer rule's weights and threshold over the whole bank, the way
    `bench.crossval.calibrate_direct` fits them for each held-out department (what
    `knowledge.thresholds.Thresholds.w_direct_strength` … `direct_threshold` hold)."""
    folds = crossval.department_folds(dev.departments)
    off = AnswerPolicy(dataclasses.replace(DEFAULT_THRESHOLDS, direct_threshold=crossval.NEVER))
    kb = crossval.FixedKnowledgeBase(project.searcher(dev.documents, policy=off), dev.documents)
    weights, threshold = crossval.direct_rule(kb, dev.queries, dev.gold, folds, negatives, off)
    examples = crossval.direct_examples(kb, dev.queries, dev.gold, off)
    scores = crossval.direct_scores(weights, examples)
    direct = [e.base_direct or (e.eligible and s >= threshold) for e, s in zip(examples, scores, strict=True)]
    right = sum(d and e.correct for d, e in zip(direct, examples, strict=True)) / len(examples)
    wrong = sum(d and not e.correct for d, e in zip(direct, examples, strict=True)) / len(examples)
    print(
        f"  direct-answer rule (same folds as the cross-validation, at most {crossval.MAX_WRONG_DIRECT:.0%} wrong"
        f" out of fold): weights strength {weights[0]:.2f}, margin {weights[1]:.2f}, title_coverage"
        f" {weights[2]:.2f}, bias {weights[3]:.2f}; threshold {threshold:.3f}; in sample direct right"
        f" {right:.3f}, wrong {wrong:.3f} (answer threshold {DEFAULT_THRESHOLDS.answer_threshold:g})"
    )


def cross_validate(project: Project, dev: DevSet, normal: Run) -> None:
    """Leave-one-department-out figures (`bench.crossval`): ranking and decision per held-out fold."""
    started = time.perf_counter()
    negatives = assessed_without_own_gold(project, dev, range(len(dev.queries)))
    folds = crossval.department_folds(dev.departments)
    thresholds = crossval.fold_thresholds(folds, negatives)
    figures: dict[str, dict[str, float]] = {}
    for name, members in folds.items():
        t = thresholds[name]
        ranks = ranking_metrics([normal.ranks[i] for i in members])
        answered = [crossval.answers_at(normal.assessments[i], t) for i in members]
        correct = [normal.correct_top[i] for i in members]
        removed = set().union(*(dev.gold[i] for i in members))
        searcher = project.searcher(dev.without(removed))
        missing = [crossval.answers_at(searcher.assess(dev.queries[i])[1], t) for i in members]
        n = len(members)
        figures[name] = {
            **ranks,
            "answered right": sum(a and c for a, c in zip(answered, correct, strict=True)) / n,
            "answered wrong": sum(a and not c for a, c in zip(answered, correct, strict=True)) / n,
            "abstention": 1 - sum(missing) / n,
        }
    print(
        f"\nLeave-one-department-out cross-validation ({len(folds)} folds; threshold calibrated on the"
        f" other folds for {crossval.TARGET_ABSTENTION:.0%} abstention; {time.perf_counter() - started:.0f} s):"
    )
    labels = [("hit@1", True), ("hit@3", True), ("mrr@10", True), ("answered right", True),
              ("answered wrong", False), ("abstention", True)]
    columns = [(label, lambda f, label=label: figures[f][label], better) for label, better in labels]
    for line in crossval.format_table(folds, thresholds, columns):
        print(line)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.quality", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--shared", type=Path, default=default_shared(), help="the shared reference folder (default: ../shared)"
    )
    parser.add_argument(
        "--calibrate", action="store_true", help="also fit the decision weights and threshold (≈1-2 min)"
    )
    args = parser.parse_args(argv)
    require_shared(args.shared, BANK, DEV)
    logging.getLogger("jieba").setLevel(logging.WARNING)

    dev = DevSet.load(args.shared)
    print(
        f"Bank {len(dev.rows)} rows ({len(dev.documents)} after import: repeated questions are"
        f" refused), {len(dev.queries)} dev questions ({args.shared})"
    )

    started = time.perf_counter()
    base = ranking_metrics(baseline_ranks(dev))
    print(f"\nbaseline (jieba + rank-bm25 over question+answer)  {fmt(base)}   [{time.perf_counter() - started:.1f} s]")

    started = time.perf_counter()
    project = Project(TextProcessor())
    searcher = project.searcher(dev.documents)
    normal = ask_all(searcher, dev.queries, dev.gold)
    ours = ranking_metrics(normal.ranks)
    print(f"project (lexicon + fielded BM25)                   {fmt(ours)}   [{time.perf_counter() - started:.1f} s]")

    print("\nField weights (text words / title chars / body chars), same pipeline:")
    for weights in (
        {"text": 1.0, "title_chars": 0.0, "body_chars": 0.0},
        {"text": 1.0, "title_chars": 1.0, "body_chars": 0.0},
        dict(DEFAULT_WEIGHTS),
    ):
        run = ask_all(project.searcher(dev.documents, weights), dev.queries, dev.gold)
        label = " / ".join(f"{weights[k]:g}" for k in ("text", "title_chars", "body_chars"))
        marker = "  (default)" if weights == dict(DEFAULT_WEIGHTS) else ""
        print(f"  {label:<16} {fmt(ranking_metrics(run.ranks))}{marker}")

    n = len(dev.queries)
    sample = abstention_sample(dev)
    answered_removed = answered_without_gold(project, dev, sample)
    abstention = 1 - sum(answered_removed) / len(sample)
    false_abstention = sum(not a for a in normal.answered) / n
    wrong = sum(a and not c for a, c in zip(normal.answered, normal.correct_top, strict=True))
    right = sum(a and c for a, c in zip(normal.answered, normal.correct_top, strict=True))
    t = searcher.policy.thresholds
    print(
        f"\nAnswered-or-not-found decision: answer when sigmoid({t.w_strength:g}*strength"
        f" + {t.w_margin:g}*margin + {t.w_title:g}*title_coverage {t.bias:+g})"
        f" >= {t.answer_threshold:g} and query_coverage >= {t.min_query_coverage:g}"
        f" and title_coverage >= {t.min_title_coverage:g}"
    )
    print(
        "  strength = top score / attainable score, margin = lead over the best different"
        " answer, title_coverage = idf share of the top title's characters in the question"
    )
    print(
        f"  abstention (answers of {len(sample)} questions removed, seed {ABSTENTION_SEED}): "
        f"{abstention:.3f} said not found"
    )
    print(f"  false abstention (answer present, said not found):   {false_abstention:.3f}")
    print(f"  answered and right: {right / n:.3f}   answered but wrong: {wrong / n:.3f}")

    print("\nTargets:")
    for name, value in (("hit@1", ours["hit@1"]), ("hit@3", ours["hit@3"]), ("abstention", abstention)):
        verdict = "met" if value >= TARGETS[name] else "NOT met"
        print(f"  {name:<11} {value:.3f}  target >= {TARGETS[name]:.2f}  {verdict}")

    cross_validate(project, dev, normal)
    if args.calibrate:
        calibrate(project, dev, normal)
    return 0


if __name__ == "__main__":
    sys.exit(main())
