"""A batch of edits in one transaction: the mechanics behind `knowledge.editor.KbEditor`.

`EditBatch` normalises and checks each edit, applies it to the rows, and remembers what it
wrote (before and after) so that `finish` can record revisions and audit events once new rows
have their ids. Under review it also records each successful call (`ops`), which is what a
pending change replays when a reviewer publishes it (`knowledge.pending`, `knowledge.review`).
Staff and scripts use `KbEditor`, not this class directly.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge import pending
from knowledge.keyindex import KeyIndex
from knowledge.models import DisclosureItem, FaqEntry, Revision, max_chars, utcnow
from knowledge.revisions import dumps, kind_of, loads, record_history, snapshot, title_of
from knowledge.validation import (
    EditError,
    FaqData,
    ItemData,
    clean_text,
    normalize_faq,
    normalize_item,
    question_key,
)

_Row = TypeVar("_Row", FaqEntry, DisclosureItem)


class Change(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


# -- editing ------------------------------------------------------------------------------------

# Every ItemData field but the title (which is always given), in declaration order.
ITEM_FIELDS = tuple(f.name for f in dataclasses.fields(ItemData) if f.name != "title")
_NULLABLE = {"url", "category", "index_number", "doc_number", "publisher", "disclosure_period", "office",
             "valid_until", "status"}
TRASH_DAYS = 30  # a deleted entry stays restorable in the 回收站 this long


@dataclass(frozen=True)
class EditResult:
    """What one save did; `id` is known once the batch has flushed or committed."""

    row: FaqEntry | DisclosureItem
    change: Change
    pending: int | None = None  # the pending change it was stored as, under review

    @property
    def id(self) -> int | None:
        return self.row.id


def _apply(row: object, values: dict[str, object]) -> bool:
    """Set the given attributes; True if any of them changed (None and '' are the same 'empty')."""
    changed = False
    for name, value in values.items():
        value = None if value == "" and name in _NULLABLE else value
        if _blank(getattr(row, name)) != _blank(value):
            setattr(row, name, value)
            changed = True
    return changed


def _blank(value: object) -> object:
    return None if value is None or value == "" else value


def _item_keys(url: str | None, index_number: str | None, title: str) -> list[tuple[str, str]]:
    """Identity of an item: its url and 索引号, or — having neither — its title."""
    keys = [("url", url)] if url else []
    keys += [("no", index_number)] if index_number else []
    return keys or [("title", title)]


def _label(model: type[FaqEntry] | type[DisclosureItem]) -> str:
    return "问答" if model is FaqEntry else "公开信息"


@dataclass
class _Written:
    row: FaqEntry | DisclosureItem
    action: str
    before: str | None
    after: str | None


class EditBatch:
    """Edits inside one transaction; see `KbEditor.batch`.

    Existing rows are read once per batch (lazily) into dictionaries, so that a 2,000-row
    import does not pay a query — and an autoflush — per row. Every check that can reject a
    row runs before the row is touched, so a rejected row never spoils the transaction.
    Each change is remembered and written as a `Revision` plus an `AuditEvent` when the batch
    ends (`finish`), once the new rows have their ids.
    """

    def __init__(self, session: Session, editor: str | None, source: str | None = None, *,
                 propose: bool = False) -> None:
        self.session = session
        self.editor = clean_text(editor, single_line=True)[:max_chars(FaqEntry.editor)] or None
        self.source = source
        self.changes = 0
        self._faqs: KeyIndex[str, FaqEntry] | None = None
        self._items: dict[tuple[str, str], DisclosureItem] | None = None
        self._written: list[_Written] = []
        # Under review: every successful call, as JSON, to replay when a reviewer publishes.
        self.ops: list[dict[str, Any]] | None = [] if propose else None
        self.pending_id: int | None = None  # set when the batch was stored as a pending change

    def _op(self, call: str, **args: Any) -> None:
        if self.ops is not None:
            if "data" in args:
                args["data"] = pending.data_json(args["data"])
            self.ops.append({"call": call, **args})

    def records(self) -> list[pending.Record]:
        """What this batch has written so far, as a pending change keeps it (call before rolling back)."""
        return [pending.Record(kind=kind_of(w.row), id=None if w.action == "created" else w.row.id,
                               action=w.action, title=title_of(w.row), before=loads(w.before), after=loads(w.after))
                for w in self._written]

    def _faq_index(self) -> KeyIndex[str, FaqEntry]:
        if self._faqs is None:
            def one(key: str) -> FaqEntry | None:
                with self.session.no_autoflush:
                    return self.session.scalars(select(FaqEntry).where(FaqEntry.question_key == key)).first()

            def every() -> list[tuple[str, FaqEntry]]:
                with self.session.no_autoflush:
                    return [(f.question_key, f) for f in self.session.scalars(select(FaqEntry))]

            self._faqs = KeyIndex(one, every)
        return self._faqs

    def _item_index(self) -> dict[tuple[str, str], DisclosureItem]:
        if self._items is None:
            with self.session.no_autoflush:
                items = list(self.session.scalars(select(DisclosureItem)))
            self._items = {k: i for i in reversed(items) for k in _item_keys(i.url, i.index_number, i.title)}
        return self._items

    def _get(self, model: type[_Row], row_id: int) -> _Row:
        row = self.session.get(model, row_id)
        if row is None:
            raise EditError(f"找不到编号为 {row_id} 的{_label(model)}")
        return row

    def _saved(self, row: FaqEntry | DisclosureItem, values: dict[str, object], action: str | None = None,
               ) -> EditResult:
        if row.id is None and row not in self.session:
            row.created_at = row.updated_at = utcnow()
            row.editor = self.editor
            _apply(row, values)
            self.session.add(row)
            self._record(row, "created", None)
            change = Change.CREATED
        else:
            before = snapshot(row)
            if not _apply(row, values):
                return EditResult(row, Change.UNCHANGED)
            row.updated_at, row.editor = utcnow(), self.editor
            self._record(row, action or "updated", before)
            change = Change.UPDATED
        return EditResult(row, change)

    def _record(self, row: FaqEntry | DisclosureItem, action: str, before: dict[str, object] | None) -> None:
        self.changes += 1
        self._written.append(_Written(row, action, dumps(before), dumps(snapshot(row))))

    def finish(self) -> None:
        """Write the revisions and audit events of this batch's changes (called by `KbEditor.batch`)."""
        if self._written:
            self.session.flush()  # new rows get their ids
            record_history(self.session, [(w.row, w.action, w.before, w.after) for w in self._written],
                           editor=self.editor, source=self.source)
            self._written.clear()

    # -- FAQ entries --------------------------------------------------------------------------

    def find_faq(self, question: str) -> FaqEntry | None:
        return self._faq_index().get(question_key(question))

    def save_faq(self, data: FaqData, *, faq_id: int | None = None, action: str | None = None,
                 only_new: bool = False) -> EditResult:
        """Create or update an FAQ entry: by `faq_id` when given, else by its normalised question.

        `only_new` (the admin's "new entry" form) refuses a question that already exists
        instead of updating that entry.

        A question that matches an entry in the 回收站 is refused (restore that entry instead),
        so an import can never silently bring back what staff deleted.
        """
        data = normalize_faq(data)
        key = question_key(data.question)
        if len(key) > max_chars(FaqEntry.question_key):
            raise EditError(f"问题太长（最多 {max_chars(FaqEntry.question_key)} 字）", field="question")
        index = self._faq_index()
        clash = index.get(key)
        row = (None if only_new else clash) if faq_id is None else self._get(FaqEntry, faq_id)
        if clash is not None and clash.deleted_at is not None and clash is not row:
            raise EditError(f"回收站里有相同的问题（编号 {clash.id}）：{clash.question[:40]}；请从回收站恢复它",
                            field="question", existing_id=clash.id)
        if clash is not None and clash is not row:
            raise EditError(f"已有相同的问题（编号 {clash.id}）：{clash.question[:40]}", field="question",
                            existing_id=clash.id)
        if row is not None and row.deleted_at is not None:
            raise EditError(f"编号 {row.id} 的问答在回收站中，请先恢复再修改")
        values: dict[str, object] = {"question": data.question, "question_key": key, "answer": data.answer}
        values.update({n: getattr(data, n) for n in ("url", "category", "enabled", "office", "valid_until")
                       if getattr(data, n) is not None})
        if data.similar is not None:
            values["similar_json"] = json.dumps(list(data.similar), ensure_ascii=False)
        if row is not None:
            index.pop(row.question_key)
        result = self._saved(row or FaqEntry(similar_json="[]", enabled=True), values, action)
        index[key] = result.row  # type: ignore[assignment]
        self._op("save_faq", data=data, faq_id=faq_id, action=action, only_new=only_new)
        return result

    def set_faq_enabled(self, faq_id: int, enabled: bool) -> Change:
        """Hide an entry from search without losing it (a lapsed policy, an answer under review)."""
        row = self._get(FaqEntry, faq_id)
        self._op("set_faq_enabled", faq_id=faq_id, enabled=enabled)
        return self._saved(row, {"enabled": enabled}, "enabled" if enabled else "disabled").change

    def delete_faq(self, faq_id: int) -> bool:
        """Move an entry to the 回收站 (restorable for `TRASH_DAYS` days); False if there is none."""
        self._op("delete_faq", faq_id=faq_id)
        return self._trash(FaqEntry, faq_id)

    def restore_faq(self, faq_id: int) -> bool:
        """Take an entry out of the 回收站; False if it was not there."""
        self._op("restore_faq", faq_id=faq_id)
        return self._untrash(FaqEntry, faq_id)

    # -- disclosure items -----------------------------------------------------------------------

    def find_item(self, data: ItemData) -> DisclosureItem | None:
        """The stored item `data` describes: same url, else same 索引号, else (neither given) same title.

        Raises when the url and the 索引号 belong to two different items: updating either would
        break the uniqueness of the other.
        """
        index = self._item_index()
        found = {id(i): i for k in _item_keys(data.url, data.index_number, data.title) if (i := index.get(k))}
        if len(found) > 1:
            raise EditError(f"链接和索引号 {data.index_number} 分别属于两条不同的信息，请先核对")
        return next(iter(found.values()), None)

    def save_item(self, data: ItemData, *, item_id: int | None = None, action: str | None = None,
                  only_new: bool = False) -> EditResult:
        """Create or update a disclosure item: by `item_id` when given, else as `find_item` says.

        `only_new` (the admin's "new item" form) refuses an item whose url, 索引号 or title
        (having neither) is already stored instead of updating it.
        """
        data = normalize_item(data)
        index = self._item_index()
        row = self.find_item(data) if item_id is None else self._get(DisclosureItem, item_id)
        if only_new and row is not None:
            raise EditError(f"已有相同链接、索引号或标题的信息（编号 {row.id}）", field="title", existing_id=row.id)
        if row is not None and row.deleted_at is not None:
            raise EditError(f"编号 {row.id} 的公开信息在回收站中，请先从回收站恢复再修改")
        for key in _item_keys(data.url, data.index_number, data.title)[: 2 if data.url or data.index_number else 0]:
            other = index.get(key)
            if other is not None and other is not row:
                label = "链接" if key[0] == "url" else f"索引号 {key[1]}"
                raise EditError(f"{label}已被另一条信息使用（编号 {other.id}）：{other.title[:40]}",
                                field="url" if key[0] == "url" else "index_number", existing_id=other.id)
        values: dict[str, object] = {"title": data.title}
        values.update({f: getattr(data, f) for f in ITEM_FIELDS if getattr(data, f) is not None})
        if not values.get("body", row.body if row else "") and not values.get("url", row.url if row else None):
            raise EditError("正文和链接至少要有一个", field="body")
        if row is not None:
            for key in _item_keys(row.url, row.index_number, row.title):
                index.pop(key, None)
        result = self._saved(row or DisclosureItem(body="", keywords="", enabled=True), values, action)
        item = cast(DisclosureItem, result.row)
        index.update({k: item for k in _item_keys(item.url, item.index_number, item.title)})
        self._op("save_item", data=data, item_id=item_id, action=action, only_new=only_new)
        return result

    def set_item_enabled(self, item_id: int, enabled: bool) -> Change:
        row = self._get(DisclosureItem, item_id)
        self._op("set_item_enabled", item_id=item_id, enabled=enabled)
        return self._saved(row, {"enabled": enabled}, "enabled" if enabled else "disabled").change

    def delete_item(self, item_id: int) -> bool:
        self._op("delete_item", item_id=item_id)
        return self._trash(DisclosureItem, item_id)

    def restore_item(self, item_id: int) -> bool:
        self._op("restore_item", item_id=item_id)
        return self._untrash(DisclosureItem, item_id)

    def revert(self, revision_id: int) -> EditResult:
        """Make an entry look as it did right after `revision_id` ("restore this version").

        Content and the enabled flag come back; whether it is in the 回收站 does not change.
        """
        rev = self.session.get(Revision, revision_id)
        snap: dict[str, Any] | None = loads(rev.after_json) or loads(rev.before_json) if rev is not None else None
        if rev is None or snap is None:
            raise EditError(f"找不到编号为 {revision_id} 的历史版本")
        if rev.kind == "faq":
            data = FaqData(question=snap["question"], answer=snap["answer"], similar=list(snap["similar"]),
                           url=snap["url"], category=snap["category"], office=snap["office"],
                           valid_until=snap["valid_until"] or "", enabled=snap["enabled"])
            return self.save_faq(data, faq_id=rev.entity_id, action="reverted")
        fields: dict[str, Any] = {k: snap.get(k) for k in ("title", *ITEM_FIELDS)}  # older snapshots lack some
        fields["valid_until"] = fields.get("valid_until") or None
        result = self.save_item(ItemData(**fields), item_id=rev.entity_id, action="reverted")
        if bool(result.row.enabled) != bool(snap["enabled"]):
            self.set_item_enabled(rev.entity_id, bool(snap["enabled"]))
        return result

    # -- the 回收站 -----------------------------------------------------------------------------

    def _trash(self, model: type[_Row], row_id: int) -> bool:
        row = self.session.get(model, row_id)
        if row is None or row.deleted_at is not None:
            return False
        self._saved(row, {"deleted_at": utcnow()}, "deleted")
        return True

    def _untrash(self, model: type[_Row], row_id: int) -> bool:
        row = self.session.get(model, row_id)
        if row is None or row.deleted_at is None:
            return False
        self._saved(row, {"deleted_at": None}, "restored")
        return True

    def purge_trash(self, *, older_than_days: int = TRASH_DAYS) -> int:
        """Delete for good what has been in the 回收站 longer than `older_than_days`; returns how many.

        Their revisions stay, so the history of a purged entry can still be read in the audit.
        """
        cutoff = utcnow() - datetime.timedelta(days=older_than_days)
        purged = 0
        trashed: list[FaqEntry | DisclosureItem] = [
            *self.session.scalars(select(FaqEntry).where(FaqEntry.deleted_at < cutoff)),
            *self.session.scalars(select(DisclosureItem).where(DisclosureItem.deleted_at < cutoff)),
        ]
        if trashed:
            for row in trashed:
                self._written.append(_Written(row, "purged", dumps(snapshot(row)), None))
                self._faqs = self._items = None
                self.session.delete(row)
                purged += 1
        if purged:
            # Revisions need the ids, which a deleted row keeps in memory; no flush needed first.
            self.changes += purged
        return purged
