"""Does the paraphrase second pass (`knowledge.associations`) help citizens? Cross-validated.

    python -m bench.paraphrase [--shared DIR] [--sweep] [--misses] [--confident-ratio R,...] [--max-wrong W]
                               [--direct on|off|both]

For the project's search without term associations and with each setting of
`AssociationSettings` (the knowledge base's `DEFAULT_SETTINGS`, or a grid with ``--sweep``:
re-ranking by associations or pseudo-relevance feedback, and the reply stage only), the
leave-one-department-out outcome of `bench.outcomes` through `Conversation.respond`: per held-out
fold, right entry answered or one tap away, direct correct, wrong direct, and "not found" (or a
routing reply) when the fold's
gold entries are removed; the mean over folds and the worst fold, plus the fold-by-fold change
against no second pass. hit@1 / hit@3 of the ranking on the same folds are printed too.

What may be learned from what: the term associations for a held-out fold are learned only from
the FAQ entries of the *other* departments (an entry's department is its 分类, the bank's
``department``), never from a development question. The answer threshold of a held-out fold is
calibrated, as in `bench.crossval`, on the other folds' questions asked with their own gold
entries removed; each such negative is searched with associations learned without the held-out
department *and* without the negative's own department, so no negative is helped by the text
of the entry that was removed for it.

``--misses`` lists the held-out questions whose right entry was not reachable, by reply class.
``--confident-ratio`` measures the policy's `Thresholds.confident_ratio` at each given value in
every fold, or (0) calibrated per held-out fold on the other folds' questions: the value of
`RATIOS` with the most right direct answers there and at most ``--max-wrong`` wrong ones.
The policy's direct-answer rule (`AnswerPolicy.answers_directly`) is refitted for each held-out
fold on the other folds (`crossval.direct_rule`), never taken from the shipped thresholds;
``--direct off`` measures without it, ``both`` without and with it in one run.
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import itertools
import logging
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bench import crossval
from bench.outcomes import NOT_FOUND_KINDS, REACHABLE, WRONG, ask, classify, top_title
from bench.quality import BANK, DEV, DevSet, default_shared, first_correct, require_shared
from bot.config import Settings
from bot.conversation import Conversation
from bot.state import MemoryStore, ResilientStore
from knowledge import offices
from knowledge.associations import DEFAULT_SETTINGS, AssociationSettings, Expansion, TermAssociations
from knowledge.document import Assessment, Document
from knowledge.fielded import FieldedIndex
from knowledge.policy import AnswerPolicy
from knowledge.search import Searcher
from knowledge.segcache import MemorySegmentationCache
from knowledge.text import TextProcessor
from knowledge.thresholds import DEFAULT_THRESHOLDS

# The grid of --sweep: re-ranking (associations or feedback, `beta` > 0) and the reply stage only
# (`soft_match`), around the knowledge base's setting (`DEFAULT_SETTINGS`).
BASE = AssociationSettings()
SOFT = DEFAULT_SETTINGS
GRID: tuple[tuple[str, AssociationSettings | None], ...] = (
    ("no associations", None),
    ("soft, 10 per word (default)", SOFT),
    ("soft, 5 per word", dataclasses.replace(SOFT, per_word=5)),
    ("soft, pairs>=3", dataclasses.replace(SOFT, min_pairs=3)),
    ("soft, npmi>=0.7", dataclasses.replace(SOFT, min_npmi=0.7)),
    ("rerank assoc beta 0.05", dataclasses.replace(BASE, beta=0.05)),
    ("rerank assoc beta 0.2", BASE),
    ("rerank assoc pairs>=3 b0.1", dataclasses.replace(BASE, min_pairs=3, beta=0.1)),
    ("rerank prf 3 beta 0.05", dataclasses.replace(BASE, use_associations=False, prf_docs=3, beta=0.05)),
    ("rerank prf 3 beta 0.2", dataclasses.replace(BASE, use_associations=False, prf_docs=3)),
)
CHOSEN: tuple[tuple[str, AssociationSettings | None], ...] = GRID[:2]
LABELS = (("reachable", True), ("direct correct", True), ("direct wrong", False), ("not found|miss", True),
          ("hit@1", True), ("hit@3", True))


class Bench:
    """The dev set, one segmentation cache and the fold structure, shared by every setting."""

    def __init__(self, shared: Path) -> None:
        self.dev = DevSet.load(shared)
        self.processor = TextProcessor()
        self.cache = MemorySegmentationCache()
        self.folds = crossval.department_folds(self.dev.departments)
        self.fold_of = {i: name for name, members in self.folds.items() for i in members}
        self.departments = {
            name: {self.dev.departments[i].strip() or "（未注明）" for i in members}
            for name, members in self.folds.items()
        }
        self._terms: dict[str, list[str]] = {}

    def analyze(self, text: str) -> list[str]:
        if text not in self._terms:
            self._terms[text] = self.processor.analyze(text)
        return self._terms[text]

    def index(self, documents: Sequence[Document]) -> FieldedIndex:
        return FieldedIndex(documents, self.processor, cache=self.cache)

    def associations(self, settings: AssociationSettings, *held_out: str) -> TermAssociations:
        """Learned from the entries of every department outside the folds `held_out`."""
        excluded = set().union(*(self.departments[f] for f in held_out))
        entries = [d for d in self.dev.documents if (d.category or "").strip() not in excluded]
        if len(entries) == len(self.dev.documents):
            raise RuntimeError(f"no entry of {sorted(excluded)} found by its 分类: the bank's departments moved")
        return TermAssociations.from_documents(entries, self.analyze, settings)


# `Thresholds.confident_ratio` values tried when it is calibrated per fold (`calibrate_ratio`), and
# the share of wrong direct answers the calibration folds may get.
RATIOS = (0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1.0)
MAX_WRONG = 0.01


def evaluate(bench: Bench, grid: Sequence[tuple[str, AssociationSettings | None]],
             variants: Sequence[float | None] = (None,), max_wrong: float = MAX_WRONG,
             direct: Sequence[bool] = (True,)) -> dict[str, dict[str, dict]]:
    """Per setting, per fold: the figures of `LABELS` (see the module docstring). `variants`: the
    policy's `confident_ratio` in every fold, each in turn (0: calibrated per fold,
    `calibrate_ratio`; None: the default); a setting is labelled with it when it is not None.
    `direct`: with the direct-answer rule calibrated per fold (`crossval.calibrate_direct`, on
    the other folds' questions and negatives) and/or without it (labelled "direct rule off")."""
    dev, folds = bench.dev, bench.folds
    names = list(folds)
    models: dict[tuple[str, frozenset[str]], TermAssociations] = {}

    def expansion(label: str, settings: AssociationSettings | None, *held_out: str) -> Expansion | None:
        if settings is None:
            return None
        if not settings.use_associations:
            return Expansion(None, settings)
        key = (label, frozenset(held_out))
        if key not in models:
            models[key] = bench.associations(settings, *held_out)
        return Expansion(models[key], settings)

    # Calibration negatives: each question with its own gold removed, per setting and per fold it calibrates.
    started = time.perf_counter()
    negatives: dict[tuple[str, str], dict[int, Assessment]] = collections.defaultdict(dict)
    for i, query in enumerate(dev.queries):
        index = bench.index(dev.without(set(dev.gold[i])))
        own = bench.fold_of[i]
        for label, settings in grid:
            for fold in names:
                if fold != own:
                    searcher = Searcher(index, bench.processor, None, expansion(label, settings, fold, own))
                    negatives[(label, fold)][i] = searcher.assess(query)[1]
    print(f"  negatives: {time.perf_counter() - started:.0f} s", flush=True)

    settings_env = {"RATE_LIMIT_PER_MINUTE": "0", "WECHAT_TOKEN": "bench", "SECRET_KEY": "bench",
                    "USER_HASH_SECRET": "bench"}
    directory = offices.read_file(offices.BUNDLED)
    titles = {d.key: d.title.strip() for d in dev.documents}
    whole = bench.index(dev.documents)
    results: dict[str, dict[str, dict]] = collections.defaultdict(dict)
    ratios: dict[tuple[str, float], float] = {}
    direct_rules: dict[tuple[str, float, float], tuple[tuple[float, float, float, float], float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        app_settings = Settings.from_env(Path(tmp), settings_env)
        for fold in names:
            members = folds[fold]
            removed = set().union(*(dev.gold[i] for i in members))
            missing_docs = dev.without(removed)
            missing_index = bench.index(missing_docs)
            kb_whole = crossval.FixedKnowledgeBase(Searcher(whole, bench.processor), dev.documents)
            kb_missing = crossval.FixedKnowledgeBase(Searcher(missing_index, bench.processor), missing_docs)
            for (label, settings), ratio, rule in itertools.product(grid, variants, direct):
                threshold = crossval.calibrate_threshold(negatives[(label, fold)].values())
                policy = AnswerPolicy(dataclasses.replace(DEFAULT_THRESHOLDS, answer_threshold=threshold,
                                                          direct_threshold=crossval.NEVER))
                ex = expansion(label, settings, fold)
                chosen = ratio
                if ratio == 0:  # direct answers do not depend on the associations: once per fold
                    others = [i for f in names if f != fold for i in folds[f]]
                    if (fold, threshold) not in ratios:
                        ratios[(fold, threshold)] = calibrate_ratio(
                            kb_whole, Searcher(whole, bench.processor, policy, ex), others, titles, dev,
                            app_settings, directory, max_wrong)
                    chosen = ratios[(fold, threshold)]
                if chosen is not None:
                    policy = AnswerPolicy(dataclasses.replace(policy.thresholds, confident_ratio=chosen))
                if rule:
                    key = (fold, threshold, policy.thresholds.confident_ratio)
                    if key not in direct_rules:  # like the ratio, independent of the associations
                        kb_rule = crossval.FixedKnowledgeBase(Searcher(whole, bench.processor, policy), dev.documents)
                        direct_rules[key] = crossval.direct_rule(kb_rule, dev.queries, dev.gold, folds,
                                                                 negatives[(label, fold)], policy, fold)
                    policy = crossval.with_direct(policy, *direct_rules[key])
                searcher = Searcher(whole, bench.processor, policy, ex)
                conversation = _conversation(kb_whole, searcher, app_settings, directory)
                counts: collections.Counter[str] = collections.Counter()
                ranks = []
                misses = []
                for i in members:
                    turn = ask(conversation, i, dev.queries[i])
                    gold_titles = {titles[k] for k in dev.gold[i]}
                    outcome = classify(turn.reply, turn.kind, gold_titles, top_title(turn))
                    counts[outcome] += 1
                    if outcome not in REACHABLE:
                        reason = f"{turn.decision.kind} / {turn.decision.reason}" if turn.decision else str(turn.kind)
                        misses.append((outcome, reason, dev.queries[i], min(gold_titles), top_title(turn)))
                    hits = searcher.search(dev.queries[i]).hits
                    ranks.append(first_correct([h.doc.key for h in hits], dev.gold[i]))
                conversation = _conversation(kb_missing, Searcher(missing_index, bench.processor, policy, ex),
                                             app_settings, directory)
                honest = sum(ask(conversation, i, dev.queries[i]).kind in NOT_FOUND_KINDS for i in members)
                n = len(members)
                named = label if ratio is None else f"{label}, ratio {'per fold' if ratio == 0 else ratio}"
                named = named if rule else f"{named}, direct rule off"
                results[named][fold] = {
                    "threshold": threshold,
                    "confident_ratio": policy.thresholds.confident_ratio,
                    "direct_threshold": policy.thresholds.direct_threshold,
                    "reachable": sum(counts[k] for k in REACHABLE) / n,
                    "direct correct": counts["direct answer, correct"] / n,
                    "direct wrong": sum(counts[w] for w in WRONG) / n,
                    "not found|miss": honest / n,
                    "hit@1": sum(r == 1 for r in ranks) / n,
                    "hit@3": sum(r is not None and r <= 3 for r in ranks) / n,
                    "misses": misses,
                }
            print(f"  fold {fold}: {time.perf_counter() - started:.0f} s", flush=True)
    return dict(results)


def calibrate_ratio(kb: crossval.FixedKnowledgeBase, searcher: Searcher, members: Sequence[int],
                    titles: dict[str, str], dev: DevSet, settings: Settings, directory: list,
                    max_wrong: float = MAX_WRONG) -> float:
    """The `confident_ratio` of `RATIOS` that answers the most of the calibration questions
    `members` directly and correctly while at most `max_wrong` of them are answered wrongly (the
    lowest such ratio on a tie)."""
    best, best_correct = RATIOS[0], -1
    for ratio in RATIOS:
        policy = AnswerPolicy(dataclasses.replace(searcher.policy.thresholds, confident_ratio=ratio))
        conversation = _conversation(kb, Searcher(searcher.index, searcher.processor, policy, searcher.expansion),
                                     settings, directory)
        counts: collections.Counter[str] = collections.Counter()
        for i in members:
            turn = ask(conversation, i, dev.queries[i])
            counts[classify(turn.reply, turn.kind, {titles[k] for k in dev.gold[i]}, top_title(turn))] += 1
        correct, wrong = counts["direct answer, correct"], sum(counts[w] for w in WRONG)
        if wrong <= max_wrong * len(members) and correct > best_correct:
            best, best_correct = ratio, correct
    return best


def _conversation(kb: crossval.FixedKnowledgeBase, searcher: Searcher, settings: Settings,
                  directory: list) -> Conversation:
    """A conversation over `kb` (its speller is reused) answering with `searcher`."""
    kb.searcher, kb.policy = searcher, searcher.policy
    return Conversation(kb, ResilientStore(MemoryStore()), settings, offices=lambda: directory)


def report(bench: Bench, results: dict[str, dict[str, dict]]) -> None:
    folds = bench.folds
    base_label = next(iter(results))
    base = results[base_label]
    print(f"\nLeave-one-department-out ({len(folds)} folds), mean over folds / worst fold; "
          f"Δ = folds better / worse than {base_label!r} on reachable and direct correct:")
    head = "  " + f"{'setting':<26}" + "".join(f"{label:>20}" for label, _ in LABELS) + "   Δ reach  Δ direct"
    print(head)
    for label, per_fold in results.items():
        cells = []
        for name, better in LABELS:
            s = crossval.summarise({f: v[name] for f, v in per_fold.items()}, higher_is_better=better)
            cells.append(f"{s.mean:>11.3f} / {s.worst:.3f}")
        delta = []
        for name in ("reachable", "direct correct"):
            up = sum(per_fold[f][name] > base[f][name] + 1e-9 for f in folds)
            down = sum(per_fold[f][name] < base[f][name] - 1e-9 for f in folds)
            delta.append(f"+{up}/-{down}")
        print("  " + f"{label:<26}" + "".join(f"{c:>20}" for c in cells) + f"   {delta[0]:>7}  {delta[1]:>7}")
    print("\nPer fold (reachable / direct correct / direct wrong / not found|miss):")
    for fold in folds:
        line = "  ".join(
            f"{label[:12]}: {v['reachable']:.2f}/{v['direct correct']:.2f}/{v['direct wrong']:.2f}/"
            f"{v['not found|miss']:.2f} (ratio {v['confident_ratio']:g}, direct {v['direct_threshold']:.3f})"
            for label, per in results.items()
            for v in (per[fold],)
        )
        print(f"  {fold}: {line}")


def print_misses(results: dict[str, dict[str, dict]]) -> None:
    """The held-out questions whose right entry was neither answered nor one tap away, by reply
    class: question → gold entry (top hit), per setting."""
    for label, per_fold in results.items():
        by_class: dict[str, list[tuple[str, ...]]] = collections.defaultdict(list)
        for fold, figures in per_fold.items():
            for outcome, reason, query, gold, top in figures["misses"]:
                by_class[outcome].append((fold, reason, query, gold, top))
        print(f"\nMisses — {label}:")
        for outcome, rows in sorted(by_class.items(), key=lambda kv: -len(kv[1])):
            print(f"  {outcome} ({len(rows)}):")
            for fold, reason, query, gold, top in rows:
                print(f"    [{fold}] {reason}: {query} → {gold} (top: {top})")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.paraphrase", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--shared", type=Path, default=default_shared())
    parser.add_argument("--sweep", action="store_true", help="try the whole grid of settings (≈ minutes per setting)")
    parser.add_argument("--misses", action="store_true", help="also list the held-out questions missed, by reply")
    parser.add_argument("--confident-ratio", default=None,
                        help="the policy's confident_ratio in every fold, or several, comma-separated; "
                             "0: calibrated per fold")
    parser.add_argument("--direct", choices=("on", "off", "both"), default="on",
                        help="the direct-answer rule calibrated per fold, off, or both in one run")
    parser.add_argument("--max-wrong", type=float, default=MAX_WRONG,
                        help="wrong direct answers a per-fold calibration of confident_ratio allows")
    args = parser.parse_args(argv)
    require_shared(args.shared, BANK, DEV)
    logging.getLogger("jieba").setLevel(logging.WARNING)
    bench = Bench(args.shared)
    grid = GRID if args.sweep else CHOSEN
    for label, settings in grid:
        print(f"  {label}: {settings}")
    variants = [float(r) for r in args.confident_ratio.split(",")] if args.confident_ratio else [None]
    direct = {"on": (True,), "off": (False,), "both": (False, True)}[args.direct]
    results = evaluate(bench, grid, variants, args.max_wrong, direct)
    report(bench, results)
    if args.misses:
        print_misses(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())

