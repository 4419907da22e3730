"""Learning from citizens' choices, measured by replaying the citizen-message stream twice.

    python -m bench.learning [--shared DIR] [--citizens 3] [--no-city]

The 2,081-entry FAQ bank is imported into a throwaway database of a real app (`create_app`:
SQLite, the real question log and `bot.learning`). The stream is the 170 development
questions, whose right entries are known, asked by simulated citizens through
`Conversation.respond`, each with the answer threshold of its cross-validation fold
(`bench.crossval`: calibrated on the other departments' questions).

Wordings. Learning works on the report's wording groups (`bot.reports.grouping`): wordings
that differ only in how the question is asked (怎么/如何/咋, 什么/啥, 请问 …) are one group. For
every question the surface variants in its own group are built by a fixed procedure
(`variants`); the last one is *held out* — never asked while learning — and the others are
the learning wordings, handed round the simulated citizens.

1. Pass 0: the held-out wording of every question from a fresh citizen (no learning yet).
2. Pass 1 (learning): `--citizens` distinct simulated citizens per question (3, the
   threshold's minimum), each asking one learning wording. A citizen who is shown the right
   entry in a numbered list (among related entries, or among the close rivals listed under a
   direct answer) replies with its number and then says nothing more — the behaviour
   `bot.learning` records as evidence; one shown no right entry, or answered rightly, does nothing.
3. Every suggestion the evidence makes (`Learning.refresh`) is approved through the editor,
   as staff would at /admin/learning, and the index is rebuilt.
4. Pass 2: the held-out wordings again (fresh citizens), and the first learning wording
   (what was learned itself, for comparison).

Reported: how many questions moved from a list or "not found" to a direct correct answer, and
direct wrong answers before and after, overall and per fold (mean and worst). With the 2,816
real city messages (`--no-city` skips them), each is also replayed before and after learning
from a fresh citizen, counting the replies that changed and those now answered directly by an
entry that gained a 相似问法: there is no right entry for them, so a change there is a change
learning caused outside what it learned from.

Held-out here means "a wording of the same group never seen while learning", which is the unit
learning generalises over by design; a paraphrase with other content words is another group,
and learning does not claim to help it.
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from bench import crossval
from bench.outcomes import ANSWERED, BANK, LISTS, QUERIES, RELATED, WRONG, classify
from bench.quality import DevSet, Project, assessed_without_own_gold, default_shared, require_shared
from bot import create_app, learning
from bot.conversation import Conversation
from bot.reports.grouping import group_key, normalise_text
from bot.runtime import Runtime, get_runtime
from bot.startup import prepare
from bot.turn import ReplyKind, Turn
from bot.wechat import Message
from knowledge.importers import import_paths
from knowledge.policy import AnswerPolicy
from knowledge.text import TextProcessor

# Ways of asking the same thing, swapped one at a time (all are report stopwords: bot/reports/stopwords.txt).
SWAPS = (("怎么", "如何"), ("如何", "怎么"), ("怎样", "怎么"), ("咋", "怎么"), ("什么", "啥"), ("啥", "什么"),
         ("为什么", "为啥"), ("为啥", "为什么"))
PREFIXES = ("请问", "想问一下，", "咨询一下：")
_NUMBERED = re.compile(r"^(\d+)\. (.+?)…?$")
MOVED_FROM = (*LISTS, *RELATED, "not found")
CITY = "datasets/citizen_messages_2816.jsonl"


def variants(question: str) -> list[str]:
    """The question, then the same with one way of asking swapped, then with a polite opening."""
    out = [question]
    for old, new in SWAPS:
        if old in question:
            out.append(question.replace(old, new, 1))
    out += [prefix + question for prefix in PREFIXES]
    return out


def pick_held_out(wordings: list[str]) -> str | None:
    """A swapped way of asking when there is one (it differs inside the sentence), else a polite opening."""
    if len(wordings) < 2:
        return None
    swapped = [w for w in wordings[1:] if not w.startswith(PREFIXES)]
    return swapped[0] if swapped else wordings[-1]


def same_group(analyze: Callable[[str], list[str]], question: str) -> list[str]:
    """`variants` of `question` in its own wording group, one per normalised text."""
    key = group_key(" ".join(analyze(question)), question)
    seen: set[str] = set()
    found = []
    for text in variants(question):
        norm = normalise_text(text)
        if norm not in seen and group_key(" ".join(analyze(text)), text) == key:
            seen.add(norm)
            found.append(text)
    return found


class Stream:
    """Simulated citizens talking to one app's conversation, with the webhook's hand-off to learning."""

    def __init__(self, runtime: Runtime, base_time: float) -> None:
        self.runtime = runtime
        self.conversation: Conversation = runtime.conversation
        self.conversation.clock = lambda: base_time  # every pick settles before `refresh(now)`
        self.sent = 0

    def say(self, user: str, text: str) -> Turn:
        self.sent += 1
        message = Message("gh", user, 1700000000, "text", msg_id=str(self.sent), content=text)
        turn = self.conversation.respond(message)
        if turn.choice is not None and self.runtime.learning is not None:
            self.runtime.learning.record(user, message.dedupe_key, turn.choice)
        return turn

    def fresh(self, text: str) -> Turn:
        return self.say(f"bench-{self.sent}-{time.monotonic_ns()}", text)


def shown_number(turn: Turn, gold_titles: set[str]) -> int | None:
    """The number of the first right entry the reply lists, as the citizen reads it."""
    text = getattr(turn.reply, "content", "") or ""
    for line in text.splitlines():
        found = _NUMBERED.match(line.strip())
        if found and any(g.startswith(found.group(2)) for g in gold_titles):
            return int(found.group(1))
    return None


def outcome(turn: Turn, gold_titles: set[str]) -> str:
    top = turn.result.hits[0].doc.title.strip() if turn.result and turn.result.hits else ""
    if turn.kind is ReplyKind.FOLLOW_UP_QUOTE:  # a fresh citizen never follows up
        return "other"
    return classify(turn.reply, turn.kind, gold_titles, top)


def fold_policies(shared: Path, n: int) -> tuple[list[str], dict[str, float], dict[str, list[int]],
                                                 dict[str, AnswerPolicy]]:
    """Per fold: the answer threshold and the direct-answer rule, both calibrated on the other
    folds (`bench.crossval`), so the held-out department's questions tuned neither."""
    dev = DevSet.load(shared)
    assert len(dev.queries) == n
    project = Project(TextProcessor())
    negatives = assessed_without_own_gold(project, dev, range(n))
    folds = crossval.department_folds(dev.departments)
    thresholds = crossval.fold_thresholds(folds, negatives)
    fold_of = [""] * n
    policies = {}
    for name, members in folds.items():
        for i in members:
            fold_of[i] = name
        policy = AnswerPolicy.with_threshold(thresholds[name])
        kb = crossval.FixedKnowledgeBase(project.searcher(dev.documents, policy=policy), dev.documents)
        policies[name] = crossval.with_direct(
            policy, *crossval.direct_rule(kb, dev.queries, dev.gold, folds, negatives, policy, name))
    return fold_of, thresholds, folds, policies


def run(shared: Path, citizens: int, city: Path | None) -> None:
    bank = [json.loads(line) for line in (shared / BANK).read_text(encoding="utf-8").splitlines() if line]
    queries = [json.loads(line) for line in (shared / QUERIES).read_text(encoding="utf-8").splitlines() if line]
    started = time.monotonic()
    fold_of, thresholds, folds, policies = fold_policies(shared, len(queries))
    print(f"fold thresholds calibrated in {time.monotonic() - started:.0f} s", file=sys.stderr)
    gold = []
    for query in queries:
        row = bank[query["row"]]
        gold.append({e["question"].strip() for e in bank if e["question"] == row["question"]
                     or e["answer"] == row["answer"]})
    with tempfile.TemporaryDirectory() as tmp:
        env = {"DATABASE_URL": f"sqlite:///{tmp}/l.sqlite3", "LOAD_SAMPLE_KB": "0", "RATE_LIMIT_PER_MINUTE": "0",
               "RATE_LIMIT_GLOBAL_PER_MINUTE": "0", "WECHAT_TOKEN": "bench", "LOG_LEVEL": "WARNING"}
        app = create_app(env, instance_path=tmp)
        prepare(app, announce=False)
        runtime = get_runtime(app)
        import_paths(runtime.db, [shared / BANK])
        runtime.kb.maybe_reload(wait=True)
        default_policy = runtime.kb.policy
        assert runtime.learning is not None
        # Suggestions are made once, from all the evidence (step 3). The writer thread's own
        # refresh (once a minute, `Learning.applied`) would make some mid-pass from part of it —
        # how many depended on the machine's speed (29 or 41 suggestions from the same 181 picks).
        runtime.learning.applied = lambda: None  # type: ignore[method-assign]
        stream = Stream(runtime, time.time() - 3600)
        wordings = [same_group(runtime.kb.analyze, q["query"]) for q in queries]
        held_out = [pick_held_out(w) for w in wordings]
        learn_on = [[t for t in w if t != h] for w, h in zip(wordings, held_out, strict=True)]

        def each(ask: Callable[[int], Turn | None]) -> list[Turn | None]:
            turns = []
            for i in range(len(queries)):
                runtime.kb.policy = policies[fold_of[i]]
                turns.append(ask(i))
            runtime.kb.policy = default_policy
            return turns

        def classes(turns: Sequence[Turn | None]) -> list[str | None]:
            return [None if t is None else outcome(t, gold[i]) for i, t in enumerate(turns)]

        def ask_held_out(i: int) -> Turn | None:
            wording = held_out[i]
            return stream.fresh(wording) if wording else None

        city_before = replay_city(stream, city) if city else []
        before = classes(each(ask_held_out))
        learned_before = classes(each(lambda i: stream.fresh(learn_on[i][0])))

        picks = 0

        def learn(i: int) -> Turn | None:
            nonlocal picks
            for c in range(citizens):
                user = f"citizen-{i}-{c}"
                turn = stream.say(user, learn_on[i][c % len(learn_on[i])])
                number = shown_number(turn, gold[i]) if turn.kind in _LISTING else None
                if number is not None:
                    stream.say(user, str(number))
                    picks += 1
            return None
        each(learn)
        runtime.questions.flush(timeout=120)
        assert runtime.learning is not None
        created = runtime.learning.refresh(now=time.time())
        for suggestion_id in created:
            learning.approve(runtime.db, suggestion_id, "bench")
        runtime.kb.maybe_reload(wait=True)
        entries = {s.entry_id for s in learning.suggestions(runtime.db, ("approved",), limit=100_000)}

        after_turns = each(ask_held_out)
        learned_turns = each(lambda i: stream.fresh(learn_on[i][0]))
        after, learned_after = classes(after_turns), classes(learned_turns)
        city_after = replay_city(stream, city) if city else []
        runtime.close()

    print(f"{len(queries)} development questions, {citizens} simulated citizens each: {picks} picks of the right "
          f"entry from a list; {len(created)} suggested 相似问法, all approved")
    swapped = sum(h is not None and not h.startswith(PREFIXES) for h in held_out)
    print(f"held-out wordings: {sum(h is not None for h in held_out)} questions have one ({swapped} with another"
          f" way of asking inside the sentence, the others with a polite opening)")
    report("held-out wordings (never asked while learning)", before, after, folds, thresholds)
    inside = [h is not None and not h.startswith(PREFIXES) for h in held_out]
    moved_inside = sum(inside[i] and before[i] in MOVED_FROM and after[i] == "direct answer, correct"
                       for i in range(len(queries)))
    print(f"  of them with another way of asking inside the sentence: {moved_inside} of {swapped} moved")
    report("learning wordings themselves (memorised)", learned_before, learned_after, folds, thresholds)
    wrong = [(held_out[i], after_turns[i]) for i, c in enumerate(after) if c in WRONG]
    wrong += [(learn_on[i][0], learned_turns[i]) for i, c in enumerate(learned_after) if c in WRONG]
    for wording, turn in wrong:  # each one is worth reading: what did learning pull it to?
        top = turn.result.hits[0].doc if turn is not None and turn.result and turn.result.hits else None
        print(f"  wrong after learning: {wording!r} → {top.title if top else '?'!r}")
    if city:
        city_report(city_before, city_after, entries)


_NOT_FOUND = (ReplyKind.NOT_FOUND, ReplyKind.ROUTED, ReplyKind.COMPLAINT, ReplyKind.ABUSE)
# Replies a simulated citizen picks the right entry from: a list, "not found" with related entries,
# and a direct answer with its close rivals under it (a wrong answer's right entry is often there).
_LISTING = (ReplyKind.CHOICES, ReplyKind.ANSWER_FAQ, ReplyKind.ANSWER_ITEM, *_NOT_FOUND)


def report(title: str, before: list[str | None], after: list[str | None], folds: dict[str, list[int]],
           thresholds: dict[str, float]) -> None:
    pairs = [(b, a) for b, a in zip(before, after, strict=True) if b is not None and a is not None]
    n = len(pairs)
    moved = sum(b in MOVED_FROM and a == "direct answer, correct" for b, a in pairs)
    print(f"\n{title}: {n} questions")
    counts_b = collections.Counter(b for b, _ in pairs)
    counts_a = collections.Counter(a for _, a in pairs)
    for name in sorted(set(counts_b) | set(counts_a), key=lambda k: -counts_b[k]):
        print(f"  {name:38s} {counts_b[name]:4d} → {counts_a[name]:4d}")
    wrong_b, wrong_a = sum(counts_b[w] for w in WRONG), sum(counts_a[w] for w in WRONG)
    correct_b, correct_a = counts_b["direct answer, correct"], counts_a["direct answer, correct"]
    print(f"  moved from a list or \"not found\" to a direct correct answer: {moved} ({moved / n:.1%})")
    print(f"  direct correct {correct_b / n:.1%} → {correct_a / n:.1%}; direct wrong {wrong_b / n:.1%} → "
          f"{wrong_a / n:.1%} ({wrong_b} → {wrong_a}); answered at all {sum(counts_b[k] for k in ANSWERED) / n:.1%}"
          f" → {sum(counts_a[k] for k in ANSWERED) / n:.1%}")
    per_fold: dict[str, dict[str, float]] = {}
    for name, members in folds.items():
        mine = [(before[i], after[i]) for i in members if before[i] is not None and after[i] is not None]
        m = max(1, len(mine))
        per_fold[name] = {
            "correct before": sum(b == "direct answer, correct" for b, _ in mine) / m,
            "correct after": sum(a == "direct answer, correct" for _, a in mine) / m,
            "wrong before": sum(b in WRONG for b, _ in mine) / m,
            "wrong after": sum(a in WRONG for _, a in mine) / m,
        }
    labels = [("correct before", True), ("correct after", True), ("wrong before", False), ("wrong after", False)]
    columns = [(label, lambda f, label=label: per_fold[f][label], better) for label, better in labels]
    for line in crossval.format_table(folds, thresholds, columns):
        print(line)


def replay_city(stream: Stream, path: Path) -> list[tuple[str, str]]:
    """(reply kind, entry key when answered directly) for every city message title, fresh citizens."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        title = str(json.loads(line).get("title") or "").strip()
        if not title:
            continue
        turn = stream.fresh(title)
        key = turn.result.hits[0].doc.key if turn.answered and turn.result and turn.result.hits else ""
        out.append((str(turn.kind), key if turn.kind in (ReplyKind.ANSWER_FAQ, ReplyKind.ANSWER_ITEM) else ""))
    return out


def city_report(before: list[tuple[str, str]], after: list[tuple[str, str]], entries: set[int]) -> None:
    changed = [(b, a) for b, a in zip(before, after, strict=True) if b != a]
    learned = {f"faq:{i}" for i in entries}
    direct_b = sum(bool(k) for _, k in before)
    direct_a = sum(bool(k) for _, k in after)
    to_learned = sum(a[1] in learned and a[1] != b[1] for b, a in changed)
    print(f"\n{len(before)} real city messages (no right entry known), replayed before and after learning:")
    print(f"  direct answers {direct_b} → {direct_a}; replies that changed {len(changed)}; now answered directly "
          f"by an entry that gained a 相似问法 (and not before): {to_learned}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--shared", type=Path, default=default_shared())
    parser.add_argument("--citizens", type=int, default=learning.Threshold().min_citizens,
                        help="simulated citizens per question (default: the threshold's minimum)")
    parser.add_argument("--no-city", action="store_true", help="skip the replay of the 2,816 city messages")
    args = parser.parse_args(argv)
    require_shared(args.shared, BANK, QUERIES)
    city = None if args.no_city or not (args.shared / CITY).is_file() else args.shared / CITY
    run(args.shared, args.citizens, city)
    return 0


if __name__ == "__main__":
    sys.exit(main())
