"""Memory after a live reload: what `bench.load --reload` measures once its rounds are done.

A staff edit (one entry's answer changed through `KbEditor`, as the admin saves it) bumps the
knowledge-base version; every worker then serves the edit as a delta on the mapped build while
one low-priority child makes the next full build, which every worker maps in turn
(`knowledge.shared`). Only then is the memory what a running instance holds between edits —
measured earlier, it would count the delta and the builder child, or a build still unmapped.
So the wait below ends when every worker of every instance maps a file of the new version's
build (`/proc/<pid>/maps` names it: `<index>/v<version>-…/`), checked from outside, without
asking the app anything a production instance would not be asked.
"""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import select

from bench.live import Instance
from knowledge.editor import FaqData, KbEditor
from knowledge.models import FaqEntry
from knowledge.store import Store


def edit_one_entry(url: str) -> int:
    """Change the first entry's answer as staff would; returns the new knowledge-base version."""
    store = Store(url)
    try:
        with store.session() as session:
            entry = session.scalars(select(FaqEntry).order_by(FaqEntry.id).limit(1)).one()
            faq_id, question, answer = entry.id, entry.question, entry.answer
        KbEditor(store, editor="bench").save_faq(FaqData(question=question, answer=f"{answer}（已更新）"),
                                                  faq_id=faq_id)
        return store.kb_version()
    finally:
        store.engine.dispose()


def workers(instance: Instance) -> list[int]:
    """The gunicorn workers: the master's direct children (a builder is a worker's child)."""
    children = Path(f"/proc/{instance.process.pid}/task/{instance.process.pid}/children")
    try:
        return [int(pid) for pid in children.read_text().split()]
    except OSError:
        return []


def maps_version(pid: int, index_dir: Path, version: int) -> bool:
    """Does process `pid` map a file of version `version`'s shared build?"""
    marker = f"{index_dir}/v{version}-"
    try:
        with open(f"/proc/{pid}/maps", encoding="utf-8", errors="replace") as maps:
            return any(marker in line for line in maps)
    except OSError:
        return False


def processes(instance: Instance, index_dir: Path, version: int) -> list[str]:
    """Per process of the instance: PSS (anonymous = heap, file = mapped build and code) in MB,
    and which builds it still maps — where the memory after a reload sits."""
    lines = []
    for pid in [instance.process.pid, *workers(instance)]:
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
            maps = Path(f"/proc/{pid}/maps").read_text()
        except OSError:
            continue
        kb = {line.split(":")[0]: int(line.split()[1]) for line in rollup if line.endswith("kB")}
        builds = sorted({part.split("/")[0] for part in maps.split(f"{index_dir}/")[1:]})
        role = "master" if pid == instance.process.pid else "worker"
        mb = {key: kb.get(key, 0) / 1024 for key in ("Pss", "Pss_Anon", "Pss_File", "Rss")}
        lines.append(f"{role} {pid}: PSS {mb['Pss']:.0f} MB (anonymous {mb['Pss_Anon']:.0f}, files "
                     f"{mb['Pss_File']:.0f}), RSS {mb['Rss']:.0f} MB; builds mapped: {', '.join(builds) or 'none'}")
    return lines


def wait_until_mapped(instances: dict[str, tuple[Instance, Path]], version: int, timeout: float = 300.0) -> float:
    """Seconds until every worker of every instance maps version `version`'s build (each with
    its index folder); raises SystemExit on timeout."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if all(pids and all(maps_version(pid, index, version) for pid in pids)
               for pids, index in ((workers(inst), index) for inst, index in instances.values())):
            return time.monotonic() - started
        time.sleep(0.5)
    raise SystemExit(f"bench.load: the workers did not map build v{version} within {timeout:.0f} s")
