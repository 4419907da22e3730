"""The whole knowledge base out of the database: JSONL for scripts, XLSX for staff.

Both round-trip through `knowledge.importers`: the JSONL in one file, the workbook one sheet
at a time (问答 and 公开信息 carry the importers' own Chinese headers). Entries in the 回收站
are left out; disabled ones are kept and marked, so a re-import does not switch them back on.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Select, select

from knowledge.editor import ITEM_FIELDS
from knowledge.models import DisclosureItem, FaqEntry
from knowledge.spreadsheet import write_workbook
from knowledge.store import Store

FAQ_SHEET = "问答"
ITEM_SHEET = "公开信息"
FAQ_HEADER = ("问题", "相似问法", "答案", "链接", "分类", "启用")
ITEM_HEADER = ("标题", "正文", "链接", "索引号", "文号", "发布日期", "发布机构", "所属分类", "关键词", "公开时限",
               "状态", "有效期至")


def _live(model: type[FaqEntry] | type[DisclosureItem]) -> Select[Any]:
    """Everything not in the 回收站."""
    return select(model).where(model.deleted_at.is_(None)).order_by(model.id)


def export_records(store: Store) -> Iterator[dict[str, object]]:
    """Every item and FAQ entry as the JSON objects `import_paths` reads back: a lossless round trip."""
    with store.session() as session:
        for item in session.scalars(_live(DisclosureItem)):
            fields = {f: getattr(item, f) for f in ITEM_FIELDS}
            record: dict[str, object] = {"type": "item", "title": item.title, **fields}
            record["published"] = item.published.isoformat() if item.published else None
            record["valid_until"] = item.valid_until.isoformat() if item.valid_until else None
            yield {k: v for k, v in record.items() if v is not None}
        for faq in session.scalars(_live(FaqEntry)):
            record = {"type": "faq", "question": faq.question, "similar": faq.similar, "answer": faq.answer,
                      "url": faq.url, "category": faq.category, "enabled": faq.enabled}
            yield {k: v for k, v in record.items() if v is not None}


def export_xlsx(store: Store) -> tuple[bytes, int, int]:
    """(workbook bytes, FAQ entries, items): sheet 问答 and sheet 公开信息, one row per entry."""
    with store.session() as session:
        faqs = [(f.question, "\n".join(f.similar), f.answer, f.url, f.category, bool(f.enabled))
                for f in session.scalars(_live(FaqEntry))]
        items = [(i.title, i.body, i.url, i.index_number, i.doc_number,
                  i.published.isoformat() if i.published else None, i.publisher, i.category, i.keywords,
                  i.disclosure_period, i.status, i.valid_until.isoformat() if i.valid_until else None)
                 for i in session.scalars(_live(DisclosureItem))]
    data = write_workbook([(FAQ_SHEET, FAQ_HEADER, faqs), (ITEM_SHEET, ITEM_HEADER, items)])
    return data, len(faqs), len(items)
