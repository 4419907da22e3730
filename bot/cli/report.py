"""`flask report` and `flask purge`: the question log for the policy office, and its retention.

    flask --app app report --since 2026-01-01 --until 2026-03-31                 table on screen
    flask --app app report --since 2026-01-01 --until 2026-03-31 --format xlsx   one sheet per table
    flask --app app report --format html --output 报表.html                     one offline page, charts
    flask --app app report flush-spool                                           replay the spool now
    flask --app app purge --older-than 365d                                      delete old questions

`--until` is the last day *included* (staff write a quarter as 01-01 … 03-31); the report
functions themselves take half-open periods. Dates are Beijing calendar days.
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import click
from flask.cli import with_appcontext

from bot import learning
from bot.cli.chinese import ChineseCommand, ChinesePlainGroup
from bot.cli.errors import CommandFailed, runtime_with_schema
from bot.questionlog import QuestionLog, from_settings
from bot.questionlog_days import purge
from bot.reports import Period, build_report
from bot.reports.queries import local_now
from bot.runtime import get_runtime

FORMATS = ("table", "csv", "xlsx", "json", "html")
DEFAULT_DAYS = 30
_DURATION = re.compile(r"^\s*(\d+)\s*([dw天周]?)\s*$", re.IGNORECASE)


def parse_duration_days(text: str) -> int:
    """`365d`, `12w`, `90` (days), `30天`, `4周` → days."""
    match = _DURATION.match(text)
    if not match or int(match.group(1)) < 1:
        raise click.BadParameter(f"无法识别的时长 {text!r}：请写成 365d、12w 或 90 这样的形式")
    number, unit = int(match.group(1)), match.group(2).lower()
    return number * 7 if unit in ("w", "周") else number


def _today() -> datetime.date:
    return local_now().date()


def _question_log() -> QuestionLog:
    runtime = get_runtime()
    existing = getattr(runtime, "questions", None)
    if isinstance(existing, QuestionLog):
        return existing
    question_log = from_settings(runtime.db, runtime.settings, background=False)
    learning.from_settings(runtime.db, question_log, runtime.settings)  # its evidence rides in the same spool
    return question_log


def _default_output(fmt: str, period: Period) -> Path | None:
    if fmt not in ("xlsx", "html"):
        return None
    last = period.until - datetime.timedelta(days=1)
    return Path(f"提问报表_{period.since:%Y%m%d}-{last:%Y%m%d}.{fmt}")


def write_report(fmt: str, period: Period, output: Path | None, limit: int) -> Path | None:
    """Build the report and write it to `output` (or stdout for text formats); returns the file written."""
    from bot.reports.render import render_csv, render_json, render_table, render_xlsx

    report = build_report(get_runtime().db, period, limit=limit)
    output = output or _default_output(fmt, period)
    if fmt == "xlsx":
        content: str | bytes = render_xlsx(report)
    elif fmt == "html":
        from bot.reports.html import render_html

        content = render_html(report)
    else:
        content = {"table": render_table, "csv": render_csv, "json": render_json}[fmt](report)
    if output is None:
        click.echo(content if isinstance(content, str) else content.decode())
        return None
    output.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        output.write_bytes(content)
    else:
        # A BOM lets Excel open the CSV with the Chinese intact.
        output.write_text(content, encoding="utf-8-sig" if fmt == "csv" else "utf-8")
    return output


@click.group("report", cls=ChinesePlainGroup, invoke_without_command=True,
             help="提问统计报表（热门问题、未能回答、热词、满意度等）。")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="开始日期（含），默认为截止日期前 30 天。")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="截止日期（含当天），默认为今天。")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
              help="输出格式。")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="输出文件；xlsx/html 默认写到当前目录，其他格式默认输出到屏幕。")
@click.option("--limit", type=click.IntRange(1, 500), default=20, show_default=True, help="每张表最多列出的行数。")
@click.pass_context
@with_appcontext  # a plain click group: its own callback needs the app context too
def group(ctx: click.Context, since: datetime.datetime | None, until: datetime.datetime | None, fmt: str,
          output: Path | None, limit: int) -> None:
    if ctx.invoked_subcommand is not None:
        return
    last = until.date() if until else _today()
    first = since.date() if since else last - datetime.timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise click.BadParameter(f"开始日期 {first} 晚于截止日期 {last}", param_hint="--since")
    runtime_with_schema()
    period = Period(first, last + datetime.timedelta(days=1))
    written = write_report(fmt, period, output, limit)
    if written is not None:
        click.echo(f"已生成报表（{period.label()}）：{written}", err=True)


@group.command("flush-spool", help="把数据库故障期间暂存在本地的提问记录写回数据库。")
@with_appcontext
def flush_spool() -> None:
    question_log = _question_log()
    question_log.flush()
    if not question_log.spool.pending():
        click.echo("暂存文件为空，没有需要写回的记录。")
        return
    applied = question_log.flush_spool()
    if question_log.spool.pending():
        raise CommandFailed(f"已写回 {applied} 条；数据库仍不可用，其余记录保留在 {question_log.spool.directory}。")
    click.echo(f"已写回 {applied} 条暂存记录。")


@click.command("purge", cls=ChineseCommand, help="删除超过保存期限的提问记录（默认期限见 LOG_RETENTION_DAYS）。")
@click.option("--older-than", "older_than", help="保存期限，如 365d、12w、90（天）。")
@click.option("--dry-run", is_flag=True, help="只统计将删除多少条，不删除。")
@with_appcontext
def purge_command(older_than: str | None, dry_run: bool) -> None:
    days = parse_duration_days(older_than) if older_than else get_runtime().settings.log_retention_days
    runtime = runtime_with_schema()
    cutoff = _today() - datetime.timedelta(days=days)
    if dry_run:
        count = purge(runtime.db, days, dry_run=True)
        click.echo(f"将删除 {count} 条 {days} 天前（约 {cutoff} 之前）的提问记录（未执行删除）。")
        return
    count = purge(runtime.db, days)
    learning.purge(runtime.db, days)  # the evidence of citizens' choices keeps no longer than their questions
    click.echo(f"已删除 {count} 条 {days} 天前（约 {cutoff} 之前）的提问记录。")
