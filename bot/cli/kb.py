"""`flask kb …`: import, inspect and export the knowledge base from the command line.

    flask --app app kb import faq.xlsx items.csv page.txt [--editor 张三] [--dry-run]
    flask --app app kb remove|disable|enable 12 13 [--item]
    flask --app app kb stats
    flask --app app kb load-sample        the bundled sample (again): adds what is missing only
    flask --app app kb remove-sample
    flask --app app kb export -o kb.jsonl   (or --format xlsx -o kb.xlsx)

Imports go through `knowledge.importers` and so through the one write path (`KbEditor`): the
version bump they make is what tells every running worker to reload its index within seconds.
"""

from __future__ import annotations

import getpass
import json
from pathlib import Path

import click
from sqlalchemy import func, select

from bot.cli.chinese import ChineseGroup
from bot.cli.errors import CommandFailed, runtime_with_schema
from knowledge.editor import Change, EditError, KbEditor
from knowledge.export import export_records, export_xlsx
from knowledge.importers import ImportResult, import_paths
from knowledge.models import DisclosureItem, FaqEntry
from knowledge.sample import load_sample, remove_sample

group = ChineseGroup("kb", help="知识库：导入（可先预览）、删除、停用/启用、统计、示例数据、导出。")


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
@click.option("--dry-run", is_flag=True,
              help="只预览：列出将新增、将修改（新旧答案对照）和不会导入的行，不写入任何内容。")
def import_command(paths: tuple[Path, ...], sheet: str | None, url: str | None, editor: str | None,
                   dry_run: bool) -> None:
    """导入问答或公开信息：.xlsx、.csv、.jsonl，门户网页 .html（信息页或目录页）、网页文本 .txt，或文件夹。"""
    if url and (len(paths) != 1 or paths[0].is_dir()):
        raise click.UsageError("--url 只能和一个文件一起使用")
    runtime = runtime_with_schema()
    result = import_paths(runtime.db, paths, sheet=sheet, url=url, editor=editor or _default_editor(),
                          dry_run=dry_run)
    _report_import(result, runtime.db.kb_version(), detailed=dry_run)
    if dry_run:
        click.echo("以上只是预览，没有写入任何内容；确认无误后去掉 --dry-run 再运行一次即可导入。")
    if result.failed_files:
        raise CommandFailed(f"有 {len(result.failed_files)} 个文件未能导入，见上面的说明")


def _report_import(result: ImportResult, version: int, *, detailed: bool = False) -> None:
    for line in preview_lines(result, detailed=detailed):
        click.echo(line)
    if not result.dry_run and (result.created or result.updated):
        click.echo(f"知识库版本已更新为 {version}，正在运行的服务会在几秒内自动载入。")


def _clip(text: str, limit: int = 300) -> str:
    text = text.replace("\n", " ⏎ ")
    return text if len(text) <= limit else text[:limit] + f"…（共 {len(text)} 字）"


def preview_lines(result: ImportResult, *, detailed: bool) -> list[str]:
    """The preview as text: the same facts the upload page shows, in the same order.

    A real import lists only the answers it overwrote (so none is overwritten silently); a
    preview lists every row.
    """
    lines = list(result.notes)
    lines += [f"  × {error}" for error in result.errors]
    lines.append(result.summary())
    kinds = {"faq": "问答", "item": "公开信息"}
    if detailed:
        added = [r for r in result.rows if r.change is Change.CREATED]
        if added:
            lines.append("将新增：")
            lines += [f"  + {r.file} 第 {r.row} 行  {kinds[r.kind]}：{_clip(r.label, 80)}" for r in added]
        changed = [r for r in result.rows if r.change is Change.UPDATED]
        if changed:
            lines.append("将修改：")
            lines += [f"  ~ {r.file} 第 {r.row} 行  {kinds[r.kind]} 编号 {r.id}：{_clip(r.label, 80)}"
                      f"（改动：{'、'.join(r.fields)}）" for r in changed]
    if result.overwritten:
        lines.append("将覆盖以下原有答案：" if result.dry_run else "已覆盖以下原有答案：")
        for r in result.overwritten:
            lines.append(f"  ! {kinds[r.kind]} 编号 {r.id}：{_clip(r.label, 80)}（{r.file} 第 {r.row} 行）")
            lines.append(f"      原：{_clip(r.old_text or '')}")
            lines.append(f"      新：{_clip(r.new_text or '')}")
    return lines


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


def _edit_each(ids: tuple[int, ...], item: bool, editor: str | None, action: str) -> None:
    """Apply one action to several entries in one transaction; report each id in Chinese.

    An id that does not exist is reported and the others still change (exit status 1), the
    same rule as a bad row in an import.
    """
    kind = "公开信息" if item else "问答"
    done = {"remove": "已删除", "disable": "已停用", "enable": "已启用"}[action]
    missing: list[int] = []
    changed = 0
    with KbEditor(runtime_with_schema().db, editor=editor or _default_editor()).batch() as batch:
        for entry_id in dict.fromkeys(ids):
            try:
                if action == "remove":
                    found = batch.delete_item(entry_id) if item else batch.delete_faq(entry_id)
                    outcome = done if found else None
                else:
                    switch = batch.set_item_enabled if item else batch.set_faq_enabled
                    change = switch(entry_id, action == "enable")
                    outcome = done if change is not Change.UNCHANGED else f"本来就是{done[1:]}状态，未改动"
            except EditError:
                outcome = None
            if outcome is None:
                missing.append(entry_id)
                click.echo(f"  × {kind} 编号 {entry_id}：找不到这一条")
                continue
            changed += outcome == done
            click.echo(f"  {kind} 编号 {entry_id}：{outcome}")
    click.echo(f"共 {changed} 条{done}。" + ("正在运行的服务会在几秒内自动载入。" if changed else ""))
    if missing:
        raise CommandFailed(f"有 {len(missing)} 个编号找不到，其余的已处理")


_IDS = click.argument("ids", nargs=-1, required=True, type=click.IntRange(min=1), metavar="编号…")
_ITEM = click.option("--item", is_flag=True, help="编号是公开信息的编号（默认是问答的编号）。")
_EDITOR = click.option("--editor", help="记录为操作人的名字（默认是当前系统用户）。")


@group.command("remove")
@_IDS
@_ITEM
@_EDITOR
def remove_command(ids: tuple[int, ...], item: bool, editor: str | None) -> None:
    """删除问答（或加 --item 删除公开信息）；市民立即看不到，可在回收站恢复。"""
    _edit_each(ids, item, editor, "remove")


@group.command("disable")
@_IDS
@_ITEM
@_EDITOR
def disable_command(ids: tuple[int, ...], item: bool, editor: str | None) -> None:
    """停用问答（或加 --item 停用公开信息）：保留内容，但不再回答市民。"""
    _edit_each(ids, item, editor, "disable")


@group.command("enable")
@_IDS
@_ITEM
@_EDITOR
def enable_command(ids: tuple[int, ...], item: bool, editor: str | None) -> None:
    """重新启用停用的问答（或加 --item 启用公开信息）。"""
    _edit_each(ids, item, editor, "enable")


@group.command("export")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "xlsx"]), default="jsonl", show_default=True,
              help="导出格式：jsonl 可用 kb import 原样导回；xlsx 是“问答”“公开信息”两个工作表。")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="写入的文件（默认输出到屏幕；xlsx 必须指定）。")
def export_command(fmt: str, output: Path | None) -> None:
    """导出全部问答和公开信息，可用 kb import 原样导回。"""
    runtime = runtime_with_schema()
    if fmt == "xlsx":
        if output is None:
            raise click.UsageError("导出 xlsx 时请用 -o 指定文件名")
        data, faqs, items = export_xlsx(runtime.db)
        output.write_bytes(data)
        click.echo(f"已导出问答 {faqs} 条、公开信息 {items} 条到 {output}")
        return
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
