"""What a shared build costs to make, and a worker to serve, in this tree and in a baseline tree.

    python -m bench.build_cost [--size 20810] [--rounds 3] [--baseline ../main]

Made to measure the term associations in the shared build (`knowledge.served` learns them with
the build, `knowledge.persist` stores them as arrays every worker maps), against a tree that
does not have them; any two trees can be compared. `--size` bank entries are imported into a
fresh PostgreSQL schema (as `bench.load` does). Each tree then, in alternating rounds, in a
fresh child process each time (so neither pays for the other's memory or warm caches):

* **build**: `SharedIndex.write` of the whole knowledge base into a new folder, segmentations
  warm (a first, uncounted build per tree fills the database's segmentation cache): wall and
  CPU time (`time.process_time`), and the folder's size on disk;
* **serve**: a worker's `KnowledgeBase` maps the finished build (no build in that process) and
  answers the 170 development questions through `AnswerPolicy.decide`; its memory then, from
  ``/proc/self/smaps_rollup``: RSS, PSS and USS (private pages: what each further worker adds;
  the mapped build's pages are shared by all workers of the machine), and the time to open.

Medians over the rounds are printed. The machine is shared: compare the two trees of one run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.live import bank_rows
from bench.load import knowledge_schema
from bench.quality import DEV, default_shared, read_jsonl, require_shared

ROOT = Path(__file__).resolve().parent.parent

# Run in the tree measured (`cwd`): only names both trees have.
BUILD = """
import json, sys, time
from pathlib import Path
from knowledge.served import SharedIndex
from knowledge.store import Store
from knowledge.text import TextProcessor
url, root = sys.stdin.readline().strip(), Path(sys.argv[1])
store = Store(url)
shared = SharedIndex(store, TextProcessor(), root)
version = store.kb_version()
name = shared.builds.name(version)
wall, cpu = time.perf_counter(), time.process_time()
assert shared.builds.build(name, lambda folder: shared.write(folder, version))
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
size = sum(p.stat().st_size for p in (root / name).iterdir())
print(json.dumps({"wall": wall, "cpu": cpu, "disk_mb": size / 2**20}))
"""

SERVE = """
import json, sys, time
from pathlib import Path
from knowledge.base import KnowledgeBase
from knowledge.served import SharedIndex
from knowledge.store import Store
url, root = sys.stdin.readline().strip(), Path(sys.argv[1])
questions = json.loads(sys.stdin.readline())
def refuse(*_args):
    raise SystemExit("the serving process would have built the index")
SharedIndex.write = refuse
kb = KnowledgeBase(Store(url), index_dir=root)
kb.processor.analyze("预热")  # jieba's dictionary is not the build's cost
wall = time.perf_counter()
kb.load()
opened = time.perf_counter() - wall
kinds = [kb.decide(q).kind.value for q in questions]
memory = {}
for line in Path("/proc/self/smaps_rollup").read_text().splitlines():
    name, _, rest = line.partition(":")
    if name in ("Rss", "Pss", "Private_Clean", "Private_Dirty"):
        memory[name] = int(rest.split()[0]) / 1024
print(json.dumps({"open": opened, "rss_mb": memory["Rss"], "pss_mb": memory["Pss"],
                  "uss_mb": memory["Private_Clean"] + memory["Private_Dirty"], "kinds": kinds}))
"""


def child(tree: Path, script: str, url: str, root: Path, extra: str = "") -> dict:
    """`script` run by a fresh interpreter in `tree` on the builds folder `root`; its JSON line."""
    done = subprocess.run([sys.executable, "-c", script, str(root)], input=f"{url}\n{extra}", cwd=tree,
                          env={**os.environ, "PYTHONPATH": str(tree)}, capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"{tree}: {done.stderr[-2000:]}")
    result: dict = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--shared", type=Path, default=default_shared())
    parser.add_argument("--size", type=int, default=20810)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline", type=Path, required=True, help="the other checkout (e.g. ../main)")
    args = parser.parse_args(argv)
    require_shared(args.shared, DEV)
    questions = json.dumps([row["query"] for row in read_jsonl(args.shared / DEV)], ensure_ascii=False)
    trees = {"baseline": args.baseline.resolve(), "this tree": ROOT}
    builds: dict[str, list[dict]] = {name: [] for name in trees}
    serves: dict[str, list[dict]] = {name: [] for name in trees}
    print(f"{args.size} entries ({len(bank_rows(args.shared, args.size))} rows), {args.rounds} rounds", flush=True)
    with knowledge_schema(args.size, args.shared) as url, tempfile.TemporaryDirectory() as tmp:
        for name, tree in trees.items():  # warm the segmentation cache in the database; not counted
            child(tree, BUILD, url, Path(tmp) / f"warm-{name.replace(' ', '-')}")
        for n in range(args.rounds):
            for name, tree in (trees.items() if n % 2 == 0 else reversed(trees.items())):
                root = Path(tmp) / f"{name.replace(' ', '-')}-{n}"
                builds[name].append(child(tree, BUILD, url, root))
                serve = child(tree, SERVE, url, root, questions + "\n")  # maps the build just made
                serves[name].append(serve)
                print(f"  round {n + 1} {name}: build {builds[name][-1]['wall']:.1f} s wall, "
                      f"{builds[name][-1]['cpu']:.1f} s CPU; worker USS {serve['uss_mb']:.0f} MB", flush=True)
    print(f"\n  {'tree':<10} {'build wall s':>12} {'build CPU s':>12} {'disk MB':>8} {'open s':>7}"
          f" {'RSS MB':>7} {'PSS MB':>7} {'USS MB':>7}")
    for name in trees:
        b, s = builds[name], serves[name]
        print(f"  {name:<10} {_median(b, 'wall'):>12.2f} {_median(b, 'cpu'):>12.2f} {_median(b, 'disk_mb'):>8.1f}"
              f" {_median(s, 'open'):>7.2f} {_median(s, 'rss_mb'):>7.0f} {_median(s, 'pss_mb'):>7.0f}"
              f" {_median(s, 'uss_mb'):>7.0f}")
    kinds = {name: [s["kinds"] for s in serves[name]] for name in trees}
    same = sum(a == b for a, b in zip(kinds["baseline"][0], kinds["this tree"][0], strict=True))
    print(f"  decisions (answer / list / related / not found) the same in both trees: {same} of "
          f"{len(kinds['this tree'][0])} development questions")
    return 0


def _median(rows: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in rows)


if __name__ == "__main__":
    sys.exit(main())
