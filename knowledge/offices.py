"""The 办事机构 directory: who handles what, with phone, address and hours; staff keep it current.

A question about a service the knowledge base does not cover is better answered with "这件事一般
由 X 办理，电话 …" than with the 依申请公开 boilerplate (`bot.routing` decides when). The
directory lives in the `office` table; staff import it from a JSONL or CSV file
(`flask offices import`, headers in Chinese or English) and export it back. A fresh database
gets the bundled `knowledge/data/offices/offices.jsonl`: the township's 便民服务中心 (contacts
left empty for staff, the township's own settings fill in) and the national service lines
(12345, 12333, 12393, 12329, 12366, 12315, 12367), which are the same everywhere.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, select

from knowledge.models import Office
from knowledge.store import Store

log = logging.getLogger(__name__)

BUNDLED = Path(__file__).parent / "data" / "offices" / "offices.jsonl"
FIELDS = {  # header (Chinese or English) -> attribute
    "名称": "name", "name": "name", "机构": "name",
    "办理事项": "handles", "handles": "handles", "事项": "handles",
    "电话": "phone", "phone": "phone",
    "地址": "address", "address": "address",
    "办公时间": "hours", "hours": "hours",
}
_SEPARATORS = re.compile(r"[\s、，,；;/]+")


@dataclass(frozen=True)
class OfficeEntry:
    name: str
    handles: tuple[str, ...]
    phone: str = ""
    address: str = ""
    hours: str = ""

    def to_json(self) -> dict[str, str]:
        return {"名称": self.name, "办理事项": " ".join(self.handles), "电话": self.phone,
                "地址": self.address, "办公时间": self.hours}


class OfficeFileError(ValueError):
    """A directory file that cannot be imported; the message says which row and why, in Chinese."""


def split_handles(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(h for h in _SEPARATORS.split(text or "") if h))


def parse_records(records: Iterable[dict[str, object]], source: str) -> list[OfficeEntry]:
    """Validate rows; any bad row rejects the whole file (a half-imported directory misroutes)."""
    entries: dict[str, OfficeEntry] = {}
    for number, record in enumerate(records, start=1):
        row: dict[str, str] = {}
        for key, value in record.items():
            field = FIELDS.get(str(key).strip()) or FIELDS.get(str(key).strip().lower())
            if field:
                row[field] = str(value or "").strip()
        name, handles = row.get("name", ""), split_handles(row.get("handles", ""))
        if not name:
            raise OfficeFileError(f"{source} 第{number}行：缺少“名称”")
        if not handles:
            raise OfficeFileError(f"{source} 第{number}行（{name}）：缺少“办理事项”")
        if name in entries:
            raise OfficeFileError(f"{source} 第{number}行：名称“{name}”重复")
        entries[name] = OfficeEntry(name, handles, row.get("phone", ""), row.get("address", ""), row.get("hours", ""))
    if not entries:
        raise OfficeFileError(f"{source}：没有任何机构")
    return list(entries.values())


def read_file(path: Path) -> list[OfficeEntry]:
    """Entries of a `.jsonl` or `.csv` (UTF-8 or GBK) directory file."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise OfficeFileError(f"无法读取 {path}：{exc.strerror or exc}") from None
    for encoding in ("utf-8-sig", "gbk"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise OfficeFileError(f"{path}：无法识别的文字编码（请保存为 UTF-8）")
    if path.suffix.lower() == ".csv":
        return parse_records(csv.DictReader(io.StringIO(text)), path.name)
    if path.suffix.lower() in {".jsonl", ".json"}:
        records = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                raise OfficeFileError(f"{path.name} 第{number}行：不是有效的 JSON") from None
            if not isinstance(record, dict):
                raise OfficeFileError(f"{path.name} 第{number}行：应为一个对象")
            records.append(record)
        return parse_records(records, path.name)
    raise OfficeFileError(f"{path.name}：只支持 .jsonl 或 .csv 文件")


def replace_all(store: Store, entries: list[OfficeEntry], editor: str | None = None) -> None:
    """The directory becomes exactly `entries`, in one transaction."""
    with store.session() as session:
        session.execute(delete(Office))
        for position, e in enumerate(entries):
            session.add(Office(name=e.name, handles=" ".join(e.handles), phone=e.phone, address=e.address,
                               hours=e.hours, position=position, editor=editor))


def load_entries(store: Store) -> list[OfficeEntry]:
    with store.session() as session:
        rows = session.scalars(select(Office).order_by(Office.position, Office.id)).all()
        return [OfficeEntry(r.name, split_handles(r.handles), r.phone or "", r.address or "", r.hours or "")
                for r in rows]


def seed_if_empty(store: Store) -> bool:
    """Fill an empty directory with the bundled one; True when this call did."""
    with store.session() as session:
        if session.execute(select(Office.id).limit(1)).first():
            return False
    try:
        replace_all(store, read_file(BUNDLED), editor="示例数据")
    except Exception:  # another worker seeded at the same moment (unique name): theirs stands
        log.info("office directory was seeded by another process")
        return False
    return True


class OfficeDirectory:
    """The directory as the conversation reads it: re-read at most every `ttl` seconds.

    A failing read keeps the last good copy (routing is help, never a reason to fail a reply).
    """

    def __init__(self, store: Store, ttl: float = 5.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self.ttl = ttl
        self.clock = clock
        self._entries: list[OfficeEntry] = []
        self._read_at: float | None = None
        self._lock = threading.Lock()

    def __call__(self) -> list[OfficeEntry]:
        now = self.clock()
        if self._read_at is None or now - self._read_at >= self.ttl:
            with self._lock:
                try:
                    self._entries = load_entries(self.store)
                except Exception:
                    log.exception("office directory unavailable; using the last copy")
                self._read_at = now
        return self._entries
