"""The policy office's report in the browser: period picker, charts, tables, XLSX/CSV download.

The same report as `flask report` (bot/reports): built once per period and shown as the
offline HTML page (ECharts inlined) inside the workspace, downloadable as XLSX or CSV. The
viewer role sees it. A built report is kept for `CACHE_SECONDS` per process, because a year
of a million questions takes seconds to aggregate; the handled marks of the 待处理 queue are
applied on every view, so a group handled a moment ago shows as handled at once.
"""

from __future__ import annotations

import datetime
import threading
import time

from flask import Blueprint, Flask, Response, render_template, request

from bot.admin import audit
from bot.admin.accounts import Role
from bot.admin.security import require, staff_name
from bot.reports import Period, Report, build_report
from bot.reports.html import render_html
from bot.reports.queue_marks import annotate_handled
from bot.reports.render import render_csv, render_xlsx
from bot.runtime import get_runtime

bp = Blueprint("admin_reports", __name__, url_prefix="/admin/reports")

CACHE_SECONDS = 300.0
MAX_DAYS = 366
_cache: dict[tuple[str, datetime.date, datetime.date], tuple[float, Report]] = {}
_lock = threading.Lock()


def _today() -> datetime.date:
    return (datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=8)).date()


def _presets(today: datetime.date) -> list[tuple[str, datetime.date, datetime.date]]:
    """(label, first day, last day) of the periods staff ask for most."""
    month = today.replace(day=1)
    last_month_end = month - datetime.timedelta(days=1)
    quarter = today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1)
    return [
        ("最近 7 天", today - datetime.timedelta(days=6), today),
        ("最近 30 天", today - datetime.timedelta(days=29), today),
        ("本月", month, today),
        ("上月", last_month_end.replace(day=1), last_month_end),
        ("本季度", quarter, today),
        ("今年", today.replace(month=1, day=1), today),
    ]


def _period() -> tuple[Period, str | None]:
    """The period asked for (last day inclusive in the form), or the last 30 days and why not."""
    today = _today()
    default = Period(today - datetime.timedelta(days=29), today + datetime.timedelta(days=1))
    raw_since, raw_until = request.args.get("since", ""), request.args.get("until", "")
    if not raw_since and not raw_until:
        return default, None
    try:
        since = datetime.date.fromisoformat(raw_since)
        until = datetime.date.fromisoformat(raw_until)
    except ValueError:
        return default, "日期格式应为 2026-01-31，已改为显示最近 30 天"
    if until < since:
        return default, "结束日期早于开始日期，已改为显示最近 30 天"
    if (until - since).days + 1 > MAX_DAYS:
        return default, f"一次最多统计 {MAX_DAYS} 天，已改为显示最近 30 天"
    return Period(since, until + datetime.timedelta(days=1)), None


def report_for(period: Period) -> Report:
    """The built report of `period`, from this process's cache when fresh; handled marks always current."""
    db = get_runtime().db
    key = (db.url, period.since, period.until)
    now = time.monotonic()
    with _lock:
        cached = _cache.get(key)
    if cached is None or cached[0] < now:
        report = build_report(db, period)
        with _lock:
            for stale in [k for k, (expires, _) in _cache.items() if expires < now]:
                del _cache[stale]
            _cache[key] = (now + CACHE_SECONDS, report)
    else:
        report = cached[1]
        annotate_handled(db, report.unanswered)
    return report


def _args(period: Period) -> dict[str, str]:
    return {"since": period.since.isoformat(), "until": (period.until - datetime.timedelta(days=1)).isoformat()}


@bp.get("")
@require(Role.VIEWER)
def index() -> str:
    period, problem = _period()
    return render_template("admin/reports.html", period=period, problem=problem, args=_args(period),
                           presets=_presets(_today()))


@bp.get("/view")
@require(Role.VIEWER)
def view() -> Response:
    period, _problem = _period()
    response = Response(render_html(report_for(period)), mimetype="text/html")
    # Framed by /admin/reports only (same origin); the page itself loads nothing from anywhere.
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Content-Security-Policy"] = (
        "frame-ancestors 'self'; default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
        "img-src data:")
    return response


@bp.get("/download.<fmt>")
@require(Role.VIEWER)
def download(fmt: str) -> Response:
    period, _problem = _period()
    if fmt not in {"xlsx", "csv"}:
        return Response("只能下载 xlsx 或 csv 格式", status=404, mimetype="text/plain")
    report = report_for(period)
    audit.record(get_runtime().db, staff_name(), "export",
                 detail=f"下载报表 {fmt.upper()}：{period.label()}")
    name = f"report-{period.since:%Y%m%d}-{period.until - datetime.timedelta(days=1):%Y%m%d}.{fmt}"
    if fmt == "xlsx":
        response = Response(render_xlsx(report),
                            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    else:
        response = Response("\ufeff" + render_csv(report), mimetype="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f"attachment; filename={name}"
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
