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
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import functools
import json
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.models import DisclosureItem, FaqEntry, max_chars, utcnow
from knowledge.store import Store
from knowledge.text import fold, strip_controls

_Row = TypeVar("_Row", FaqEntry, DisclosureItem)


class EditError(ValueError):
    """A row or form value staff must fix; `str(error)` is the Chinese explanation."""


class Change(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class FaqData:
    question: str
    answer: str
    similar: Sequence[str] | str | None = None  # a string is split on | ； ; and newlines
    url: str | None = None
    category: str | None = None
    enabled: bool | None = None


@dataclass(frozen=True)
class ItemData:
    title: str
    body: str | None = None
    url: str | None = None
    index_number: str | None = None  # 索引号
    doc_number: str | None = None  # 文号
    published: datetime.date | datetime.datetime | str | None = None  # 发布日期
    publisher: str | None = None  # 发布机构
    category: str | None = None  # 所属分类
    keywords: Sequence[str] | str | None = None  # 关键词
    disclosure_period: str | None = None  # 公开时限
    status: str | None = None  # 有效 / 废止 / 失效
    valid_until: datetime.date | datetime.datetime | str | None = None  # 有效期至


# -- normalisation ----------------------------------------------------------------------------

_SIMILAR_SPLIT = re.compile(r"[|｜;；\r\n]+")
_KEYWORD_SPLIT = re.compile(r"[\s,，;；、|｜]+")
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_SPACES = re.compile(r"[ \t\u3000\xa0]+")
_KEY_DROP = re.compile(r"[\W_]+")  # punctuation, symbols and whitespace


@functools.lru_cache(maxsize=16384)
def question_key(question: str) -> str:
    """The identity of a question: the same question typed differently gets the same key.

    Full-/half-width (NFKC), traditional/simplified, case, punctuation and spaces are folded,
    so re-importing a spreadsheet that someone retyped updates entries instead of duplicating.
    """
    return _KEY_DROP.sub("", fold(question))


def clean_text(value: object, *, single_line: bool = False) -> str:
    """Tidy stored text without changing what staff wrote (no width folding in stored text).

    Control and bidi-override characters are dropped (they break XLSX reports and can fool a
    terminal). A NUL byte or U+FFFD (bytes the file's encoding could not decode) means the
    value was damaged on the way: it is refused with a reason rather than stored mangled.
    """
    if value is None:
        return ""
    raw = str(value)
    if "\x00" in raw:
        raise EditError("含有空字符（NUL），这一行的内容已损坏，请检查原文件")
    if "\ufffd" in raw:
        raise EditError("含有无法识别的字符（文件编码损坏），请检查原文件中的这一行")
    text = strip_controls(_INVISIBLE.sub("", raw).replace("\r\n", "\n").replace("\r", "\n"))
    if single_line:
        return _SPACES.sub(" ", text.replace("\n", " ")).strip()
    lines = [line.rstrip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _optional(value: object, label: str, limit: int) -> str | None:
    if value is None:
        return None
    text = clean_text(value, single_line=True)
    if len(text) > limit:
        raise EditError(f"{label}太长（{len(text)} 字，最多 {limit} 字）")
    return text


def _url(value: object) -> str | None:
    text = _optional(value, "链接", max_chars(FaqEntry.url))
    if text and not re.match(r"^https?://[^\s/]+", text, re.IGNORECASE):
        raise EditError(f"链接“{text[:60]}”不是以 http:// 或 https:// 开头的网址")
    return text


def split_similar(value: Sequence[str] | str) -> list[str]:
    parts = _SIMILAR_SPLIT.split(value) if isinstance(value, str) else list(value)
    return [clean_text(p, single_line=True) for p in parts if clean_text(p, single_line=True)]


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T].*)?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
    # Some indexes give only the month (2024-05); it stands for the month's first day, which
    # keeps the year and month right for "去年"/"2024年" questions and for ordering.
    re.compile(r"^(\d{4})[-/.年](\d{1,2})月?()$"),
)


def parse_date(
    value: datetime.date | datetime.datetime | str | None, label: str = "发布日期"
) -> datetime.date | None:
    """Accept the date spellings found in portals and spreadsheets: 2018-12-10, 2018/12/10, 2018年12月10日, 2024-05."""
    if value is None or isinstance(value, datetime.date):
        return value.date() if isinstance(value, datetime.datetime) else value
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if not text:
        return None
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            try:
                return datetime.date(*(int(g) if g else 1 for g in match.groups()))
            except ValueError:
                break
    raise EditError(f"{label}“{text[:30]}”无法识别，请写成 2018-12-10 这样的格式")


def normalize_faq(data: FaqData) -> FaqData:
    """Validated, tidied copy of `data`; raises `EditError` with the reason in Chinese."""
    question = clean_text(data.question, single_line=True)
    answer = clean_text(data.answer)
    if not question_key(question):
        raise EditError("问题不能为空")
    if len(question) > max_chars(FaqEntry.question):
        raise EditError(f"问题太长（{len(question)} 字，最多 {max_chars(FaqEntry.question)} 字）")
    if not answer:
        raise EditError("答案不能为空")
    similar = None
    if data.similar is not None:
        seen = {question_key(question)}
        similar = []
        for text in split_similar(data.similar):
            key = question_key(text)
            if key and key not in seen:
                seen.add(key)
                similar.append(text[:max_chars(FaqEntry.question)])
    return FaqData(
        question=question,
        answer=answer,
        similar=tuple(similar) if similar is not None else None,
        url=_url(data.url),
        category=_optional(data.category, "分类", max_chars(FaqEntry.category)),
        enabled=data.enabled,
    )


def normalize_item(data: ItemData) -> ItemData:
    """Validated, tidied copy of `data`; raises `EditError` with the reason in Chinese."""
    title = clean_text(data.title, single_line=True)
    if not title:
        raise EditError("标题不能为空")
    if len(title) > max_chars(DisclosureItem.title):
        raise EditError(f"标题太长（{len(title)} 字，最多 {max_chars(DisclosureItem.title)} 字）")
    keywords = None
    if data.keywords is not None:
        words = _KEYWORD_SPLIT.split(data.keywords) if isinstance(data.keywords, str) else data.keywords
        keywords = " ".join(dict.fromkeys(clean_text(w, single_line=True) for w in words if str(w).strip()))
        if len(keywords) > max_chars(DisclosureItem.keywords):
            raise EditError(f"关键词太长（{len(keywords)} 字，最多 {max_chars(DisclosureItem.keywords)} 字）")
    return ItemData(
        title=title,
        body=clean_text(data.body) if data.body is not None else None,
        url=_url(data.url),
        index_number=_optional(data.index_number, "索引号", max_chars(DisclosureItem.index_number)),
        doc_number=_optional(data.doc_number, "文号", max_chars(DisclosureItem.doc_number)),
        published=parse_date(data.published),
        publisher=_optional(data.publisher, "发布机构", max_chars(DisclosureItem.publisher)),
        category=_optional(data.category, "所属分类", max_chars(DisclosureItem.category)),
        keywords=keywords,
        disclosure_period=_optional(data.disclosure_period, "公开时限", max_chars(DisclosureItem.disclosure_period)),
        status=_optional(data.status, "状态", max_chars(DisclosureItem.status)),
        valid_until=parse_date(data.valid_until, "有效期至"),
    )


# -- editing ------------------------------------------------------------------------------------

# An item's fields besides its title, in one place: the importers read and export the same list.
ITEM_FIELDS = tuple(f.name for f in dataclasses.fields(ItemData) if f.name != "title")
_NULLABLE = {"url", "category", "index_number", "doc_number", "publisher", "disclosure_period", "status"}


@dataclass(frozen=True)
class EditResult:
    """What one save did; `id` is known once the batch has flushed or committed."""

    row: FaqEntry | DisclosureItem
    change: Change

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


class EditBatch:
    """Edits inside one transaction; see `KbEditor.batch`.

    Existing rows are read once per batch (lazily) into dictionaries, so that a 2,000-row
    import does not pay a query — and an autoflush — per row. Every check that can reject a
    row runs before the row is touched, so a rejected row never spoils the transaction.
    """

    def __init__(self, session: Session, editor: str | None) -> None:
        self.session = session
        self.editor = clean_text(editor, single_line=True)[:max_chars(FaqEntry.editor)] or None
        self.changes = 0
        self._faqs: dict[str, FaqEntry] | None = None
        self._items: dict[tuple[str, str], DisclosureItem] | None = None

    def _faq_index(self) -> dict[str, FaqEntry]:
        if self._faqs is None:
            with self.session.no_autoflush:
                self._faqs = {f.question_key: f for f in self.session.scalars(select(FaqEntry))}
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
            raise EditError(f"找不到编号为 {row_id} 的{'问答' if model is FaqEntry else '公开信息'}")
        return row

    def _saved(self, row: FaqEntry | DisclosureItem, values: dict[str, object]) -> EditResult:
        if row.id is None and row not in self.session:
            row.created_at = row.updated_at = utcnow()
            row.editor = self.editor
            _apply(row, values)
            self.session.add(row)
            change = Change.CREATED
        elif _apply(row, values):
            row.updated_at, row.editor = utcnow(), self.editor
            change = Change.UPDATED
        else:
            return EditResult(row, Change.UNCHANGED)
        self.changes += 1
        return EditResult(row, change)

    def find_faq(self, question: str) -> FaqEntry | None:
        return self._faq_index().get(question_key(question))

    def save_faq(self, data: FaqData, *, faq_id: int | None = None) -> EditResult:
        """Create or update an FAQ entry: by `faq_id` when given, else by its normalised question."""
        data = normalize_faq(data)
        key = question_key(data.question)
        if len(key) > max_chars(FaqEntry.question_key):
            raise EditError(f"问题太长（最多 {max_chars(FaqEntry.question_key)} 字）")
        index = self._faq_index()
        clash = index.get(key)
        row = clash if faq_id is None else self._get(FaqEntry, faq_id)
        if clash is not None and clash is not row:
            raise EditError(f"已有相同的问题（编号 {clash.id}）：{clash.question[:40]}")
        values: dict[str, object] = {"question": data.question, "question_key": key, "answer": data.answer}
        values.update({n: getattr(data, n) for n in ("url", "category", "enabled") if getattr(data, n) is not None})
        if data.similar is not None:
            values["similar_json"] = json.dumps(list(data.similar), ensure_ascii=False)
        if row is not None:
            index.pop(row.question_key, None)
        result = self._saved(row or FaqEntry(similar_json="[]", enabled=True), values)
        assert isinstance(result.row, FaqEntry)
        index[key] = result.row
        return result

    def set_faq_enabled(self, faq_id: int, enabled: bool) -> Change:
        """Hide an entry from search without losing it (a lapsed policy, an answer under review)."""
        return self._saved(self._get(FaqEntry, faq_id), {"enabled": enabled}).change

    def delete_faq(self, faq_id: int) -> bool:
        row = self.session.get(FaqEntry, faq_id)
        if row is None:
            return False
        self._faq_index().pop(row.question_key, None)
        self.session.delete(row)
        self.changes += 1
        return True

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

    def save_item(self, data: ItemData, *, item_id: int | None = None) -> EditResult:
        """Create or update a disclosure item: by `item_id` when given, else as `find_item` says."""
        data = normalize_item(data)
        index = self._item_index()
        row = self.find_item(data) if item_id is None else self._get(DisclosureItem, item_id)
        for key in _item_keys(data.url, data.index_number, data.title)[: 2 if data.url or data.index_number else 0]:
            other = index.get(key)
            if other is not None and other is not row:
                label = "链接" if key[0] == "url" else f"索引号 {key[1]}"
                raise EditError(f"{label}已被另一条信息使用（编号 {other.id}）：{other.title[:40]}")
        values: dict[str, object] = {"title": data.title}
        values.update({f: getattr(data, f) for f in ITEM_FIELDS if getattr(data, f) is not None})
        if not values.get("body", row.body if row else "") and not values.get("url", row.url if row else None):
            raise EditError("正文和链接至少要有一个")
        if row is not None:
            for key in _item_keys(row.url, row.index_number, row.title):
                index.pop(key, None)
        result = self._saved(row or DisclosureItem(body="", keywords=""), values)
        item = result.row
        assert isinstance(item, DisclosureItem)
        index.update({k: item for k in _item_keys(item.url, item.index_number, item.title)})
        return result

    def delete_item(self, item_id: int) -> bool:
        row = self.session.get(DisclosureItem, item_id)
        if row is None:
            return False
        index = self._item_index()
        for key in _item_keys(row.url, row.index_number, row.title):
            if index.get(key) is row:
                del index[key]
        self.session.delete(row)
        self.changes += 1
        return True


class KbEditor:
    """Entry point for every edit; `editor` is the staff member's name recorded on each row."""

    def __init__(self, store: Store, *, editor: str | None = None) -> None:
        self.store = store
        self.editor = editor

    @contextlib.contextmanager
    def batch(self) -> Iterator[EditBatch]:
        """One transaction and at most one version bump for many edits (an import, a form).

        Nothing is written if the block raises; the version is bumped only if something
        actually changed, so re-importing an unchanged file does not make every worker rebuild.
        """
        with self.store.session() as session:
            batch = EditBatch(session, self.editor)
            yield batch
            if batch.changes:
                self.store.bump_kb_version(session)
        if batch.changes:  # committed: every process may rebuild now
            self.store.kb_changed()

    def save_faq(self, data: FaqData, *, faq_id: int | None = None) -> EditResult:
        with self.batch() as batch:
            return batch.save_faq(data, faq_id=faq_id)

    def save_item(self, data: ItemData, *, item_id: int | None = None) -> EditResult:
        with self.batch() as batch:
            return batch.save_item(data, item_id=item_id)

    def set_faq_enabled(self, faq_id: int, enabled: bool) -> Change:
        with self.batch() as batch:
            return batch.set_faq_enabled(faq_id, enabled)

    def delete_faq(self, faq_id: int) -> bool:
        with self.batch() as batch:
            return batch.delete_faq(faq_id)

    def delete_item(self, item_id: int) -> bool:
        with self.batch() as batch:
            return batch.delete_item(item_id)
