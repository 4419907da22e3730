"""Homophone typos: what a citizen gets when one character of a question's topic word is mistyped.

    python -m bench.typos [--shared DIR] [--examples N]

The development questions hold almost no typos, so the correction (`knowledge.spelling`) had no
figure. This benchmark makes the typos a pinyin input method makes, by a fixed method, and
asks both versions of each of the 170 development questions through `Conversation.respond`
over the 2,081-entry bank (a fresh citizen each, as `bench.outcomes`):

* the question's jieba words (`TextProcessor.segment`) of two to four Chinese characters that
  the bank itself uses and that name something (not the follow-up vocabulary: 什么, 材料 …)
  are candidates, in a seeded random order (one seed per question);
* in the first candidate that allows it, one character (positions in seeded random order) is
  replaced by the bank's most frequent *other* character with the same toneless pinyin (the
  input method offers common characters first): 医保 → 医宝 if 宝 is the commonest other "bao";
* the mistyped word must not be cut whole by jieba (a typo that forms a real word, 年检 →
  年间, is another kind of mistake, which homophone correction does not claim to catch).

Questions with no such candidate are left out (their count is printed). Each reply is put in
`bench.outcomes`' classes; "reachable" is the right entry answered directly or one tap away.
The answer policy is the shipped one (thresholds calibrated on these questions: in sample),
so the figure to read is the *difference* between the typed-right and mistyped questions.
"""

from __future__ import annotations

import argparse
import collections
import json
import random
import re
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.items import faq_gold_titles, open_runtime
from bench.outcomes import ANSWERED, BANK, LISTS, QUERIES, REACHABLE, RELATED, Outcomes, classify, top_title
from bench.quality import default_shared, require_shared
from bot.runtime import Runtime
from bot.wechat import Message
from knowledge.asks import FOLLOW_UP_WORDS
from knowledge.spelling import apply as apply_corrections
from knowledge.spelling import pinyin_key
from knowledge.text import TextProcessor

SEED = 20261202
_HAN_WORD = re.compile(r"[\u4e00-\u9fff]{2,4}")


@dataclass(frozen=True)
class Typo:
    question: str
    mistyped: str
    word: str  # the word as the citizen meant it
    typed: str  # the word as mistyped


class TypoMaker:
    """Homophone typos by the method in the module docstring, over a bank's own text."""

    def __init__(self, processor: TextProcessor, texts: Sequence[str]) -> None:
        self.processor = processor
        words: collections.Counter[str] = collections.Counter()
        chars: collections.Counter[str] = collections.Counter()
        for text in texts:
            words.update(processor.segment(text))
            chars.update(c for c in text if "\u4e00" <= c <= "\u9fff")
        self.words = words
        by_sound: dict[str, list[str]] = {}
        for char, _ in chars.most_common():
            by_sound.setdefault(pinyin_key(char), []).append(char)
        self.by_sound = by_sound  # most frequent first

    def make(self, question: str, n: int) -> Typo | None:
        rng = random.Random(SEED + n)
        tokens = self.processor.segment(question)
        candidates = [
            t for t in dict.fromkeys(tokens)
            if _HAN_WORD.fullmatch(t) and t in self.words
            and not set(self.processor.analyze(t)) <= FOLLOW_UP_WORDS
        ]
        rng.shuffle(candidates)
        for word in candidates:
            positions = list(range(len(word)))
            rng.shuffle(positions)
            for i in positions:
                homophone = next((c for c in self.by_sound.get(pinyin_key(word[i]), ()) if c != word[i]), None)
                if homophone is None:
                    continue
                typed = word[:i] + homophone + word[i + 1:]
                if self.processor.segment(typed) == [typed]:
                    continue  # a real word, not a typo the corrector claims to catch
                return Typo(question, question.replace(word, typed, 1), word, typed)
        return None


def ask(runtime: Runtime, n: int, text: str, gold_titles: set[str]) -> str:
    message = Message("gh", f"bench-typos-{n}", 1700000000, "text", msg_id=f"{n}-{text}", content=text)
    runtime.conversation.forget(message.from_user)
    turn = runtime.conversation.respond(message)
    return classify(turn.reply, turn.kind, gold_titles, top_title(turn))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.typos", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--shared", type=Path, default=default_shared())
    parser.add_argument("--examples", type=int, default=12, help="how many typos to print with both replies' classes")
    args = parser.parse_args(argv)
    require_shared(args.shared, BANK, QUERIES)
    bank = [json.loads(line) for line in (args.shared / BANK).read_text(encoding="utf-8").splitlines() if line]
    queries = [json.loads(line) for line in (args.shared / QUERIES).read_text(encoding="utf-8").splitlines() if line]
    with tempfile.TemporaryDirectory() as tmp:
        runtime = open_runtime(tmp, [args.shared / BANK])
        maker = TypoMaker(runtime.kb.processor, [f"{e['question']}\n{e['answer']}" for e in bank])
        right = Outcomes(collections.Counter(), collections.Counter())
        typed = Outcomes(collections.Counter(), collections.Counter())
        examples: list[tuple[Typo, str, str]] = []
        skipped = restored = 0
        for n, (query, gold_titles) in enumerate(zip(queries, faq_gold_titles(bank, queries), strict=True)):
            typo = maker.make(query["query"], n)
            if typo is None:
                skipped += 1
                continue
            before, after = ask(runtime, n, typo.question, gold_titles), ask(runtime, n, typo.mistyped, gold_titles)
            right.classes[before] += 1
            typed.classes[after] += 1
            restored += apply_corrections(typo.mistyped, runtime.kb.spelling(typo.mistyped)) == typo.question
            examples.append((typo, before, after))
    asked = len(queries) - skipped
    print(f"Homophone typos: {asked} of {len(queries)} development questions mistyped ({skipped} without a "
          f"candidate word), 2,081-entry bank, through Conversation.respond")
    print(f"  {'':34} {'typed right':>12} {'mistyped':>10}")
    rows = [("right entry answered or one tap away", REACHABLE), ("direct answer, correct", REACHABLE[:1]),
            ("direct answer, WRONG", ANSWERED[1:]), ("numbered list", LISTS), ("not found + related", RELATED),
            ("bare not found", ("not found",))]
    for label, names in rows:
        print(f"  {label:34} {right.share(*names):12.1%} {typed.share(*names):10.1%}")
    print(f"  the speller restores the question as typed right: {restored / asked:.1%} of the mistyped"
          " (it is consulted only when the search is unsure)")
    print(f"\nExamples (first {args.examples}; class typed right → mistyped):")
    for typo, before, after in examples[: args.examples]:
        print(f"  {typo.word}→{typo.typed}  {typo.mistyped}\n      {before} → {after}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
