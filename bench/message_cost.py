"""What one signed text message costs, stage by stage, through the real app.

    python -m bench.message_cost [--size 20810] [--messages 2000] [--memory]

Imports `--size` bank entries into a fresh PostgreSQL schema (as `bench.load` does), builds the
app with Redis (or the in-process store with `--memory`) and posts signed text messages — the
100 shared development questions from 500 citizens, each with its own MsgId — one after the
other through Flask's test client. Sequential on purpose: no thread waits for another, so each
stage's wall time is its own cost. Stages are timed by wrapping the functions that do them
(inclusive times: "conversation" contains the session, rate-limit and search rows below it);
"rest" is the request's total minus the outermost stages (Flask, the test client, the thread
hand-off, metrics hooks). Redis and fsync are waits, not CPU: under load other threads run
meanwhile, so they cost latency more than throughput. The CPU column is each stage's thread
CPU time; the last line is the process's CPU time per message over all its threads (the
question log's writer too, which works after the reply), which is what bounds throughput on a
busy machine — compare it between trees rather than the wall times.
"""

from __future__ import annotations

import argparse
import functools
import os
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.live import REDIS, TOKEN
from bench.load import knowledge_schema
from bench.quality import BANK, DEV, default_shared, read_jsonl, require_shared
from bot.wechat import url_signature

TIMES: dict[str, float] = defaultdict(float)
CPU: dict[str, float] = defaultdict(float)
CALLS: dict[str, int] = defaultdict(int)

# (label, module, attribute path): what is wrapped; indented labels are inside the one above.
STAGES: tuple[tuple[str, str, str], ...] = (
    ("signature check", "bot.webhook", "check_signature"),
    ("XML parse", "bot.webhook", "parse_message"),
    ("retry folding: stored reply?", "bot.retries", "RetryFolding.reply"),
    ("retry folding: claim", "bot.retries", "RetryFolding.claim"),
    ("conversation (whole turn)", "bot.conversation", "Conversation.respond"),
    ("  rate limits", "bot.conversation", "Conversation._limited"),
    ("  session load", "bot.session", "Sessions.load"),
    ("  session save (mask + write)", "bot.session", "Sessions.save"),
    ("  search (AnswerPolicy.decide)", "knowledge.policy", "AnswerPolicy.decide"),
    ("  reply text (answer, summary)", "bot.conversation", "Conversation._answer"),
    ("reply XML render", "bot.webhook", "render"),
    ("question log: row (mask, hash)", "bot.questionlog", "QuestionLog.build_row"),
    ("question log: journal write + fsync", "bot.spool", "Journal.append"),
    ("retry folding: store reply", "bot.retries", "RetryFolding.store_reply"),
    ("turn state: open (one round trip)", "bot.turnstate", "TurnState.open"),
    ("turn state: close (one round trip)", "bot.turnstate", "TurnState.close"),
    ("question-log writer thread (database)", "bot.questionlog", "QuestionLog._write"),
)
WRITER = "question-log writer thread (database)"  # its own thread, after the reply: CPU, not latency
OUTER = {"signature check", "XML parse", "retry folding: stored reply?", "retry folding: claim",
         "conversation (whole turn)", "reply XML render", "question log: row (mask, hash)",
         "question log: journal write + fsync", "retry folding: store reply",
         "turn state: open (one round trip)", "turn state: close (one round trip)"}


def _timed(label: str, function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started, cpu = time.perf_counter(), time.thread_time()
        try:
            return function(*args, **kwargs)
        finally:
            TIMES[label] += time.perf_counter() - started
            CPU[label] += time.thread_time() - cpu
            CALLS[label] += 1

    return wrapper


def instrument() -> list[str]:
    """Wrap every stage that exists in this tree; returns the labels wrapped."""
    import importlib

    wrapped = []
    for label, module_name, path in STAGES:
        try:
            owner: Any = importlib.import_module(module_name)
        except ImportError:
            continue
        *parents, name = path.split(".")
        for parent in parents:
            owner = getattr(owner, parent, None)
        if owner is None or not hasattr(owner, name):
            continue
        setattr(owner, name, _timed(label, getattr(owner, name)))
        wrapped.append(label)
    return wrapped


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=default_shared())
    parser.add_argument("--size", type=int, default=20810)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--memory", action="store_true", help="in-process state store instead of Redis")
    parser.add_argument("--redis", default=REDIS)
    args = parser.parse_args(argv)
    require_shared(args.shared, BANK, DEV)
    questions = [row["query"] for row in read_jsonl(args.shared / DEV)][:100]
    wrapped = instrument()  # before the app imports the names it calls
    from bot import create_app
    from bot.runtime import get_runtime
    from bot.startup import prepare

    with knowledge_schema(args.size, args.shared) as url, tempfile.TemporaryDirectory() as instance:
        env = {"DATABASE_URL": url, "WECHAT_TOKEN": TOKEN, "LOAD_SAMPLE_KB": "0", "SECRET_KEY": "bench",
               "USER_HASH_SECRET": "bench", "LOG_LEVEL": "WARNING", "WECHAT_MAX_SKEW": "0",
               "RATE_LIMIT_PER_MINUTE": "1000000", "RATE_LIMIT_GLOBAL_PER_MINUTE": "100000000",
               "PROMETHEUS_MULTIPROC_DIR": os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")}
        if not args.memory:
            env |= {"REDIS_URL": args.redis, "REDIS_KEY_PREFIX": f"bench:{uuid.uuid4().hex[:8]}:"}
        app = create_app({k: v for k, v in env.items() if v}, instance_path=instance)
        prepare(app, announce=False)
        client = app.test_client()
        total = 0.0
        process_cpu = time.process_time()
        warm = min(200, args.messages // 5)
        for n in range(warm + args.messages):
            if n == warm:  # the first messages warm caches and connections: not counted
                get_runtime(app).questions.flush()
                TIMES.clear()
                CPU.clear()
                CALLS.clear()
                total = 0.0
                process_cpu = time.process_time()
            timestamp, nonce = str(int(time.time())), uuid.uuid4().hex[:10]
            query = f"signature={url_signature(TOKEN, timestamp, nonce)}&timestamp={timestamp}&nonce={nonce}"
            body = (f"<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><FromUserName><![CDATA[bench-{n % 500}]]>"
                    f"</FromUserName><CreateTime>{timestamp}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
                    f"<Content><![CDATA[{questions[n % len(questions)]}]]></Content><MsgId>{n}</MsgId></xml>")
            started = time.perf_counter()
            response = client.post(f"/wechat?{query}", data=body.encode("utf-8"), content_type="text/xml")
            total += time.perf_counter() - started
            assert response.status_code == 200, response.status_code
        get_runtime(app).questions.flush()
        process_cpu = time.process_time() - process_cpu
    count = args.messages
    store = "in-process store" if args.memory else "Redis"
    print(f"\n{args.size} entries, {store}, {count} signed text messages one after the other")
    print(f"  {'stage':<40} {'ms/message':>10} {'CPU ms':>8} {'calls/message':>14}")
    outer = outer_cpu = 0.0
    for label in wrapped:
        if CALLS[label] == 0:
            continue
        if label in OUTER:
            outer += TIMES[label]
            outer_cpu += CPU[label]
        print(f"  {label:<40} {1000 * TIMES[label] / count:>10.2f} {1000 * CPU[label] / count:>8.2f} "
              f"{CALLS[label] / count:>14.2f}")
    rest_cpu = process_cpu - outer_cpu - CPU[WRITER]
    print(f"  {'rest (Flask, test client, hand-off)':<40} {1000 * (total - outer) / count:>10.2f} "
          f"{1000 * rest_cpu / count:>8.2f}")
    print(f"  {'whole request':<40} {1000 * total / count:>10.2f}")
    print(f"  {'process CPU, all threads (writer too)':<40} {'':>10} {1000 * process_cpu / count:>8.2f}")

if __name__ == "__main__":
    main()
