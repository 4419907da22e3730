"""The one write path for FAQ entries and disclosure items.

Importers, the `flask kb` commands and the staff admin all edit the knowledge base through
`KbEditor`, so every change is normalised and validated the same way, carries the editor's name
and a timestamp, and bumps the knowledge-base version in the same transaction — which is what
makes every worker process reload its index. After the commit the store's change listeners
run (the app publishes a notification, so other processes reload at once instead of polling).

Validation errors are `EditError`s whose message is Chinese and meant for staff as-is.

Partial data: a field left as ``None`` in `FaqData` / `ItemData` means "not given" — an update
keeps the stored value, a new row gets the default. An empty string (or empty list) clears it.
This lets a spreadsheet without a 相似问法 column update answers without wiping the 相似问法
staff typed into the admin.

Review: a `KbEditor(review=True)` (an editor's edits while `ADMIN_REVIEW` is on) runs every
edit the same way, then rolls back and stores a pending change for a reviewer instead
(`knowledge.pending`; publishing and rejecting are in `knowledge.review`).
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterator
from typing import TypeVar, cast

from knowledge import pending
from knowledge.batch import ITEM_FIELDS, TRASH_DAYS, Change, EditBatch, EditResult
from knowledge.store import Store
from knowledge.validation import (
    EditError,
    FaqData,
    ItemData,
    clean_text,
    normalize_faq,
    normalize_item,
    parse_date,
    question_key,
    split_similar,
)

_T = TypeVar("_T")

__all__ = [
    "ITEM_FIELDS", "TRASH_DAYS", "Change", "EditBatch", "EditError", "EditResult", "FaqData", "ItemData", "KbEditor",
    "clean_text", "normalize_faq", "normalize_item", "parse_date", "question_key", "split_similar",
]


class KbEditor:
    """Entry point for every edit; `editor` is the staff member's name recorded on each row.

    `source` says where the edit came from ("后台", "导入 faq.xlsx", "命令行"); it is kept on
    each revision. With `review` every batch is stored as a pending change instead of written.
    """

    def __init__(self, store: Store, *, editor: str | None = None, source: str | None = None,
                 review: bool = False) -> None:
        self.store = store
        self.editor = editor
        self.source = source
        self.review = review

    @contextlib.contextmanager
    def batch(self, *, dry_run: bool = False) -> Iterator[EditBatch]:
        """One transaction and at most one version bump for many edits (an import, a form).

        Nothing is written if the block raises; the version is bumped only if something
        actually changed, so re-importing an unchanged file does not make every worker rebuild.
        With `dry_run` every edit runs exactly as it would (same checks, same outcomes) and the
        transaction is then rolled back: an import preview is the import itself, unwritten.
        Under `review` the same happens, and what the batch would have written is then stored
        as one pending change (`batch.pending_id`) for a reviewer.
        """
        with self.store.session() as session:
            batch = EditBatch(session, self.editor, self.source, propose=self.review and not dry_run)
            yield batch
            if batch.ops is not None:
                records = batch.records()
                session.rollback()
                if records:
                    batch.pending_id = pending.submit(session, batch.ops, records, editor=batch.editor,
                                                      source=self.source)
                return
            if dry_run:
                session.rollback()
                return
            batch.finish()
            if batch.changes:
                self.store.bump_kb_version(session)
        if batch.changes:  # committed: every process may rebuild now
            self.store.kb_changed()

    def _one(self, call: Callable[[EditBatch], _T]) -> _T:
        """One edit in its own batch; an `EditResult` learns the pending change it became."""
        with self.batch() as batch:
            result = call(batch)
        if isinstance(result, EditResult) and batch.pending_id is not None:
            return cast(_T, dataclasses.replace(result, pending=batch.pending_id))
        return result

    def save_faq(self, data: FaqData, *, faq_id: int | None = None, only_new: bool = False) -> EditResult:
        return self._one(lambda b: b.save_faq(data, faq_id=faq_id, only_new=only_new))

    def save_item(self, data: ItemData, *, item_id: int | None = None, only_new: bool = False) -> EditResult:
        return self._one(lambda b: b.save_item(data, item_id=item_id, only_new=only_new))

    def set_faq_enabled(self, faq_id: int, enabled: bool) -> Change:
        return self._one(lambda b: b.set_faq_enabled(faq_id, enabled))

    def set_item_enabled(self, item_id: int, enabled: bool) -> Change:
        return self._one(lambda b: b.set_item_enabled(item_id, enabled))

    def delete_faq(self, faq_id: int) -> bool:
        return self._one(lambda b: b.delete_faq(faq_id))

    def restore_faq(self, faq_id: int) -> bool:
        return self._one(lambda b: b.restore_faq(faq_id))

    def delete_item(self, item_id: int) -> bool:
        return self._one(lambda b: b.delete_item(item_id))

    def restore_item(self, item_id: int) -> bool:
        return self._one(lambda b: b.restore_item(item_id))

    def revert(self, revision_id: int) -> EditResult:
        return self._one(lambda b: b.revert(revision_id))

    def purge_trash(self, *, older_than_days: int = TRASH_DAYS) -> int:
        return self._one(lambda b: b.purge_trash(older_than_days=older_than_days))
