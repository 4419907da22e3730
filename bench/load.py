"""Throughput, latency and memory under load, against the framework floor in the same run.

    python -m bench.load [--sizes 2081 20810] [--rounds 3] [--duration 5] [--connections 16]
                         [--workers 2] [--apps echo naive project] [--profile DIR] [--reload]

Per knowledge-base size (the shared FAQ bank; ×10 with a district prefix per copy for 20,810)
it imports the bank into a fresh PostgreSQL schema and starts, one after the other under the
same gunicorn settings (gthread, `--workers` workers, 4 threads, preloaded app):

* **echo** — a minimal Flask app that checks WeChat's signature, parses the XML and echoes
  the text back: the floor any Flask bot pays for the protocol;
* **naive** — the bot a weekend project would write: WeRoBot (its own signature check, parser
  and replies; sessions off) answering each text with the top entry of rank-bm25's `BM25Okapi`
  over `jieba.lcut` of question + answer, the same rows as the project;
* **project** — this bot (`bot:create_app`) with PostgreSQL and Redis. The rate limits stay on
  (their Redis counters are part of every message's cost) with limits far above the load, so
  every measured message is answered rather than refused as "busy".

wrk (Debian's package) drives each with the same signed text messages: 100 questions (the
shared development questions) from 500 citizens, each request with its own MsgId, nonce and
signature, cycled by a Lua script from a table generated here (wrk cannot compute SHA-1). It
prints requests/s, p50/p99 latency and the PSS of master + workers after the run, side by side,
and the ratios. All apps run at once and are measured in alternating rounds (echo, naive,
project, echo, …; `--rounds` × `--duration` s each), so a change in the machine's other load
hits every app alike; the figures are the rounds' medians and each ratio is the median of the
per-round ratios. Every absolute figure is noisy on a shared machine; the ratios are the stable
ones.

`--baseline DIR` also measures another checkout of the project (a `git worktree` of main, say)
in the same rounds, for a before/after ratio that the machine's load does not skew.
`--reload` then edits one entry (as staff would) and, once every worker of the project (and of the
baseline) maps the new version's shared build, runs one more round of each and prints their PSS:
the memory of an instance after a live reload (`--workers 3` for master + 3 workers).
`--profile DIR` samples the project's workers with py-spy (not a project dependency: `pip
install py-spy`) during the measured run and prints where a message's time goes
(`bench.stages`), keeping the raw stacks in DIR.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy

from bench.after_reload import edit_one_entry, processes, wait_until_mapped
from bench.live import POSTGRES, REDIS, TOKEN, Instance, bank_rows, free_port
from bench.quality import BANK, DEV, default_shared, read_jsonl, require_shared
from bench.stages import breakdown, print_breakdown
from bot.wechat import url_signature
from knowledge.editor import KbEditor
from knowledge.store import Store

ROOT = Path(__file__).resolve().parent.parent
APPS = ("echo", "naive", "project")
ECHO_APP = '''
import time
from flask import Flask, Response, request
from bot.wechat import check_signature, parse_message, render, TextReply

TOKEN = {token!r}
app = Flask("echo")

@app.post("/wechat")
def echo():
    args = request.args
    check_signature(args.get("signature"), TOKEN, args.get("timestamp"), args.get("nonce"))
    message = parse_message(request.get_data())
    return Response(render(TextReply(message.content or ""), message, int(time.time())), mimetype="application/xml")
'''

NAIVE_APP = '''
import json, os
import jieba
from rank_bm25 import BM25Okapi
from werobot import WeRoBot

rows = [json.loads(line) for line in open(os.environ["NAIVE_ROWS"], encoding="utf-8")]
bm25 = BM25Okapi([jieba.lcut(r["question"] + r["answer"]) for r in rows])
robot = WeRoBot(token={token!r}, SESSION_STORAGE=False)

@robot.text
def answer(message):
    scores = bm25.get_scores(jieba.lcut(message.content))
    best = int(scores.argmax())
    return rows[best]["answer"][:600] if scores[best] > 0 else "没有找到相关内容"

app = robot.wsgi
'''

LUA = r'''
-- Each wrk thread sends its own slice of the pregenerated requests (distinct MsgIds), starting
-- at the offset given after "--", so the warm-up never replays what the measured run sends.
local requests = {}
for line in io.lines("%s") do
  local tab = line:find("\t")
  requests[#requests + 1] = wrk.format("POST", line:sub(1, tab - 1), {["Content-Type"] = "text/xml"},
                                       line:sub(tab + 1))
end
local counter = 1
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end
function init(args)
  first = tonumber(args[1]) + (id - 1) * tonumber(args[2])
  slice = tonumber(args[2])
  n = 0
end
function request()
  n = n %% slice + 1
  return requests[first + n]
end
function done(summary, latency, requests)
  io.write(string.format("RESULT %%d %%d %%.1f %%.1f %%d\n", summary.requests, summary.duration,
           latency:percentile(50), latency:percentile(99), summary.errors.status + summary.errors.timeout))
end
'''

PREGENERATED = 40_000  # warm-up: 2 wrk threads x 2,500 lines; then each round its own lines
MAX_ROUNDS = 5  # and one more slice of lines for the round after `--reload`


def signed_requests(questions: list[str], count: int, path: Path) -> None:
    """`count` distinct signed requests (path with query, TAB, XML body), one per line."""
    now = int(time.time())
    with path.open("w", encoding="utf-8") as out:
        for n in range(count):
            nonce = uuid.uuid4().hex[:10]
            query = f"/wechat?signature={url_signature(TOKEN, str(now), nonce)}&timestamp={now}&nonce={nonce}"
            question = questions[n % len(questions)].replace("\n", " ").replace("\t", " ")
            body = (
                f"<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><FromUserName><![CDATA[bench-{n % 500}]]>"
                f"</FromUserName><CreateTime>{now}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
                f"<Content><![CDATA[{question}]]></Content><MsgId>{10**15 + n}</MsgId></xml>"
            )
            out.write(f"{query}\t{body}\n")


PLAIN_CONFIG = '''
import os
bind = os.environ["BIND"]
workers = int(os.environ["WEB_CONCURRENCY"])
worker_class = "gthread"
threads = int(os.environ["GUNICORN_THREADS"])
preload_app = True
timeout = 30
keepalive = 2
'''


def serve(name: str, target: str, env: dict[str, str], workers: int, folder: Path, config: Path,
          cwd: Path = ROOT) -> Instance:
    port = free_port()
    log = folder / f"{name}.log"
    env = {**env, "BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": str(workers), "GUNICORN_THREADS": "4"}
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(config), "--access-logfile", "/dev/null", target],
        cwd=cwd, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True,
    )
    instance = Instance(name, port, process, log)
    end = time.monotonic() + 900  # gunicorn listens once the preloaded app (and its index) is built
    while time.monotonic() < end:
        if process.poll() is not None:
            raise SystemExit(f"bench.load: {name} exited; see {log}")
        try:
            urllib.request.urlopen(instance.url("/wechat"), data=b"", timeout=2)
            break
        except urllib.error.HTTPError:
            break  # any HTTP answer: listening
        except OSError:
            time.sleep(0.5)
    return instance


def stop(instance: Instance) -> None:
    if instance.process.poll() is None:
        os.killpg(instance.process.pid, signal.SIGTERM)
        try:
            instance.process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(instance.process.pid, signal.SIGKILL)


WARM_UP = (0, 2_500)  # (first line, lines per wrk thread)


def round_slice(number: int) -> tuple[int, int]:
    """Round `number`'s lines of the request table: fresh MsgIds each round (a repeated MsgId
    would be a WeChat retry, answered from the stored reply)."""
    per_thread = (PREGENERATED - 2 * WARM_UP[1]) // (2 * (MAX_ROUNDS + 1))
    return 2 * WARM_UP[1] + number * 2 * per_thread, per_thread


def wrk(instance: Instance, script: Path, seconds: int, connections: int, lines: tuple[int, int]) -> str:
    first, per_thread = lines
    return subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script),
                           instance.url(""), "--", str(first), str(per_thread)],
                          capture_output=True, text=True, check=True).stdout


def measure(instance: Instance, script: Path, args: argparse.Namespace, number: int,
            profile: Path | None = None) -> dict[str, float]:
    """One measured round against one app (optionally sampled by py-spy)."""
    spy = None
    if profile is not None:
        # --gil: only samples holding the GIL, i.e. CPU time (a thread waiting on Redis is not work)
        spy = subprocess.Popen(["py-spy", "record", "-s", "-p", str(instance.process.pid), "-f", "raw", "--nolineno",
                                "--gil", "--nonblocking", "-d", str(args.duration), "-o", str(profile)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    out = wrk(instance, script, args.duration, args.connections, round_slice(number))
    if spy is not None:
        spy.wait(60)
    match = re.search(r"RESULT (\d+) (\d+) ([\d.]+) ([\d.]+) (\d+)", out)
    if match is None:
        raise SystemExit(f"bench.load: unexpected wrk output:\n{out}")
    total, micros, p50, p99, errors = match.groups()
    # wrk reports durations in microseconds
    return {"rps": int(total) / (int(micros) / 1e6), "p50": float(p50) / 1e6, "p99": float(p99) / 1e6,
            "errors": int(errors)}


@contextlib.contextmanager
def knowledge_schema(size: int, shared: Path) -> Iterator[str]:
    """A fresh PostgreSQL schema holding `size` bank entries (imported through the write path)."""
    schema = f"bench_load_{uuid.uuid4().hex[:8]}"
    admin = sqlalchemy.create_engine(POSTGRES)
    with admin.begin() as conn:
        conn.execute(sqlalchemy.text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = f"{POSTGRES}?options=-csearch_path%3D{schema}"
        store = Store(url)
        store.migrate()
        with KbEditor(store, editor="bench").batch() as batch:
            for faq in bank_rows(shared, size):
                with contextlib.suppress(ValueError):
                    batch.save_faq(faq)
        store.engine.dispose()
        yield url
    finally:
        with admin.begin() as conn:
            conn.execute(sqlalchemy.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def run_size(size: int, args: argparse.Namespace, tmp: Path, script: Path) -> None:
    rows = tmp / f"rows-{size}.jsonl"
    with rows.open("w", encoding="utf-8") as out:  # the naive bot's rows: the same bank entries
        for faq in bank_rows(args.shared, size):
            out.write(json.dumps({"question": faq.question, "answer": faq.answer}, ensure_ascii=False) + "\n")
    with knowledge_schema(size, args.shared) as url:
        prefix = f"bench:{uuid.uuid4().hex[:8]}:"
        env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": args.redis, "REDIS_KEY_PREFIX": prefix,
               "WECHAT_TOKEN": TOKEN, "LOAD_SAMPLE_KB": "0", "SECRET_KEY": "bench", "USER_HASH_SECRET": "bench",
               "RATE_LIMIT_PER_MINUTE": "1000000", "RATE_LIMIT_GLOBAL_PER_MINUTE": "100000000",
               "LOG_LEVEL": "WARNING", "ZWGK_ENV": "development", "WECHAT_MAX_SKEW": "0",
               "NAIVE_ROWS": str(rows), "PYTHONPATH": f"{tmp}:{ROOT}"}
        targets = {"echo": ("echo_app:app", tmp / "plain_gunicorn.py"),
                   "naive": ("naive_app:app", tmp / "plain_gunicorn.py")}
        folders: dict[str, Path] = {}
        for name, tree in (("project", ROOT), ("baseline", args.baseline)):
            if tree is not None:  # each on its own instance folder and Redis keys, the same database
                folders[name] = tmp / f"{prefix.strip(':')}-{name}"
                targets[name] = (f"bot:create_app(instance_path={str(folders[name])!r})", tree / "gunicorn.conf.py")
        apps = [*args.apps, *(["baseline"] if args.baseline is not None else [])]
        instances: dict[str, Instance] = {}
        rounds: dict[str, list[dict[str, float]]] = {name: [] for name in apps}
        try:
            for name in apps:  # all up at once, so the rounds can alternate between them
                target, config = targets[name]
                folder = tmp / f"{size}-{name}"
                folder.mkdir()
                run_env, cwd = dict(env), ROOT
                if name in ("project", "baseline"):
                    run_env["PROMETHEUS_MULTIPROC_DIR"] = str(folder / "metrics")
                    run_env["REDIS_KEY_PREFIX"] = f"{prefix}{name}:"
                if name == "baseline":
                    cwd = args.baseline
                    run_env["PYTHONPATH"] = f"{tmp}:{args.baseline}"
                instances[name] = serve(name, target, run_env, args.workers, folder, config, cwd)
            for instance in instances.values():
                wrk(instance, script, 3, args.connections, WARM_UP)
            for number in range(args.rounds):
                for name, instance in instances.items():
                    profile = None
                    if name == "project" and args.profile is not None:
                        args.profile.mkdir(parents=True, exist_ok=True)
                        profile = args.profile / f"project-{size}-{number}.txt"
                    rounds[name].append(measure(instance, script, args, number, profile))
            pss = {name: instance.pss_mb() for name, instance in instances.items()}
            if args.reload:
                reloaded = live_reload(url, instances, folders, script, args)
        finally:
            for instance in instances.values():
                stop(instance)
    report(size, args, rounds, pss)
    if args.reload:
        print_reload(reloaded)


def live_reload(url: str, instances: dict[str, Instance], folders: dict[str, Path], script: Path,
                args: argparse.Namespace) -> tuple[int, float, dict[str, dict[str, Any]]]:
    """`--reload`: a staff edit, the wait until every worker maps the new shared build, one more
    round each (the new build's pages in use), then PSS (`bench.after_reload`)."""
    version = edit_one_entry(url)
    watched = {name: (instances[name], folder / "index") for name, folder in folders.items() if name in instances}
    seconds = wait_until_mapped(watched, version)
    after: dict[str, dict[str, Any]] = {}
    for name, (instance, index) in watched.items():
        after[name] = {**measure(instance, script, args, MAX_ROUNDS), "pss": instance.pss_mb(),
                       "processes": processes(instance, index, version)}
    return version, seconds, after


def print_reload(reloaded: tuple[int, float, dict[str, dict[str, Any]]]) -> None:
    version, seconds, after = reloaded
    print(f"  after a live reload (one entry edited; every worker mapped build v{version} {seconds:.1f} s later; "
          "then one round each):")
    for name, result in after.items():
        print(f"    {name:<10} {result['rps']:>7.0f} req/s  p99 {result['p99'] * 1000:.1f} ms  "
              f"PSS master + workers {result['pss']:.0f} MB")
        for line in result["processes"]:
            print(f"      {line}")


def report(size: int, args: argparse.Namespace, rounds: dict[str, list[dict[str, float]]],
           pss: dict[str, float]) -> None:
    print(f"\n{size} entries, {args.workers} workers × 4 threads, {args.connections} connections, "
          f"{args.rounds} alternating rounds of {args.duration} s per app (medians)")
    print(f"  {'app':<10} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'PSS MB':>8}")
    for name, results in rounds.items():
        print(f"  {name:<10} {_median(results, 'rps'):>9.0f} {_median(results, 'p50') * 1000:>8.1f} "
              f"{_median(results, 'p99') * 1000:>8.1f} {sum(r['errors'] for r in results):>7.0f} {pss[name]:>8.0f}")
    for other, note in (("echo", "  (target ≥ 0.5× at 20,810)"), ("naive", ""), ("baseline", "")):
        if "project" in rounds and other in rounds:
            ratios = [p["rps"] / o["rps"] for p, o in zip(rounds["project"], rounds[other], strict=True)]
            shown = ", ".join(f"{r:.2f}" for r in ratios)
            print(f"  project / {other} throughput: {statistics.median(ratios):.2f}× (rounds: {shown}){note}")
    if args.profile is not None:
        files = sorted(args.profile.glob(f"project-{size}-*.txt"))
        if files:
            print_breakdown(sum((breakdown(f) for f in files), Counter()))


def _median(results: list[dict[str, float]], key: str) -> float:
    return statistics.median(r[key] for r in results)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=default_shared())
    parser.add_argument("--sizes", type=int, nargs="+", default=[2081, 20810])
    parser.add_argument("--duration", type=int, default=5, help="seconds per app per round")
    parser.add_argument("--rounds", type=int, default=3, choices=range(1, MAX_ROUNDS + 1))
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--apps", nargs="+", choices=APPS, default=list(APPS))
    parser.add_argument("--profile", type=Path, help="sample the project with py-spy; raw stacks kept here")
    parser.add_argument("--baseline", type=Path, help="another checkout of this project, measured as 'baseline' "
                        "in the same rounds (e.g. a `git worktree` of main) for a before/after ratio")
    parser.add_argument("--reload", action="store_true", help="after the rounds, edit one entry and measure "
                        "PSS once every worker maps the new shared build (use with --workers 3 for the issue's target)")
    parser.add_argument("--redis", default=REDIS)
    args = parser.parse_args(argv)
    require_shared(args.shared, BANK, DEV)
    if shutil.which("wrk") is None:
        raise SystemExit("bench.load: wrk is not installed (apt-get install wrk)")
    if args.profile is not None and shutil.which("py-spy") is None:
        raise SystemExit("bench.load: --profile needs py-spy (pip install py-spy)")
    questions = [row["query"] for row in read_jsonl(args.shared / DEV)][:100]
    tmp = Path(tempfile.mkdtemp(prefix="bench-load-"))
    (tmp / "echo_app.py").write_text(ECHO_APP.format(token=TOKEN), encoding="utf-8")
    (tmp / "naive_app.py").write_text(NAIVE_APP.format(token=TOKEN), encoding="utf-8")
    (tmp / "plain_gunicorn.py").write_text(PLAIN_CONFIG, encoding="utf-8")
    requests = tmp / "requests.tsv"
    signed_requests(questions, PREGENERATED, requests)
    script = tmp / "signed.lua"
    script.write_text(LUA % requests, encoding="utf-8")
    for size in args.sizes:
        run_size(size, args, tmp, script)


if __name__ == "__main__":
    main()
