"""XLSX files in and out, safely: a workbook is a zip archive, and its cells can hold formulas.

Reading: an .xlsx a few kilobytes long can expand to gigabytes (a zip bomb) and tie up a
worker for minutes. Python's zipfile never inflates a member beyond the size its central
directory declares, so checking the declared sizes before openpyxl opens anything is a
real bound, not a hint.

Writing: openpyxl stores a string that starts with "=" as a formula, so a question typed as
`=HYPERLINK(...)` would run when staff open the export; every cell is written as text.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import openpyxl
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

# A 20,000-entry knowledge base with long answers is ~30 MB of sheet XML; ten times that is
# no spreadsheet a township writes by hand.
MAX_UNCOMPRESSED_BYTES = 300 * 1024 * 1024
MAX_MEMBERS = 10_000


class SpreadsheetError(ValueError):
    """The file is not a workbook we will open; the message is the Chinese reason."""


def check_workbook(source: str | Path | BinaryIO, *, limit: int | None = None) -> None:
    """Refuse a file that is not a zip archive, or whose members would expand beyond `limit`."""
    limit = MAX_UNCOMPRESSED_BYTES if limit is None else limit
    try:
        with zipfile.ZipFile(source) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise SpreadsheetError("这不是 Excel 表格（.xlsx）文件：文件可能已损坏，或是改了扩展名的其他文件") from None
    if len(members) > MAX_MEMBERS:
        raise SpreadsheetError(f"这个 Excel 文件包含 {len(members)} 个内部文件，远超正常表格，已拒绝读取")
    total = sum(member.file_size for member in members)
    if total > limit:
        raise SpreadsheetError(
            f"这个 Excel 文件解压后有 {total / 1024 / 1024:,.0f} MB（上限 {limit / 1024 / 1024:,.0f} MB），"
            "不像是正常的表格，已拒绝读取；请删去无关的工作表后重试")


def write_workbook(sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[object]]]]) -> bytes:
    """(sheet name, header, rows) → XLSX bytes; text cells are stored as text, never as formulas.

    Write-only mode streams rows to the file: 20,000 entries cost seconds, not a copy in memory.
    """
    workbook = openpyxl.Workbook(write_only=True)
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    for name, header, rows in sheets:
        sheet = workbook.create_sheet(name[:31])
        sheet.freeze_panes = "A2"
        for position in range(1, len(header) + 1):
            sheet.column_dimensions[get_column_letter(position)].width = 40 if position <= 3 else 18
        sheet.append([_cell(sheet, title, font=bold) for title in header])
        for values in rows:
            sheet.append([_cell(sheet, _value(v), alignment=wrap) for v in values])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _cell(sheet: Any, value: Any, *, font: Font | None = None,
          alignment: Alignment | None = None) -> Any:
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # not "f": a leading "=" stays text
        if alignment is not None and "\n" in value:
            cell.alignment = alignment
    if font is not None:
        cell.font = font
    return cell


def _value(value: object) -> object:
    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    return value
