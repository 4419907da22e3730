"""The report as ONE self-contained HTML page: tables plus ECharts charts, inlined, offline.

The ECharts build ships in `static/` (Apache-2.0, see static/README.md) and is inlined, not
linked, so the page opens from a USB stick or a mail attachment with no network, and shows
staff nothing a third-party server could log.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from bot.reports import Report
from bot.reports.render import cell_text, report_dict, report_tables

HERE = Path(__file__).parent
ECHARTS_PATH = HERE / "static" / "echarts.min.js"
CHART_LIMIT = 15


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]))


@lru_cache(maxsize=1)
def echarts_source() -> str:
    """The vendored ECharts build, made safe to sit inside a <script> element."""
    return ECHARTS_PATH.read_text(encoding="utf-8").replace("</script", "<\\/script")


def script_json(data: Any) -> Markup:
    """JSON for an inline <script>: `<`, `>` and `&` escaped so citizens' text cannot end the element."""
    text = json.dumps(data, ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _cards(report: Report) -> list[dict[str, str]]:
    s, p = report.summary, report.previous_summary
    change = f"上期 {p.total:,}" + (f"，{(s.total - p.total) / p.total:+.1%}" if p.total else "")
    sat = "—" if s.satisfaction_rate is None else f"{s.satisfaction_rate:.1%}"
    return [
        {"label": "提问总数", "value": f"{s.total:,}", "sub": change},
        {"label": "回答率", "value": f"{s.answered_rate:.1%}", "sub": f"上期 {p.answered_rate:.1%}"},
        {"label": "未能回答", "value": f"{s.unanswered:,}", "sub": "条提问"},
        {"label": "提问人数", "value": f"{s.users:,}", "sub": "按匿名编号去重"},
        {"label": "满意率", "value": sat, "sub": f"满意 {s.satisfied:,} / 不满意 {s.unsatisfied:,}"},
    ]


def render_html(report: Report) -> str:
    tables = []
    for table in report_tables(report):
        rows = [[{"text": cell_text(value, column.kind), "numeric": column.kind in ("int", "pct", "float")}
                 for value, column in zip(row, table.columns, strict=True)] for row in table.rows]
        tables.append({"key": table.key, "title": table.title, "note": table.note, "columns": table.columns,
                       "rows": rows})
    data = report_dict(report)
    data["chart_limit"] = CHART_LIMIT
    return _environment().get_template("report.html").render(
        title="政务公开问答 · 提问统计报表",
        period_label=report.period.label(),
        previous_label=report.period.previous().label(),
        generated_at=f"{report.generated_at:%Y-%m-%d %H:%M}",
        cards=_cards(report),
        tables=tables,
        chart_limit=CHART_LIMIT,
        echarts_js=Markup(echarts_source()),
        data_json=script_json(data),
    )
