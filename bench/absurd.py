"""How often are the entries offered under "not found" absurd? A measure for the related rule.

    python -m bench.absurd [--shared DIR] [--sample N]

A related suggestion (`knowledge.policy.AnswerPolicy._related`) is meant to be on the citizen's
topic; loosening the rule that picks them gains reachable answers for free unless something
counts the suggestions that are off topic. This puts every development question (170) and
every title of the 2,816 real citizen messages (a city government's mailbox: mostly questions
the FAQ bank does not answer, where suggestions are most at risk) through the answer policy
over the 2,081-entry FAQ bank with the knowledge base's default term associations, and counts
the suggestions ("related" replies only) that share no *meaningful* word with the question by
two tests:

* **project** — the project's topic words (`knowledge.topicwords.topic_words`: a word of two
  or more characters that is not a follow-up word, a place name or a verb/adjective/… other
  than a domain verb of the bank, `SearchResult.topical`); the
  related rule demands one, so this counts what a loosened rule lets through without one;
* **strict** — independent of that rule: a shared analysed word of two or more characters,
  not a follow-up word, whose document frequency in the bank is at most ``MAX_DF`` of the
  entries (申请, 办理, 北京市 are in too many entries to say what a question is about).

Counts are of suggestions (entries offered) and of replies with at least one absurd suggestion;
``--sample`` prints some of the strict ones. The bank is read-only reference material outside
the repository; nothing of it is copied.
"""

from __future__ import annotations

import argparse
import collections
import json
import random
import sys
from collections.abc import Sequence
from pathlib import Path

from bench import crossval
from bench.quality import DevSet, default_shared, require_shared
from knowledge.asks import FOLLOW_UP_WORDS
from knowledge.associations import DEFAULT_SETTINGS, Expansion, TermAssociations
from knowledge.decision import DecisionKind
from knowledge.fielded import FieldedIndex
from knowledge.policy import AnswerPolicy
from knowledge.search import Searcher
from knowledge.segcache import MemorySegmentationCache
from knowledge.text import TextProcessor
from knowledge.topicwords import topic_words

MESSAGES = "datasets/citizen_messages_2816.jsonl"
#: A word in more than this share of the bank's entries does not say what a question is about.
MAX_DF = 0.02


def strict_shared(terms: Sequence[str], matched: Sequence[str], df: dict[str, int], n_docs: int) -> list[str]:
    """The question's words found in the entry that pass the strict test (see the docstring)."""
    return [
        t for t in dict.fromkeys(terms)
        if t in matched and len(t) >= 2 and t not in FOLLOW_UP_WORDS and df.get(t, 0) <= MAX_DF * n_docs
    ]


def measure(shared: Path, sample: int) -> dict[str, dict[str, int]]:
    """The counts of the docstring, per question set, printed with `sample` examples."""
    dev = DevSet.load(shared)
    processor = TextProcessor()
    index = FieldedIndex(dev.documents, processor, cache=MemorySegmentationCache())
    model = TermAssociations.from_documents(dev.documents, processor.analyze, DEFAULT_SETTINGS)
    policy = AnswerPolicy()
    kb = crossval.FixedKnowledgeBase(Searcher(index, processor, policy, Expansion(model, DEFAULT_SETTINGS)),
                                     dev.documents)
    df: collections.Counter[str] = collections.Counter()
    for doc in dev.documents:
        df.update(set(processor.analyze(f"{doc.title} {doc.body}")))
    n_docs = len(dev.documents)
    with open(shared / MESSAGES, encoding="utf-8") as f:
        messages = [json.loads(line)["title"] for line in f if line.strip()]
    figures: dict[str, dict[str, int]] = {}
    examples: list[str] = []
    for name, questions in (("dev questions", dev.queries), ("citizen messages", messages)):
        counts: collections.Counter[str] = collections.Counter()
        for question in questions:
            decision = policy.decide(question, None, kb)
            if decision.kind != DecisionKind.RELATED:
                continue
            counts["related replies"] += 1
            terms = list(decision.terms)
            bad_project = bad_strict = 0
            topic = set(topic_words(terms, FOLLOW_UP_WORDS, decision.result.topical if decision.result else ()))
            for hit in decision.hits:
                counts["suggestions"] += 1
                if topic.isdisjoint(hit.matched):
                    bad_project += 1
                    examples.append(f"[{name}, no topic word] {question} → {hit.doc.title} "
                                    f"(shared: {'/'.join(hit.matched)})")
                if not strict_shared(terms, list(hit.matched), df, n_docs):
                    bad_strict += 1
                    examples.append(f"[{name}, strict] {question} → {hit.doc.title} (shared: {'/'.join(hit.matched)})")
            counts["absurd (project)"] += bad_project
            counts["absurd (strict)"] += bad_strict
            counts["replies with an absurd one (strict)"] += bad_strict > 0
        figures[name] = dict(counts)
    for name, figure in figures.items():
        print(f"{name}: " + ", ".join(f"{k} {v}" for k, v in figure.items()))
    random.Random(0).shuffle(examples)
    examples.sort(key=lambda line: "no topic word" not in line)  # what a loosened rule let through first
    for line in examples[:sample]:
        print("  " + line)
    return figures


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.absurd", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--shared", type=Path, default=default_shared())
    parser.add_argument("--sample", type=int, default=20, help="how many strict-absurd suggestions to print")
    args = parser.parse_args(argv)
    require_shared(args.shared, MESSAGES)
    measure(args.shared, args.sample)
    return 0


if __name__ == "__main__":
    sys.exit(main())
