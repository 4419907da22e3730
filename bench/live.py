"""Time from "save" to the first citizen answer that uses the edit, on every process.

    python -m bench.live [--sizes 2081 20810] [--trials 3] [--second-workers 1]

Per knowledge-base size (the shared FAQ bank; ×10 for 20,810 entries, each copy's questions
prefixed with its own district name) it imports the bank into a fresh PostgreSQL schema,
starts **instance A** (gunicorn, 2 workers) and **instance B** (a second gunicorn on another
port, `--second-workers` workers, default 1), both sharing that schema and Redis, plus an
editor process (the app as `flask kb import` or the admin would build it). Then, per trial,
two clients per instance send signed WeChat messages asking one entry's question without
pause while the editor changes that entry's answer through `KbEditor`; the clock starts
just before the save. Per instance it prints when the first reply carried the new answer and
when the last reply still carried the old one (after that every worker answers with the
edit), and the total PSS of each instance's processes after the reloads. Target: ≤ 2 s.

Both instances run on this machine, so they share one index folder (`INDEX_DIR`, as the README
advises for instances on one machine): each version is built once here and mapped by every
worker of both. All processes share this machine's cores, so the worker rebuilds compete for CPU: the
figures are an upper bound of what separate machines would see.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy

from bench.quality import BANK, default_shared, read_jsonl, require_shared
from bot.wechat import url_signature
from knowledge.editor import FaqData, KbEditor
from knowledge.store import Store

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-live-token"
DISTRICTS = ("", "东城区", "西城区", "南湖区", "北山区", "江北区", "河西区", "新城区", "高新区", "滨海区")
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
REDIS = "redis://127.0.0.1:6379/14"
PACE = 0.05  # seconds between one client's messages: light traffic, fine-grained timing
BUILD_LINE = re.compile(r"knowledge base v\d+ loaded: \d+ documents in ([\d.]+) s \((\d+) texts segmented\)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bank_rows(shared: Path, size: int) -> list[FaqData]:
    rows = read_jsonl(shared / BANK)
    faqs = []
    for copy in range(max(1, size // len(rows))):
        district = DISTRICTS[copy % len(DISTRICTS)]
        prefix = f"{district}" if district else ""
        faqs += [FaqData(question=f"{prefix}{r['question']}", answer=r["answer"]) for r in rows]
    return faqs[:size]


@dataclass
class Instance:
    name: str
    port: int
    process: subprocess.Popen
    log: Path

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def health(self) -> dict | None:
        try:
            with urllib.request.urlopen(self.url("/healthz"), timeout=2) as response:
                return json.load(response)
        except OSError:
            return None

    def pss_mb(self) -> float:
        pids = [self.process.pid]
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        if children.exists():
            pids += [int(p) for p in children.read_text().split()]
        total = 0
        for pid in pids:
            try:
                for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
            except OSError:
                continue
        return total / 1024


def start(name: str, env: dict[str, str], workers: int, instance: Path) -> Instance:
    port = free_port()
    log = instance.parent / f"{name}.log"
    env = {**env, "BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": str(workers), "GUNICORN_THREADS": "4"}
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--access-logfile", "/dev/null",
         f"bot:create_app(instance_path={str(instance)!r})"],
        cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True,
    )
    return Instance(name, port, process, log)


def ask(instance: Instance, question: str, user: str) -> str:
    timestamp, nonce = str(int(time.time())), uuid.uuid4().hex[:10]
    query = f"signature={url_signature(TOKEN, timestamp, nonce)}&timestamp={timestamp}&nonce={nonce}"
    body = (
        f"<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><FromUserName><![CDATA[{user}]]></FromUserName>"
        f"<CreateTime>{timestamp}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{question}]]></Content><MsgId>{uuid.uuid4().int % 10**18}</MsgId></xml>"
    ).encode()
    request = urllib.request.Request(instance.url(f"/wechat?{query}"), data=body, headers={"Content-Type": "text/xml"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read().decode()


@dataclass
class Watch:
    """Replies of one instance during one trial: (sent, received, carried the new answer)."""

    replies: list[tuple[float, float, bool]] = field(default_factory=list)

    def first_new(self, t0: float) -> float | None:
        times = [received - t0 for sent, received, new in self.replies if new]
        return min(times) if times else None

    def last_old(self, t0: float) -> float:
        times = [received - t0 for sent, received, new in self.replies if not new and sent >= t0]
        return max(times, default=0.0)


def trial(instances: list[Instance], editor: KbEditor, faq_id: int, question: str, answer: str) -> dict:
    stamp = f"U{uuid.uuid4().hex[:6].upper()}"
    watches = {inst.name: Watch() for inst in instances}
    stop = threading.Event()
    saved = threading.Event()

    def client(inst: Instance, user: str) -> None:
        while not stop.is_set():
            sent = time.monotonic()
            try:
                reply = ask(inst, question, user)
            except OSError:
                continue
            watches[inst.name].replies.append((sent, time.monotonic(), stamp in reply))
            time.sleep(PACE)

    threads = [threading.Thread(target=client, args=(i, f"bench-{i.name}-{n}")) for i in instances for n in range(2)]
    for thread in threads:
        thread.start()
    time.sleep(1.0)
    t0 = time.monotonic()
    editor.save_faq(FaqData(question=question, answer=f"本条已更新（{stamp}）：{answer}"), faq_id=faq_id)
    saved.set()
    deadline = t0 + 60
    while time.monotonic() < deadline:
        done = all(w.first_new(t0) is not None and w.last_old(t0) < time.monotonic() - t0 - 1.0
                   for w in watches.values())
        if done:
            break
        time.sleep(0.1)
    stop.set()
    for thread in threads:
        thread.join()
    return {name: (w.first_new(t0), w.last_old(t0), len(w.replies)) for name, w in watches.items()}


def pick_entry(instance: Instance, store: Store, faqs: list[FaqData]) -> tuple[int, str, str]:
    """An entry whose own question the bot answers directly (its answer's start is in the reply)."""
    from sqlalchemy import select

    from knowledge.models import FaqEntry

    for faq in faqs[:200]:
        short = faq.answer.strip()[:60]
        if len(short) < 12:
            continue
        reply = ask(instance, faq.question, "bench-pick")
        if short[:10] in reply:
            with store.session() as session:
                row = session.scalars(select(FaqEntry).where(FaqEntry.question == faq.question)).one()
                return row.id, faq.question, short
    raise SystemExit("bench.live: no entry of the bank is answered directly by its own question")


def run_size(size: int, shared: Path, trials: int, second_workers: int, redis_url: str) -> None:
    schema = f"bench_live_{uuid.uuid4().hex[:8]}"
    admin = sqlalchemy.create_engine(POSTGRES)
    with admin.begin() as conn:
        conn.execute(sqlalchemy.text(f'CREATE SCHEMA "{schema}"'))
    url = f"{POSTGRES}?options=-csearch_path%3D{schema}"
    tmp = Path(tempfile.mkdtemp(prefix="bench-live-"))
    instances: list[Instance] = []
    try:
        store = Store(url)
        store.migrate()
        faqs = bank_rows(shared, size)
        started = time.perf_counter()
        with KbEditor(store, editor="bench").batch() as batch:
            for faq in faqs:
                with contextlib.suppress(ValueError):  # the bank's few empty or repeated rows
                    batch.save_faq(faq)
        print(f"\n{size} rows: imported in {time.perf_counter() - started:.1f} s", flush=True)
        env = {
            **os.environ,
            "DATABASE_URL": url, "REDIS_URL": redis_url, "REDIS_KEY_PREFIX": f"bench:{schema}:",
            "WECHAT_TOKEN": TOKEN, "LOAD_SAMPLE_KB": "0", "SECRET_KEY": "bench", "USER_HASH_SECRET": "bench",
            "RATE_LIMIT_PER_MINUTE": "0", "LOG_LEVEL": "INFO", "ZWGK_ENV": "development", "WECHAT_MAX_SKEW": "0",
            "INDEX_DIR": str(tmp / "index"),
        }
        for name, workers in (("A", 2), ("B", second_workers)):
            folder = tmp / name
            folder.mkdir()
            instances.append(start(name, env, workers, folder))
            stored = store.kb_version()
            end = time.monotonic() + 600
            while time.monotonic() < end:
                health = instances[-1].health()
                if health and health["kb_version"] == stored:
                    break
                if instances[-1].process.poll() is not None:
                    raise SystemExit(f"bench.live: instance {name} exited; see {instances[-1].log}")
                time.sleep(0.5)
            assert health is not None
            print(f"  instance {name}: {workers} worker(s), port {instances[-1].port}, {health['documents']} documents",
                  flush=True)
        # The editor is a third process in real life (the admin, `flask kb import`); here a
        # Store with the app's notifier, so other processes hear about the commit at once.
        from bot.reload import Reloader
        from knowledge.base import KnowledgeBase, shared_processor

        editor_store = Store(url)
        notifier = Reloader(KnowledgeBase(editor_store, shared_processor()), redis_url=redis_url,
                            prefix=env["REDIS_KEY_PREFIX"])
        editor_store.on_kb_change(notifier.notify)
        faq_id, question, answer = pick_entry(instances[0], store, faqs)
        editor = KbEditor(editor_store, editor="bench")
        results = [trial(instances, editor, faq_id, question, answer) for _ in range(trials)]
        print(f"  {'instance':<10} {'first new answer (s)':>24} {'last old answer (s)':>22} {'replies':>8}")
        for inst in instances:
            firsts = [r[inst.name][0] for r in results]
            lasts = [r[inst.name][1] for r in results]
            count = sum(r[inst.name][2] for r in results)
            shown = " / ".join("none" if f is None else f"{f:.2f}" for f in firsts)
            print(f"  {inst.name:<10} {shown:>24} {' / '.join(f'{v:.2f}' for v in lasts):>22} {count:>8}")
        worst = max(max(r[i.name][1] for i in instances) for r in results)
        med = statistics.median(max(r[i.name][1] for i in instances) for r in results)
        print(f"  every process answers with the edit after: median {med:.2f} s, worst {worst:.2f} s (target <= 2 s)")
        for inst in instances:
            builds = [(float(m[1]), int(m[2])) for m in BUILD_LINE.finditer(inst.log.read_text())][-trials * 2:]
            shown = ", ".join(f"{sec:.2f} s/{seg}" for sec, seg in builds)
            print(f"  instance {inst.name}: PSS after the reloads {inst.pss_mb():.0f} MB; "
                  f"last rebuilds in the workers (seconds/texts segmented): {shown}")
    finally:
        for inst in instances:
            if inst.process.poll() is None:
                os.killpg(inst.process.pid, signal.SIGTERM)
                try:
                    inst.process.wait(30)
                except subprocess.TimeoutExpired:
                    os.killpg(inst.process.pid, signal.SIGKILL)
        with admin.begin() as conn:
            conn.execute(sqlalchemy.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=default_shared())
    parser.add_argument("--sizes", type=int, nargs="+", default=[2081, 20810])
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument("--second-workers", type=int, default=1)
    parser.add_argument("--redis", default=REDIS)
    args = parser.parse_args(argv)
    require_shared(args.shared, BANK)
    for size in args.sizes:
        run_size(size, args.shared, args.trials, args.second_workers, args.redis)


if __name__ == "__main__":
    main()
