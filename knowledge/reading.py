"""Reading the files staff actually have into rows of named fields.

JSONL, CSV (UTF-8, UTF-8 with BOM, GBK/GB18030, UTF-16 from Excel's "Unicode text"), XLSX
(zip-bomb checked first, see `knowledge.spreadsheet`), portal pages saved from the browser (HTML:
an item page, or a 信息公开目录 list page whose rows become items; `knowledge.portal_html`),
portal page text, and folders of such files (`expand_folders`). Column headers may
be Chinese or English with common aliases. A file whose header names no question/answer or
title/body columns is refused as a whole with a Chinese reason — never read as one odd row.
Writing is `knowledge.importers`' business; nothing here touches the database.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import logging
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl

from knowledge.editor import ItemData
from knowledge.portal import PortalParseError, parse_portal_text
from knowledge.portal_html import read_portal_html
from knowledge.spreadsheet import SpreadsheetError, check_workbook

log = logging.getLogger(__name__)

# Normalised header → field. Headers are compared after NFKC, lower-casing and dropping
# spaces, punctuation and anything in brackets, so "问题（必填）" and "Question:" both match.
_ALIASES = {
    "question": "问题 用户问题 常见问题 标准问题 提问 咨询问题 问 question q faq",
    "answer": "答案 回答 答复 回复 知识库答案 标准答案 答 answer a reply",
    "similar": "相似问题 相似问法 相似问 其他问法 同义问法 similar similarquestions",
    "category": "分类 类别 所属分类 主题分类 部门 处理单位 责任单位 category department",
    "url": "链接 网址 原文链接 url link",
    "title": "标题 名称 信息名称 文件名称 title",
    "body": "正文 内容 正文内容 全文 body content text",
    "published": "发布日期 发布时间 日期 成文日期 date published",
    "index_number": "索引号 indexnumber",
    "doc_number": "文号 发文字号 docnumber docno",
    "status": "状态 效力 有效性 时效性 status",
    "valid_until": "有效期至 失效日期 废止日期 validuntil",
    "publisher": "发布机构 发文机关 publisher",
    "keywords": "关键词 关键字 主题词 keywords",
    "disclosure_period": "公开时限 disclosureperiod",
    "enabled": "启用 是否启用 enabled",
    "type": "条目类型 type kind",  # not 类型: staff use that for a topic
}
_FIELD_BY_HEADER = {alias: name for name, aliases in _ALIASES.items() for alias in aliases.split()}
_SHEET_HINT = re.compile(r"问答|faq|常见问题|知识", re.IGNORECASE)

Record = dict[str, object]  # canonical field name → raw value
HTML_SUFFIXES = {".html", ".htm", ".shtml", ".xhtml"}
IMPORTABLE = {".xlsx", ".xlsm", ".csv", ".tsv", ".jsonl", ".ndjson", ".txt", ".text", *HTML_SUFFIXES}


@dataclass(frozen=True)
class RowError:
    file: str
    row: int | None  # None: the whole file could not be imported
    reason: str

    def __str__(self) -> str:
        return f"{self.file}：{self.reason}" if self.row is None else f"{self.file} 第 {self.row} 行：{self.reason}"


class FileError(Exception):
    """A whole file cannot be imported; the message is the Chinese reason."""


# -- reading --------------------------------------------------------------------------------------

def _header_key(header: object) -> str:
    text = unicodedata.normalize("NFKC", str(header or "")).lower()
    text = re.sub(r"[(\[【].*?[)\]】]", "", text)
    return re.sub(r"[\W_]+", "", text)


def _header_map(headers: Sequence[object]) -> dict[int, str]:
    """Column index → field, first column wins when two headers mean the same field."""
    mapping: dict[int, str] = {}
    for i, header in enumerate(headers):
        name = _FIELD_BY_HEADER.get(_header_key(header))
        if name and name not in mapping.values():
            mapping[i] = name
    return mapping


def _usable(mapping: dict[int, str]) -> bool:
    fields = set(mapping.values())
    return bool(fields & {"question", "title"}) and bool(fields & {"answer", "body", "url"})


_NO_HEADER = "找不到可识别的表头：需要“问题”和“答案”两列，或“标题”和“正文”（或“链接”）两列"


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool | datetime.date):
        return value
    return str(value)


def _table(rows: Iterable[Sequence[object]]) -> list[tuple[int, Record]]:
    """Find the header among the first rows and turn the rows below it into records."""
    mapping: dict[int, str] | None = None
    seen: list[str] = []
    records: list[tuple[int, Record]] = []
    for number, row in enumerate(rows, start=1):
        if mapping is None:
            candidate = _header_map(row)
            if _usable(candidate):
                mapping = candidate
            elif number > 10:
                break
            elif any(c not in (None, "") for c in row) and not seen:
                seen = [str(c) for c in row if c not in (None, "")]
            continue
        if all(c in (None, "") or str(c).strip() == "" for c in row):
            continue
        records.append((number, {name: _cell(row[i] if i < len(row) else None) for i, name in mapping.items()}))
    if mapping is None:
        raise FileError(_NO_HEADER + (f"；第一行是：{'、'.join(seen[:8])}" if seen else ""))
    if not records:
        raise FileError("文件中没有数据行")
    return records


def _decode_8bit(raw: bytes) -> str:
    """UTF-8, else GB18030; a UTF-8 file with a few damaged bytes stays UTF-8.

    A GBK file read as UTF-8 fails on nearly every Chinese character; a UTF-8 file with one
    broken row fails a handful of times. In the second case the damaged bytes become U+FFFD,
    which the editor refuses, so only those rows are reported and the others import.
    """
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    lenient = raw.decode("utf-8-sig", errors="replace")
    damaged = lenient.count("\ufffd")
    non_ascii = sum(1 for ch in lenient if ord(ch) > 127)
    if damaged <= max(3, non_ascii // 100):
        return lenient
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        raise FileError("无法识别文件编码：请另存为 UTF-8 或 GBK 编码") from None


def _decode(raw: bytes) -> str:
    """Bytes → text, trying what Chinese offices save: UTF-8 (with or without BOM), GB18030, UTF-16."""
    if not raw.strip():
        raise FileError("文件是空的")
    if raw.startswith(b"PK\x03\x04"):
        raise FileError("这是 Excel 或压缩文件，不是文本文件：Excel 表格请使用 .xlsx 扩展名")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = raw.decode("utf-16")
    elif b"\x00" in raw[:4096]:
        raise FileError("这不是文本文件（含有二进制内容），无法读取")
    else:
        text = _decode_8bit(raw)
    controls = sum(1 for ch in text[:20000] if unicodedata.category(ch) == "Cc" and ch not in "\t\r\n")
    if controls > max(2, len(text[:20000]) // 200):
        raise FileError("这不是文本文件（含有大量不可显示的字符），无法读取")
    return text


def _read_csv(raw: bytes, suffix: str) -> list[tuple[int, Record]]:
    text = _decode(raw)
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    delimiter = "\t" if suffix == ".tsv" else max((",", "\t", ";", "；"), key=first.count)
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise FileError(f"CSV 格式有误：{exc}") from None
    return _table(rows)


def _looks_tabular(text: str) -> bool:
    """Text whose first line is tab-separated, or is nothing but column names (问题 答案).

    Excel's "save as text" gives the first; a hand-typed header the second. Read as a portal
    page, either became one odd item titled "问题 答案" that citizens could be shown.
    """
    first = next((line.strip() for line in text.lstrip("\ufeff").splitlines() if line.strip()), "")
    if "\t" in first:
        return True
    cells = first.split()
    return len(cells) >= 2 and all(_header_key(c) in _FIELD_BY_HEADER for c in cells)


def _read_jsonl(raw: bytes) -> tuple[list[tuple[int, Record]], list[RowError]]:
    text = _decode(raw)
    records: list[tuple[int, Record]] = []
    bad: list[tuple[int, str]] = []
    keys: set[str] = set()
    # Lines end at \n only: str.splitlines would also cut at \x0b, \x85 or U+2028 inside a value.
    for number, line in enumerate(text.replace("\r\n", "\n").split("\n"), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            bad.append((number, f"不是有效的 JSON（第 {exc.colno} 个字符附近）"))
            continue
        if not isinstance(obj, dict):
            bad.append((number, "每行应是一个 JSON 对象（{…}）"))
            continue
        keys.update(str(k) for k in obj)
        records.append((number, _json_record(obj)))
    if not records:
        raise FileError("文件中没有有效的 JSON 行" + (f"（第 {bad[0][0]} 行：{bad[0][1]}）" if bad else ""))
    if not any(_usable(dict(enumerate(record))) for _, record in records):
        found = f"；读到的字段有：{'、'.join(sorted(keys)[:8])}" if keys else ""
        raise FileError("JSON 行中找不到可识别的字段：需要 question 和 answer（问题、答案），"
                        "或 title 和 body（标题、正文）或 url" + found)
    return records, [RowError("", n, reason) for n, reason in bad]


def _json_record(obj: dict[str, Any]) -> Record:
    record: Record = {}
    for key, value in obj.items():
        name = _FIELD_BY_HEADER.get(_header_key(key))
        if name and name not in record:
            record[name] = value if isinstance(value, list | bool) else _cell(value)
    return record


def _read_xlsx(path: Path, sheet: str | None) -> tuple[list[tuple[int, Record]], list[str]]:
    try:
        check_workbook(path)
    except SpreadsheetError as exc:
        raise FileError(str(exc)) from None
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds of error for a damaged file
        log.info("cannot open %s: %r", path, exc)
        raise FileError("无法打开这个 Excel 文件：文件可能已损坏，或不是 .xlsx 格式") from None
    try:
        names = workbook.sheetnames
        if sheet is not None:
            if sheet not in names:
                raise FileError(f"找不到工作表“{sheet}”，此文件的工作表有：{'、'.join(names)}")
            return _table(workbook[sheet].iter_rows(values_only=True)), [f"已读取工作表“{sheet}”"]
        candidates = []
        for position, name in enumerate(names):
            head = list(workbook[name].iter_rows(max_row=10, values_only=True))
            if any(_usable(_header_map(row)) for row in head):
                rows = workbook[name].max_row or 0
                candidates.append((not _SHEET_HINT.search(name), -rows, position, name))
        if not candidates:
            raise FileError(f"{_NO_HEADER}（已查看工作表：{'、'.join(names)}）")
        chosen = min(candidates)[3]
        note = f"已读取工作表“{chosen}”"
        others = [c[3] for c in sorted(candidates) if c[3] != chosen]
        if others:
            note += f"；另有可导入的工作表：{'、'.join(others)}（可用 --sheet 指定）"
        return _table(workbook[chosen].iter_rows(values_only=True)), [note]
    except FileError:
        raise
    except Exception as exc:
        log.info("cannot read %s: %r", path, exc)
        raise FileError("读取 Excel 文件时出错：文件可能已损坏") from None
    finally:
        workbook.close()


def read_file(
    path: str | Path, *, sheet: str | None = None, url: str | None = None
) -> tuple[list[tuple[int, Record]], list[RowError], list[str]]:
    """(records with their row numbers, rows that could not be read, notes); raises `FileError`."""
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.is_file():
        raise FileError("这是一个文件夹，不是文件" if path.is_dir() else "文件不存在")
    if suffix == ".xls":
        raise FileError("不支持旧版 .xls 文件：请在 Excel 中“另存为” .xlsx 后再导入")
    try:
        if suffix in {".xlsx", ".xlsm"}:
            records, notes = _read_xlsx(path, sheet)
            return records, [], notes
        raw = path.read_bytes()
    except OSError as exc:
        raise FileError(f"无法读取文件：{exc.strerror or exc}") from None
    if suffix in {".jsonl", ".ndjson"}:
        records, bad = _read_jsonl(raw)
        return records, bad, []
    if suffix in {".csv", ".tsv"}:
        return _read_csv(raw, suffix), [], []
    if suffix in HTML_SUFFIXES:
        try:
            items = read_portal_html(raw, url=url)
        except PortalParseError as exc:
            raise FileError(str(exc)) from None
        return [(n, _item_record(item)) for n, item in enumerate(items, start=1)], [], []
    if suffix in {".txt", ".text"}:
        text = _decode(raw)
        if _looks_tabular(text):  # a sheet saved as text: read as one, never as a portal page
            return _read_csv(raw, ".tsv"), [], []
        try:
            item = parse_portal_text(text, url=url)
        except PortalParseError as exc:
            raise FileError(str(exc)) from None
        return [(1, _item_record(item))], [], []
    raise FileError(f"不支持 {suffix or '无扩展名的'} 文件：请使用 .xlsx、.csv、.jsonl、门户网页 .html 或网页文本 .txt")


def _item_record(item: ItemData) -> Record:
    return {"type": "item", **{k: v for k, v in vars(item).items() if v is not None}}


def expand_folders(paths: Sequence[str | Path]) -> list[Path]:
    """Files as given; a folder stands for the importable files in it (not its subfolders), by name."""
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in IMPORTABLE))
        else:
            files.append(path)
    return files
