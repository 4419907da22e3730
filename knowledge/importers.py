"""Import FAQ entries and disclosure items from the files staff actually have.

`knowledge.reading` turns JSONL, CSV, XLSX, portal pages saved from the browser (HTML: an item
page, or a 信息公开目录 list page whose rows become items; `knowledge.portal_html`), portal page
text, and folders of such files into rows of named fields; each row becomes an FAQ entry
(question + answer) or a disclosure item (title + body or url).

Reading and writing are separate steps: every file is read first — an unreadable, undecodable,
corrupt or empty file contributes nothing and is reported once — then all rows are written
through `KbEditor` in one transaction with one version bump. A bad row is reported with its
file, row number (as Excel shows it, or the line of a JSONL file) and a Chinese reason, and the
other rows still import.

A preview (`dry_run=True`) is the same import with its transaction rolled back: it lists
each row's outcome — added, changed (with the old and new answer of every entry it would
overwrite), unchanged — and the refused rows with their reasons, and writes nothing. The web
upload and `flask kb import --dry-run` show it before anything is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from knowledge.editor import ITEM_FIELDS, Change, EditError, EditResult, FaqData, ItemData, KbEditor, normalize_item
from knowledge.models import DisclosureItem, FaqEntry
from knowledge.reading import FileError, Record, RowError, expand_folders, read_file
from knowledge.store import Store

__all__ = ["FileError", "ImportResult", "PlannedRow", "RowError", "import_paths", "read_file", "record_to_data"]

_FAQ_TYPES = {"faq", "问答", "常见问题"}
_ITEM_TYPES = {"item", "信息", "公开信息", "政府信息"}
_TRUE = {"1", "true", "yes", "y", "是", "启用", "开启", "有效"}
_FALSE = {"0", "false", "no", "n", "否", "停用", "禁用", "关闭", "无效"}

@dataclass
class PlannedRow:
    """What one row does (or, in a preview, would do) to the knowledge base."""

    file: str
    row: int
    change: Change
    kind: str  # "faq" | "item"
    id: int | None  # the entry's id; None for a row a preview would create
    label: str  # the question or title
    fields: tuple[str, ...] = ()  # Chinese labels of the fields an update changes
    old_text: str | None = None  # the answer (or body) an update overwrites …
    new_text: str | None = None  # … and what replaces it

    @property
    def overwrites(self) -> bool:
        return self.old_text is not None


@dataclass
class ImportResult:
    rows: list[PlannedRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # e.g. which sheet of a workbook was read
    dry_run: bool = False
    kb_version: int = 0  # the version the import was computed against
    pending: int | None = None  # under review: the pending change the import was stored as

    def _count(self, change: Change) -> int:
        return sum(1 for r in self.rows if r.change is change)

    @property
    def created(self) -> int:
        return self._count(Change.CREATED)

    @property
    def updated(self) -> int:
        return self._count(Change.UPDATED)

    @property
    def unchanged(self) -> int:
        return self._count(Change.UNCHANGED)

    @property
    def overwritten(self) -> list[PlannedRow]:
        """Updates that replace an answer (or body) already in the knowledge base."""
        return [r for r in self.rows if r.overwrites]

    @property
    def failed_files(self) -> list[RowError]:
        return [e for e in self.errors if e.row is None]

    @property
    def bad_rows(self) -> list[RowError]:
        return [e for e in self.errors if e.row is not None]

    def summary(self) -> str:
        verb = "预览（尚未写入）" if self.dry_run else "已提交审核（审核人发布后生效）" if self.pending else "导入完成"
        will = "将" if self.dry_run or self.pending else ""
        text = f"{verb}：{will}新增 {self.created} 条，{will}更新 {self.updated} 条，未变 {self.unchanged} 条"
        if self.overwritten:
            text += f"（其中 {len(self.overwritten)} 条{'将' if self.dry_run else '已'}覆盖原有答案）"
        if self.bad_rows:
            text += f"，{len(self.bad_rows)} 行有错{'不会导入' if self.dry_run else '未导入'}"
        if self.failed_files:
            text += f"，{len(self.failed_files)} 个文件无法读取"
        return text + "。"


# -- turning records into edits -------------------------------------------------------------------

def _text(record: Record, name: str) -> str:
    value = record.get(name)
    return "" if value is None else str(value).strip()


def _enabled(value: object) -> bool | None:
    if isinstance(value, bool) or value is None or value == "":
        return value if isinstance(value, bool) else None
    text = str(value).strip().lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise EditError(f"“启用”一栏应填 是 或 否，而不是“{text[:10]}”")


def record_to_data(record: Record) -> FaqData | ItemData:
    """Decide whether a row is an FAQ entry or an item, and map its fields; raises `EditError`."""
    kind = _text(record, "type").lower()
    if kind and kind not in _FAQ_TYPES | _ITEM_TYPES:
        raise EditError(f"类型“{kind[:10]}”无法识别：应为“问答”或“信息”")
    question, answer, title = _text(record, "question"), _text(record, "answer"), _text(record, "title")
    is_faq = kind in _FAQ_TYPES or (not kind and bool(question or answer))
    if is_faq:
        if not (question or title):
            raise EditError("缺少问题")
        return FaqData(
            question=question or title,
            answer=answer or _text(record, "body"),
            similar=record.get("similar"),  # type: ignore[arg-type]
            url=record.get("url"),  # type: ignore[arg-type]
            category=record.get("category"),  # type: ignore[arg-type]
            enabled=_enabled(record.get("enabled")),
        )
    if not (title or question):
        raise EditError("缺少问题或标题")
    return ItemData(
        title=title or question,
        **{k: record.get(k) for k in ITEM_FIELDS},  # type: ignore[arg-type]
    )


def _duplicate(data: FaqData | ItemData, where: str) -> str:
    if isinstance(data, FaqData):
        return f"问题与{where}相同（同一问题只能有一个答案），此行未导入"
    return f"与{where}是同一条信息（链接、索引号或标题相同），此行未导入"


def _state(row: FaqEntry | DisclosureItem) -> dict[str, object]:
    return {name: getattr(row, name) for name in _COMPARED[type(row)]}


_COMPARED: dict[type, dict[str, str]] = {
    FaqEntry: {"question": "问题", "answer": "答案", "similar_json": "相似问法", "url": "链接",
               "category": "分类", "enabled": "启用"},
    DisclosureItem: {"title": "标题", "body": "正文", "url": "链接", "index_number": "索引号",
                     "doc_number": "文号", "published": "发布日期", "publisher": "发布机构",
                     "category": "所属分类", "keywords": "关键词", "disclosure_period": "公开时限",
                     "status": "状态", "valid_until": "有效期至"},
}


def _planned(name: str, number: int, saved: EditResult, before: dict[str, object] | None) -> PlannedRow:
    row = saved.row
    is_faq = isinstance(row, FaqEntry)
    text_field = "answer" if is_faq else "body"
    after = _state(row)
    changed = () if before is None else tuple(
        label for name_, label in _COMPARED[type(row)].items() if (before[name_] or None) != (after[name_] or None))
    overwrites = before is not None and bool(before[text_field]) and before[text_field] != after[text_field]
    return PlannedRow(
        file=name, row=number, change=saved.change, kind="faq" if is_faq else "item", id=row.id,
        label=row.question if is_faq else row.title,  # type: ignore[union-attr]
        fields=changed,
        old_text=str(before[text_field]) if overwrites and before is not None else None,
        new_text=str(after[text_field] or "") if overwrites else None,
    )


def _files(paths: Sequence[str | Path], names: Sequence[str] | None) -> list[tuple[Path, str]]:
    """(file, name to report): a folder stands for the importable files in it, each by its own
    name; a file given with a name (an upload in a temporary file) is reported by that name."""
    files: list[tuple[Path, str]] = []
    for position, given in enumerate(paths):
        own = names[position] if names is not None and not Path(given).is_dir() else None
        files.extend((path, own or path.name) for path in expand_folders([given]))
    return files


def import_paths(
    store: Store,
    paths: Sequence[str | Path],
    *,
    sheet: str | None = None,
    url: str | None = None,
    editor: str | None = None,
    dry_run: bool = False,
    names: Sequence[str] | None = None,
    review: bool = False,
) -> ImportResult:
    """Import every file in one transaction; see the module docstring for what is reported.

    With `dry_run` nothing is written: the result is the preview — what each row would do,
    with the old and new answer of every entry it would overwrite. `names` are the file names
    to report (an upload is read from a temporary path but staff know it by its own name).
    With `review` (an editor's upload while review is required) the rows are stored as one
    pending change for a reviewer instead of written (`result.pending`).
    """
    result = ImportResult(dry_run=dry_run)
    loaded: list[tuple[str, list[tuple[int, Record]]]] = []
    for path, name in _files(paths, names):
        try:
            records, bad, notes = read_file(path, sheet=sheet, url=url)
        except FileError as exc:
            result.errors.append(RowError(name, None, str(exc)))
            continue
        result.errors.extend(RowError(name, e.row, e.reason) for e in bad)
        result.notes.extend(f"{name}：{note}" for note in notes)
        loaded.append((name, records))
    result.kb_version = store.kb_version()
    if not loaded:
        return result
    touched: dict[int, str] = {}  # id() of a row written by this import → where
    written: list[EditResult] = []
    source = "导入 " + "、".join(name for name, _ in loaded)
    with KbEditor(store, editor=editor, source=source[:500], review=review).batch(dry_run=dry_run) as batch:
        for name, records in loaded:
            for number, record in records:
                where = f"{name} 第 {number} 行" if len(loaded) > 1 else f"第 {number} 行"
                try:
                    data = record_to_data(record)
                    existing: FaqEntry | DisclosureItem | None
                    if isinstance(data, FaqData):
                        existing = batch.find_faq(data.question)
                    else:
                        existing = batch.find_item(normalize_item(data))
                    if existing is not None and id(existing) in touched:
                        raise EditError(_duplicate(data, touched[id(existing)]))
                    before = _state(existing) if existing is not None else None
                    saved = batch.save_faq(data) if isinstance(data, FaqData) else batch.save_item(data)
                except EditError as exc:
                    result.errors.append(RowError(name, number, str(exc)))
                    continue
                touched[id(saved.row)] = where
                result.rows.append(_planned(name, number, saved, before))
                written.append(saved)
        if not dry_run and not review:
            batch.session.flush()  # the ids of new rows, for the report
            for planned, saved in zip(result.rows, written, strict=True):
                planned.id = saved.row.id
        else:
            for planned in result.rows:
                if planned.change is Change.CREATED:
                    planned.id = None  # a preview's autoflushed id means nothing
    result.pending = batch.pending_id
    result.errors.sort(key=lambda e: (e.file, e.row or 0))
    return result
