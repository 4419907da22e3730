"""Validation and tidying of what staff type or import, before anything is written.

Shared by the one write path (`knowledge.editor`), the importers' previews and the admin's
forms, so a value refused in one place is refused with the same Chinese message everywhere.
`EditError`'s message is meant for staff as-is.
"""

from __future__ import annotations

import datetime
import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from knowledge.folding import fold, strip_controls
from knowledge.models import DisclosureItem, FaqEntry, max_chars

QUESTION_LIMIT = max_chars(FaqEntry.question)
ANSWER_LIMIT = 20000  # far beyond WeChat's budget; the rest belongs behind the entry's link


class EditError(ValueError):
    """A row or form value staff must fix; `str(error)` is the Chinese explanation.

    `field` names the form field at fault (so a form shows the message next to it) and
    `existing_id` the entry a duplicate clashes with (so the form can link to it).
    """

    def __init__(self, message: str, *, field: str | None = None, existing_id: int | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.existing_id = existing_id


@dataclass(frozen=True)
class FaqData:
    question: str
    answer: str
    similar: Sequence[str] | str | None = None  # a string is split on | ； ; and newlines
    url: str | None = None
    category: str | None = None
    enabled: bool | None = None
    office: str | None = None  # 责任科室
    valid_until: datetime.date | str | None = None  # 有效期至; "" clears it


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


def _optional(value: object, label: str, limit: int, field: str | None = None) -> str | None:
    if value is None:
        return None
    text = clean_text(value, single_line=True)
    if len(text) > limit:
        raise EditError(f"{label}太长（{len(text)} 字，最多 {limit} 字）", field=field)
    return text


def _url(value: object) -> str | None:
    text = _optional(value, "链接", max_chars(FaqEntry.url), "url")
    if text and not re.match(r"^https?://[^\s/]+", text, re.IGNORECASE):
        raise EditError(f"链接“{text[:60]}”不是以 http:// 或 https:// 开头的网址", field="url")
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


def parse_date(value: datetime.date | datetime.datetime | str | None, label: str = "发布日期") -> datetime.date | None:
    """Accept the date spellings found in portals and spreadsheets: 2018-12-10, 2018/12/10, 2018年12月10日."""
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
    raise EditError(f"{label}“{text[:30]}”无法识别，请写成 2018-12-10 这样的格式",
                    field="valid_until" if label == "有效期至" else "published")


def normalize_faq(data: FaqData) -> FaqData:
    """Validated, tidied copy of `data`; raises `EditError` with the reason in Chinese."""
    question = clean_text(data.question, single_line=True)
    answer = clean_text(data.answer)
    if not question_key(question):
        raise EditError("问题不能为空", field="question")
    if len(question) > QUESTION_LIMIT:
        raise EditError(f"问题太长（{len(question)} 字，最多 {QUESTION_LIMIT} 字）", field="question")
    if not answer:
        raise EditError("答案不能为空", field="answer")
    if len(answer) > ANSWER_LIMIT:
        raise EditError(f"答案太长（{len(answer)} 字，最多 {ANSWER_LIMIT} 字）", field="answer")
    similar = None
    if data.similar is not None:
        seen = {question_key(question)}
        similar = []
        for text in split_similar(data.similar):
            key = question_key(text)
            if key and key not in seen:
                seen.add(key)
                similar.append(text[:QUESTION_LIMIT])
    return FaqData(
        question=question,
        answer=answer,
        similar=tuple(similar) if similar is not None else None,
        url=_url(data.url),
        category=_optional(data.category, "分类", max_chars(FaqEntry.category), "category"),
        enabled=data.enabled,
        office=_optional(data.office, "责任科室", max_chars(FaqEntry.office), "office"),
        valid_until=_valid_until(data.valid_until),
    )


def _valid_until(value: datetime.date | str | None) -> datetime.date | str | None:
    """A date, "" (clear it) or None (not given)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return value if value is None else ""
    return parse_date(value, "有效期至")


def normalize_item(data: ItemData) -> ItemData:
    """Validated, tidied copy of `data`; raises `EditError` with the reason in Chinese."""
    title = clean_text(data.title, single_line=True)
    if not title:
        raise EditError("标题不能为空", field="title")
    if len(title) > max_chars(DisclosureItem.title):
        raise EditError(f"标题太长（{len(title)} 字，最多 {max_chars(DisclosureItem.title)} 字）", field="title")
    keywords = None
    if data.keywords is not None:
        words = _KEYWORD_SPLIT.split(data.keywords) if isinstance(data.keywords, str) else data.keywords
        keywords = " ".join(dict.fromkeys(clean_text(w, single_line=True) for w in words if str(w).strip()))
        if len(keywords) > max_chars(DisclosureItem.keywords):
            raise EditError(f"关键词太长（{len(keywords)} 字，最多 {max_chars(DisclosureItem.keywords)} 字）",
                            field="keywords")
    return ItemData(
        title=title,
        body=clean_text(data.body) if data.body is not None else None,
        url=_url(data.url),
        index_number=_optional(data.index_number, "索引号", max_chars(DisclosureItem.index_number), "index_number"),
        doc_number=_optional(data.doc_number, "文号", max_chars(DisclosureItem.doc_number), "doc_number"),
        published=parse_date(data.published),
        publisher=_optional(data.publisher, "发布机构", max_chars(DisclosureItem.publisher), "publisher"),
        category=_optional(data.category, "所属分类", max_chars(DisclosureItem.category), "category"),
        keywords=keywords,
        disclosure_period=_optional(data.disclosure_period, "公开时限", max_chars(DisclosureItem.disclosure_period),
                                    "disclosure_period"),
        status=_optional(data.status, "状态", max_chars(DisclosureItem.status), "status"),
        valid_until=parse_date(data.valid_until, "有效期至"),
    )
