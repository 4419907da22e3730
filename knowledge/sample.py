"""The bundled sample knowledge base, so a fresh install answers questions out of the box.

The files under `knowledge/data/sample/` are sample content (see the README there) that a
township replaces with its own. They go through the ordinary importer, so the sample is
validated exactly like staff data and is recorded with the editor name `SAMPLE_EDITOR`.
"""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from knowledge.editor import Change, EditError, FaqData, ItemData, KbEditor, normalize_item
from knowledge.importers import ImportResult, PlannedRow, RowError, read_file, record_to_data
from knowledge.models import DisclosureItem, FaqEntry
from knowledge.store import Store

log = logging.getLogger(__name__)

SAMPLE_DIR = Path(__file__).parent / "data" / "sample"
SAMPLE_FILES = ("items.jsonl", "faq.jsonl")
SAMPLE_EDITOR = "示例数据"


def sample_paths() -> list[Path]:
    return [SAMPLE_DIR / name for name in SAMPLE_FILES]


def _planned(file: str, row: int, change: Change, data: FaqData | ItemData, entry_id: int | None) -> PlannedRow:
    is_faq = isinstance(data, FaqData)
    label = data.question if isinstance(data, FaqData) else data.title
    return PlannedRow(file=file, row=row, change=change, kind="faq" if is_faq else "item", id=entry_id, label=label)


def load_sample(store: Store) -> ImportResult:
    """Add the sample entries the knowledge base lacks; an entry it already has is left as it is.

    A sample entry staff deleted is taken back out of the 回收站 (with its edits, if any).

    So running it twice changes nothing, and a sample entry staff have since edited keeps
    their version (an ordinary import would write the sample's text back over it). Rows are
    validated by the ordinary importer and editor, in one transaction.
    """
    result = ImportResult()
    with KbEditor(store, editor=SAMPLE_EDITOR).batch() as batch:
        for path in sample_paths():
            records, bad, _notes = read_file(path)
            result.errors.extend(RowError(path.name, e.row, e.reason) for e in bad)
            for number, record in records:
                try:
                    data = record_to_data(record)
                    found = (batch.find_faq(data.question) if isinstance(data, FaqData)
                             else batch.find_item(normalize_item(data)))
                    if found is not None and found.deleted_at is not None:
                        # Deleted from the knowledge base but still in the 回收站: bring it back.
                        _ = batch.restore_faq(found.id) if isinstance(data, FaqData) else batch.restore_item(found.id)
                        result.rows.append(_planned(path.name, number, Change.CREATED, data, found.id))
                        continue
                    if found is not None:
                        result.rows.append(_planned(path.name, number, Change.UNCHANGED, data, found.id))
                        continue
                    saved = batch.save_faq(data) if isinstance(data, FaqData) else batch.save_item(data)
                    result.rows.append(_planned(path.name, number, Change.CREATED, data, saved.row.id))
                except EditError as exc:
                    result.errors.append(RowError(path.name, number, str(exc)))
    for error in result.errors:  # the bundled files are tested; this only guards against edits
        log.error("sample knowledge base: %s", error)
    return result


def load_sample_if_empty(store: Store) -> bool:
    """Load the sample on the very first start; True if it was loaded by this call.

    "First start" means no FAQ entry, no item, and a knowledge-base version of 0: a database
    that staff emptied on purpose has a higher version and stays empty. Several workers may
    start at once; the loser of that race gets a constraint or lock error, sees the winner's
    rows and carries on.
    """
    if not store.is_empty() or store.kb_version() != 0:
        return False
    try:
        result = load_sample(store)
    except DBAPIError:
        if store.is_empty():
            raise
        log.info("sample knowledge base was loaded by another process")
        return False
    log.info("loaded the sample knowledge base: %s", result.summary())
    return result.created > 0


def remove_sample(store: Store, *, editor: str | None = None) -> tuple[int, int]:
    """Delete the sample entries staff have not edited; returns (FAQ entries, items) removed.

    An entry someone changed carries that person's name instead of SAMPLE_EDITOR and stays:
    it is the township's now.
    """
    with KbEditor(store, editor=editor, source="删除示例数据").batch() as batch:
        faq_ids = batch.session.scalars(select(FaqEntry.id).where(FaqEntry.editor == SAMPLE_EDITOR)).all()
        item_ids = batch.session.scalars(
            select(DisclosureItem.id).where(DisclosureItem.editor == SAMPLE_EDITOR)
        ).all()
        faqs = sum(batch.delete_faq(faq_id) for faq_id in faq_ids)
        items = sum(batch.delete_item(item_id) for item_id in item_ids)
    return faqs, items
