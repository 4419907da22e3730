"""Follow-ups through the real conversation: after an entry is answered, what does "需要什么材料" get?

    python -m bench.followups [--shared DIR] [--every N]

No benchmark question opens a second turn, so nothing measured the follow-ups (`bot.followup`)
end to end. The 2,081-entry bank is imported through the real importer into a throwaway database
(`bench.items.open_runtime`). For every Nth FAQ entry whose own question, asked by a new citizen,
is answered directly with that entry, each kind of fact of `bot.followup.ASKS` is asked next in
its plainest wording (`ASKED`) by a citizen who asked the entry's question just before.

Whether the entry states the fact is judged by a sentence of its answer naming it with one of
that kind's own cue words (材料 / 证明 / 身份证 … for materials), so this measures the conversation
— the follow-up recognised, the topic and the entry kept, the entry's sentence quoted, "not
stated" said when it is not there — not how well the cue lists cover Chinese. No development
question is asked, and nothing here was tuned on it.

Per kind:
* when the entry states the fact: the share of replies quoting a sentence of that entry
  ("quoted"), and what the others got;
* when it does not: "not stated" (honest), a list of the topic's entries (the fact may be in
  one of them), another entry answered directly, or "not found".
"""

from __future__ import annotations

import argparse
import collections
import itertools
import logging
import tempfile
from collections.abc import Sequence
from pathlib import Path

from bench.items import open_runtime, reply_text
from bench.quality import default_shared, require_shared
from bot.followup import ASKS, sentences
from bot.runtime import Runtime
from bot.turn import Turn
from bot.wechat import Message
from knowledge.document import Document

BANK = "datasets/msgabench_govqa_2081.jsonl"
# The plainest follow-up for each kind of fact.
ASKED = {"materials": "需要什么材料", "place": "在哪里办", "cost": "要多少钱", "time": "要多长时间",
         "contact": "电话是多少", "eligibility": "什么条件可以申请"}


class Citizens:
    """Each `ask` of a new `citizen` is a new session; messages are numbered apart."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._ids = itertools.count(1)

    def citizen(self) -> str:
        return f"bench-followups-{next(self._ids)}"

    def ask(self, user: str, text: str) -> Turn:
        message = Message("gh", user, 1700000000, "text", msg_id=str(next(self._ids)), content=text)
        return self.runtime.conversation.respond(message)


def states(doc: Document, kind: str) -> bool:
    """Whether a sentence of `doc`'s answer names the fact of `kind` (one of its cue words)."""
    names = ASKS[kind][1]
    return any(cue in sentence for sentence in sentences(doc.body) for cue in names)


def outcome(turn: Turn, doc: Document) -> str:
    """What the follow-up got, in the report's words."""
    text = reply_text(turn.reply)
    if turn.kind == "follow_up_quote":
        return "quoted" if text.startswith(f"「{doc.title[:20]}") else "quoted another entry"  # titles are clipped
    if turn.kind == "not_found" and "中没有写明" in text:
        return "not stated"
    if turn.kind == "choices":
        return "list"
    if turn.kind in ("answer_faq", "answer_item"):
        return "another entry answered" if turn.decision is None or turn.decision.hits[0].doc.key != doc.key \
            else "the entry again"
    return str(turn.kind)


def run(runtime: Runtime, every: int) -> dict[tuple[str, bool], collections.Counter[str]]:
    """(kind, the entry states it) -> outcomes, over every `every`-th FAQ entry answered by its own question."""
    citizens = Citizens(runtime)
    results: dict[tuple[str, bool], collections.Counter[str]] = collections.defaultdict(collections.Counter)
    faqs = sorted((d for d in runtime.db.load_documents() if d.kind == "faq"), key=lambda d: d.id)
    answered = 0
    for doc in faqs[::every]:
        first = citizens.ask(citizens.citizen(), doc.title)
        if first.kind != "answer_faq" or first.decision is None or first.decision.hits[0].doc.key != doc.key:
            continue
        answered += 1
        for kind, question in ASKED.items():
            user = citizens.citizen()
            citizens.ask(user, doc.title)
            results[(kind, states(doc, kind))][outcome(citizens.ask(user, question), doc)] += 1
    print(f"{len(faqs[::every])} entries asked by their own question, {answered} answered with themselves; "
          f"each then asked {len(ASKED)} follow-ups")
    return results


def report(results: dict[tuple[str, bool], collections.Counter[str]]) -> None:
    for stated in (True, False):
        print("\nThe entry states the fact:" if stated else "\nThe entry does not state the fact:")
        for kind, question in ASKED.items():
            counts = results.get((kind, stated), collections.Counter())
            total = sum(counts.values())
            if not total:
                continue
            parts = "  ".join(f"{name} {n} ({n / total:.0%})" for name, n in counts.most_common())
            print(f"  {kind:<12} {question:<10} n={total:<4} {parts}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.followups", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=default_shared())
    parser.add_argument("--every", type=int, default=4, help="每隔几条问答取一条（默认 4）")
    args = parser.parse_args(argv)
    require_shared(args.shared, BANK)
    logging.getLogger("jieba").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        runtime = open_runtime(tmp, [args.shared / BANK])
        report(run(runtime, max(1, args.every)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
