"""Where a message's time goes: py-spy's sampled stacks of the project's workers, by stage.

`bench.load --profile DIR` records the gunicorn workers with `py-spy record -f raw` (one line
per distinct stack, frames root→leaf separated by ";", then the sample count). Each sample is
put in the first stage below whose pattern appears anywhere in its stack, so the order is a
priority: the journal's fsync inside the question log counts as "journal fsync", the masking
inside it as "question-log row", the Redis socket read inside a session load as "Redis".
Samples of idle threads are not recorded by py-spy (a thread waiting on a socket or a lock
counts only while the OS says it runs), so the shares are of CPU time, which is what bounds
throughput on two shared cores.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

# (stage, substrings of a frame "function (path)"), in priority order.
STAGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("journal write + fsync", ("spool.py)",)),
    ("question-log row (mask, hash)", ("build_row (bot/questionlog.py)",)),
    ("question-log writer thread (database)", ("_run (bot/questionlog.py)",)),
    ("Redis round trips", ("redis/",)),
    ("session (de)serialise", ("bot/session.py)",)),
    ("retry folding (Fernet, HMAC)", ("bot/retries.py)",)),
    ("signature check", ("check_signature (",)),
    ("XML parse", ("parse_message (",)),
    ("reply XML render", ("render (bot/wechat/",)),
    ("search (analyze, BM25, policy)", ("decide (knowledge/policy.py)", "analyze (knowledge/")),
    ("reply text (summary, compose)", ("bot/compose.py)", "knowledge/summary.py)", "bot/item_reply.py)",
                                       "knowledge/quotes.py)")),
    ("routing, asks, spelling", ("bot/routing.py)", "knowledge/asks.py)", "knowledge/spelling.py)")),
    ("other conversation", ("bot/conversation.py)",)),
    ("metrics", ("prometheus_client/", "bot/metrics.py)")),
    ("index watcher", ("bot/reload.py)",)),
    ("logging", ("logging/",)),
    ("Flask / werkzeug request handling", ("flask/", "werkzeug/")),
    ("gunicorn (HTTP parse, sockets)", ("gunicorn/",)),
)


def breakdown(raw: Path) -> Counter[str]:
    """Samples per stage in a py-spy raw file."""
    stages: Counter[str] = Counter()
    for line in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        stages[_stage(stack)] += int(count)
    return stages


def _stage(stack: str) -> str:
    for stage, patterns in STAGES:
        if any(pattern in stack for pattern in patterns):
            return stage
    return "other"


def print_breakdown(stages: Counter[str]) -> None:
    total = sum(stages.values()) or 1
    print(f"  CPU samples of the project's processes by stage ({total} samples):")
    for stage, count in stages.most_common():
        print(f"    {stage:<40} {100 * count / total:5.1f} %")
