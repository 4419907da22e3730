"""Disclosure items beside the FAQ bank: is the right document found, and is its answer quoted?

    python -m bench.items [--shared DIR] [--sweep] [--calibrate] [--misses]

The 86 Shanghai documents (``datasets/shanghai_gov_docs.jsonl``) are written out as the item
rows a township would import (标题, 正文, 文号, 发布日期, 发布机构, 所属分类, 状态, 链接) and
imported through the real importer into a throwaway database **together with** the 2,081-entry
FAQ bank, so items and FAQ entries compete in one ranking. Then:

* items: for each of the 30 questions of ``eval/items_dev.jsonl`` — hit@1 / hit@3 of its
  document among the ranked hits (an FAQ entry above it counts against it), and whether the
  reply a citizen gets through `Conversation.respond` contains the answering sentence
  (``answer_hint``, compared without whitespace) — the share "quoted" — and of those, the
  share quoted as the answer ("quoted as answer"; the rest were quoted under "not found" as
  only related, `bot.item_reply.related_excerpt`);
* FAQ: hit@1 / hit@3 / MRR@10 of the 170 FAQ development questions, and what citizens get
  (`bench.outcomes` classes), with the FAQ bank alone and with the documents imported too.

Abstention: every item question asked again with all their documents removed — the share the
search refuses ("documents removed: refused"), so a change that answers more items can be seen
not to answer questions whose document is absent; and how many of those replies offer another
item as "only related" (quoted under that heading, never as the answer). For every miss, the rank
the sentence chooser gives the answering sentence within the right document (``--misses`` adds the
answering sentence and the start of the reply).

items_dev is a development set, so a held-out view is printed as well: the questions are split
into two fixed halves (even and odd lines); ``--sweep`` compares passage sizes on the first
half only and reports the chosen size on the second, ``--calibrate`` compares the weight of an
item passage's body against FAQ entries by halves, and figures are shown per document level.
"""

from __future__ import annotations

import argparse
import collections
import json
import logging
import re
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from flask import Flask

from bench.outcomes import REACHABLE, WRONG, classify
from bench.quality import DevSet, default_shared, first_correct, ranking_metrics, read_jsonl, require_shared
from bot import create_app
from bot.runtime import Runtime, get_runtime
from bot.startup import prepare
from bot.wechat import Message, NewsReply, TextReply
from knowledge import passages, placeframe, timeframe
from knowledge.decision import DecisionKind
from knowledge.document import SearchResult
from knowledge.fielded import DEFAULT_WEIGHTS
from knowledge.importers import import_paths
from knowledge.kinds import KindIndex
from knowledge.quotes import rank_sentences
from knowledge.search import Searcher
from knowledge.segcache import MemorySegmentationCache

BANK = "datasets/msgabench_govqa_2081.jsonl"
DOCS = "datasets/shanghai_gov_docs.jsonl"
ITEMS_DEV = "eval/items_dev.jsonl"
FAQ_DEV = "eval/dev_queries.jsonl"
GOALS = {"hit@1": 0.90, "hit@3": 0.95, "quoted": 0.80}
HINT_MIN_CHARS = 10  # a body sentence this long inside the hint is the hint's sentence (not 20% or 月)
_SPACE = re.compile(r"\s+")


def item_rows(docs: Sequence[dict]) -> list[dict]:
    """The documents as a township's item import: the portal's own field names."""
    rows = []
    for doc in docs:
        row = {"条目类型": "信息", "标题": doc["title"], "正文": doc["body"], "链接": doc["url"],
               "发布日期": doc["date"], "发布机构": doc["publisher"], "所属分类": doc["category"],
               "状态": doc["status"]}
        if doc.get("doc_no") and doc["doc_no"].strip("-— "):
            row["文号"] = doc["doc_no"]
        rows.append(row)
    return rows


def reply_text(reply: TextReply | NewsReply | None) -> str:
    if isinstance(reply, TextReply):
        return reply.content + reply.tail
    if isinstance(reply, NewsReply):
        return reply.title + "\n" + reply.description
    return ""


def open_app(tmp: str, files: Sequence[Path]) -> Flask:
    """The real app on a throwaway SQLite database, `files` imported and indexed."""
    env = {"DATABASE_URL": f"sqlite:///{tmp}/items.sqlite3", "LOAD_SAMPLE_KB": "0", "RATE_LIMIT_PER_MINUTE": "0",
           "RATE_LIMIT_GLOBAL_PER_MINUTE": "0", "WECHAT_TOKEN": "bench", "LOG_LEVEL": "WARNING"}
    app = create_app(env, instance_path=tmp)
    prepare(app, announce=False)
    runtime = get_runtime(app)
    result = import_paths(runtime.db, list(files))
    if result.errors:
        print(f"  import: {result.summary()} first errors: {[str(e) for e in result.errors[:3]]}")
    runtime.kb.maybe_reload(wait=True)
    return app


def open_runtime(tmp: str, files: Sequence[Path]) -> Runtime:
    return get_runtime(open_app(tmp, files))


def ask(runtime: Runtime, n: int, query: str):
    message = Message("gh", f"bench-items-{n}", 1700000000, "text", msg_id=str(n), content=query)
    return runtime.conversation.respond(message)


def item_figures(runtime: Runtime, questions: Sequence[dict], gold_keys: Sequence[str]) -> list[dict]:
    """Per question: rank of its document, and whether the conversation's reply quotes the hint."""
    rows = []
    for n, (question, gold) in enumerate(zip(questions, gold_keys, strict=True)):
        result = runtime.kb.search(question["query"], limit=10)
        rank = first_correct([h.doc.key for h in result.hits], frozenset({gold}))
        turn = ask(runtime, n, question["query"])
        quoted = _SPACE.sub("", question["answer_hint"]) in _SPACE.sub("", reply_text(turn.reply))
        rows.append({"rank": rank, "quoted": quoted, "kind": turn.kind, "reply": reply_text(turn.reply),
                     "hint rank": hint_rank(runtime, question, gold)})
    return rows


class _Without:
    """The knowledge base's analysis and search over another index (`AnswerPolicy.decide` needs both)."""

    def __init__(self, runtime: Runtime, searcher: Searcher) -> None:
        self.runtime, self.searcher = runtime, searcher

    def analyze(self, text: str) -> list[str]:
        return self.searcher.terms(text)

    def search(self, query: str, limit: int = 10) -> SearchResult:
        return placeframe.apply(timeframe.apply(self.searcher.search(query, limit=limit)))


def without_documents(
    runtime: Runtime, questions: Sequence[dict], gold_keys: Sequence[str]
) -> tuple[list[bool], list[bool]]:
    """Every item question again with all 30 questions' documents removed (one re-index, as
    `bench.quality` does for FAQ answers): whether the search refuses to answer it, and whether
    the reply's "only related" list then offers an item (another document, quoted as related)."""
    removed = set(gold_keys)
    docs = [d for d in runtime.db.load_documents() if d.key not in removed]
    index = KindIndex(passages.expand(docs), runtime.kb.processor, cache=MemorySegmentationCache())
    kb = _Without(runtime, Searcher(index, runtime.kb.processor))
    refused, related_item = [], []
    for q in questions:
        refused.append(not kb.search(q["query"]).answered)
        decision = runtime.kb.policy.decide(q["query"], None, kb)
        related_item.append(decision.kind is DecisionKind.RELATED and decision.hits[0].doc.kind == "item")
    return refused, related_item


def hint_rank(runtime: Runtime, question: dict, gold: str) -> int | None:
    """Where the sentence chooser (`knowledge.quotes`) ranks the answering sentence of the right
    document: 1 = quoted first; None = no sentence of the body is the hint."""
    doc = runtime.kb.document(gold)
    if doc is None:
        return None
    asked = runtime.conversation.asks.reduce(question["query"])
    parts, scores = rank_sentences(doc, runtime.kb.analyze(asked), runtime.kb, question=asked)
    hint = _SPACE.sub("", question["answer_hint"])
    order = sorted(range(len(parts)), key=lambda i: (-scores[i], i))
    for rank, i in enumerate(order, start=1):
        sentence = _SPACE.sub("", parts[i])
        if len(sentence) >= HINT_MIN_CHARS and (sentence in hint or hint in sentence):
            return rank
    return None


def summarise(rows: Sequence[dict]) -> dict[str, float]:
    """hit@1, hit@3, quoted in any reply, and quoted as the answer (not only under "related")."""
    metrics = ranking_metrics([r["rank"] for r in rows])
    return {"hit@1": metrics["hit@1"], "hit@3": metrics["hit@3"],
            "quoted": sum(r["quoted"] for r in rows) / len(rows),
            "quoted as answer": sum(r["quoted"] and r["kind"] == "answer_item" for r in rows) / len(rows)}


def fmt(metrics: dict[str, float]) -> str:
    return "  ".join(f"{k} {v:.3f}" for k, v in metrics.items())


def faq_figures(runtime: Runtime, dev: DevSet, bank: Sequence[dict], queries: Sequence[dict]) -> tuple[dict, dict]:
    """FAQ ranking metrics and outcome classes through this runtime's knowledge base.

    Gold FAQ entries are matched by question/answer text (ids differ between databases).
    """
    by_text: dict[tuple[str, str], str] = {}
    for doc in runtime.db.load_documents():
        if doc.kind == "faq":
            by_text[("q", _SPACE.sub("", doc.title))] = doc.key
    ranks: list[int | None] = []
    counts: collections.Counter[str] = collections.Counter()
    for n, (query, gold_titles) in enumerate(zip(dev.queries, faq_gold_titles(bank, queries), strict=True)):
        result = runtime.kb.search(query, limit=10)
        gold = frozenset(k for t in gold_titles if (k := by_text.get(("q", _SPACE.sub("", t)))))
        ranks.append(first_correct([h.doc.key for h in result.hits], gold))
        turn = ask(runtime, 1000 + n, query)
        top = turn.result.hits[0].doc.title.strip() if turn.result and turn.result.hits else ""
        counts[classify(turn.reply, turn.kind, gold_titles, top)] += 1
    return ranking_metrics(ranks), dict(counts)


def faq_gold_titles(bank: Sequence[dict], queries: Sequence[dict]) -> list[set[str]]:
    titles = []
    for query in queries:
        gold = bank[query["row"]]
        titles.append({e["question"].strip() for e in bank
                       if e["question"] == gold["question"] or e["answer"] == gold["answer"]})
    return titles


def outcome_line(counts: dict[str, int]) -> str:
    total = sum(counts.values())
    reach = sum(v for k, v in counts.items() if k in REACHABLE)
    return (f"direct correct {counts.get('direct answer, correct', 0) / total:.1%}, "
            f"answered or one tap away {reach / total:.1%}, "
            f"wrong direct answers {sum(counts.get(w, 0) for w in WRONG) / total:.1%}")


def sweep(runtime: Runtime, questions: Sequence[dict], gold_keys: Sequence[str], sizes: Sequence[int]) -> None:
    """Document ranking for other passage sizes (searcher only, no conversation)."""
    docs = runtime.db.load_documents()
    processor = runtime.kb.processor
    cache = MemorySegmentationCache()
    halves = (range(0, len(questions), 2), range(1, len(questions), 2))
    print("\nPassage size sweep (document ranking; tune on half A, read half B):")
    for size in sizes:
        index = KindIndex(passages.expand(docs, size) if size else docs, processor, cache=cache)
        searcher = Searcher(index, processor)
        ranks = [first_correct([h.doc.key for h in searcher.search(q["query"]).hits], frozenset({g}))
                 for q, g in zip(questions, gold_keys, strict=True)]
        parts = [ranking_metrics([ranks[i] for i in half]) for half in halves]
        label = "whole documents" if not size else f"{size} chars"
        print(f"  {label:<16} A: hit@1 {parts[0]['hit@1']:.3f} hit@3 {parts[0]['hit@3']:.3f}   "
              f"B: hit@1 {parts[1]['hit@1']:.3f} hit@3 {parts[1]['hit@3']:.3f}")


def calibrate(runtime: Runtime, questions: Sequence[dict], gold_keys: Sequence[str], dev: DevSet | None,
              bank: Sequence[dict], faq_queries: Sequence[dict], body_weights: Sequence[float]) -> None:
    """Document and FAQ ranking for other weights of an item passage's body characters in the
    item part (`KindIndex(item_weights=…)`): how item evidence weighs against an FAQ entry's
    question in the merged ranking. Searcher only: halves side by side, and the FAQ development
    questions' ranking in the same knowledge base (it must not drop)."""
    docs = passages.expand(runtime.db.load_documents())
    processor = runtime.kb.processor
    cache = MemorySegmentationCache()
    by_title = {_SPACE.sub("", d.title): d.key for d in docs if d.kind == "faq"}
    faq_gold = [frozenset(k for t in titles if (k := by_title.get(_SPACE.sub("", t))))
                for titles in faq_gold_titles(bank, faq_queries)]
    print("\nItem body weight (item part; tune on one half, read the other; FAQ ranking with the documents):")
    for weight in body_weights:
        index = KindIndex(docs, processor, cache=cache, item_weights={**DEFAULT_WEIGHTS, "body_chars": weight})
        searcher = Searcher(index, processor)

        def search(query: str, searcher: Searcher = searcher) -> SearchResult:
            return placeframe.apply(timeframe.apply(searcher.search(query)))

        ranks = [first_correct([h.doc.key for h in search(q["query"]).hits], frozenset({g}))
                 for q, g in zip(questions, gold_keys, strict=True)]
        halves = [ranking_metrics(ranks[start::2]) for start in (0, 1)]
        line = (f"  body ×{weight:<5g} A: hit@1 {halves[0]['hit@1']:.3f} hit@3 {halves[0]['hit@3']:.3f}   "
                f"B: hit@1 {halves[1]['hit@1']:.3f} hit@3 {halves[1]['hit@3']:.3f}")
        if dev is not None:
            faq = ranking_metrics([first_correct([h.doc.key for h in search(q).hits], gold)
                                   for q, gold in zip(dev.queries, faq_gold, strict=True)])
            line += f"   FAQ: hit@1 {faq['hit@1']:.3f} hit@3 {faq['hit@3']:.3f} mrr@10 {faq['mrr@10']:.3f}"
        print(line)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.items", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=default_shared())
    parser.add_argument("--sweep", action="store_true", help="compare passage sizes on half A")
    parser.add_argument("--no-faq", action="store_true", help="skip the FAQ figures (faster)")
    parser.add_argument("--calibrate", action="store_true",
                        help="compare item body weights against FAQ entries, by halves (FAQ ranking beside)")
    parser.add_argument("--misses", action="store_true", help="每个未命中的问题另列答案句和回复开头")
    parser.add_argument("--latency", action="store_true",
                        help="只测延迟：经 /wechat 比较条目问题与常见问题的 p50/p99（见 bench/items_latency.py）")
    parser.add_argument("--latency-items", type=int, default=20_000, help="延迟测试另加的同类条目数（默认 20000）")
    parser.add_argument("--latency-rounds", type=int, default=10, help="30 个条目问题各问几轮（默认 10）")
    args = parser.parse_args(argv)
    require_shared(args.shared, BANK, DOCS, ITEMS_DEV, FAQ_DEV)
    logging.getLogger("jieba").setLevel(logging.WARNING)
    docs = read_jsonl(args.shared / DOCS)
    questions = read_jsonl(args.shared / ITEMS_DEV)
    bank = read_jsonl(args.shared / BANK)
    faq_queries = read_jsonl(args.shared / FAQ_DEV)
    if args.latency:
        from bench import items_latency  # imports this module: loaded only when asked for

        items_latency.run(args.shared, docs, [q["query"] for q in questions], [q["query"] for q in faq_queries],
                          items=args.latency_items, rounds=args.latency_rounds)
        return 0
    dev = DevSet.load(args.shared) if not args.no_faq else None

    with tempfile.TemporaryDirectory() as tmp:
        items_file = Path(tmp) / "items.jsonl"
        items_file.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in item_rows(docs)),
                              encoding="utf-8")
        runtime = open_runtime(tmp, [args.shared / BANK, items_file])
        by_url = {d.url: d.key for d in runtime.db.load_documents() if d.kind == "item"}
        gold_keys = [by_url[docs[q["doc"]]["url"]] for q in questions]
        rows = item_figures(runtime, questions, gold_keys)
        print(f"Items: {len(docs)} documents + FAQ bank in one knowledge base ({runtime.kb.size} entries), "
              f"{len(questions)} questions (passages of {passages.PASSAGE_CHARS} chars)")
        overall = summarise(rows)
        print(f"  all 30                 {fmt(overall)}")
        for name, half in (("half A (even lines)", rows[0::2]), ("half B (odd lines)", rows[1::2])):
            print(f"  {name:<22} {fmt(summarise(half))}")
        levels = collections.defaultdict(list)
        for q, row in zip(questions, rows, strict=True):
            levels[docs[q["doc"]]["level"]].append(row)
        for level, level_rows in sorted(levels.items()):
            print(f"  {level} ({len(level_rows):2d})            {fmt(summarise(level_rows))}")
        refused, related_item = without_documents(runtime, questions, gold_keys)
        print(f"  documents removed: refused {sum(refused) / len(refused):.3f} "
              f"(half A {sum(refused[0::2]) / len(refused[0::2]):.3f}, "
              f"half B {sum(refused[1::2]) / len(refused[1::2]):.3f}); "
              f"another item offered as only related {sum(related_item)}/{len(related_item)}")
        chosen = [r["hint rank"] for r in rows]
        print("  sentence chooser, right document: answering sentence first / in the first two: "
              + "  ".join(f"{name} {sum(c == 1 for c in half)}/{len(half)} / "
                          f"{sum(c is not None and c <= 2 for c in half)}/{len(half)}"
                          for name, half in (("A", chosen[0::2]), ("B", chosen[1::2]))))
        kinds = collections.Counter(r["kind"] for r in rows)
        print("  reply kinds: " + ", ".join(f"{k} {v}" for k, v in kinds.items()))
        misses = [(q, r) for q, r in zip(questions, rows, strict=True) if r["rank"] != 1 or not r["quoted"]]
        for q, r in misses:
            print(f"    miss: rank {r['rank']}, quoted {r['quoted']}, {r['kind']}, "
                  f"answering sentence ranked {r['hint rank']} by the chooser: {q['query']}")
            if args.misses:
                print(f"      answering sentence: {q['answer_hint']}")
                print("      reply: " + " / ".join(r["reply"].splitlines()[:6]))
        if args.sweep:
            sweep(runtime, questions, gold_keys, (0, 120, 180, 240, 320, 480))
        if args.calibrate:
            calibrate(runtime, questions, gold_keys, dev, bank, faq_queries, (0.5, 0.6, 0.7, 0.8, 0.9, 1.0))
        if dev is not None:
            combined = faq_figures(runtime, dev, bank, faq_queries)
        runtime.close()
    if dev is not None:
        with tempfile.TemporaryDirectory() as tmp:
            runtime = open_runtime(tmp, [args.shared / BANK])
            alone = faq_figures(runtime, dev, bank, faq_queries)
            runtime.close()
        print(f"\nFAQ development questions ({len(dev.queries)}):")
        for name, (metrics, counts) in (("FAQ bank alone", alone), ("FAQ bank + 86 documents", combined)):
            print(f"  {name:<24} hit@1 {metrics['hit@1']:.3f}  hit@3 {metrics['hit@3']:.3f}  "
                  f"mrr@10 {metrics['mrr@10']:.3f}")
            print(f"  {'':<24} {outcome_line(counts)}")
    print("\nGoals (items):")
    for name, goal in GOALS.items():
        print(f"  {name:<7} {overall[name]:.3f}  goal >= {goal:.2f}  {'met' if overall[name] >= goal else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
