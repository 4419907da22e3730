"""The background full build, in a child process of its own (`python -m knowledge.builder`).

A worker serving a delta (`knowledge.served`) starts this to make the build the delta stands
in for; the database URL comes on the first line of standard input. A child process rather
than a thread of the worker because a full build at 20,000
entries is seconds of mostly Python work: in a thread it holds the worker's GIL against the
threads answering citizens and keeps the watcher busy so the next edit waits for it; as a
child (at lower CPU priority) it competes with nobody's interpreter, its memory is returned
when it exits, and a crash takes only the child (the build lock is the kernel's and goes with
it; the temporary folder is never read). It takes the machine's build lock without waiting:
when another process is already building, it exits at once.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from knowledge.served import SharedIndex, build_version
from knowledge.store import Store
from knowledge.text import TextProcessor

log = logging.getLogger("knowledge.builder")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="在后台构建共享索引（由服务进程自动启动）")
    parser.add_argument("--folder", type=Path, required=True)
    parser.add_argument("--name", required=True, help="要构建的版本目录名")
    parser.add_argument("--lexicon-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    os.nice(10)  # citizens' requests first
    store = Store(sys.stdin.readline().strip())  # the URL comes on stdin: `ps` shows arguments
    try:
        shared = SharedIndex(store, TextProcessor(args.lexicon_dir), args.folder)
        if not args.name.endswith(shared.builds.digest):
            log.error("build %s was asked for with another lexicon than this one (%s)", args.name, shared.builds.digest)
            return 2
        built = shared.builds.build(args.name, lambda folder: shared.write(folder, build_version(args.name)),
                                    wait=False)
        return 0 if built else 1
    finally:
        store.engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
