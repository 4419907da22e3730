"""A report as staff read it: the same tables as a terminal table, CSV, XLSX, JSON or HTML.

Every format is built from one list of `Table`s (`report_tables`), so the headers and the
order of columns are defined once, in Chinese. Cells holding citizens' text are neutralised
against spreadsheet formula injection (a question typed as `=HYPERLINK(...)`).
"""

from __future__ import annotations

import csv
import dataclasses
import datetime
import io
import json
import unicodedata
from dataclasses import dataclass
from typing import Any

from bot.reports import Report
from bot.reports.grouping import QuestionGroup
from knowledge.folding import strip_controls

KIND_LABELS = {"faq": "常见问答", "item": "公开信息"}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    header: str
    kind: str = "text"  # text | int | pct | float | date
    width: int = 12  # display columns in the terminal table and the XLSX sheet


@dataclass(frozen=True)
class Table:
    key: str  # JSON/HTML anchor
    title: str  # sheet name and section heading (≤ 31 characters for Excel)
    columns: tuple[Column, ...]
    rows: list[list[Any]]
    note: str = ""


def _pct(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _group_rows(groups: list[QuestionGroup], *, answered: bool) -> list[list[Any]]:
    rows = []
    for rank, g in enumerate(groups, 1):
        row: list[Any] = [rank, g.wording, g.count, g.previous]
        if answered:
            row += [_pct(g.answered_rate), "；".join(g.examples), g.entry or "", "、".join(g.terms)]
        else:
            row += ["；".join(g.examples), "、".join(g.terms), g.handled or ""]
        rows.append(row)
    return rows


def _printable(value: Any) -> Any:
    """Text from the database without control or bidi characters, in every format.

    Rows logged or imported before those were removed at the door can still hold them, and
    one \x0b stops openpyxl, one C1 or bidi character misleads a staff terminal.
    """
    if isinstance(value, str):
        return strip_controls(value)
    if isinstance(value, list | tuple):
        return type(value)(_printable(v) for v in value)
    if isinstance(value, dict):
        return {k: _printable(v) for k, v in value.items()}
    return value


def report_tables(report: Report) -> list[Table]:
    """Every table of the report, cells cleaned by `_printable`."""
    return [dataclasses.replace(t, rows=_printable(t.rows)) for t in _tables(report)]


def _tables(report: Report) -> list[Table]:
    s, p = report.summary, report.previous_summary
    three = (Column("指标", width=20), Column("本期", width=24), Column("上期", width=24))
    overview = Table("summary", "概览", three, [
        ["统计期间", report.period.label(), report.period.previous().label()],
        ["提问总数", s.total, p.total],
        ["已回答", s.answered, p.answered],
        ["未能回答", s.unanswered, p.unanswered],
        ["回答率", f"{s.answered_rate:.1%}", f"{p.answered_rate:.1%}"],
        ["提问人数", s.users, p.users],
        ["满意", s.satisfied, p.satisfied],
        ["不满意", s.unsatisfied, p.unsatisfied],
        ["满意率", _fmt_rate(s.satisfaction_rate), _fmt_rate(p.satisfaction_rate)],
        ["平均响应时间（毫秒）", s.avg_latency_ms, p.avg_latency_ms],
    ], note=f"生成时间 {report.generated_at:%Y-%m-%d %H:%M}（北京时间）")
    group_cols = (Column("排名", "int", 6), Column("常见问法", width=30), Column("提问次数", "int", 9),
                  Column("上期次数", "int", 9))
    tail_cols = (Column("其他问法", width=40), Column("匹配最多的条目", width=30), Column("关键词", width=20))
    return [
        overview,
        Table("daily", "每日提问量", (Column("日期", "date", 12), Column("提问数", "int", 8),
                                  Column("已回答", "int", 8), Column("回答率", "pct", 8)),
              [[d.day, d.total, d.answered, _pct(d.answered_rate) if d.total else None] for d in report.daily]),
        Table("top_groups", "热门问题", (*group_cols, Column("回答率", "pct", 8), *tail_cols),
              _group_rows(report.top_groups, answered=True),
              note="意思相同、问法不同的提问算作一组（规则见 docs/reports.md）"),
        Table("unanswered", "未能回答的问题",
              (*group_cols, Column("其他问法", width=40), Column("关键词", width=20), Column("处理情况", width=30)),
              _group_rows(report.unanswered, answered=False),
              note="知识库里缺少答案的问题，按提问次数排序：最值得补充的问答；“处理情况”是工作台“待处理”里的处理记录"),
        Table("top_terms", "热词", (Column("排名", "int", 6), Column("关键词", width=16), Column("提问次数", "int", 9),
                                   Column("占提问比例", "pct", 10)),
              [[i, t.term, t.count, _pct(t.share)] for i, t in enumerate(report.top_terms, 1)]),
        Table("rising", "上升话题", (Column("排名", "int", 6), Column("关键词", width=16), Column("本期次数", "int", 9),
                                    Column("上期次数", "int", 9), Column("按上期比例应有", "float", 14),
                                    Column("增幅", "pct", 8)),
              [[i, t.term, t.count, t.previous, t.expected, _pct(t.change)] for i, t in enumerate(report.rising, 1)],
              note="与上一个等长期间相比，提问次数超出按总量等比例预期最多的关键词；上期为 0 的增幅留空（新话题）；"
                   "上期没有任何提问时无法比较，本表为空"),
        Table("categories", "按分类",
              (Column("分类", width=20), Column("提问次数", "int", 9), Column("占比", "pct", 8)),
              [[c.category, c.count, _pct(c.count / s.total if s.total else 0)] for c in report.categories],
              note="已回答的提问按回答它的条目所属分类统计"),
        Table("entries", "按匹配条目", (Column("排名", "int", 6), Column("类型", width=8), Column("标题", width=36),
                                       Column("分类", width=14), Column("回答次数", "int", 9), Column("满意", "int", 6),
                                       Column("不满意", "int", 6)),
              [[i, KIND_LABELS.get(e.kind, e.kind), e.title, e.category or "", e.count, e.satisfied, e.unsatisfied]
               for i, e in enumerate(report.entries, 1)]),
        Table("satisfaction", "满意度", (Column("满意", "int", 8), Column("不满意", "int", 8),
                                        Column("满意率", "pct", 8), Column("评价数", "int", 8),
                                        Column("评价占已回答", "pct", 12)),
              [[s.satisfied, s.unsatisfied, _pct(s.satisfaction_rate), s.feedback,
                _pct(s.feedback / s.answered if s.answered else None)]],
              note="满意率 = 满意 ÷（满意 + 不满意）；没有评价时留空"),
    ]


def _fmt_rate(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def cell_text(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if kind == "pct":
        return f"{value:.1%}"
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _safe(text: str) -> str:
    """Prefix a quote to text a spreadsheet would run as a formula."""
    return "'" + text if text.startswith(FORMULA_START) else text


# -- terminal table ---------------------------------------------------------------------------


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _fit(text: str, width: int) -> str:
    text = text.replace("\n", " ")
    if _display_width(text) <= width:
        return text + " " * (width - _display_width(text))
    out, used = "", 0
    for ch in text:
        w = _display_width(ch)
        if used + w > width - 1:
            break
        out, used = out + ch, used + w
    return out + "…" + " " * (width - used - 1)


def render_table(report: Report) -> str:
    lines = [f"政务公开问答 提问统计报表  {report.period.label()}", ""]
    for table in report_tables(report):
        lines.append(f"【{table.title}】")
        if table.note:
            lines.append(f"  {table.note}")
        lines.append("  ".join(_fit(c.header, c.width) for c in table.columns).rstrip())
        lines.append("  ".join("-" * c.width for c in table.columns))
        rows = table.rows
        if table.key == "daily" and len(rows) > 62:  # a long period: only the days with questions
            rows = [row for row in rows if row[1]]
            lines.append(f"  （共 {len(table.rows)} 天，只列出有提问的 {len(rows)} 天；完整逐日数据见 CSV/XLSX）")
        for row in rows:
            lines.append("  ".join(_fit(cell_text(v, c.kind), c.width) for v, c in zip(row, table.columns,
                                                                                    strict=True)).rstrip())
        if not rows:
            lines.append("  （无数据）")
        lines.append("")
    return "\n".join(lines)


# -- CSV, XLSX, JSON ---------------------------------------------------------------------------


def render_csv(report: Report) -> str:
    """One CSV with a titled section per table; written with a BOM so Excel reads the Chinese."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for table in report_tables(report):
        writer.writerow([f"【{table.title}】"])
        writer.writerow([c.header for c in table.columns])
        for row in table.rows:
            writer.writerow([_safe(cell_text(v, c.kind)) for v, c in zip(row, table.columns, strict=True)])
        writer.writerow([])
    return buffer.getvalue()


def render_xlsx(report: Report) -> bytes:
    """One sheet per table, Chinese headers, percentages as real numbers formatted as %."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook()
    for sheet in list(book.worksheets):  # the default empty sheet
        book.remove(sheet)
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    for table in report_tables(report):
        sheet = book.create_sheet(table.title[:31])
        sheet.append([c.header for c in table.columns])
        for cell in sheet[1]:
            cell.font, cell.fill = bold, fill
        for row in table.rows:
            sheet.append(row)
        for index, column in enumerate(table.columns, 1):
            letter = get_column_letter(index)
            sheet.column_dimensions[letter].width = max(column.width, _display_width(column.header)) + 2
            fmt = {"pct": "0.0%", "date": "yyyy-mm-dd", "int": "0"}.get(column.kind)
            for cell in sheet[letter][1:]:
                if fmt:
                    cell.number_format = fmt
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # openpyxl would store `=...` typed by a citizen as a formula
                if column.kind == "text":
                    cell.alignment = Alignment(wrap_text=column.width >= 30, vertical="top")
        sheet.freeze_panes = "A2"
        if table.note:
            sheet.cell(row=len(table.rows) + 3, column=1, value=table.note).font = Font(italic=True, color="666666")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def report_dict(report: Report) -> dict[str, Any]:
    """JSON-ready data for programs (the admin's charts): English keys, raw numbers."""
    def group(g: QuestionGroup) -> dict[str, Any]:
        return {"wording": g.wording, "count": g.count, "previous": g.previous, "answered": g.answered,
                "answered_rate": round(g.answered_rate, 4), "examples": g.examples, "entry": g.entry,
                "terms": g.terms, "handled": g.handled}

    s = report.summary
    return _printable({
        "period": {"since": report.period.since.isoformat(), "until": report.period.until.isoformat(),
                   "label": report.period.label()},
        "generated_at": report.generated_at.isoformat(timespec="seconds"),
        "summary": {"total": s.total, "answered": s.answered, "unanswered": s.unanswered,
                    "answered_rate": round(s.answered_rate, 4), "users": s.users, "satisfied": s.satisfied,
                    "unsatisfied": s.unsatisfied, "satisfaction_rate": _pct(s.satisfaction_rate),
                    "avg_latency_ms": s.avg_latency_ms},
        "previous_summary": {"total": report.previous_summary.total, "answered": report.previous_summary.answered,
                             "answered_rate": round(report.previous_summary.answered_rate, 4)},
        "daily": [{"day": d.day.isoformat(), "total": d.total, "answered": d.answered,
                   "answered_rate": round(d.answered_rate, 4)} for d in report.daily],
        "top_groups": [group(g) for g in report.top_groups],
        "unanswered": [group(g) for g in report.unanswered],
        "top_terms": [{"term": t.term, "count": t.count, "share": round(t.share, 4)} for t in report.top_terms],
        "rising": [{"term": t.term, "count": t.count, "previous": t.previous, "expected": t.expected,
                    "change": _pct(t.change)} for t in report.rising],
        "categories": [{"category": c.category, "count": c.count} for c in report.categories],
        "entries": [{"kind": e.kind, "id": e.id, "title": e.title, "category": e.category, "count": e.count,
                     "satisfied": e.satisfied, "unsatisfied": e.unsatisfied} for e in report.entries],
    })


def render_json(report: Report) -> str:
    return json.dumps(report_dict(report), ensure_ascii=False, indent=2)
