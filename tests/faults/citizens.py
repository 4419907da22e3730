"""Citizens sending messages during a fault, and what they got: an answer, the busy reply, or nothing."""

from __future__ import annotations

import concurrent.futures
import statistics
import uuid
from dataclasses import dataclass, field
from xml.etree import ElementTree

from bot import wording
from tests.faults.processes import deliver, text_message

QUESTIONS = ["怎么申请政府信息公开", "政府信息公开申请要收费吗", "这个公众号能回答什么问题", "依申请公开多久答复",
             "没有公开的信息可以申请吗", "宠物狗疫苗在哪里打", "秸秆焚烧怎么处罚", "申请公开要写哪些内容"]


@dataclass
class Outcomes:
    """Every delivery of one phase; `ok` means an answer or the polite busy reply, nothing else."""

    name: str
    answered: int = 0
    busy: int = 0
    failed: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    keys: set[str] = field(default_factory=set)

    def add(self, status: int, body: str, seconds: float) -> str:
        self.latencies.append(seconds)
        if status != 200:
            self.failed.append(f"HTTP {status} {body[:80]}")
            return ""
        try:
            content = ElementTree.fromstring(body).findtext("Content") or ""
        except ElementTree.ParseError:
            self.failed.append(f"unreadable reply {body[:60]!r}")
            return ""
        if content == wording.BUSY:
            self.busy += 1
        elif content:
            self.answered += 1
        else:
            self.failed.append("empty reply")
        return content

    def summary(self) -> str:
        lat = sorted(self.latencies)
        p50 = statistics.median(lat) if lat else 0.0
        return (f"{self.name}: {len(lat)} deliveries, {self.answered} answered, {self.busy} busy, "
                f"{len(self.failed)} failed; latency p50 {p50:.2f} s, max {max(lat, default=0):.2f} s")


def ask_many(port: int, outcomes: Outcomes, count: int, *, parallel: int = 4, timeout: float = 6.0) -> None:
    """`count` citizens each ask one question at once (`parallel` at a time), as WeChat would post them."""

    def one(n: int) -> tuple[int, str, float]:
        user = f"o_fault_{uuid.uuid4().hex[:12]}"
        msg_id = str(uuid.uuid4().int % 10**18)
        outcomes.keys.add(f"{user}:{msg_id}")
        try:
            return deliver(port, text_message(QUESTIONS[n % len(QUESTIONS)], user, msg_id), timeout=timeout)
        except OSError as exc:
            return 0, f"{type(exc).__name__}: {exc}", timeout

    with concurrent.futures.ThreadPoolExecutor(parallel) as pool:
        for status, body, seconds in pool.map(one, range(count)):
            outcomes.add(status, body, seconds)
