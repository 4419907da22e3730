"""Throughput, latency and memory under load, against the framework floor in the same run.

    python -m bench.load [--sizes 2081 20810] [--duration 15] [--connections 16] [--workers 2]

Per knowledge-base size (the shared FAQ bank; ×10 with a district prefix per copy for 20,810)
it imports the bank into a fresh PostgreSQL schema and starts, one after the other under the
same gunicorn settings (gthread, `--workers` workers, 4 threads, Redis):

* **echo** — a minimal Flask app that checks WeChat's signature, parses the XML and echoes
  the text back: the floor any Flask bot pays for the protocol;
* **project** — this bot (`bot:create_app`).

wrk (Debian's package) drives each with the same signed text messages: 100 questions (the
shared development questions), each request with its own MsgId, nonce and signature, cycled
by a Lua script from a table generated here (wrk cannot compute SHA-1). It prints requests/s,
p50/p99 latency and the PSS of master + workers after the run, side by side, and the ratio
project/echo. The machine's other load makes every figure noisy; the ratio is the stable one.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import sqlalchemy

from bench.live import POSTGRES, REDIS, TOKEN, Instance, bank_rows, free_port
from bench.quality import BANK, DEV, default_shared, read_jsonl, require_shared
from bot.wechat import url_signature
from knowledge.editor import KbEditor
from knowledge.store import Store

ROOT = Path(__file__).resolve().parent.parent
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

PREGENERATED = 40_000  # warm-up: 2 threads x 5,000 from 0; measured run: 2 threads x 15,000 from 10,000


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


ECHO_CONFIG = '''
import os
bind = os.environ["BIND"]
workers = int(os.environ["WEB_CONCURRENCY"])
threads = int(os.environ["GUNICORN_THREADS"])
preload_app = True
timeout = 30
'''


def serve(name: str, target: str, env: dict[str, str], workers: int, folder: Path, config: Path) -> Instance:
    port = free_port()
    log = folder / f"{name}.log"
    env = {**env, "BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": str(workers), "GUNICORN_THREADS": "4"}
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(config), "--access-logfile", "/dev/null", target],
        cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True,
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


def drive(instance: Instance, script: Path, duration: int, connections: int) -> dict[str, float]:
    subprocess.run(["wrk", "-t2", f"-c{connections}", "-d3s", "-s", str(script), instance.url(""), "--", "0", "5000"],
                   capture_output=True, text=True, check=False)  # warm-up
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--timeout", "10s", "-s", str(script),
                          instance.url(""), "--", "10000", "15000"], capture_output=True, text=True, check=True).stdout
    match = re.search(r"RESULT (\d+) (\d+) ([\d.]+) ([\d.]+) (\d+)", out)
    if match is None:
        raise SystemExit(f"bench.load: unexpected wrk output:\n{out}")
    total, micros, p50, p99, errors = match.groups()
    # wrk reports durations in microseconds
    return {"rps": int(total) / (int(micros) / 1e6), "p50": float(p50) / 1e6, "p99": float(p99) / 1e6,
            "errors": int(errors), "pss": instance.pss_mb()}


def run_size(size: int, shared: Path, args: argparse.Namespace, tmp: Path, script: Path) -> None:
    schema = f"bench_load_{uuid.uuid4().hex[:8]}"
    admin = sqlalchemy.create_engine(POSTGRES)
    with admin.begin() as conn:
        conn.execute(sqlalchemy.text(f'CREATE SCHEMA "{schema}"'))
    url = f"{POSTGRES}?options=-csearch_path%3D{schema}"
    try:
        store = Store(url)
        store.migrate()
        with KbEditor(store, editor="bench").batch() as batch:
            for faq in bank_rows(shared, size):
                with contextlib.suppress(ValueError):
                    batch.save_faq(faq)
        store.engine.dispose()
        env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": args.redis, "REDIS_KEY_PREFIX": f"bench:{schema}:",
               "WECHAT_TOKEN": TOKEN, "LOAD_SAMPLE_KB": "0", "SECRET_KEY": "bench", "USER_HASH_SECRET": "bench",
               "RATE_LIMIT_PER_MINUTE": "0", "LOG_LEVEL": "WARNING", "ZWGK_ENV": "development", "WECHAT_MAX_SKEW": "0",
               "PYTHONPATH": str(ROOT)}
        results = {}
        project_app = f"bot:create_app(instance_path={str(tmp / schema)!r})"
        configs = {"echo": tmp / "echo_gunicorn.py", "project": ROOT / "gunicorn.conf.py"}  # same settings
        for name, target in (("echo", "echo_app:app"), ("project", project_app)):
            folder = tmp / f"{schema}-{name}"
            folder.mkdir()
            run_env = {**env, "PYTHONPATH": f"{tmp}:{ROOT}"}
            if name == "project":
                run_env["PROMETHEUS_MULTIPROC_DIR"] = str(folder / "metrics")
            instance = serve(name, target, run_env, args.workers, folder, configs[name])
            try:
                results[name] = drive(instance, script, args.duration, args.connections)
            finally:
                stop(instance)
        echo, project = results["echo"], results["project"]
        print(f"\n{size} entries, {args.workers} workers × 4 threads, {args.connections} connections, "
              f"{args.duration} s per app")
        print(f"  {'app':<10} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'PSS MB':>8}")
        for name, r in results.items():
            print(f"  {name:<10} {r['rps']:>9.0f} {r['p50'] * 1000:>8.1f} {r['p99'] * 1000:>8.1f} "
                  f"{r['errors']:>7} {r['pss']:>8.0f}")
        print(f"  project / echo throughput: {project['rps'] / echo['rps']:.2f}×  (target ≥ 0.5× at 20,810)")
    finally:
        with admin.begin() as conn:
            conn.execute(sqlalchemy.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=default_shared())
    parser.add_argument("--sizes", type=int, nargs="+", default=[2081, 20810])
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--redis", default=REDIS)
    args = parser.parse_args(argv)
    require_shared(args.shared, BANK, DEV)
    if shutil.which("wrk") is None:
        raise SystemExit("bench.load: wrk is not installed (apt-get install wrk)")
    questions = [row["query"] for row in read_jsonl(args.shared / DEV)][:100]
    tmp = Path(tempfile.mkdtemp(prefix="bench-load-"))
    (tmp / "echo_app.py").write_text(ECHO_APP.format(token=TOKEN), encoding="utf-8")
    (tmp / "echo_gunicorn.py").write_text(ECHO_CONFIG, encoding="utf-8")
    requests = tmp / "requests.tsv"
    signed_requests(questions, PREGENERATED, requests)
    script = tmp / "signed.lua"
    script.write_text(LUA % requests, encoding="utf-8")
    for size in args.sizes:
        run_size(size, args.shared, args, tmp, script)


if __name__ == "__main__":
    main()
