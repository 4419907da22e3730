"""What a citizen actually gets for each development question, through the real conversation.

    python -m bench.outcomes [--shared DIR] [--sweep]

`bench.quality` measures the ranking; this measures the replies. The 2,081-entry FAQ bank is
imported into a throwaway database, and each of the 170 development questions is sent as a
WeChat text message through `Conversation.respond` (a fresh citizen each, so no follow-up
context). Each reply is put in one class:

* direct answer, correct / wrong (the answered entry is, or is not, a gold entry);
* numbered list with a gold entry among the titles shown (one tap away) / without one;
* "not found" that offers related entries, with a gold entry among them / without;
* bare "not found".

A wrong direct answer is the costly class: the bot stated something that does not answer.
The replies are also counted by the answer policy's decision and reason (`knowledge.policy`),
so every branch of the policy shows up; ``--sweep`` reruns the set with each reply-stage
threshold of the policy nudged, the measurements quoted in `knowledge.thresholds.Thresholds`.

Then the same, cross-validated by department (`bench.crossval`): for each held-out department
the answer threshold is calibrated on the other departments, its questions are asked through
the conversation over the whole bank (right entry answered or one tap away, direct correct,
wrong direct) and once more with their gold entries removed (the share that gets "not found"
or a routing reply instead of a wrong answer or a list). Mean over departments and the worst
department are printed beside the development-set figures, without and with the knowledge
base's term associations (`knowledge.associations`; in each fold learned only from the other
departments' entries, `bench.paraphrase`), each without and with the direct-answer rule
(`AnswerPolicy.answers_directly`, refitted per fold on the other departments). The development
figures are measured twice, on the shared build (the
default) and on an index built in memory (`INDEX_DIR=memory`), and the questions whose reply
differs between the two are counted (none should). A routing reply (`bot.routing`) counts as "not found"
everywhere: the knowledge base did not have it.
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import crossval
from bench.quality import default_shared, require_shared
from bot import create_app, wording
from bot.conversation import Conversation
from bot.runtime import Runtime, get_runtime
from bot.startup import prepare
from bot.turn import ReplyKind, Turn
from bot.wechat import Message, NewsReply, TextReply
from knowledge.importers import import_paths
from knowledge.policy import AnswerPolicy
from knowledge.thresholds import DEFAULT_THRESHOLDS

BANK = "datasets/msgabench_govqa_2081.jsonl"
QUERIES = "eval/dev_queries.jsonl"


# Replies that honestly say the knowledge base does not have it (a routing reply says who does).
NOT_FOUND_KINDS = frozenset({ReplyKind.NOT_FOUND, ReplyKind.ROUTED, ReplyKind.COMPLAINT, ReplyKind.ABUSE,
                             ReplyKind.TOWNSHIP_INFO, ReplyKind.NOT_CHINESE})


def listed_titles(text: str) -> list[str]:
    return [line.split(". ", 1)[1].rstrip("…") for line in text.splitlines() if line[:1].isdigit() and ". " in line]


def classify(reply: TextReply | NewsReply | None, kind: str, gold_titles: set[str], answered_title: str) -> str:
    text = reply.content if isinstance(reply, TextReply) else ""
    shown = listed_titles(text)
    in_shown = any(any(g.startswith(t) for g in gold_titles) for t in shown if t)
    if kind == ReplyKind.CHOICES:
        return "list, gold shown" if in_shown else "list, gold not shown"
    if kind in NOT_FOUND_KINDS:  # "not found" or a routing reply, with or without related entries
        if not shown:
            return "not found"
        return "not found + related, gold shown" if in_shown else "not found + related, gold not shown"
    if answered_title in gold_titles:
        return "direct answer, correct"
    rivals = listed_titles(text.rpartition(wording.RIVALS)[2]) if wording.RIVALS in text else []
    return "direct answer, WRONG, gold shown" if any(
        any(g.startswith(t) for g in gold_titles) for t in rivals if t) else "direct answer, WRONG"


# A wrong direct answer with the right entry among its close rivals (`Decision.rivals`) is one tap away.
WRONG = ("direct answer, WRONG", "direct answer, WRONG, gold shown")
REACHABLE = ("direct answer, correct", "list, gold shown", "not found + related, gold shown", WRONG[1])
# Reply-stage thresholds tried by --sweep, around the defaults (see knowledge.thresholds.Thresholds).
SWEEP: dict[str, tuple[float, ...]] = {
    "good_ratio": (0.6, 0.7, 0.8),
    "min_covering": (1, 2, 3),
    "related_share": (0.34, 0.5, 0.67),
}


# The two ways a knowledge base serves its index (`INDEX_DIR`): the shared, mapped build (the
# default) and a build in the process's memory. They must give the same replies.
MODES = (("shared build (default)", ""), ("in memory (INDEX_DIR=memory)", "memory"))


@dataclass
class Outcomes:
    classes: collections.Counter[str]
    reasons: collections.Counter[str]
    per_question: list[tuple[str, str]] = dataclasses.field(default_factory=list)  # (class, decision)

    @property
    def total(self) -> int:
        return sum(self.classes.values())

    def share(self, *names: str) -> float:
        return sum(self.classes[n] for n in names) / self.total


def ask_all(runtime: Runtime, bank: list[dict], queries: list[dict]) -> Outcomes:
    """Every development question once, from a fresh citizen, through `Conversation.respond`."""
    outcomes = Outcomes(collections.Counter(), collections.Counter())
    for n, query in enumerate(queries):
        gold = bank[query["row"]]
        gold_titles = {
            entry["question"].strip() for entry in bank
            if entry["question"] == gold["question"] or entry["answer"] == gold["answer"]
        }
        message = Message("gh", f"bench-{n}", 1700000000, "text", msg_id=str(n), content=query["query"])
        runtime.conversation.forget(message.from_user)
        turn = runtime.conversation.respond(message)
        top = turn.result.hits[0].doc.title.strip() if turn.result and turn.result.hits else ""
        outcome = classify(turn.reply, turn.kind, gold_titles, top)
        outcomes.classes[outcome] += 1
        decision = turn.decision
        reason = f"{decision.kind} / {decision.reason}" if decision else f"({turn.kind})"
        outcomes.reasons[reason] += 1
        outcomes.per_question.append((outcome, reason))
    return outcomes


def sweep(runtime: Runtime, bank: list[dict], queries: list[dict]) -> None:
    """Each reply-stage threshold of the policy nudged on its own, the others at their defaults."""
    print("\nReply-stage thresholds, one at a time (reachable = right entry answered or one tap away):")
    for name, values in SWEEP.items():
        for value in values:
            changes: dict[str, Any] = {name: value}  # int or float, as the field
            runtime.kb.policy = AnswerPolicy(dataclasses.replace(DEFAULT_THRESHOLDS, **changes))
            o = ask_all(runtime, bank, queries)
            default = "  (default)" if getattr(DEFAULT_THRESHOLDS, name) == value else ""
            print(
                f"  {name} = {value:<5g}  reachable {o.share(*REACHABLE):6.1%}  wrong "
                f"{o.share(*WRONG):5.1%}  answered {o.share(*ANSWERED):6.1%}  "
                f"list {o.share(*LISTS):6.1%}  related shown {o.share(*RELATED):6.1%}  "
                f"(gold among them {o.share(RELATED[0]):5.1%}){default}"
            )
    runtime.kb.policy = AnswerPolicy(DEFAULT_THRESHOLDS)


ANSWERED = ("direct answer, correct", *WRONG)
LISTS = ("list, gold shown", "list, gold not shown")
RELATED = ("not found + related, gold shown", "not found + related, gold not shown")


def ask(conversation: Conversation, n: int, query: str) -> Turn:
    message = Message("gh", f"bench-{n}", 1700000000, "text", msg_id=str(n), content=query)
    return conversation.respond(message)


def top_title(turn: Turn) -> str:
    return turn.result.hits[0].doc.title.strip() if turn.result and turn.result.hits else ""


def cross_validate(shared: Path) -> None:
    """Leave-one-department-out outcomes through `Conversation.respond` (see the docstring), without
    and with the knowledge base's term associations (learned without the held-out department)."""
    from bench import paraphrase  # it uses this module's classification

    bench = paraphrase.Bench(shared)
    results = paraphrase.evaluate(bench, paraphrase.CHOSEN, direct=(False, True))
    labels = [("reachable", True), ("direct correct", True), ("direct wrong", False), ("not found|miss", True)]
    for setting, per_fold in results.items():
        print(f"\nLeave-one-department-out cross-validation ({len(bench.folds)} folds; threshold calibrated on the"
              f" other folds for {crossval.TARGET_ABSTENTION:.0%} abstention of the search) — {setting}:")
        thresholds = {fold: figures["threshold"] for fold, figures in per_fold.items()}
        columns = [(label, lambda f, label=label, per_fold=per_fold: per_fold[f][label], better)
                   for label, better in labels]
        for line in crossval.format_table(bench.folds, thresholds, columns):
            print(line)
    print("  reachable = right entry answered directly or one tap away; not found|miss = \"not found\""
          " (or a routing reply) when the fold's gold entries are removed")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--shared", type=Path, default=default_shared())
    parser.add_argument("--sweep", action="store_true", help="also vary each reply-stage threshold of the policy")
    args = parser.parse_args(argv)
    require_shared(args.shared, BANK, QUERIES)
    bank = [json.loads(line) for line in (args.shared / BANK).read_text(encoding="utf-8").splitlines() if line]
    queries = [json.loads(line) for line in (args.shared / QUERIES).read_text(encoding="utf-8").splitlines() if line]
    per_mode: dict[str, Outcomes] = {}
    for mode, index_dir in MODES:
        with tempfile.TemporaryDirectory() as tmp:
            env = {"DATABASE_URL": f"sqlite:///{tmp}/o.sqlite3", "LOAD_SAMPLE_KB": "0", "RATE_LIMIT_PER_MINUTE": "0",
                   "WECHAT_TOKEN": "bench", "LOG_LEVEL": "WARNING", "INDEX_DIR": index_dir}
            app = create_app({k: v for k, v in env.items() if v}, instance_path=tmp)
            prepare(app, announce=False)
            runtime = get_runtime(app)
            import_paths(runtime.db, [args.shared / BANK])
            runtime.kb.maybe_reload(wait=True)
            print(f"\n— index: {mode} —")
            per_mode[mode] = outcomes = ask_all(runtime, bank, queries)
            report(outcomes)
            if args.sweep and not index_dir:
                sweep(runtime, bank, queries)
            runtime.close()
    first, *others = per_mode.values()
    for mode, other in zip(list(per_mode)[1:], others, strict=True):
        same = sum(a == b for a, b in zip(first.per_question, other.per_question, strict=True))
        print(f"\nthe same reply class and decision in both modes ({MODES[0][0]} / {mode}): {same} of {first.total}")
    cross_validate(args.shared)
    return 0


def report(outcomes: Outcomes) -> None:
    counts, total = outcomes.classes, outcomes.total
    print(f"{total} development questions through the conversation (2,081-entry bank):")
    for name, count in sorted(counts.items(), key=lambda kv: -kv[1]):
        print(f"  {name:38s} {count:4d}  {count / total:6.1%}")
    print(f"correct entry answered or one tap away: {outcomes.share(*REACHABLE):.1%}; "
          f"wrong direct answers: {outcomes.share(*WRONG):.1%}")
    print("by the answer policy's decision (knowledge.policy):")
    for name, count in sorted(outcomes.reasons.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"  {name:38s} {count:4d}  {count / total:6.1%}")


if __name__ == "__main__":
    sys.exit(main())
