"""What a citizen actually gets for each development question, through the real conversation.

    python -m bench.outcomes [--shared DIR]

`bench.quality` measures the ranking; this measures the replies. The 2,081-entry FAQ bank is
imported into a throwaway database, and each of the 170 development questions is sent as a
WeChat text message through `Conversation.respond` (a fresh citizen each, so no follow-up
context). Each reply is put in one class:

* direct answer, correct / wrong (the answered entry is, or is not, a gold entry);
* numbered list with a gold entry among the titles shown (one tap away) / without one;
* "not found" that offers related entries, with a gold entry among them / without;
* bare "not found".

A wrong direct answer is the costly class: the bot stated something that does not answer.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import tempfile
from pathlib import Path

from bench.quality import default_shared, require_shared
from bot import create_app
from bot.runtime import get_runtime
from bot.startup import prepare
from bot.wechat import Message, NewsReply, TextReply
from knowledge.importers import import_paths

BANK = "datasets/msgabench_govqa_2081.jsonl"
QUERIES = "eval/dev_queries.jsonl"


def listed_titles(text: str) -> list[str]:
    return [line.split(". ", 1)[1].rstrip("…") for line in text.splitlines() if line[:1].isdigit() and ". " in line]


def classify(reply: TextReply | NewsReply | None, kind: str, gold_titles: set[str], answered_title: str) -> str:
    text = reply.content if isinstance(reply, TextReply) else ""
    shown = listed_titles(text)
    in_shown = any(any(g.startswith(t) for g in gold_titles) for t in shown if t)
    if kind == "choices":
        return "list, gold shown" if in_shown else "list, gold not shown"
    if kind == "not_found":
        if not shown:
            return "not found"
        return "not found + related, gold shown" if in_shown else "not found + related, gold not shown"
    return "direct answer, correct" if answered_title in gold_titles else "direct answer, WRONG"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--shared", type=Path, default=default_shared())
    args = parser.parse_args(argv)
    require_shared(args.shared, BANK, QUERIES)
    bank = [json.loads(line) for line in (args.shared / BANK).read_text(encoding="utf-8").splitlines() if line]
    queries = [json.loads(line) for line in (args.shared / QUERIES).read_text(encoding="utf-8").splitlines() if line]
    with tempfile.TemporaryDirectory() as tmp:
        env = {"DATABASE_URL": f"sqlite:///{tmp}/o.sqlite3", "LOAD_SAMPLE_KB": "0", "RATE_LIMIT_PER_MINUTE": "0",
               "WECHAT_TOKEN": "bench", "LOG_LEVEL": "WARNING"}
        app = create_app(env, instance_path=tmp)
        prepare(app, announce=False)
        runtime = get_runtime(app)
        import_paths(runtime.db, [args.shared / BANK])
        runtime.kb.maybe_reload(wait=True)
        counts: collections.Counter[str] = collections.Counter()
        for n, query in enumerate(queries):
            gold = bank[query["row"]]
            gold_titles = {
                entry["question"].strip() for entry in bank
                if entry["question"] == gold["question"] or entry["answer"] == gold["answer"]
            }
            message = Message("gh", f"bench-{n}", 1700000000, "text", msg_id=str(n), content=query["query"])
            turn = runtime.conversation.respond(message)
            top = turn.result.hits[0].doc.title.strip() if turn.result and turn.result.hits else ""
            counts[classify(turn.reply, turn.kind, gold_titles, top)] += 1
        runtime.questions.close()
    total = sum(counts.values())
    print(f"{total} development questions through the conversation (2,081-entry bank):")
    for name, count in sorted(counts.items(), key=lambda kv: -kv[1]):
        print(f"  {name:38s} {count:4d}  {count / total:6.1%}")
    reachable = sum(v for k, v in counts.items() if k in {
        "direct answer, correct", "list, gold shown", "not found + related, gold shown"})
    print(f"correct entry answered or one tap away: {reachable / total:.1%}; "
          f"wrong direct answers: {counts['direct answer, WRONG'] / total:.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
