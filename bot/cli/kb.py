"""`flask kb …`: import, inspect and export the knowledge base from the command line.

    flask --app app kb import faq.xlsx items.csv page.txt [--editor 张三]
    flask --app app kb stats
    flask --app app kb load-sample        the bundled sample (again): adds what is missing only
    flask --app app kb remove-sample
    flask --app app kb export -o kb.jsonl

Imports go through `knowledge.importers` and so through the one write path (`KbEditor`): the
version bump they make is what tells every running worker to reload its index within seconds.
"""

from __future__ import annotations

import getpass
import json
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from bot.cli.errors import CommandFailed, runtime_with_schema
from knowledge.importers import ImportResult, export_records, import_paths
from knowledge.models import DisclosureItem, FaqEntry
from knowledge.sample import load_sample, remove_sample

group = AppGroup("kb", help="知识库：导入、统计、示例数据、导出。")


def _default_editor() -> str:
    try:
        return f"命令行:{getpass.getuser()}"
    except Exception:  # no user name in some containers
        return "命令行"


@group.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--sheet", help="Excel 文件要导入的工作表名称（默认自动选择有“问题/答案”表头的工作表）。")
@click.option("--url", help="门户网页对应的网址（只能和一个 .txt 或 .html 文件一起使用；目录页的相对链接据此补全）。")
@click.option("--editor", help="记录为编辑人的名字（默认是当前系统用户）。")
def import_command(paths: tuple[Path, ...], sheet: str | None, url: str | None, editor: str | None) -> None:
    """导入问答或公开信息：.xlsx、.csv、.jsonl，门户网页 .html（信息页或目录页）、网页文本 .txt，或文件夹。"""
    if url and (len(paths) != 1 or paths[0].is_dir()):
        raise click.UsageError("--url 只能和一个文件一起使用")
    runtime = runtime_with_schema()
    result = import_paths(runtime.db, paths, sheet=sheet, url=url, editor=editor or _default_editor())
    _report_import(result, runtime.db.kb_version())
    if result.failed_files:
        raise CommandFailed(f"有 {len(result.failed_files)} 个文件未能导入，见上面的说明")


def _report_import(result: ImportResult, version: int) -> None:
    for note in result.notes:
        click.echo(note)
    for error in result.errors:
        click.echo(f"  × {error}")
    click.echo(result.summary())
    if result.created or result.updated:
        click.echo(f"知识库版本已更新为 {version}，正在运行的服务会在几秒内自动载入。")


@group.command("load-sample")
def load_sample_command() -> None:
    """补回随系统附带的示例问答和公开信息中缺少的条目（已有的条目，包括员工改过的，保持不变；可重复运行）。"""
    runtime = runtime_with_schema()
    result = load_sample(runtime.db)
    _report_import(result, runtime.db.kb_version())
    if result.errors:
        raise CommandFailed("示例数据有条目未能导入，见上面的说明")


@group.command("stats")
def stats_command() -> None:
    """显示知识库中问答和公开信息的数量。"""
    runtime = runtime_with_schema()
    with runtime.db.session() as session:
        faq_total = session.scalar(select(func.count(FaqEntry.id))) or 0
        faq_enabled = session.scalar(select(func.count(FaqEntry.id)).where(FaqEntry.enabled.is_(True))) or 0
        items = session.scalar(select(func.count(DisclosureItem.id))) or 0
        categories = session.execute(
            select(FaqEntry.category, func.count(FaqEntry.id)).group_by(FaqEntry.category)
            .order_by(func.count(FaqEntry.id).desc()).limit(10)
        ).all()
        stamps = [session.scalar(select(func.max(model.updated_at))) for model in (FaqEntry, DisclosureItem)]
        latest = max((s for s in stamps if s is not None), default=None)
    click.echo(f"问答：{faq_total} 条（启用 {faq_enabled} 条，停用 {faq_total - faq_enabled} 条）")
    click.echo(f"公开信息：{items} 条")
    click.echo(f"知识库版本：{runtime.db.kb_version()}")
    if latest:
        click.echo(f"最近修改：{latest:%Y-%m-%d %H:%M}（UTC）")
    if categories:
        click.echo("问答分类：" + "，".join(f"{name or '未分类'} {count}" for name, count in categories))


@group.command("remove-sample")
@click.option("--editor", help="记录为操作人的名字（默认是当前系统用户）。")
def remove_sample_command(editor: str | None) -> None:
    """删除随系统附带的示例问答和示例公开信息（员工修改过的条目保留）。"""
    runtime = runtime_with_schema()
    faqs, items = remove_sample(runtime.db, editor=editor or _default_editor())
    click.echo(f"已删除示例问答 {faqs} 条、示例公开信息 {items} 条；员工修改过的条目已保留。")
    if faqs or items:
        click.echo("正在运行的服务会在几秒内自动载入新的知识库。")


@group.command("export")
@click.option("--format", "fmt", type=click.Choice(["jsonl"]), default="jsonl", show_default=True,
              help="导出格式（可用 kb import 重新导入）。")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="写入的文件（默认输出到屏幕）。")
def export_command(fmt: str, output: Path | None) -> None:
    """导出全部问答和公开信息，可用 kb import 原样导回。"""
    runtime = runtime_with_schema()
    lines = (json.dumps(record, ensure_ascii=False) + "\n" for record in export_records(runtime.db))
    if output is None:
        for line in lines:
            click.echo(line, nl=False)
        return
    count = 0
    with output.open("w", encoding="utf-8") as handle:
        for line in lines:
            handle.write(line)
            count += 1
    click.echo(f"已导出 {count} 条到 {output}")
