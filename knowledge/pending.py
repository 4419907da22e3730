"""Pending changes (待审核): an editor's edits kept aside until a reviewer publishes them.

When review is required (`ADMIN_REVIEW`, on by default) the admin builds the editor's
`KbEditor` with `review=True`. Its batch then runs every edit exactly as it would — same
normalisation, same checks, same refusals — records the calls (`EditBatch.ops`) and the
records they would write, rolls the transaction back and stores one `PendingChange` instead.
Nothing reaches the tables citizens are served from. Publishing replays the calls through the
same write path (`knowledge.review`), so a published change gets its revision and audit event
like any other save.

This module holds what needs no editor: turning edit data into JSON and back, storing a
submission, and reading pending changes for the pages.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from knowledge.models import AuditEvent, PendingChange, Revision, max_chars, utcnow
from knowledge.validation import FaqData, ItemData

STATUS_LABELS = {"pending": "待审核", "published": "已发布", "rejected": "已退回", "superseded": "已被新提交替换",
                 "withdrawn": "已撤回"}
REASON_LIMIT = 2000


def data_json(data: FaqData | ItemData) -> dict[str, Any]:
    """An edit's data as JSON values (dates as ISO text, sequences as lists)."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(data):
        value = getattr(data, f.name)
        if isinstance(value, datetime.date):
            value = value.isoformat()
        elif isinstance(value, tuple):
            value = list(value)
        out[f.name] = value
    return out


def data_from(call: str, values: dict[str, Any]) -> FaqData | ItemData:
    """The inverse of `data_json`: the FAQ or item data a stored call carries."""
    return FaqData(**values) if call == "save_faq" else ItemData(**values)


@dataclass(frozen=True)
class Record:
    """One record a change writes: the same fields a `Revision` keeps."""

    kind: str
    id: int | None  # None for a record the change creates
    action: str
    title: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    @classmethod
    def of(cls, raw: dict[str, Any]) -> Record:
        return cls(**raw)


def latest_revision(session: Session, kind: str, entity_id: int) -> int:
    """The newest revision id of one entry (0: none), the base a later save is compared with."""
    return session.scalar(select(func.max(Revision.id)).where(Revision.kind == kind,
                                                               Revision.entity_id == entity_id)) or 0


def submit(session: Session, ops: list[dict[str, Any]], records: Sequence[Record], *, editor: str | None,
           source: str | None) -> int:
    """Store a submission (in the caller's transaction); returns its id.

    A change to one existing entry replaces the same person's earlier pending change of that
    entry (marked "superseded", still readable): the newest text is what they want reviewed.
    """
    kind, entity_id = (records[0].kind, records[0].id) if len(records) == 1 else (None, None)
    if kind is not None and entity_id is not None:
        session.execute(update(PendingChange).where(
            PendingChange.kind == kind, PendingChange.entity_id == entity_id, PendingChange.status == "pending",
            PendingChange.submitted_by == editor).values(status="superseded", decided_at=utcnow()))
    title = records[0].title if len(records) == 1 else f"{source or '批量修改'}（{len(records)} 条）"
    row = PendingChange(
        status="pending", kind=kind, entity_id=entity_id, title=title[:max_chars(PendingChange.title)],
        count=len(records), ops_json=json.dumps(ops, ensure_ascii=False),
        changes_json=json.dumps([dataclasses.asdict(r) for r in records], ensure_ascii=False),
        base_revision=latest_revision(session, kind, entity_id) if kind and entity_id else 0,
        source=(source or "")[:max_chars(PendingChange.source)] or None, submitted_by=editor, submitted_at=utcnow())
    session.add(row)
    session.flush()
    session.add(AuditEvent(at=row.submitted_at, actor=editor, action="review.submitted", target_kind=kind,
                           target_id=entity_id, detail=f"提交审核 #{row.id}：{title}"[:2000]))
    return row.id


def records_of(change: PendingChange) -> list[Record]:
    return [Record.of(raw) for raw in json.loads(change.changes_json)]


def ops_of(change: PendingChange) -> list[dict[str, Any]]:
    return list(json.loads(change.ops_json))


def get(session: Session, change_id: int) -> PendingChange | None:
    return session.get(PendingChange, change_id)


def waiting_for(session: Session, kind: str, entity_id: int) -> list[PendingChange]:
    """The pending changes of one entry, oldest first (the edit page lists them)."""
    return list(session.scalars(select(PendingChange).where(
        PendingChange.kind == kind, PendingChange.entity_id == entity_id, PendingChange.status == "pending")
        .order_by(PendingChange.id)))


def decided_for(session: Session, kind: str, entity_id: int, limit: int = 20) -> list[PendingChange]:
    """Submissions of one entry that were rejected, withdrawn or replaced (its history keeps them)."""
    return list(session.scalars(select(PendingChange).where(
        PendingChange.kind == kind, PendingChange.entity_id == entity_id,
        PendingChange.status.in_(("rejected", "withdrawn", "superseded"))).order_by(PendingChange.id.desc())
        .limit(limit)))


def count_waiting(session: Session) -> int:
    return session.scalar(select(func.count(PendingChange.id)).where(PendingChange.status == "pending")) or 0


def form_values(change: PendingChange) -> dict[str, Any] | None:
    """The data of a one-entry change's save, for refilling the edit form; None if it is no save."""
    ops = ops_of(change)
    if len(ops) != 1 or ops[0].get("call") not in ("save_faq", "save_item"):
        return None
    return dict(ops[0]["data"])
